#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Validates gupcheck's JSON documents against the schemas in this directory.

Each document names its schema by its "format" field: format F is checked
against F.schema.json beside this script (JSON Schema draft 2020-12, with
the Debian package python3-jsonschema; scripts/setup.sh installs it).

usage: validate.py FILE...                  exit 0: every file conforms; 1: one does not
       validate.py --expect-invalid FILE... exit 0: every file is refused; 1: one conforms
       validate.py --check-schemas          exit 0: every schema is a valid draft 2020-12 schema
Exit status 2: bad usage, an unreadable file, or jsonschema missing.
"""
import glob
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

try:
    import jsonschema
    from jsonschema import Draft202012Validator
except ImportError:
    sys.stderr.write("validate.py: python3-jsonschema is not installed (scripts/setup.sh installs it)\n")
    sys.exit(2)


def load_schemas():
    schemas = {}
    for path in sorted(glob.glob(os.path.join(HERE, "*.schema.json"))):
        with open(path, encoding="utf-8") as f:
            schema = json.load(f)
        name = os.path.basename(path)[: -len(".schema.json")]
        schemas[name] = schema
    return schemas


def validator_for(schema, schemas):
    """A validator that resolves $ref between our schemas by their $id."""
    try:  # jsonschema >= 4.18
        from referencing import Registry, Resource

        registry = Registry().with_resources(
            (s["$id"], Resource.from_contents(s)) for s in schemas.values())
        return Draft202012Validator(schema, registry=registry)
    except ImportError:  # Debian 12's jsonschema 4.10
        resolver = jsonschema.RefResolver.from_schema(
            schema, store={s["$id"]: s for s in schemas.values()})
        return Draft202012Validator(schema, resolver=resolver)


def errors_of(path, schemas):
    """Return: the list of reasons the file does not conform (empty: it does)."""
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, UnicodeDecodeError) as e:
        sys.stderr.write("validate.py: cannot read %s: %s\n" % (path, e))
        sys.exit(2)
    except json.JSONDecodeError as e:
        return ["not JSON: %s" % e]
    if not isinstance(doc, dict) or not isinstance(doc.get("format"), str):
        return ['no "format" field naming its schema']
    schema = schemas.get(doc["format"])
    if schema is None:
        return ["unknown format %r (schemas: %s)" % (doc["format"], ", ".join(sorted(schemas)))]
    v = validator_for(schema, schemas)
    return ["%s: %s" % ("/".join(str(p) for p in e.absolute_path) or "(document)", e.message)
            for e in sorted(v.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))]


def main(argv):
    schemas = load_schemas()
    if not schemas:
        sys.stderr.write("validate.py: no *.schema.json in %s\n" % HERE)
        return 2
    if argv == ["--check-schemas"]:
        bad = 0
        for name, schema in sorted(schemas.items()):
            try:
                Draft202012Validator.check_schema(schema)
            except jsonschema.exceptions.SchemaError as e:
                print("BAD SCHEMA %s: %s" % (name, e.message))
                bad += 1
                continue
            props = schema.get("properties", {})
            if schema.get("$id") != "https://gupcheck.invalid/schemas/%s.schema.json" % name or props.get("format", {}).get("const") != name \
                    or not isinstance(props.get("version", {}).get("const"), int):
                print("BAD SCHEMA %s: needs $id https://gupcheck.invalid/schemas/%s.schema.json, format const %s, integer version const"
                      % (name, name, name))
                bad += 1
                continue
            print("ok schema %s (version %d)" % (name, props["version"]["const"]))
        return 1 if bad else 0
    expect_invalid = False
    if argv and argv[0] == "--expect-invalid":
        expect_invalid = True
        argv = argv[1:]
    if not argv or any(a.startswith("--") for a in argv):
        sys.stderr.write(__doc__)
        return 2
    wrong = 0
    for path in argv:
        errs = errors_of(path, schemas)
        if expect_invalid:
            if errs:
                print("refused (as expected) %s: %s" % (path, errs[0]))
            else:
                print("FAIL: %s conforms, but it should be refused" % path)
                wrong += 1
        elif errs:
            print("FAIL: %s does not conform to its schema:" % path)
            for e in errs[:20]:
                print("  " + e)
            wrong += 1
        else:
            print("ok %s" % path)
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
