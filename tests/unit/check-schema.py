#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""docs/scenario.schema.json agrees with lib/scenario, as TAP.

The schema is a valid draft 2020-12 schema; every valid scenario of the
corpus and every docs example validates against it; the invalid scenarios
whose fault is a schema rule fail it. (Rules that need more than a schema
— the provider vocabulary, trust policies, names referenced across the
file — are lib/scenario's alone; the enums are compared with the C tables
by unit-scenario.)

YAML is read with the YAML 1.2 core schema's booleans (true/false only),
as lib/scenario does. valid/003-yaml-strict-typing.yaml is left out: it
relies on a plain scalar keeping its text where a string is wanted, which
a JSON Schema cannot express.
"""
import glob
import json
import os
import re
import sys

import jsonschema
import yaml

schema_path, corpus, examples = sys.argv[1:4]


class CoreLoader(yaml.SafeLoader):
    pass


CoreLoader.yaml_implicit_resolvers = {
    k: [r for r in v if r[0] != "tag:yaml.org,2002:bool"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
CoreLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def load(path):
    with open(path, encoding="utf-8") as f:
        if path.endswith(".json"):
            return json.load(f)
        return yaml.load(f, Loader=CoreLoader)  # noqa: S506 - safe loader


with open(schema_path, encoding="utf-8") as f:
    schema = json.load(f)
results = []
try:
    jsonschema.Draft202012Validator.check_schema(schema)
    results.append((True, "the schema is a valid draft 2020-12 schema", ""))
except jsonschema.SchemaError as e:
    results.append((False, "the schema is a valid draft 2020-12 schema", e.message))
validator = jsonschema.Draft202012Validator(schema)

valid = sorted(glob.glob(f"{corpus}/valid/*.yaml") + glob.glob(f"{corpus}/valid/*.json")
               + glob.glob(f"{examples}/*.yaml") + glob.glob(f"{examples}/*.json")
               + glob.glob(f"{examples}/iac/*.scenario.yaml"))
valid = [p for p in valid if not p.endswith("003-yaml-strict-typing.yaml")]
for path in valid:
    errors = [e.message for e in validator.iter_errors(load(path))]
    results.append((not errors, f"valid: {os.path.basename(path)}", "; ".join(errors)))

schema_faults = ["121-version-2.yaml", "122-unknown-top-field.yaml", "123-expect-typo.yaml",
                 "128-unknown-profile.yaml", "133-account-number.json",
                 "138-unknown-fault.yaml", "139-session-name.yaml", "140-no-cases.yaml",
                 "142-audience-type.yaml", "143-role-name.yaml"]
for name in schema_faults:
    ok = not validator.is_valid(load(f"{corpus}/invalid/{name}"))
    results.append((ok, f"invalid: {name}", "the schema accepted it"))

print(f"1..{len(results)}")
for n, (ok, name, why) in enumerate(results, 1):
    print(f"{'ok' if ok else 'not ok'} {n} - {name}")
    if not ok:
        print(f"# {why}")
sys.exit(0 if all(ok for ok, _, _ in results) else 1)
