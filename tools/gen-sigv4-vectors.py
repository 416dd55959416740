#!/usr/bin/env python3
# Writes SigV4 vectors signed by the installed botocore, for tests/data/sts/sigv4/.
import datetime
from urllib.parse import urlsplit
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

def sign(name, url, body, service, creds, when):
    req = AWSRequest(method="POST", url=url, data=body,
                     headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(creds, service, "us-east-1").add_auth(req)
    prepared = req.prepare()
    with open(f"{name}.case", "w") as f:
        f.write(f"# botocore {__import__('botocore').__version__} SigV4Auth({service}, us-east-1), regenerate with tools/gen-sigv4-vectors.py\n")
        f.write(f"secret: {creds.secret_key}\n")
        f.write(f"service: {service}\n")
        f.write(f"method: POST\npath: /\n")
        f.write(f"header: Host: {urlsplit(url).netloc}\n")
        for k, v in prepared.headers.items():
            if k.lower() in ("content-length",): continue
            f.write(f"header: {k}: {v}\n")
        f.write(f"body: {body}\n")

when = datetime.datetime(2026, 11, 23, 12, 0, 0)
sign("botocore-get-caller-identity", "https://sts.amazonaws.com/", "Action=GetCallerIdentity&Version=2011-06-15", "sts",
     Credentials("ASIAQWERTYUIOPASDFGH", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "IQoJb3JpZ2luX2VjEXAMPLETOKEN"), when)
sign("botocore-create-role", "http://127.0.0.1:4566/", "Action=CreateRole&Version=2010-05-08&RoleName=deploy&AssumeRolePolicyDocument=%7B%22Version%22%3A%222012-10-17%22%7D&Path=%2Fci%2F", "iam",
     Credentials("test", "test"), when)
