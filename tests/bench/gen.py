#!/usr/bin/env python3
"""gen.py: sample ccx.ocp.results records for the results-path benchmark.

    gen.py [--seed S] [--bad-ratio R] [--topic T] OUTDIR N [N ...]

Writes, for the largest N (call it M):

  OUTDIR/values        the M Kafka record values, each as a header line
                       "VALUE_BYTES LINE_BYTES" then the value bytes and a
                       newline (values may hold newlines: some are
                       pretty-printed).  LINE_BYTES is the length of the
                       record line kafka-reader writes for it (with the
                       newline), so that a producer can tell how far the
                       consumer got from the bytes it wrote.
  OUTDIR/lines.N       for each N: the first N records as kafka-reader's
                       record lines (topic T, partition 0, offsets 0..N-1),
                       for db-writer fed from a file.
  OUTDIR/stats         one line per N: "n=N valid=V bad=B value_bytes=X
                       line_bytes=Y report_bytes=Z" (Z: bytes of the Report
                       members of the valid records, before shrinking).

Records look like the messages of the rules engine pipeline: distinct
canonical-UUID clusters of a few thousand organisations, 1 to 10 KB reports
with several rule hits whose details are nested objects, skips, info and
analysis metadata that shrinking removes.  About R (default 1%) of them are
malformed in one of the ways real producers get it wrong; they end in
dead_letters.  Python 3 standard library only; deterministic for a seed.
"""

import json
import random
import sys
import time
import uuid

# Each rule: (module path, error key, details maker name, link kind).
RULES = [
    ("rules.nodes_requirements_check", "NODES_MINIMUM_REQUIREMENTS_NOT_MET",
     "nodes_mem", "docs"),
    ("bug_rules.bug_1766907", "BUGZILLA_BUG_1766907", "plain", "bz"),
    ("rules.nodes_kubelet_version_check", "NODE_KUBELET_VERSION",
     "kubelet", "docs"),
    ("rules.samples_op_failed_image_import_check",
     "SAMPLES_FAILED_IMAGE_IMPORT_ERR", "imagestreams", "kcs"),
    ("rules.cluster_wide_proxy_auth_check", "AUTH_OPERATOR_PROXY_ERROR",
     "operator", "kcs"),
    ("rules.master_defined_as_machinesets", "MASTER_DEFINED_AS_MACHINESETS",
     "machinesets", "kcs"),
    ("rules.image_registry_pv_not_bound", "IMAGE_REGISTRY_PV_NOT_BOUND",
     "pvs", "kcs"),
    ("rules.ccx_rules_ocp.cluster_version_upgrade", "UPGRADE_BLOCKED",
     "upgrade", "docs"),
    ("rules.certificates_expiring", "CERTS_EXPIRE_SOON", "certs", "kcs"),
    ("rules.pods_crashlooping", "PODS_IN_CRASHLOOPBACKOFF", "pods", "kcs"),
    ("rules.operators_degraded", "OPERATOR_DEGRADED", "operators", "docs"),
    ("rules.etcd_slow_disk", "ETCD_SLOW_DISK", "etcd", "kcs"),
    ("rules.sdn_mtu_mismatch", "SDN_MTU_MISMATCH", "nodes_net", "kcs"),
    ("rules.unsupported_cni", "UNSUPPORTED_CNI_PLUGIN", "plain", "docs"),
    ("rules.machine_config_pool_degraded", "MCP_DEGRADED", "mcp", "kcs"),
    ("rules.ingress_controller_replicas", "INGRESS_REPLICAS_LOW",
     "ingress", "docs"),
    ("rules.alerts_firing", "ALERTS_FIRING", "alerts", "kcs"),
    ("rules.tutorial_rule", "TUTORIAL_ERROR", "plain", "none"),
    ("bug_rules.bug_1801300", "BUGZILLA_BUG_1801300", "bug", "bz"),
    ("bug_rules.bug_1821905", "BUGZILLA_BUG_1821905", "bug", "bz"),
]

SKIPS = [
    ("ocs.check_ocs_version", "OperatorsOcsMGOCS"),
    ("ocs.check_pods_scc", "PodsMGOCS"),
    ("ocs.operator_phase_check", "OperatorsOcsMGOCS"),
    ("ocs.ceph_health_check", "CephHealthMGOCS"),
    ("rules.must_gather_etcd", "EtcdMetricsMG"),
    ("rules.logging_fluentd_check", "FluentdConfig"),
]

ROLES = ["master", "worker", "infra"]
NAMESPACES = ["openshift-monitoring", "openshift-ingress", "openshift-etcd",
              "openshift-sdn", "default", "app-prod", "app-staging",
              "openshift-image-registry", "openshift-logging"]
