#!/bin/sh
test_description='make image and deploy/: the templates, and the writer image run as its ClowdApp runs it'
. ./test-lib.sh

# The images are built here from the base rootfs that `make image` caches
# (a few seconds), under names of this script's own, and removed at the
# end.  Without that cache, podman or root, the image tests skip: run
#	make image && make check T=tests/t9000-image.sh
# The template tests need only python3 with its yaml module.

SRC=$TEST_DIRECTORY/..
DEPLOY=$SRC/deploy
WRITER_T=$DEPLOY/ccx-notification-writer/clowdapp.yaml
CLEANER_T=$DEPLOY/ccx-notification-writer/clowdapp-db-cleaner.yaml
SERVICE_T=$DEPLOY/ccx-notification-service/clowdapp.yaml
CONTAINERS_CONF=${CONTAINERS_CONF:-$DEPLOY/image/containers.conf}
export CONTAINERS_CONF

python3 -c 'import yaml' 2>/dev/null && test_set_prereq YAML

test_expect_success 'templates: no tabs; every image is ${IMAGE}:${IMAGE_TAG}, both declared' '
	for t in "$WRITER_T" "$CLEANER_T" "$SERVICE_T"; do
		! grep -n "	" "$t" &&
		grep "^ *image:" "$t" >images &&
		test -s images &&
		! grep -v "image: \${IMAGE}:\${IMAGE_TAG}\$" images &&
		grep -x -e "- name: IMAGE" "$t" &&
		grep -x -e "- name: IMAGE_TAG" "$t" || return 1
	done
'

# check.py TEMPLATE-KIND FILE KEYS [NAME=VALUE...]: loads an OpenShift
# template, checks that every parameter used is declared (and every one
# declared is used, but for those upstream declares unused), processes it
# with the parameters' values (plus the NAME=VALUE given), and checks what
# each object of upstream's deployment must have; KEYS is `helper config
# -K` of the program: every CCX_NOTIFICATION_* variable must set a key the
# program reads (from the file it has, or without one), with a value that
# converts.  Writes the processed objects to FILE.json, and for the
# writer init.cmd/init.env, main.env; for the cleaner cleaner.cmd; for the
# service JOB.env per job (the variables without a secret).
cat >check.py <<\PY
import json, os, re, sys, yaml

kind, path, keysfile = sys.argv[1:4]
given = dict(a.split("=", 1) for a in sys.argv[4:])
text = open(path).read()
doc = yaml.safe_load(text)
errors = []
def check(cond, what):
    if not cond:
        errors.append(what)

check(doc["apiVersion"] == "v1" and doc["kind"] == "Template", "not a Template")
params = {p["name"]: p for p in doc["parameters"]}
check(len(params) == len(doc["parameters"]), "a parameter declared twice")
used = set(re.findall(r"\$\{\{?([A-Z0-9_]+)\}?\}", text))
for n in sorted(used - set(params)):
    errors.append("parameter %s used, not declared" % n)
for n in sorted(set(params) - used - {"CLOWDER_ENABLED", "CLEANUP_MAX_AGE"}):
    errors.append("parameter %s declared, not used" % n)
check(params["IMAGE_TAG"].get("required") and "value" not in params["IMAGE_TAG"],
      "IMAGE_TAG must be required, without default")
check("value" in params["IMAGE"], "IMAGE needs a default")

values = {n: str(p.get("value", "")) for n, p in params.items()}
values.update(given)
def subst(o):
    if isinstance(o, dict):
        return {k: subst(v) for k, v in o.items()}
    if isinstance(o, list):
        return [subst(v) for v in o]
    if isinstance(o, str):
        m = re.fullmatch(r"\$\{\{([A-Z0-9_]+)\}\}", o)
        if m:
            return yaml.safe_load(values[m.group(1)])
        return re.sub(r"\$\{([A-Z0-9_]+)\}", lambda m: values[m.group(1)], o)
    return o
objs = subst(doc["objects"])
json.dump(objs, open(os.path.basename(path) + ".json", "w"), indent=1)

# The configuration keys: name type shipped.
keys = {}
for line in open(keysfile):
    name, typ, shipped = line.rstrip("\n").split(" ", 2)
    keys[name] = (typ.split(",")[0], shipped)
