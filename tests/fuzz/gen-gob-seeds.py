#!/usr/bin/env python3
"""gen-gob-seeds.py DIR: writes the gob seeds of fuzz-gob into DIR.

A small encoder of Go's encoding/gob wire format (SPEC 5.3), enough for
RuleContentDirectory streams and for streams that are wrong in the ways a
decoder must survive.  The content is made up; the type ids are Go's
(user types from 65), the field lists are upstream's current structs,
unless a seed says otherwise.
"""
import os
import struct
import sys


def uint(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([256 - len(b)]) + b


def sint(n):
    return uint(((~n) << 1) | 1 if n < 0 else n << 1)


def text(x):
    x = x.encode() if isinstance(x, str) else x
    return uint(len(x)) + x


def double(x):
    """A float64: its IEEE 754 bits, byte-reversed, as an unsigned."""
    return uint(int.from_bytes(struct.pack("<d", x), "big"))


def fields(pairs):
    """A struct: (field number, encoded value) pairs in order, then 0."""
    out, last = b"", -1
    for num, val in pairs:
        out += uint(num - last) + val
        last = num
    return out + b"\x00"


def message(tid, body):
    m = sint(tid) + body
    return uint(len(m)) + m


def common(name, tid):
    return fields(([(0, text(name))] if name else []) + [(1, sint(tid))])


# The wireType of a type definition (its message is the type id negated):
# *_body is the value, *_type the whole message.
def struct_body(tid, name, flist):
    fl = uint(len(flist)) + b"".join(
        fields([(0, text(n)), (1, sint(t))]) for n, t in flist)
    return fields([(2, fields([(0, common(name, tid)), (1, fl)]))])


def map_body(tid, key, elem):
    return fields([(3, fields([(0, common("", tid)), (1, sint(key)),
                               (2, sint(elem))]))])


def slice_body(tid, elem):
    return fields([(1, fields([(0, common("", tid)), (1, sint(elem))]))])


def array_body(tid, elem, n):
    return fields([(0, fields([(0, common("", tid)), (1, sint(elem)),
                               (2, sint(n))]))])


def struct_type(tid, name, flist):
    return message(-tid, struct_body(tid, name, flist))


def map_type(tid, key, elem):
    return message(-tid, map_body(tid, key, elem))


def slice_type(tid, elem):
    return message(-tid, slice_body(tid, elem))


def array_type(tid, elem, n):
    return message(-tid, array_body(tid, elem, n))


BOOL, INT, UINT, FLOAT, BYTES, STRING, COMPLEX, IFACE = range(1, 9)
DIR, CONFIG, RULES, STRINT, RULE, PLUGIN, EKEYS, EKEY, META, IMPACT, TAGS = \
    range(65, 76)

META_FIELDS = [("Description", STRING), ("Impact", IMPACT),
               ("Likelihood", INT), ("PublishDate", STRING),
               ("ResolutionRisk", INT), ("Status", STRING), ("Tags", TAGS)]
RULE_FIELDS = [("Plugin", PLUGIN), ("ErrorKeys", EKEYS),
               ("Generic", STRING), ("Summary", STRING),
               ("Resolution", STRING), ("MoreInfo", STRING),
               ("Reason", STRING), ("HasReason", BOOL)]
EKEY_FIELDS = [("Metadata", META), ("TotalRisk", INT), ("Generic", STRING),
               ("Summary", STRING), ("Resolution", STRING),
               ("MoreInfo", STRING), ("Reason", STRING), ("HasReason", BOOL)]


def types(meta=META_FIELDS, config=(("Impact", STRINT),
                                    ("ResolutionRisk", STRINT)),
          dirf=(("Config", CONFIG), ("Rules", RULES)), extra=b""):
    return (struct_type(IMPACT, "Impact", [("Name", STRING),
                                           ("Impact", INT)]) +
            slice_type(TAGS, STRING) +
            struct_type(META, "ErrorKeyMetadata", meta) +
            struct_type(EKEY, "RuleErrorKeyContent", EKEY_FIELDS) +
            map_type(EKEYS, STRING, EKEY) +
            struct_type(PLUGIN, "RulePluginInfo", [
                ("Name", STRING), ("NodeID", STRING),
                ("ProductCode", STRING), ("PythonModule", STRING)]) +
            struct_type(RULE, "RuleContent", RULE_FIELDS) +
            map_type(RULES, STRING, RULE) +
            map_type(STRINT, STRING, INT) +
            struct_type(CONFIG, "GlobalRuleConfig", list(config)) +
            extra +
            struct_type(DIR, "RuleContentDirectory", list(dirf)))


def strint(d):
    return uint(len(d)) + b"".join(text(k) + sint(v) for k, v in d)


def metadata(desc, impact, likelihood, tags, risk=1, status="active",
             lik=None):
    pairs = [(0, text(desc)),
             (1, fields([(0, text(impact[0])), (1, sint(impact[1]))])),
             (2, lik if lik is not None else sint(likelihood)),
             (3, text("2024-05-17 00:00:00")), (4, sint(risk)),
             (5, text(status))]
    if tags is not None:
        pairs.append((6, uint(len(tags)) + b"".join(text(t) for t in tags)))
    return fields(pairs)


def ekey(md, total, reason="The nodes have too little memory.\n"):
    return fields([(0, md), (1, sint(total)),
                   (2, text("Nodes below the minimum requirements.")),
                   (3, text("Some nodes lack memory or CPUs.")),
                   (4, text("Add memory to the nodes listed.")),
                   (5, text("https://docs.example.com/nodes")),
                   (6, text(reason)), (7, uint(1))])


def rule(module, keys, plugin_empty=False):
    plugin = b"\x00" if plugin_empty else fields([
        (0, text("Node requirements")), (1, text("")),
        (2, text("OCP")), (3, text(module))])
    return fields([(0, plugin),
                   (1, uint(len(keys)) + b"".join(
                       text(k) + v for k, v in keys)),
                   (2, text("generic text")), (6, text("{{.reason}}"))])


def directory(rules, config=True):
    pairs = []
    if config:
        pairs.append((0, fields([
            (0, strint([("Low", 1), ("Moderate", 2), ("Important", 3),
                        ("Critical", 4)])),
            (1, strint([("Low", 1), ("Moderate", 2)]))])))
    if rules is not None:
        pairs.append((1, uint(len(rules)) + b"".join(
            text(n) + r for n, r in rules)))
    return message(DIR, fields(pairs))


def full():
    md1 = metadata("Nodes lack memory", ("Application Failure", 2), 3,
                   ["openshift", "performance"])
    md2 = metadata("Nodes lack CPUs", ("Hung Task", 3), 2, [], risk=2)
    md3 = metadata("Old version", ("Security", 4), 1, None,
                   status="inactive")
    return types() + directory([
        ("nodes_requirements_check", rule(
            "ccx_rules_ocp.external.rules.nodes_requirements_check",
            [("NODES_MINIMUM_REQUIREMENTS_NOT_MET", ekey(md1, 3)),
             ("NODE_CPU_LOW", ekey(md2, 2))])),
        ("cluster_version", rule("ccx_rules_ocp.external.rules.cv",
                                 [("OLD_VERSION", ekey(md3, 1))],
                                 plugin_empty=True)),
    ])


def seeds():
    s = {}
    s["full.gob"] = full()
    s["rules-empty.gob"] = types() + directory([])
    s["rules-absent.gob"] = types() + directory(None, config=False)
    # Upstream's older structs: no ResolutionRisk anywhere.
    old_meta = [f for f in META_FIELDS if f[0] != "ResolutionRisk"]
    md = fields([(0, text("d")), (1, fields([(1, sint(4))])),
                 (2, sint(4)), (4, text("s")), (5, uint(1) + text("t"))])
    s["old-structs.gob"] = types(meta=old_meta,
                                 config=(("Impact", STRINT),)) + \
        message(DIR, fields([(0, fields([(0, strint([("x", 1)]))])),
                             (1, uint(1) + text("r") + fields([
                                 (1, uint(1) + text("K") + fields([
                                     (0, md)]))]))]))
    # Likelihood sent as a Go uint, and one too large for an int.
    md_u = metadata("u", ("I", 1), 0, ["a"], lik=uint(7))
    s["uint-likelihood.gob"] = types(meta=[
        ("Likelihood", UINT) if f[0] == "Likelihood" else f
        for f in META_FIELDS]) + directory([("r", rule("m", [
            ("K", ekey(md_u, 1))]))])
    md_big = metadata("b", ("I", 1 << 40), 1 << 33, ["a"])
    s["int-range.gob"] = types() + directory([("r", rule("m", [
        ("K", ekey(md_big, 1))]))])
    # Fields unknown to the schema, of every wire kind.
    X_ARR, X_MAP, X_SL, X_ST, X_IF = 76, 77, 78, 79, 80
    extra = (array_type(X_ARR, UINT, 3) + map_type(X_MAP, INT, BYTES) +
             slice_type(X_IF, IFACE) +
             struct_type(X_ST, "Extra", [("F", FLOAT), ("C", COMPLEX),
                                         ("Kids", X_SL)]) +
             slice_type(X_SL, X_ST))
    dirf = (("A", FLOAT), ("Rules", RULES), ("B", COMPLEX), ("C", BYTES),
            ("D", X_ARR), ("Config", CONFIG), ("E", X_MAP), ("F", X_ST),
            ("G", X_IF), ("H", UINT))
    f64 = double(0.25)
    kid = fields([(0, f64), (1, f64 + f64)])
    s["unknown-fields.gob"] = types(dirf=dirf, extra=extra) + message(
        DIR, fields([(0, f64), (1, uint(0)), (2, f64 + f64),
                     (3, text(b"\x00\x01\xff")),
                     (4, uint(3) + uint(1) + uint(2) + uint(300)),
                     (6, uint(1) + sint(-5) + text(b"xy")),
                     (7, fields([(0, f64), (2, uint(2) + kid + kid)])),
                     (8, uint(2) + text("") + text("")),
                     (9, uint(1 << 63))]))
    # Strings that are not UTF-8, and a map key with a NUL byte.
    s["bad-utf8.gob"] = types() + directory([(b"r\xff\xc0", rule(
        b"m\xe9", [("K", ekey(metadata(
            b"\xed\xa0\x80 \xf4\x90\x80\x80", ("I", 1), 1,
            [b"\xc0\xaf", b"ok\xf0\x9f\x98"]), 1))]))])
    s["nul-key.gob"] = types() + directory([(b"a\x00b", rule("m", []))])
    # Errors: a type defined twice, a first value that is not a struct,
    # a GobEncoder type, a map with int keys where a string one is due,
    # an undefined field type, a message longer than the input.
    s["type-twice.gob"] = types() + struct_type(IMPACT, "Impact", []) + \
        directory([])
    s["not-struct.gob"] = map_type(90, STRING, INT) + message(
        90, b"\x00" + strint([("a", 1)]))
    s["gobencoder.gob"] = message(-91, fields([(4, fields([
        (0, common("T", 91))]))])) + message(91, b"\x00")
    s["int-keys.gob"] = types() + map_type(92, INT, RULE) + struct_type(
        93, "RuleContentDirectory", [("Rules", 92)]) + message(
        93, fields([(0, uint(1) + sint(1) + rule("m", []))]))
    s["undefined-type.gob"] = struct_type(
        94, "RuleContentDirectory", [("Rules", 200)]) + message(
        94, fields([(0, uint(0))]))
    s["long-message.gob"] = uint(0x7fff) + sint(-65) + b"\x01"
    # A type that contains itself, nested past the depth limit.
    tree = struct_type(95, "Node", [("Kids", 96)]) + slice_type(96, 95)
    deep = b"\x00"
    for _ in range(60):
        deep = fields([(0, uint(1) + deep)])
    s["deep.gob"] = tree + struct_type(97, "RuleContentDirectory", [
        ("Rules", RULES), ("Tree", 95)]) + message(97, fields([(1, deep)]))
    s["empty.gob"] = b""
    # Prefixes of the full stream: cut in a definition, in the value.
    f = full()
    for cut in (1, 7, len(f) // 3, len(f) // 2, len(f) - 1):
        s["full-prefix-%d.gob" % cut] = f[:cut]
    return s


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: gen-gob-seeds.py DIR")
    os.makedirs(sys.argv[1], exist_ok=True)
    for name, data in sorted(seeds().items()):
        with open(os.path.join(sys.argv[1], name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