OPERATORS = ["authentication", "console", "dns", "etcd", "image-registry",
             "ingress", "kube-apiserver", "machine-config", "monitoring",
             "network", "openshift-samples", "storage"]


class Gen:
    def __init__(self, seed, bad_ratio):
        self.r = random.Random(seed)
        self.bad_ratio = bad_ratio
        self.norgs = 0
        self.orgs = []
        self.now = time.time()

    def uuid(self):
        return str(uuid.UUID(int=self.r.getrandbits(128), version=4))

    def word(self, n=8):
        r = self.r
        return "".join(r.choice("abcdefghijklmnopqrstuvwxyz0123456789")
                       for _ in range(n))

    def node(self, i):
        return "ip-10-0-%d-%d.ec2.internal" % (self.r.randrange(256), i)

    def version(self):
        r = self.r
        return "4.%d.%d" % (r.randrange(3, 15), r.randrange(0, 60))

    def details(self, kind, key):
        r = self.r
        d = {}
        if kind == "nodes_mem":
            d["nodes"] = [{"name": self.node(i), "role": r.choice(ROLES),
                           "memory": round(r.uniform(2, 15), 2),
                           "memory_req": 16}
                          for i in range(r.randrange(1, 8))]
            d["link"] = ("https://docs.openshift.com/container-platform/4.1/"
                         "installing/installing_bare_metal/installing-bare-"
                         "metal.html#minimum-resource-requirements")
        elif kind == "kubelet":
            v = "v1.%d.%d+%s" % (r.randrange(14, 28), r.randrange(10),
                                 self.word(9))
            d["nodes_with_different_version"] = [
                {"Node": self.node(i), "Kubelet Version": v,
                 "role": r.choice(ROLES)} for i in range(r.randrange(1, 10))]
            d["version"] = v
        elif kind == "imagestreams":
            d["info"] = {
                "imagestreams": [
                    {"name": self.word(r.randrange(5, 14)),
                     "namespace": "openshift",
                     "message": "Internal error occurred: Get https://"
                                "registry.redhat.io/v2/: x509: certificate "
                                "signed by unknown authority"}
                    for _ in range(r.randrange(1, 12))],
                "pods": []}
        elif kind == "operator":
            d["op"] = {"name": r.choice(OPERATORS), "available": False,
                       "progressing": r.random() < 0.5, "degraded": True,
                       "reason": "ProxyConfigController_SyncError",
                       "message": "failed to reach https://oauth-openshift."
                                  "apps.example.com: Proxy Authentication "
                                  "Required",
                       "version": self.version()}
        elif kind == "machinesets":
            d["machinesets"] = ["%s-%s-master-%d" % (self.word(6),
                                                     self.word(5), i)
                                for i in range(r.randrange(1, 4))]
        elif kind == "pvs":
            d["pvcs"] = [{"name": "image-registry-storage",
                          "namespace": "openshift-image-registry",
                          "phase": "Pending", "storage_class": None,
                          "requested": "%dGi" % r.choice([10, 50, 100])}]
        elif kind == "upgrade":
            d["current_version"] = self.version()
            d["desired_version"] = self.version()
            d["conditions"] = [
                {"type": t, "status": r.choice(["True", "False"]),
                 "lastTransitionTime": "2026-11-%02dT%02d:%02d:%02dZ" % (
                     r.randrange(1, 29), r.randrange(24), r.randrange(60),
                     r.randrange(60)),
                 "message": "Cluster operator %s is still updating" %
                            r.choice(OPERATORS)}
                for t in ("Available", "Progressing", "Failing",
                          "RetrievedUpdates")]
        elif kind == "certs":
            d["certificates"] = [
                {"name": "%s-%s" % (r.choice(OPERATORS), self.word(5)),
                 "namespace": r.choice(NAMESPACES),
                 "not_after": "2026-12-%02dT00:00:00Z" % r.randrange(1, 31),
                 "days_left": r.randrange(0, 30)}
                for _ in range(r.randrange(1, 8))]
        elif kind == "pods":
            d["pods"] = [
                {"namespace": r.choice(NAMESPACES),
                 "name": "%s-%s-%s" % (self.word(7), self.word(10),
                                       self.word(5)),
                 "containers": [{"name": self.word(6),
                                 "restart_count": r.randrange(5, 900),
                                 "reason": "CrashLoopBackOff",
                                 "exit_code": r.choice([1, 2, 137, 139])}
                                for _ in range(r.randrange(1, 3))]}
                for _ in range(r.randrange(1, 9))]
        elif kind == "operators":
            d["degraded_operators"] = [
                {"name": o, "degraded": True, "available": r.random() < 0.7,
                 "message": "Degraded: %s" % " ".join(
                     self.word(r.randrange(3, 9)) for _ in range(6))}
                for o in r.sample(OPERATORS, r.randrange(1, 5))]
        elif kind == "etcd":
            d["members"] = [{"name": self.node(i),
                             "wal_fsync_p99_ms": round(r.uniform(8, 90), 3),
                             "backend_commit_p99_ms":
                                 round(r.uniform(20, 300), 3)}
                            for i in range(3)]
            d["threshold_ms"] = 10
        elif kind == "nodes_net":
            d["nodes"] = [{"name": self.node(i), "mtu": r.choice([1450, 9001]),
                           "expected_mtu": 1450}
                          for i in range(r.randrange(1, 10))]
        elif kind == "mcp":
            d["pools"] = [{"name": p, "degraded_machine_count":
                           r.randrange(1, 5), "machine_count":
                           r.randrange(3, 30), "reason": "RenderedConfigMis"
                           "match: rendered-%s-%s" % (p, self.word(32))}
                          for p in r.sample(["master", "worker", "infra"],
                                            r.randrange(1, 3))]
        elif kind == "ingress":
            d["replicas"] = 1
            d["expected"] = 2
            d["controllers"] = [{"name": "default", "domain":
                                 "apps.%s.example.com" % self.word(8)}]
        elif kind == "alerts":
            d["alerts"] = [
                {"name": r.choice(["KubePodNotReady", "etcdMembersDown",
                                   "TargetDown", "KubeAPIErrorBudgetBurn",
                                   "NodeFilesystemSpaceFillingUp"]),
                 "severity": r.choice(["warning", "critical"]),
                 "namespace": r.choice(NAMESPACES),
                 "labels": {"job": self.word(6), "instance":
                            "10.0.%d.%d:9100" % (r.randrange(256),
                                                 r.randrange(256))}}
                for _ in range(r.randrange(1, 10))]
        elif kind == "bug":
            d["bugzilla"] = "https://bugzilla.redhat.com/show_bug.cgi?id=%d" \
                % r.randrange(1700000, 1900000)
            d["affected_versions"] = [self.version()
                                      for _ in range(r.randrange(1, 4))]
        d["type"] = "rule"
        d["error_key"] = key
        return d

    def hit(self):
        r = self.r
        mod, key, kind, link = r.choice(RULES)
        name = mod.rsplit(".", 1)[1]
        h = {"rule_id": "%s|%s" % (name, key),
             "component": "ccx_rules_ocp.external.%s.report" % mod,
             "type": "rule", "key": key,
             "details": self.details(kind, key),
             "tags": r.sample(["openshift", "configuration", "performance",
                               "security", "service_availability",
                               "fault_tolerance", "networking"],
                              r.randrange(0, 4)),
             "links": {}}
        if link == "docs":
            h["links"]["docs"] = ["https://docs.openshift.com/container-"
                                  "platform/%s/%s.html" % (
                                      self.version()[:4], name)]
        elif link == "kcs":
            h["links"]["kcs"] = ["https://access.redhat.com/solutions/%d" %
                                 r.randrange(3000000, 7000000)]
        elif link == "bz":
            h["links"]["bz"] = ["https://bugzilla.redhat.com/show_bug.cgi?"
                                "id=%d" % r.randrange(1700000, 1900000)]
            h["links"]["kcs"] = []
        return h

    def report(self):
        """A Report of 1 to 10 KB (as serialised) with 1 to 20 hits."""
        r = self.r
        target = int(1000 * (10 ** r.uniform(0, 1)))   # 1..10 KB, log-flat
        rep = {"system": {"metadata": {}, "hostname": None},
               "reports": [], "fingerprints": [],
               "skips": [{"rule_fqdn": "ccx_rules_ocp.%s.report" % s,
                          "reason": "MISSING_REQUIREMENTS",
                          "details": "All: ['ccx_ocp_core.specs.must_gather_"
                                     "ocs.%s'] Any: " % spec,
                          "type": "skip"}
                         for s, spec in r.sample(SKIPS, r.randrange(0, 4))],
               "info": [], "pass": []}
        if r.random() < 0.3:
            rep["analysis_metadata"] = {
                "start": "2026-11-30T10:00:00.%06d+00:00" % r.randrange(10**6),
                "finish": "2026-11-30T10:00:02.%06d+00:00" %
                          r.randrange(10**6),
                "execution_context":
                    "ccx_ocp_core.context.InsightsOperatorContext",
                "plugin_sets": {"ccx_rules_ocp": {"version":
                                "ccx_rules_ocp-2026.11.%d-1" %
                                r.randrange(1, 30)}}}
        size = len(json.dumps(rep))
        while len(rep["reports"]) < 20:
            h = self.hit()
            hs = len(json.dumps(h)) + 2
            if rep["reports"] and size + hs > 10000:
                break
            rep["reports"].append(h)
            size += hs
            if size >= target:
                break
        return rep

    def org(self):
        # A few thousand organisations, a few of them with many clusters.
        r = self.r
        if not self.orgs or r.random() < 0.3:
            o = r.randrange(1, 2**31 - 1)
            self.orgs.append((o, r.randrange(1, 10**7)))
            return self.orgs[-1]
        return self.orgs[min(int(r.expovariate(0.05)), len(self.orgs) - 1)]

    def last_checked(self):
        t = self.now - self.r.uniform(60, 3 * 86400)
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + \
            ".%06dZ" % self.r.randrange(10**6)

    def record(self):
        """Returns (value bytes, valid?)."""
        r = self.r
        org, acct = self.org()
        msg = {"OrgID": org, "AccountNumber": acct,
               "ClusterName": self.uuid(),
               "Report": self.report(),
               "LastChecked": self.last_checked(), "Version": 2}
        ok = True
        if r.random() < self.bad_ratio:
            ok = False
            how = r.randrange(7)
            if how == 0:     # not a UUID (first hyphen misplaced)
                c = msg["ClusterName"].replace("-", "")
                msg["ClusterName"] = c[:13] + "-" + c[13:17] + "-" + \
                    c[17:21] + "-" + c[21:]
            elif how == 1:   # the rules engine's own output: no OrgID
                msg = {"path": "/tmp/archive-%s" % self.word(10),
                       "metadata": {"cluster_id": msg["ClusterName"]},
                       "report": msg["Report"]}
            elif how == 2:   # OrgID as a string
                msg["OrgID"] = str(org)
            elif how == 3:   # LastChecked not a timestamp
                msg["LastChecked"] = "yesterday"
            elif how == 4:   # Report without reports
                del msg["Report"]["reports"]
            elif how == 5:   # in the future
                msg["LastChecked"] = "2099-01-01T00:00:00Z"
        if r.random() < 0.05:
            text = json.dumps(msg, indent=4)
        else:
            text = json.dumps(msg)
        if not ok and how == 6:  # cut short: a JSON syntax error
            text = text[:r.randrange(10, len(text) - 1)]
        return text.encode(), ok, len(json.dumps(msg["Report"])) if ok else 0


