#!/bin/sh
# bench-disabled.sh: what --aggregator-db costs a notification run
# (doc/benchmarks.md, "Disabled rules").
#
#   CCX_BUILD=build sh tests/bench/bench-disabled.sh [-n CLUSTERS] [-r ROWS[,ROWS...]] [-k REPEAT]
#
# It fills new_reports of a throwaway PostgreSQL cluster with CLUSTERS
# clusters (default 100000; reports of about 3 KB, five rule hits of the
# demo content, half of them with a sent row inside the cooldown, as
# bench-notify.sh does) and, in a second database of the same cluster, the
# aggregator's cluster_rule_toggle and rule_disable with ROWS rows for each
# ROWS (default 35000, production's size, and 1000000): six in seven are
# cluster toggles (half of them for clusters of new_reports, in the three
# spellings of rule_id, one in eight enabled again), one in seven
# organisation acknowledgements (of the 5000 organisations that have
# clusters and of others).
#
# Then it times REPEAT (default 5) runs of
#
#   differ -T notifications-backend -c CONTENT --dry-run >/dev/null
#
# without --aggregator-db and with it for each ROWS, in turns, and prints
# the median wall time, the median CPU time of differ, the peak RSS, the
# items the rules disabled, and the cost over the run without: the median
# of the differences of the runs made one after the other, in ms and in %
# of the run without (the goal: at most 5 % with 35000 rows).  On a busy
# machine the pairs keep the noise of the others' load out of the cost.
set -u
BENCH_NAME=bench-disabled
. "$(dirname "$0")/bench-lib.sh"
N=100000
ROWS="35000 1000000"
K=5
bench_opt() {
	case $1 in
	-n) N=$2 ;;
	-r) ROWS=$(bench_list "$2") ;;
	-k) K=$2 ;;
	*) return 0 ;;
	esac
	return 2
}
bench_args "$@"
bench_numbers $N $ROWS $K

bench_scratch
bench_pg_up postgres
db-writer migrate latest 2>/dev/null || die "cannot migrate"
CONTENT=file://$TESTS/demo/content.json

# The candidates: the data of bench-notify.sh.
psql -qX -v ON_ERROR_STOP=1 -v n="$N" -f "$HERE/fill-notify.sql" >/dev/null ||
	die "fill failed"

# agg_fill DB ROWS: the aggregator's two tables with ROWS rows.
agg_fill() {
	psql -qX -c "CREATE DATABASE $1" >/dev/null || return 1
	psql -qX -v ON_ERROR_STOP=1 -v rows="$2" -v n="$N" -d "$1" >/dev/null <<-\SQL
	CREATE TABLE cluster_rule_toggle (cluster_id VARCHAR NOT NULL, rule_id VARCHAR NOT NULL,
		error_key VARCHAR NOT NULL, disabled SMALLINT NOT NULL, disabled_at TIMESTAMP,
		enabled_at TIMESTAMP, updated_at TIMESTAMP NOT NULL, org_id VARCHAR NOT NULL DEFAULT '',
		PRIMARY KEY (cluster_id, rule_id, error_key));
	CREATE TABLE rule_disable (org_id VARCHAR NOT NULL, rule_id VARCHAR NOT NULL,
		error_key VARCHAR NOT NULL, justification VARCHAR, created_at TIMESTAMP NOT NULL,
		updated_at TIMESTAMP, PRIMARY KEY (org_id, rule_id, error_key));
	-- Rules: the five of the reports and 45 others, three spellings.
	CREATE TEMP TABLE r AS SELECT g AS id,
		CASE WHEN g <= 5 THEN (ARRAY['demo_nodes_memory', 'demo_etcd_backup',
		    'demo_image_registry', 'demo_ingress_cert', 'demo_unknown'])[g]
		    ELSE 'other_rule_' || g END AS name,
		CASE WHEN g <= 5 THEN (ARRAY['NODES_MEMORY_LOW', 'ETCD_NO_BACKUP',
		    'REGISTRY_EMPTYDIR', 'INGRESS_CERT_EXPIRING', 'UNKNOWN_KEY'])[g]
		    ELSE 'OTHER_KEY_' || g END AS key
	  FROM generate_series(1, 50) g;
	INSERT INTO cluster_rule_toggle
	SELECT CASE WHEN i % 2 = 0 THEN
	         substr(md5(c::text), 1, 8) || '-' || substr(md5(c::text), 9, 4) || '-4' ||
	         substr(md5(c::text), 14, 3) || '-8' || substr(md5(c::text), 18, 3) || '-' ||
	         substr(md5(c::text), 21, 12)
	       ELSE md5('x' || i::text)::uuid::text END,
	       CASE i % 3 WHEN 0 THEN 'ccx_rules_ocp.external.rules.' || r.name || '.report'
	                  WHEN 1 THEN 'ccx_rules_ocp.external.rules.' || r.name
	                  ELSE r.name END,
	       r.key, CASE WHEN i % 8 = 0 THEN 0 ELSE 1 END, now(), NULL, now(), ''
	  FROM generate_series(1, :rows * 6 / 7) i
	  CROSS JOIN LATERAL (SELECT 1 + (i::bigint * 7919) % :n AS c) cc
	  JOIN r ON r.id = 1 + (i / 7) % 50
	ON CONFLICT DO NOTHING;
	INSERT INTO rule_disable
	SELECT (1 + i % 20000)::text, 'ccx_rules_ocp.external.rules.' || r.name, r.key,
	       'bench', now(), NULL
	  FROM generate_series(1, :rows - :rows * 6 / 7) i
	  JOIN r ON r.id = 1 + (i / 20000 + i * 31) % 50
	ON CONFLICT DO NOTHING;
	ANALYZE;
	SQL
}

