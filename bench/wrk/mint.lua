-- wrk: POST a GitHub push context to mock-issuer's minting API.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"context":{"repository":"octo/app","event":"push","ref":"refs/heads/main"},"audience":"sts.amazonaws.com"}'
