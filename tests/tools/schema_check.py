#!/usr/bin/env python3
"""Validates one JSON document against one definition of the Statuspage schema (with format
checking): `schema_check.py SCHEMA DEFINITION FILE`. Exit 1 naming every violation."""
import json
import sys

import jsonschema


def main():
    schema_path, name, doc_path = sys.argv[1:4]
    with open(schema_path) as f:
        schema = json.load(f)
    with open(doc_path) as f:
        doc = json.load(f)
    validator = jsonschema.Draft202012Validator(
        {"$defs": schema["$defs"], "$ref": f"#/$defs/{name}"},
        format_checker=jsonschema.FormatChecker(),
    )
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    for e in errors:
        print(f"{doc_path}: {'/'.join(map(str, e.path))}: {e.message}")
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
