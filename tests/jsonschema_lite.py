#!/usr/bin/env python3
"""jsonschema_lite: validate JSON lines against a JSON Schema (draft 2020-12
subset), with nothing but the Python standard library.

Usage: jsonschema_lite.py [--invalid] SCHEMA [FILE...]

Each line of each FILE (standard input without FILE) must be one JSON value
that the schema accepts.  Blank lines are errors.  Every rejected line is
reported on standard output as "FILE:LINE: PATH: what is wrong".  With
--invalid it is the other way round: every line must be rejected (not JSON,
or not valid), and a line that is valid is reported as "FILE:LINE: valid".

Exit status: 0 every line valid (with --invalid: every line rejected), 1
otherwise, 2 bad usage, unreadable files, or a schema that uses a keyword
this validator does not know (so that a schema cannot silently rely on an
unchecked keyword).

Supported keywords: type, const, enum, required, properties, items,
minItems, minLength, minimum, maximum, pattern, oneOf, anyOf, $ref (local
"#/$defs/NAME" only) and $defs; the annotations $schema, $id, $comment,
title, description and examples are ignored.  Unknown members of an
instance are allowed, as in the schemas' default (additionalProperties
true).

One deliberate difference from the specification: "integer" accepts only
JSON numbers written without fraction or exponent (42, not 42.0 or 4.2e1),
because our readers (json-c) see the latter as doubles and refuse them.
"""

import json
import re
import sys

ANNOTATIONS = {"$schema", "$id", "$comment", "title", "description",
               "examples"}
KEYWORDS = ANNOTATIONS | {"type", "const", "enum", "required", "properties",
                          "items", "minItems", "minLength", "minimum",
                          "maximum", "pattern", "oneOf", "anyOf", "$ref",
                          "$defs"}
TYPES = {"null", "boolean", "integer", "number", "string", "array",
         "object"}


class SchemaError(Exception):
    """The schema itself is wrong or uses an unsupported keyword."""


# The Python type of each JSON type json.loads gives, bool before int (a
# bool is an int too).
PY_TYPES = ((type(None), "null"), (bool, "boolean"), (int, "integer"),
            (float, "number"), (str, "string"), (list, "array"),
            (dict, "object"))


def type_of(v):
    """The JSON type name of a value from json.loads."""
    for py, name in PY_TYPES:
        if isinstance(v, py):
            return name
    raise TypeError(repr(v))


def has_type(v, name):
    t = type_of(v)
    return t == name or (name == "number" and t == "integer")


def json_equal(a, b):
    """Equality of JSON values: true is not 1, 1 equals 1.0."""
    ta, tb = type_of(a), type_of(b)
    if {ta, tb} <= {"integer", "number"}:
        return a == b
    if ta != tb:
        return False
    if ta == "array":
        return len(a) == len(b) and all(map(json_equal, a, b))
    if ta == "object":
        return a.keys() == b.keys() and all(json_equal(a[k], b[k])
                                            for k in a)
    return a == b


def check_schema(s, where="#"):
    """Refuses keywords this validator does not implement."""
    if isinstance(s, bool):
        return
    if not isinstance(s, dict):
        raise SchemaError("%s: a schema must be an object or a boolean"
                          % where)
    for k in s:
        if k not in KEYWORDS:
            raise SchemaError("%s: unsupported keyword %r" % (where, k))
    t = s.get("type")
    if t is not None:
        for n in (t if isinstance(t, list) else [t]):
            if n not in TYPES:
                raise SchemaError("%s: unknown type %r" % (where, n))
    for k in ("properties", "$defs"):
        for name, sub in s.get(k, {}).items():
            check_schema(sub, "%s/%s/%s" % (where, k, name))
    if "items" in s:
        check_schema(s["items"], where + "/items")
    for k in ("oneOf", "anyOf"):
        if k in s:
            if not isinstance(s[k], list) or not s[k]:
                raise SchemaError("%s/%s: must be a non-empty array"
                                  % (where, k))
            for i, sub in enumerate(s[k]):
                check_schema(sub, "%s/%s/%d" % (where, k, i))
    if "pattern" in s:
        try:
            re.compile(s["pattern"])
        except re.error as e:
            raise SchemaError("%s/pattern: %s" % (where, e))
    if "$ref" in s and not s["$ref"].startswith("#/$defs/"):
        raise SchemaError("%s/$ref: only #/$defs/NAME is supported" % where)