prog = "WRITER" if kind in ("writer", "cleaner") else "SERVICE"
prefix = "CCX_NOTIFICATION_%s__" % prog
# Variables upstream's templates set that no key reads; kept, ignored.
ignored = {"LOGGING__LEVEL"}
if prog == "SERVICE":
    # Not in the shipped /config.toml, so not settable (known keys only).
    ignored |= {"CLOUDWATCH__AWS_ACCESS_ID", "CLOUDWATCH__AWS_SECRET_KEY",
                "CLOUDWATCH__AWS_REGION", "CLOUDWATCH__LOG_GROUP"}
gobool = {"1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False"}
def check_env(where, env):
    names = [e["name"] for e in env]
    check(len(names) == len(set(names)), "%s: a variable set twice" % where)
    out = {}
    for e in env:
        n = e["name"]
        check(n.startswith(prefix), "%s: %s is not %s..." % (where, n, prefix))
        rest = n[len(prefix):]
        if rest in ignored:
            continue
        parts = rest.split("__")
        key = ".".join(parts).lower() if len(parts) == 2 else None
        if key not in keys:
            errors.append("%s: %s sets no configuration key" % (where, n))
            continue
        typ, shipped = keys[key]
        if prog == "SERVICE":
            check(shipped != "-", "%s: %s is not in /config.toml, so ignored" % (where, n))
        else:
            check(typ != "list", "%s: %s is a list, ignored without a file" % (where, n))
        if "valueFrom" in e:
            s = e["valueFrom"]["secretKeyRef"]
            check(s.get("name") and s.get("key"), "%s: %s: secret name and key" % (where, n))
            continue
        v = e["value"]
        if typ == "bool":
            check(v in gobool, "%s: %s=%r is no boolean" % (where, n, v))
        elif typ == "int":
            check(re.fullmatch(r"[+-]?[0-9]+", v), "%s: %s=%r is no integer" % (where, n, v))
        elif typ == "duration":
            check(re.fullmatch(r"([0-9.]+(ns|us|ms|s|m|h))+", v), "%s: %s=%r is no duration" % (where, n, v))
        out[n] = v
    return out

def container_ok(where, c):
    check(c.get("image") == values["IMAGE"] + ":" + values["IMAGE_TAG"], "%s: image" % where)
    r = c.get("resources", {})
    check(r.get("requests") == {"cpu": "100m", "memory": "256Mi"} and
          r.get("limits") == {"cpu": "500m", "memory": "512Mi"}, "%s: resources" % where)

def env_file(name, env, overrides):
    env = dict(env)
    env.update(overrides)
    with open(name, "w") as f:
        for n, v in env.items():
            f.write("%s=%s\n" % (n, v))

def by_kind(k):
    return [o for o in objs if o["kind"] == k]

