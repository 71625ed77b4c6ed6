# lib-differ.sh: differ's inputs and a summary of its decisions, for the
# tests (t3000, t3100).
#
# cl N                             cluster id N: 0000000N-0000-4000-8000-...
# item RULE KEY [DETAILS] [TYPE]   one report item of the external rule RULE
#                                  (DETAILS: {}, TYPE: rule when not given)
# report ITEM...                   a stored report with these items
# decision_summary [-c] <DECISIONS one line per decision: "N same",
#     "N read_error: WHY", "N nb KEY=RISK ..." or "N sl ITEM:KEY=RISK ..."
#     (N: the number the cluster id starts with); -c adds " [RULES]", the
#     plugin names of a service-log decision's content
# decides EXPECT CMD [ARG...]      what CMD (a differ run) decides, through
#     the script's summ, is EXPECT (a line a decision, "\n" between them)

cl() { printf '%08d-0000-4000-8000-000000000000' "$1"; }

item() {
	printf '{"rule_id":"%s|%s","component":"ccx_rules_ocp.external.rules.%s.report","type":"%s","key":"%s","details":%s}' \
		"$1" "$2" "$1" "${4:-rule}" "$2" "${3:-{\}}"
}

report() { _r=$(IFS=,; echo "$*"); printf '{"reports":[%s]}' "$_r"; }

decision_summary() {
	python3 -c '
import json, sys
for line in sys.stdin:
    d = json.loads(line)
    n = str(int(d["cluster"][:8]))
    if "payload" in d:
        print(n, "nb", " ".join("%s=%s" % (e["payload"]["rule_url"].split("|")[-1],
                                          e["payload"]["total_risk"])
                                for e in d["payload"]["events"]))
    elif "issues" in d:
        sl = " ".join("%d:%s=%d" % (i["item"], i["key"], i["total_risk"])
                      for i in d["issues"])
        if sys.argv[1:] == ["-c"]:
            sl += " [" + ",".join(c["plugin"]["name"] for c in d["content"]) + "]"
        print(n, "sl", sl)
    elif d["state"] == "read_error":
        print(n, "read_error:", d["error"])
    else:
        print(n, d["state"])
' "$@"
}

decides() {
	printf '%b\n' "$1" >expect &&
	shift &&
	"$@" | summ >actual &&
	test_cmp expect actual
}