class Validator:
    def __init__(self, schema):
        check_schema(schema)
        self.root = schema

    def resolve(self, ref):
        name = ref[len("#/$defs/"):]
        try:
            return self.root["$defs"][name]
        except KeyError:
            raise SchemaError("unresolvable $ref %r" % ref)

    def errors(self, v, s=None, path="$"):
        """Yields (path, message) for each way v fails schema s."""
        if s is None:
            s = self.root
        if s is True:
            return
        if s is False:
            yield path, "no value is allowed here"
            return
        if "$ref" in s:
            yield from self.errors(v, self.resolve(s["$ref"]), path)
        if "type" in s:
            names = s["type"] if isinstance(s["type"], list) else [s["type"]]
            if not any(has_type(v, n) for n in names):
                yield path, "is %s, expected %s" % (type_of(v),
                                                    " or ".join(names))
                return
        if "const" in s and not json_equal(v, s["const"]):
            yield path, "must be %s" % json.dumps(s["const"])
        if "enum" in s and not any(json_equal(v, e) for e in s["enum"]):
            yield path, "must be one of %s" % ", ".join(
                json.dumps(e) for e in s["enum"])
        t = type_of(v)
        if t == "object":
            for k in s.get("required", []):
                if k not in v:
                    yield path, "lacks the required member %r" % k
            for k, sub in s.get("properties", {}).items():
                if k in v:
                    yield from self.errors(v[k], sub, "%s.%s" % (path, k))
        if t == "array":
            if len(v) < s.get("minItems", 0):
                yield path, "has %d items, expected at least %d" % (
                    len(v), s["minItems"])
            if "items" in s:
                for i, e in enumerate(v):
                    yield from self.errors(e, s["items"],
                                           "%s[%d]" % (path, i))
        if t == "string":
            if len(v) < s.get("minLength", 0):
                yield path, "is shorter than %d characters" % s["minLength"]
            if "pattern" in s and re.search(s["pattern"], v) is None:
                yield path, "%s does not match %s" % (
                    json.dumps(v)[:80], s["pattern"])
        if t in ("integer", "number"):
            if "minimum" in s and v < s["minimum"]:
                yield path, "%s is below the minimum %s" % (v, s["minimum"])
            if "maximum" in s and v > s["maximum"]:
                yield path, "%s is above the maximum %s" % (v, s["maximum"])
        if "anyOf" in s:
            if not any(self.valid(v, sub) for sub in s["anyOf"]):
                yield path, "matches none of the anyOf alternatives" + \
                    self.why(v, s["anyOf"])
        if "oneOf" in s:
            n = sum(1 for sub in s["oneOf"] if self.valid(v, sub))
            if n == 0:
                yield path, "matches none of the oneOf alternatives" + \
                    self.why(v, s["oneOf"])
            elif n > 1:
                yield path, "matches %d oneOf alternatives, expected " \
                    "exactly one" % n

    def valid(self, v, s):
        return next(self.errors(v, s), None) is None

    def why(self, v, alternatives):
        out = []
        for i, sub in enumerate(alternatives):
            p, m = next(self.errors(v, sub))
            label = sub.get("title", str(i)) if isinstance(sub, dict) \
                else str(i)
            out.append("[%s: %s %s]" % (label, p, m))
        return " " + " ".join(out)


def no_constant(name):
    raise ValueError("%s is not JSON" % name)


def validate_file(val, name, f, invert):
    """Returns how many lines went against expectation."""
    bad = 0
    for n, raw in enumerate(f, 1):
        try:
            line = raw.rstrip(b"\n").decode("utf-8")
            v = json.loads(line, parse_constant=no_constant)
            errs = ["%s: %s" % e for e in val.errors(v)]
        except ValueError as e:  # UnicodeDecodeError too
            errs = ["not JSON: %s" % e]
        for e in errs:
            print("%s:%d: %s" % (name, n, e))
        if invert and not errs:
            print("%s:%d: valid" % (name, n))
        bad += (not errs) if invert else bool(errs)
    return bad


def main(argv):
    invert = len(argv) > 1 and argv[1] == "--invalid"
    if invert:
        argv = argv[:1] + argv[2:]
    if len(argv) < 2:
        print("usage: jsonschema_lite.py [--invalid] schema [file ...]",
              file=sys.stderr)
        return 2
    try:
        with open(argv[1], encoding="utf-8") as f:
            val = Validator(json.load(f))
    except (OSError, ValueError, SchemaError) as e:
        print("jsonschema_lite: %s: %s" % (argv[1], e), file=sys.stderr)
        return 2
    bad = 0
    try:
        if len(argv) == 2:
            bad += validate_file(val, "-", sys.stdin.buffer, invert)
        for name in argv[2:]:
            with open(name, "rb") as f:
                bad += validate_file(val, name, f, invert)
    except OSError as e:
        print("jsonschema_lite: %s" % e, file=sys.stderr)
        return 2
    except SchemaError as e:
        print("jsonschema_lite: %s: %s" % (argv[1], e), file=sys.stderr)
        return 2
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