if kind == "writer":
    hpa, = by_kind("HorizontalPodAutoscaler")
    app, = by_kind("ClowdApp")
    svc, = by_kind("Service")
    spec = app["spec"]
    d, = spec["deployments"]
    check(d["name"] == "instance", "deployment name")
    check(hpa["spec"]["scaleTargetRef"]["name"] == app["metadata"]["name"] + "-" + d["name"],
          "the HPA scales the deployment")
    check((hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"],
           hpa["spec"]["targetCPUUtilizationPercentage"]) == (1, 1, 80), "HPA 1-1 at 80 %")
    ws = d["webServices"]
    check(ws["metrics"]["enabled"] is True and ws["public"]["enabled"] is False
          and ws["private"]["enabled"] is False, "only the metrics web service")
    pod = d["podSpec"]
    container_ok("instance", pod)
    init, = pod["initContainers"]
    check(init["name"] == "execute-migrations", "init container name")
    container_ok("execute-migrations", init)
    check(init["command"][:2] == ["/bin/sh", "-c"], "init command is /bin/sh -c")
    cmd = init["command"][2]
    check(cmd == "./ccx-notification-writer --db-init-migration; ./ccx-notification-writer --db-init; "
          "./ccx-notification-writer --migrate latest", "init command: %r" % cmd)
    for p in ("readinessProbe", "livenessProbe", "startupProbe"):
        check(pod[p]["httpGet"] == {"path": "/metrics", "port": 8080}, p)
        check(pod[p]["periodSeconds"] == 10, p + " every 10 s")
    check(pod["livenessProbe"]["failureThreshold"] == 1, "liveness failureThreshold 1")
    check(pod["startupProbe"]["failureThreshold"] == 10, "startup 10 tries")
    check(spec["database"] == {"name": "ccx-notification-db", "version": 16}, "database")
    check(spec["kafkaTopics"] == [{"topicName": "ccx.ocp.results", "partitions": 1, "replicas": 3}],
          "topic")
    ienv = check_env("execute-migrations", init["env"])
    menv = check_env("instance", pod["env"])
    check(ienv.get(prefix + "BROKER__ENABLED") == "false", "init: broker off")
    check(menv.get(prefix + "BROKER__ENABLED") == "true", "instance: broker on")
    for e in (ienv, menv):
        check(e.get(prefix + "BROKER__GROUP") == "ccx_notification_app", "group")
        check(e.get(prefix + "METRICS__ADDRESS") == ":8080", "metrics address")
        check(e.get(prefix + "METRICS__NAMESPACE") == "ccx_notification_writer", "namespace")
        check(e.get(prefix + "LOGGING__DEBUG") == "true", "debug logging")
    check(svc["metadata"]["name"] == "ccx-notification-writer-prometheus-exporter", "service name")
    check(svc["metadata"]["annotations"] == {"prometheus.io/scrape": "true", "prometheus.io/port": "8080",
          "prometheus.io/path": "/metrics", "prometheus.io/scheme": "http"}, "scrape annotations")
    check([(p["port"], p["targetPort"]) for p in svc["spec"]["ports"]] == [(8080, 8080)], "service port")
    over = dict(a.split("=", 1) for a in open("overrides").read().split("\n") if a)
    open("init.cmd", "w").write(cmd)
    env_file("init.env", ienv, over)
    env_file("main.env", menv, over)
elif kind == "cleaner":
    app, = objs
    check(app["spec"]["database"] == {"sharedDbAppName": "ccx-notification-writer"}, "shared database")
    job, = app["spec"]["jobs"]
    check((job["name"], job["schedule"], job["restartPolicy"], job["concurrencyPolicy"],
           job["activeDeadlineSeconds"], job["suspend"]) ==
          ("instance", "0 0 * * *", "Never", "Forbid", 3600, False), "the cleaner job")
    container_ok("cleaner", job["podSpec"])
    cmd = job["podSpec"]["command"]
    check(cmd[:2] == ["/bin/sh", "-c"], "cleaner: /bin/sh -c")
    check(cmd[2] == " && ".join("./ccx-notification-writer --%s-cleanup --max-age '8 days'" % t
          for t in ("old-reports", "new-reports", "read-errors")), "cleaner command: %r" % cmd[2])
    env = check_env("cleaner", job["podSpec"]["env"])
    check(env.get(prefix + "BROKER__ENABLED") == "false", "cleaner: broker off")
    secret = [e["name"][len(prefix):] for e in job["podSpec"]["env"] if "valueFrom" in e]
    check(secret == ["STORAGE__PG_" + k for k in ("USERNAME", "PASSWORD", "HOST", "PORT", "DB_NAME")],
          "cleaner: storage from the database secret")
    open("cleaner.cmd", "w").write(cmd[2])
