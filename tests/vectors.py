#!/usr/bin/env python3
"""vectors.py: the shared golden vectors as record lines, and the check of
what db-writer stored for them.

  vectors.py lines TESTDATA                 record lines on stdout (offset = index)
  vectors.py check TESTDATA ROWS DEAD ACKS  compare the stored rows (CSV of
                                            offset, org, account, cluster, report)
                                            and dead letters with the vectors
"""
import csv, json, os, sys
from decimal import Decimal


def cases(testdata):
    out = []
    with open(os.path.join(testdata, "results", "vectors.jsonl")) as f:
        for line in f:
            v = json.loads(line)
            out.append((v["name"], v["input"].encode("utf-8"), v))
    mdir = os.path.join(testdata, "results", "messages")
    with open(os.path.join(mdir, "expected.jsonl")) as f:
        for line in f:
            v = json.loads(line)
            with open(os.path.join(mdir, v["name"]), "rb") as m:
                out.append((v["name"], m.read(), v))
    return out


def value(text):
    return json.loads(text, parse_float=Decimal, parse_int=Decimal)


def main():
    cmd, testdata = sys.argv[1], sys.argv[2]
    cs = cases(testdata)
    if cmd == "lines":
        for i, (name, raw, v) in enumerate(cs):
            rec = {"topic": "ccx.ocp.results", "partition": 0, "offset": i,
                   "value": raw.decode("utf-8")}
            sys.stdout.write(json.dumps(rec, ensure_ascii=False) + "\n")
        return 0
    rows = {}
    with open(sys.argv[3], newline="") as f:
        for r in csv.reader(f):
            rows[int(r[0])] = r
    dead = set()
    with open(sys.argv[4]) as f:
        dead = {int(l) for l in f if l.strip()}
    acks = [json.loads(l) for l in open(sys.argv[5])]
    bad = 0
    if [a["offset"] for a in acks] != list(range(len(cs))):
        print("acks do not cover every record in order")
        bad += 1
    for i, (name, raw, v) in enumerate(cs):
        got = "stored" if i in rows else ("rejected" if i in dead else "lost")
        if i in rows and i in dead:
            got = "both"
        want = v["outcome"]
        if got != want and not (v.get("either") and got in ("stored", "rejected")):
            print(f"{name}: want {want}, got {got}")
            bad += 1
            continue
        if got == "stored" and want == "stored":
            r = rows[i]
            if (int(r[1]), int(r[2]), r[3]) != (v["org_id"], v["account_number"], v["cluster"]):
                print(f"{name}: ids {r[1:4]} != {v['org_id']}, {v['account_number']}, {v['cluster']}")
                bad += 1
            if value(r[4]) != value(v["report"]):
                print(f"{name}: report {r[4][:200]} != {v['report'][:200]}")
                bad += 1
    print(f"{len(cs)} cases, {bad} mismatches")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