for r in $ROWS; do
	agg_fill "agg_$r" "$r" || die "aggregator fill failed"
	echo "aggregator agg_$r: $(psql -qXAt -d "agg_$r" -c "SELECT (SELECT count(*) FROM cluster_rule_toggle) + (SELECT count(*) FROM rule_disable)") rows" >&2
done

val() { sed -n "s/.*$1=\([0-9]*\).*/\1/p" "$2"; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# One run of differ: "wall_ms cpu_ms rss_kb disabled_items" on stdout.
run() {
	helper bench-run "$DIR/d.pid" "$DIR/d.res" differ -T notifications-backend \
		-c "$CONTENT" --dry-run --metrics-file "$DIR/m.prom" "$@" \
		>/dev/null 2>"$DIR/d.err" || { cat "$DIR/d.err" >&2; die "differ failed"; }
	echo "$(val wall_ms "$DIR/d.res") $(( $(val user_ms "$DIR/d.res") + $(val sys_ms "$DIR/d.res") ))" \
		"$(val maxrss_kb "$DIR/d.res")" \
		"$(sed -n 's/.*items_skipped_disabled_\(cluster\|org\) \([0-9]*\)$/\2/p' "$DIR/m.prom" | awk '{ s += $1 } END { print s + 0 }')"
}

run >/dev/null			# warm the caches
for i in $(seq 1 "$K"); do
	run >>"$DIR/none"
	for r in $ROWS; do
		run --aggregator-db "dbname=agg_$r" >>"$DIR/rows_$r"
	done
done

printf '%-10s %10s %10s %8s %10s %10s %8s\n' rows wall_ms cpu_ms rss_kb disabled cost_ms cost
for v in none $(for r in $ROWS; do echo "rows_$r"; done); do
	w=$(cut -d' ' -f1 "$DIR/$v" | median)
	c=$(cut -d' ' -f2 "$DIR/$v" | median)
	m=$(cut -d' ' -f3 "$DIR/$v" | median)
	x=$(cut -d' ' -f4 "$DIR/$v" | head -n 1)
	# the pairs: this variant's run i against the run i without
	paste -d' ' "$DIR/none" "$DIR/$v" | awk '{ print $5 - $1, ($5 - $1) * 100 / $1 }' >"$DIR/pairs"
	dms=$(cut -d' ' -f1 "$DIR/pairs" | median)
	dpc=$(cut -d' ' -f2 "$DIR/pairs" | median)
	printf '%-10s %10s %10s %8s %10s %10s %7s%%\n' "${v#rows_}" "$w" "$c" "$m" "$x" \
		"$dms" "$(awk "BEGIN { printf \"%+.1f\", $dpc }")"
	echo "BENCH-DISABLED n=$N rows=${v#rows_} wall_ms=$w cpu_ms=$c rss_kb=$m disabled_items=$x cost_ms=$dms cost_pct=$dpc" >&2
done
