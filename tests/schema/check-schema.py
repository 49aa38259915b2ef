#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Check docs/schema/manifest-v1.schema.json against the sample manifests.

Every tests/data/manifests/valid-*.json must validate and every
invalid-*.json must not. Exits 0 when all do, 1 otherwise (2 on usage or
setup errors).

usage: check-schema.py [SCHEMA [MANIFEST_DIR]]
"""
import glob
import json
import os
import sys

try:
    from jsonschema import Draft202012Validator
except ImportError:
    sys.stderr.write("check-schema: error: python3-jsonschema (4.x) is not installed\n")
    sys.exit(2)

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))


def load(path):
    # Duplicate keys would make the file mean different things to
    # different parsers: refuse them.
    def no_dups(pairs):
        seen = {}
        for key, value in pairs:
            if key in seen:
                raise ValueError("duplicate key '%s'" % key)
            seen[key] = value
        return seen

    with open(path, encoding="utf-8") as f:
        return json.load(f, object_pairs_hook=no_dups)


def main(argv):
    if len(argv) > 3 or (len(argv) > 1 and argv[1] in ("-h", "--help")):
        sys.stderr.write(__doc__)
        return 2
    schema_path = argv[1] if len(argv) > 1 else os.path.join(
        SOURCE, "docs", "schema", "manifest-v1.schema.json")
    data_dir = argv[2] if len(argv) > 2 else os.path.join(
        SOURCE, "tests", "data", "manifests")

    try:
        schema = load(schema_path)
        Draft202012Validator.check_schema(schema)
    except Exception as e:  # any failure here is a broken setup
        sys.stderr.write("check-schema: error: schema '%s': %s\n" % (schema_path, e))
        return 2
    validator = Draft202012Validator(schema)

    valid = sorted(glob.glob(os.path.join(data_dir, "valid-*.json")))
    invalid = sorted(glob.glob(os.path.join(data_dir, "invalid-*.json")))
    if not valid or not invalid:
        sys.stderr.write("check-schema: error: no valid-*.json or invalid-*.json in '%s'\n" % data_dir)
        return 2

    failures = 0
    for path, want_valid in [(p, True) for p in valid] + [(p, False) for p in invalid]:
        name = os.path.basename(path)
        try:
            doc = load(path)
        except ValueError as e:
            print("FAIL %s: not JSON: %s" % (name, e))
            failures += 1
            continue
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
        if want_valid and errors:
            failures += 1
            for e in errors:
                where = "/".join(str(p) for p in e.absolute_path) or "(top)"
                print("FAIL %s: %s: %s" % (name, where, e.message))
        elif not want_valid and not errors:
            failures += 1
            print("FAIL %s: accepted, but it must be refused" % name)
        else:
            detail = ""
            if errors:
                e = errors[0]
                where = "/".join(str(p) for p in e.absolute_path) or "(top)"
                detail = " (%s: %s)" % (where, e.message)
            print("ok   %s%s" % (name, detail))

    total = len(valid) + len(invalid)
    print("%d of %d manifests as expected" % (total - failures, total))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