else:
    app, = objs
    spec = app["spec"]
    check(spec["database"] == {"sharedDbAppName": "ccx-notification-writer"}, "shared database")
    check(spec["kafkaTopics"] == [{"topicName": "platform.notifications.ingress", "partitions": 3,
          "replicas": 3}], "topic")
    jobs = spec["jobs"]
    check([j["name"] for j in jobs] == ["to-notification-backend", "to-service-log"], "the two jobs")
    want = {"to-notification-backend": (3, "KAFKA_BROKER", "SERVICE_LOG", "notification_backend", ("0", "0", "0", "2")),
            "to-service-log": (60, "SERVICE_LOG", "KAFKA_BROKER", "service_log", ("0", "0", "0", "0"))}
    for j in jobs:
        n = j["name"]
        kept, on, off, subsystem, thresholds = want[n]
        check((j["schedule"], j["restartPolicy"], j["concurrencyPolicy"], j["activeDeadlineSeconds"],
               j["successfulJobsHistoryLimit"], j["failedJobsHistoryLimit"], j["suspend"]) ==
              ("*/3 * * * *", "Never", "Forbid", 3600, kept, kept, False), n + ": job settings")
        container_ok(n, j["podSpec"])
        check(j["podSpec"]["command"] == ["/bin/sh", "-c", "./ccx-notification-service --instant-reports "
              "--verbose --ignore-disabled-rules"], n + ": command")
        env = check_env(n, j["podSpec"]["env"])
        check(env.get(prefix + on + "__ENABLED") == "true" and env.get(prefix + off + "__ENABLED") == "false",
              n + ": one target")
        check(env.get(prefix + "METRICS__SUBSYSTEM") == subsystem, n + ": subsystem")
        check(tuple(env.get(prefix + on + "__" + t + "_THRESHOLD") for t in
              ("LIKELIHOOD", "IMPACT", "SEVERITY", "TOTAL_RISK")) == thresholds, n + ": thresholds")
        check(env.get(prefix + on + "__COOLDOWN") == "1 week", n + ": cooldown")
        check(env.get(prefix + "DEPENDENCIES__CONTENT_SERVER", "") +
              env.get(prefix + "DEPENDENCIES__CONTENT_ENDPOINT", "") ==
              "http://ccx-insights-content-service:8000/api/v1/content", n + ": content URL")
        check(env.get(prefix + "LOGGING__DEBUG") == "false" and env.get(prefix + "LOGGING__LOG_LEVEL") == "info",
              n + ": logging")
        check(env.get(prefix + "METRICS__JOB_NAME") == "ccx_notification_service", n + ": job name")
        secrets = {e["name"][len(prefix):]: e["valueFrom"]["secretKeyRef"]["name"]
                   for e in j["podSpec"]["env"] if "valueFrom" in e}
        check(secrets.get("METRICS__GATEWAY_URL") == "push-gateway-basic-auth" and
              secrets.get("METRICS__GATEWAY_AUTH_TOKEN") == "push-gateway-basic-auth", n + ": push gateway")
        if on == "SERVICE_LOG":
            check(secrets.get("SERVICE_LOG__CLIENT_ID") == "ccx-notification-service-auth" and
                  secrets.get("SERVICE_LOG__CLIENT_SECRET") == "ccx-notification-service-auth", n + ": credentials")
            check(env.get(prefix + "SERVICE_LOG__TAGS") == "osd_customer" and
                  env.get(prefix + "SERVICE_LOG__TAG_FILTER_ENABLED") == "true", n + ": tags")
            check(env.get(prefix + "SERVICE_LOG__TIMEOUT") == "10s", n + ": timeout")
        else:
            check(env.get(prefix + "KAFKA_BROKER__TIMEOUT") == "60s", n + ": timeout")
        env_file(n + ".env", env, {})
for e in errors:
    print("%s: %s" % (path, e))
sys.exit(1 if errors else 0)
PY

test_expect_success YAML 'writer template: deployment, init container, probes, scraping, variables' '
	: >overrides &&
	helper config -K writer >keys.writer &&
	python3 check.py writer "$WRITER_T" keys.writer IMAGE_TAG=t ENV_NAME=e &&
	test -s init.cmd && test -s main.env
'

test_expect_success YAML 'DB cleaner template: the daily CronJob, three cleanups' '
	helper config -K writer >keys.writer &&
	python3 check.py cleaner "$CLEANER_T" keys.writer IMAGE_TAG=t ENV_NAME=e &&
	test -s cleaner.cmd
'

test_expect_success YAML 'service template: the two CronJobs and their variables' '
	helper config -K service >keys.service &&
	python3 check.py service "$SERVICE_T" keys.service IMAGE_TAG=t ENV_NAME=e
'

