#!/usr/bin/python3
"""Validates YAML files against dcsim's JSON Schema with Debian's python3-jsonschema (an independent validator).

usage: schema_validate.py SCHEMA.json (--valid | --invalid) FILE...
--valid: every file must validate; --invalid: every file must be rejected. Exit 1 naming the files that disagree.

YAML is read as YAML 1.2's core schema reads it (as yaml-cpp and YAML language servers do): only true/false are
booleans, and 1e6 is a number. PyYAML's YAML 1.1 defaults (yes/no/on/off booleans, 1e6 a string, dates) would
judge files by rules neither dcsim nor an editor applies.
"""
import json
import re
import sys

import jsonschema
import yaml


class Core12Loader(yaml.SafeLoader):
    pass


Core12Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers
            if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
                           "tag:yaml.org,2002:timestamp")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Core12Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                                   list("tTfF"))
Core12Loader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789"))
Core12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+.0123456789"))


def main():
    schema = json.load(open(sys.argv[1]))
    want_valid = sys.argv[2] == "--valid"
    validator = jsonschema.Draft202012Validator(schema)
    jsonschema.Draft202012Validator.check_schema(schema)
    disagree = []
    for path in sys.argv[3:]:
        with open(path) as f:
            doc = yaml.load(f, Loader=Core12Loader)
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
        if want_valid and errors:
            e = errors[0]
            disagree.append(f"{path}: rejected at {'/'.join(map(str, e.absolute_path))}: {e.message[:300]}")
        if not want_valid and not errors:
            disagree.append(f"{path}: accepted, but it is invalid")
    for line in disagree:
        print(line)
    print(f"schema_validate: {len(sys.argv) - 3 - len(disagree)} of {len(sys.argv) - 3} files as expected "
          f"({'valid' if want_valid else 'invalid'})")
    return 1 if disagree else 0


if __name__ == "__main__":
    sys.exit(main())