def json_str(s):
    """Escapes as common/buf.c buf_json_str does (valid UTF-8 input)."""
    out = []
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == '\\':
            out.append('\\\\')
        elif ch == '\n':
            out.append('\\n')
        elif ch == '\r':
            out.append('\\r')
        elif ch == '\t':
            out.append('\\t')
        elif o < 0x20:
            out.append('\\u%04x' % o)
        else:
            out.append(ch)
    return '"' + ''.join(out) + '"'


def json_str_fast(s):
    # json.dumps escapes the same set, but \b and \f as two-character
    # escapes: the generator never emits them, so this is exact.
    return json.dumps(s, ensure_ascii=False)


def main(argv):
    seed, bad, topic = 1, 0.01, "ccx.ocp.results"
    args = list(argv[1:])
    while args and args[0].startswith("--"):
        opt = args.pop(0)
        if opt == "--seed":
            seed = int(args.pop(0))
        elif opt == "--bad-ratio":
            bad = float(args.pop(0))
        elif opt == "--topic":
            topic = args.pop(0)
        else:
            sys.exit("gen.py: unknown option %s" % opt)
    if len(args) < 2:
        sys.exit(__doc__)
    outdir = args[0]
    sizes = sorted(set(int(a) for a in args[1:]))
    m = sizes[-1]
    g = Gen(seed, bad)
    ts = int(g.now * 1000)
    prefix = '{"topic":%s,"partition":0,"offset":' % json_str(topic)
    lines = {n: open("%s/lines.%d" % (outdir, n), "wb") for n in sizes}
    stats = open("%s/stats" % outdir, "w")
    valid = vb = lb = rb = 0
    with open("%s/values" % outdir, "wb") as values:
        for i in range(m):
            v, ok, rsize = g.record()
            text = v.decode()
            line = ('%s%d,"timestamp":%d,"value":%s}\n' % (
                prefix, i, ts + i // 1000, json_str_fast(text))).encode()
            values.write(b"%d %d\n" % (len(v), len(line)))
            values.write(v)
            values.write(b"\n")
            for n, f in lines.items():
                if i < n:
                    f.write(line)
            valid += ok
            vb += len(v)
            lb += len(line)
            rb += rsize
            if i + 1 in lines:
                n = i + 1
                lines[n].close()
                stats.write("n=%d valid=%d bad=%d value_bytes=%d "
                            "line_bytes=%d report_bytes=%d\n" % (
                                n, valid, n - valid, vb, lb, rb))
    stats.close()


if __name__ == "__main__":
    assert json_str('a"\\\n\x01é') == json_str_fast('a"\\\n\x01é')
    main(sys.argv)