test_expect_success YAML 'the checks catch a broken template' '
	helper config -K writer >keys.writer &&
	sed "s/failureThreshold: 1\$/failureThreshold: 3/; s/__BROKER__GROUP\$/__BROKER__GRUOP/" \
		"$WRITER_T" >broken.yaml &&
	: >overrides &&
	test_must_fail python3 check.py writer broken.yaml keys.writer IMAGE_TAG=t ENV_NAME=e >out &&
	grep "liveness failureThreshold 1" out &&
	grep "BROKER__GRUOP sets no configuration key" out
'

# The images: is podman usable, and is the base cached?
image_why=
W=localhost/ccx-t9000-$$-writer:test
S=localhost/ccx-t9000-$$-service:test
if [ "$(id -u)" != 0 ]; then
	image_why="not root (rootful podman)"
elif ! command -v podman >/dev/null || ! command -v runc >/dev/null; then
	image_why="no podman or runc (make image installs them)"
elif ldd "$CCX_BUILD/bin/ccx-notification-writer" 2>/dev/null | grep -q 'libasan\|libubsan'; then
	image_why="$CCX_BUILD is a sanitizer build: the image has no sanitizer runtime"
elif ! command -v kcat >/dev/null; then
	image_why="no kcat"
else
	test_atexit "podman rmi -f $W $S"
	imgs=writer
	[ -x "$CCX_BUILD/bin/ccx-notification-service" ] && imgs="writer service"
	BUILD=$CCX_BUILD sh "$DEPLOY/image/build.sh" -c -o "$TRASH_DIRECTORY/image" \
		-p localhost/ccx-t9000-$$ -t test $imgs >image-build.out 2>image-build.err
	build_rc=$?
	case $build_rc in
	0)	test_set_prereq IMAGE
		podman image exists "$S" && test_set_prereq SERVICE_IMAGE ;;
	69)	image_why=$(tail -1 image-build.err) ;;
	esac
	[ "$build_rc" != 69 ] && test_set_prereq BUILD_TRIED
fi
[ -n "$image_why" ] &&
	say "# image tests skipped: $image_why; run: make image && make check T=tests/t9000-image.sh"

test_expect_success BUILD_TRIED 'the images build from the cached base' '
	test "$build_rc" = 0 || { cat image-build.out image-build.err; false; }
'

# The container's settings, as podman and OCI tools see them.
config() { podman image inspect --format "{{.Config.User}} {{.Config.WorkingDir}} {{json .Config.Cmd}}" "$1"; }

test_expect_success IMAGE 'writer image: /ccx-notification-writer as user 1001 in /, no config file' '
	echo "1001 / [\"/ccx-notification-writer\"]" >expect &&
	config $W >actual &&
	test_cmp expect actual &&
	podman run --rm $W /bin/sh -c "id -u; pwd; test ! -e /config.toml && echo no-config;
		test -w /tmp && test -w /var/lib/ccx-notify && echo writable;
		test -s /etc/ssl/certs/ca-certificates.crt && echo ca-store;
		for p in kafka-reader db-writer differ kafka-emitter servicelog-poster supervisor; do
			command -v \$p; done" >actual &&
	cat >expect <<-\EOT &&
	1001
	/
	no-config
	writable
	ca-store
	/usr/local/bin/kafka-reader
	/usr/local/bin/db-writer
	/usr/local/bin/differ
	/usr/local/bin/kafka-emitter
	/usr/local/bin/servicelog-poster
	/usr/local/bin/supervisor
	EOT
	test_cmp expect actual
'

test_expect_success IMAGE 'writer image: every program finds its libraries; same migrations as the build' '
	podman run --rm $W /bin/sh -c "ldd /ccx-notification-writer /usr/local/bin/*" >ldd &&
	! grep "not found" ldd &&
	podman run --rm $W db-writer migrations >actual &&
	db-writer migrations >expect &&
	test_cmp expect actual &&
	podman run --rm $W ./ccx-notification-writer -version >actual &&
	echo "CCX Notification Writer version 1.0" >expect &&
	test_cmp expect actual
'

test_expect_success SERVICE_IMAGE 'service image: /ccx-notification-service, upstream'"'"'s /config.toml' '
	echo "1001 / [\"/ccx-notification-service\"]" >expect &&
	config $S >actual &&
	test_cmp expect actual &&
	podman run --rm $S ./ccx-notification-service -show-version >actual &&
	echo "Notification service version 1.0" >expect &&
	test_cmp expect actual &&
	podman run --rm $S cat /config.toml >actual &&
	helper config -T service >expect &&
	test_cmp expect actual
'

# field MESSAGE FIELD FILE: the value of FIELD, as JSON, in the record of
# FILE with that message (plain lines, as Clowder's, are skipped).
field() {
	python3 -c "import json, sys
for l in open(sys.argv[3]):
    if not l.startswith(\"{\"):
        continue
    r = json.loads(l)
    if r.get(\"message\") == sys.argv[1]:
        print(json.dumps(r[sys.argv[2]]))" "$1" "$2" "$3"
}

test_expect_success SERVICE_IMAGE,YAML 'service image: each job'"'"'s variables over /config.toml' '
	helper config -K service >keys.service &&
	python3 check.py service "$SERVICE_T" keys.service IMAGE_TAG=t ENV_NAME=e &&
	for j in to-notification-backend to-service-log; do
		podman run --rm --env-file $j.env \
			-e CCX_NOTIFICATION_SERVICE__SERVICE_LOG__CLIENT_ID=id \
			-e CCX_NOTIFICATION_SERVICE__SERVICE_LOG__CLIENT_SECRET=secret \
			$S ./ccx-notification-service -show-configuration >$j.out || return 1
	done &&
	test "$(field "Broker configuration" Enabled to-notification-backend.out)" = true &&
	test "$(field "Broker configuration" Timeout to-notification-backend.out)" = "\"1m0s\"" &&
	test "$(field "Broker configuration" "Total risk threshold" to-notification-backend.out)" = 2 &&
	test "$(field "ServiceLog configuration" Enabled to-notification-backend.out)" = false &&
	test "$(field "Metrics configuration" Subsystem to-notification-backend.out)" = "\"notification_backend\"" &&
	test "$(field "ServiceLog configuration" Enabled to-service-log.out)" = true &&
	test "$(field "ServiceLog configuration" "List of tags" to-service-log.out)" = "[\"osd_customer\"]" &&
	test "$(field "Broker configuration" Enabled to-service-log.out)" = false &&
	test "$(field "Metrics configuration" Subsystem to-service-log.out)" = "\"service_log\"" &&
	test "$(field "Dependencies configuration" "Template renderer endpoint" to-service-log.out)" = "\"v1/rendered_reports\"" &&
	! grep secret to-service-log.out
'

# A database the container reaches over TCP, as in production, and the
# mock broker (the host's network: podman run --network host).
free_port() {
	python3 -c "import socket; s = socket.socket(); s.bind((\"127.0.0.1\", 0)); print(s.getsockname()[1])"
}
if test_have_prereq IMAGE,YAML; then
	test_use pg kafka records
	PG_OWN_DIR=$TRASH_DIRECTORY/pg
	PG_OWN_PORT=$(free_port)
	if pg_init_cluster "$PG_OWN_DIR" "$PG_OWN_PORT"; then
		test_atexit pg_destroy_own
		echo "listen_addresses = '127.0.0.1'" >>"$PG_OWN_DIR/data/postgresql.conf"
		PGHOST=$PG_OWN_DIR PGPORT=$PG_OWN_PORT PGUSER=postgres PGDATABASE=notification
		export PGHOST PGPORT PGUSER PGDATABASE
		pg_stop && pg_start &&
			psql -qX -d postgres -c "CREATE DATABASE notification" >/dev/null &&
			test_set_prereq PGTCP
	fi
	mock_start -t ccx.ocp.results:1 && test_set_prereq MOCK
fi

scrape() {
	python3 -c "import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=2).read().decode())" "$1"
}
has_metric() { scrape "$1" 2>/dev/null | grep -qx "$2"; }
# run_writer ENVFILE ARGS...: the writer image with the host's network.
run_writer() {
	_env=$1; shift
	podman run --rm --network host --env-file "$_env" "$@"
}
MPORT=$(free_port 2>/dev/null)
C=ccx-t9000-$$

test_expect_success IMAGE,YAML,PGTCP,MOCK 'the ClowdApp'"'"'s variables, with this machine'"'"'s endpoints' '
	cat >overrides <<-EOF &&
	CCX_NOTIFICATION_WRITER__BROKER__ADDRESSES=$BROKERS
	CCX_NOTIFICATION_WRITER__STORAGE__PG_HOST=127.0.0.1
	CCX_NOTIFICATION_WRITER__STORAGE__PG_PORT=$PGPORT
	CCX_NOTIFICATION_WRITER__STORAGE__PG_USERNAME=postgres
	CCX_NOTIFICATION_WRITER__STORAGE__PG_PASSWORD=not-needed-here
	CCX_NOTIFICATION_WRITER__STORAGE__PG_DB_NAME=notification
	CCX_NOTIFICATION_WRITER__STORAGE__PG_PARAMS=sslmode=disable
	CCX_NOTIFICATION_WRITER__METRICS__ADDRESS=127.0.0.1:$MPORT
	EOF
	helper config -K writer >keys.writer &&
	python3 check.py writer "$WRITER_T" keys.writer IMAGE_TAG=t ENV_NAME=e &&
	grep -x "CCX_NOTIFICATION_WRITER__BROKER__ENABLED=false" init.env &&
	grep -x "CCX_NOTIFICATION_WRITER__BROKER__ENABLED=true" main.env &&
	python3 check.py cleaner "$CLEANER_T" keys.writer IMAGE_TAG=t ENV_NAME=e
'

test_expect_success IMAGE,YAML,PGTCP,MOCK 'the init container'"'"'s command, twice: the schema at the latest version' '
	for round in 1 2; do
		run_writer init.env $W /bin/sh -c "$(cat init.cmd)" >init.out 2>&1 ||
			{ cat init.out; return 1; }
	done &&
	test "$(db-writer version)" = "$(db-writer migrations | tail -1 | cut -d" " -f1)" &&
	grep "Making connection to data storage" init.out &&
	! grep not-needed-here init.out
'

test_expect_success IMAGE,YAML,PGTCP,MOCK 'service mode: a record stored, /metrics with the nine counters, SIGTERM exits 0' '
	podman run -d --name $C --network host --env-file main.env $W >cid &&
	test_when_finished "podman rm -f $C >/dev/null 2>&1" &&
	test_wait_for 30 has_metric http://127.0.0.1:$MPORT/metrics "ccx_notification_writer_stored_messages 0" &&
	test_wait_for 30 eval "podman logs $C 2>&1 | grep -q \"assigned 1 partition\"" &&
	sample_record 7 00000000-0000-4000-8000-000000000007 |
		timeout 20 kcat -P -b "$BROKERS" -t ccx.ocp.results &&
	test_wait_for 30 has_metric http://127.0.0.1:$MPORT/metrics "ccx_notification_writer_stored_messages 1" &&
	sql "SELECT org_id, account_number, cluster, kafka_offset FROM new_reports" >actual &&
	echo "7|1007|00000000-0000-4000-8000-000000000007|0" >expect &&
	test_cmp expect actual &&
	scrape http://127.0.0.1:$MPORT/metrics >metrics &&
	for m in consumed_messages consuming_errors parse_incoming_message check_schema_version \
		marshal_report shrink_report check_last_checked_timestamp stored_messages stored_bytes; do
		grep -x "# TYPE ccx_notification_writer_$m counter" metrics || return 1
	done &&
	grep -x "ccx_notification_writer_consumed_messages 1" metrics &&
	podman stop -t 60 $C >/dev/null &&
	test "$(podman inspect --format "{{.State.ExitCode}}" $C)" = 0 &&
	podman logs $C >svc.log 2>&1 &&
	! grep not-needed-here svc.log
'

test_expect_success IMAGE,YAML,PGTCP,MOCK 'the DB cleaner'"'"'s command: three cleanups, exit 0' '
	run_writer init.env -e CCX_NOTIFICATION_WRITER__LOGGING__DEBUG=false \
		$W /bin/sh -c "$(cat cleaner.cmd)" >clean.out 2>&1 &&
	grep "Cleanup \`reported\` finished" clean.out &&
	grep "Cleanup \`new_reports\` finished" clean.out &&
	grep "Cleanup \`read_errors\` finished" clean.out &&
	test "$(sql "SELECT count(*) FROM new_reports")" = 1
'

test_done
