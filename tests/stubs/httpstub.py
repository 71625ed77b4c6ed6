#!/usr/bin/env python3
"""httpstub.py ROLE [options]: HTTP stand-ins for the services ccx-notify talks to.

Roles (SPEC 5.2, 7, 8):
  content     GET .../content serves the bytes of --file
  renderer    POST /rendered_reports, /v1/rendered_reports (Contract F)
  sso         POST <any path>: OAuth2 client-credentials token endpoint (8.1)
  servicelog  POST /api/service_logs/v1/cluster_logs[/] (8.2), read-back
              GET /api/service_logs/v1/clusters/<cluster>/cluster_logs

Common options:
  --port-file FILE   bind 127.0.0.1:0, write the port to FILE.tmp, rename to
                     FILE once listening (readiness); FILE is removed on exit
  --log FILE         append one JSON line per request received
  --mode M --count N --retry-after S --delay S   start in a control mode
  --watch-pid PID    exit when process PID is gone (no leaked stubs)
  --verbose          access log on stderr

Runtime control (never logged, never affected by modes):
  POST /_control {"mode": "ok"|"<3-digit status>"|"timeout"|"notjson"|"huge"|
                  "close", "count": N, "retry_after": S, "delay": S,
                  "clear": true, "clear_entries": true}
  GET  /_control   current state
  GET  /_requests  the request log as a JSON array

Standard library only.
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import signal
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HUGE_SIZE = 20 * 1024 * 1024
NAMED_MODES = ("ok", "timeout", "notjson", "huge", "close")
LOGGED_HEADERS = ("Authorization", "Content-Type", "Accept")
SL_POST_PATHS = ("/api/service_logs/v1/cluster_logs",
                 "/api/service_logs/v1/cluster_logs/")
SL_CLUSTER_PREFIX = "/api/service_logs/v1/clusters/"
RENDERER_PATHS = ("/rendered_reports", "/rendered_reports/",
                  "/v1/rendered_reports", "/v1/rendered_reports/")
CONTENT_TEXTS = ("generic", "summary", "resolution", "more_info", "reason")


def valid_mode(m):
    if m in NAMED_MODES:
        return True
    return isinstance(m, str) and len(m) == 3 and m.isdigit() and 200 <= int(m) <= 599


class State:
    """Everything shared between handler threads, under one lock."""

    def __init__(self, opts):
        self.opts = opts
        self.lock = threading.Lock()
        self.mode = "ok"
        self.remaining = None       # None = forever
        self.retry_after = None
        self.delay = 0.0
        self.requests = []
        self.seq = 0
        self.tokens = 0             # sso: tokens issued
        self.entries = []           # servicelog: accepted entries
        self.entry_id = 0
        if opts.mode:
            self.set_mode({"mode": opts.mode, "count": opts.count,
                           "retry_after": opts.retry_after, "delay": opts.delay})

    def set_mode(self, c):
        self.mode = c.get("mode", "ok")
        self.remaining = c.get("count")
        self.retry_after = c.get("retry_after")
        self.delay = float(c.get("delay") or 0)
        if self.mode == "ok" and self.remaining is not None:
            self.remaining = None

    def describe(self):
        return {"mode": self.mode, "remaining": self.remaining,
                "retry_after": self.retry_after, "delay": self.delay,
                "requests": len(self.requests)}

    def take_mode(self):
        """The mode the current request gets (consumes one from count)."""
        with self.lock:
            mode, ra, delay = self.mode, self.retry_after, self.delay
            if self.remaining is not None:
                if self.remaining <= 0:
                    self.mode, self.remaining = "ok", None
                    self.retry_after, self.delay = None, 0.0
                    return "ok", None, 0.0
                self.remaining -= 1
                if self.remaining == 0:
                    self.mode, self.remaining = "ok", None
                    self.retry_after, self.delay = None, 0.0
            return mode, ra, delay

    def record(self, entry):
        with self.lock:
            self.seq += 1
            entry["seq"] = self.seq
            self.requests.append(entry)
            if self.opts.log:
                with open(self.opts.log, "a", encoding="utf-8") as f:
                    f.write(json.dumps(entry, sort_keys=True) + "\n")

    def clear(self):
        with self.lock:
            self.requests = []
            if self.opts.log:
                open(self.opts.log, "w").close()


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def parse_body(raw):
    if not raw:
        return None
    text = raw.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"   # keep-alive, and 100-continue for curl
    server_version = "httpstub/1"
    sys_version = ""

    # -- plumbing -----------------------------------------------------------

    def log_message(self, fmt, *args):
        if self.server.state.opts.verbose:
            sys.stderr.write("httpstub %s: %s\n" % (self.server.state.opts.role, fmt % args))

    def read_body(self):
        te = self.headers.get("Transfer-Encoding", "")
        if "chunked" in te.lower():
            out = bytearray()
            while True:
                line = self.rfile.readline(65537)
                if not line:
                    break
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while True:     # trailers
                        t = self.rfile.readline(65537)
                        if t in (b"\r\n", b"\n", b""):
                            break
                    break
                out += self.rfile.read(size)
                self.rfile.readline(65537)
            return bytes(out)
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def send(self, status, body=b"", ctype="application/json", extra=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode("utf-8")
        elif isinstance(body, str):
            body = body.encode("utf-8")
        self.send_response(status)
        if body or status not in (204, 304):
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True

    def do_any(self):
        st = self.server.state
        raw = self.read_body()
        url = urllib.parse.urlsplit(self.path)
        path, query = url.path, url.query
        self.body = raw
        self.rpath = path
        self.query = query

        # test-side endpoints: not logged, no modes
        if path == "/_control":
            return self.control(raw)
        if path == "/_requests":
            with st.lock:
                return self.send(200, list(st.requests))
        if st.opts.role == "servicelog" and self.command == "GET" \
                and (path.startswith(SL_CLUSTER_PREFIX) or path in SL_POST_PATHS):
            return self.sl_list(path)

        mode, retry_after, delay = st.take_mode()
        entry = {"time": round(time.time(), 3), "method": self.command,
                 "path": path, "headers": {}, "body": parse_body(raw), "mode": mode}
        if query:
            entry["query"] = query
        for h in LOGGED_HEADERS:
            v = self.headers.get(h)
            if v is not None:
                entry["headers"][h] = v
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype == "application/x-www-form-urlencoded" and raw:
            entry["form"] = dict(urllib.parse.parse_qsl(raw.decode("utf-8", "replace"),
                                                        keep_blank_values=True))
        st.record(entry)

        if delay > 0:
            time.sleep(delay)
        extra = {}
        if retry_after is not None:
            extra["Retry-After"] = str(retry_after)

        if mode == "ok":
            return getattr(self, "role_" + st.opts.role)()
        if mode == "timeout":
            time.sleep(3600)
            self.close_connection = True
            return None
        if mode == "close":
            self.close_connection = True
            return None
        if mode == "notjson":
            return self.send(200, "<html>this is not JSON</html>\n", extra=extra)
        if mode == "huge":
            return self.send_huge(extra)
        return self.send_status(int(mode), extra)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_any

    def send_huge(self, extra):
        head, tail = b'{"huge":"', b'"}'
        pad = HUGE_SIZE - len(head) - len(tail)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(HUGE_SIZE))
        for k, v in extra.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(head)
        chunk = b"x" * 65536
        while pad > 0:
            n = min(pad, len(chunk))
            self.wfile.write(chunk[:n])
            pad -= n
        self.wfile.write(tail)

    def send_status(self, status, extra):
        role = self.server.state.opts.role
        if status == 500:
            return self.send(500, "Internal Server Error (forced by httpstub)\n",
                             ctype="text/plain; charset=utf-8", extra=extra)
        if 200 <= status < 300:
            return self.send(status, b"" if status == 204 else {}, extra=extra)
        if role == "sso":
            body = {"error": "invalid_client" if status == 401 else "server_error",
                    "error_description": "forced %d by httpstub" % status}
        elif role == "servicelog":
            body = {"kind": "Error", "id": str(status), "code": "OCM-SL-%d" % status,
                    "reason": "forced %d by httpstub" % status}
        elif status == 422:
            body = {"detail": [{"loc": ["body"], "msg": "forced 422 by httpstub",
                                "type": "value_error"}]}
        else:
            body = {"error": "forced %d by httpstub" % status}
        return self.send(status, body, extra=extra)

    def control(self, raw):
        st = self.server.state
        if self.command == "GET":
            with st.lock:
                return self.send(200, st.describe())
        try:
            c = json.loads(raw.decode("utf-8") or "{}")
            if not isinstance(c, dict):
                raise ValueError("not an object")
            if "mode" in c and not valid_mode(c["mode"]):
                raise ValueError("bad mode %r" % (c["mode"],))
            if c.get("count") is not None and not isinstance(c["count"], int):
                raise ValueError("count must be an integer")
        except ValueError as e:
            return self.send(400, {"error": str(e)})
        if c.get("clear"):
            st.clear()
        with st.lock:
            if c.get("clear_entries"):
                st.entries = []
            if "mode" in c:
                st.set_mode(c)
            return self.send(200, st.describe())

    # -- content --------------------------------------------------------------

    def role_content(self):
        p = self.rpath.rstrip("/")
        if self.command not in ("GET", "HEAD") or not p.endswith("/content"):
            return self.send(404, {"error": "not found"})
        f = self.server.state.opts.file
        try:
            with open(f, "rb") as fh:
                data = fh.read()
        except OSError as e:
            return self.send(500, "cannot read %s: %s\n" % (f, e), ctype="text/plain")
        ctype = "application/octet-stream" if f.endswith(".gob") else "application/json"
        return self.send(200, data, ctype=ctype)

    # -- renderer -------------------------------------------------------------

    def role_renderer(self):
        if self.command != "POST" or self.rpath not in RENDERER_PATHS:
            return self.send(404, {"detail": "Not Found"})
        try:
            req = json.loads(self.body.decode("utf-8"))
        except ValueError:
            return self.r422(["body"], "body is not valid JSON")
        err = renderer_validate(req)
        if err:
            return self.r422(*err)
        return self.send(200, renderer_render(req, self.server.state.opts.omit))

    def r422(self, loc, msg):
        return self.send(422, {"detail": [{"loc": loc, "msg": msg, "type": "value_error"}]})

    # -- sso ------------------------------------------------------------------

    def role_sso(self):
        o = self.server.state.opts
        if self.command != "POST":
            return self.sso_refuse("token endpoint takes POST")
        form = dict(urllib.parse.parse_qsl(self.body.decode("utf-8", "replace"),
                                           keep_blank_values=True))
        if form.get("grant_type") != "client_credentials":
            return self.sso_refuse("grant_type must be client_credentials")
        if form.get("client_id") != o.client_id:
            return self.sso_refuse("unknown client_id")
        if form.get("scope") != "openid":
            return self.sso_refuse("scope must be openid")
        auth = self.headers.get("Authorization") or ""
        want = "%s:%s" % (o.client_id, o.client_secret)
        ok = False
        if auth[:6].lower() == "basic ":
            try:
                ok = base64.b64decode(auth[6:].strip(), validate=True).decode("utf-8") == want
            except ValueError:
                ok = False
        if not ok:
            return self.sso_refuse("bad client credentials (HTTP Basic)")
        st = self.server.state
        with st.lock:
            st.tokens += 1
            n = st.tokens
        tok = "tok-%d" % n
        if o.jwt:
            now = int(time.time())
            hdr = {"alg": "HS256", "typ": "JWT"}
            pl = {"jti": tok, "sub": o.client_id, "iat": now}
            if not o.no_exp:
                pl["exp"] = now + o.expires_in
            signing = b64url(json.dumps(hdr).encode()) + "." + b64url(json.dumps(pl).encode())
            sig = hmac.new(o.client_secret.encode(), signing.encode(), hashlib.sha256).digest()
            tok = signing + "." + b64url(sig)
        body = {"access_token": tok, "expires_in": o.expires_in}
        if o.token_type != "":
            body["token_type"] = o.token_type
        return self.send(200, body, extra={"Cache-Control": "no-store"})

    def sso_refuse(self, why):
        return self.send(401, {"error": "invalid_client", "error_description": why})

    # -- servicelog -------------------------------------------------------------

    def sl_error(self, status, reason):
        return self.send(status, {"kind": "Error", "id": str(status),
                                  "code": "OCM-SL-%d" % status, "reason": reason})

    def token_ok(self, tok):
        o = self.server.state.opts
        if o.valid_token:
            return tok in o.valid_token
        name = tok
        parts = tok.split(".")
        if len(parts) == 3:
            try:
                pl = json.loads(b64url_decode(parts[1]))
            except ValueError:
                pl = None
            if isinstance(pl, dict):
                exp = pl.get("exp")
                if isinstance(exp, (int, float)) and exp < time.time():
                    return False
                name = str(pl.get("jti", tok))
        return name.startswith(o.token_prefix) and len(name) > len(o.token_prefix)

    def role_servicelog(self):
        if self.command != "POST" or self.rpath not in SL_POST_PATHS:
            return self.sl_error(404, "no such endpoint")
        auth = self.headers.get("Authorization") or ""
        if auth[:7].lower() != "bearer " or not self.token_ok(auth[7:].strip()):
            return self.sl_error(401, "missing or invalid bearer token")
        try:
            e = json.loads(self.body.decode("utf-8"))
        except ValueError:
            return self.sl_error(400, "body is not valid JSON")
        if not isinstance(e, dict):
            return self.sl_error(400, "body is not a JSON object")
        for k in ("cluster_uuid", "summary", "service_name"):
            if not isinstance(e.get(k), str) or e[k] == "":
                return self.sl_error(400, "%s is required" % k)
        st = self.server.state
        with st.lock:
            st.entry_id += 1
            out = dict(e)
            out["id"] = str(st.entry_id)
            st.entries.append(out)
        return self.send(201, out)

    def sl_list(self, path):
        st = self.server.state
        cluster = None
        if path.startswith(SL_CLUSTER_PREFIX):
            rest = path[len(SL_CLUSTER_PREFIX):].rstrip("/")
            if not rest.endswith("/cluster_logs"):
                return self.sl_error(404, "no such endpoint")
            cluster = urllib.parse.unquote(rest[:-len("/cluster_logs")])
        with st.lock:
            items = [e for e in st.entries
                     if cluster is None or e.get("cluster_uuid") == cluster]
        return self.send(200, {"kind": "ClusterLogList", "page": 1, "size": len(items),
                               "total": len(items), "items": items})


def renderer_validate(req):
    """Return (loc, msg) of the first problem, or None; like the real renderer."""
    if not isinstance(req, dict):
        return ["body"], "body must be an object"
    content = req.get("content")
    if not isinstance(content, list):
        return ["body", "content"], "content must be a list"
    for i, c in enumerate(content):
        loc = ["body", "content", i]
        if not isinstance(c, dict):
            return loc, "rule content must be an object"
        if not isinstance(c.get("plugin"), dict):
            return loc + ["plugin"], "plugin must be an object"
        for k, v in c["plugin"].items():
            if not isinstance(v, str):
                return loc + ["plugin", k], "plugin fields must be strings"
        if not isinstance(c.get("error_keys"), dict):
            return loc + ["error_keys"], "error_keys must be an object"
        for k, v in c["error_keys"].items():
            if not isinstance(v, dict):
                return loc + ["error_keys", k], "error key content must be an object"
            if "metadata" in v and not isinstance(v["metadata"], dict):
                return loc + ["error_keys", k, "metadata"], "metadata must be an object"
        for k in CONTENT_TEXTS:
            if not isinstance(c.get(k), str):
                return loc + [k], "%s must be a string" % k
        if not isinstance(c.get("HasReason"), bool):
            return loc + ["HasReason"], "HasReason must be a boolean"
    rd = req.get("report_data")
    if not isinstance(rd, dict):
        return ["body", "report_data"], "report_data must be an object"
    if not isinstance(rd.get("clusters"), list) or \
            not all(isinstance(x, str) for x in rd["clusters"]):
        return ["body", "report_data", "clusters"], "clusters must be a list of strings"
    reports = rd.get("reports")
    if not isinstance(reports, dict):
        return ["body", "report_data", "reports"], "reports must be an object"
    for cl, r in reports.items():
        loc = ["body", "report_data", "reports", cl]
        if not isinstance(r, dict) or not isinstance(r.get("reports"), list):
            return loc, "a cluster's report must be an object with a reports list"
        for i, it in enumerate(r["reports"]):
            iloc = loc + ["reports", i]
            if not isinstance(it, dict):
                return iloc, "report item must be an object"
            for k in ("type", "component", "key"):
                if not isinstance(it.get(k), str):
                    return iloc + [k], "%s must be a string" % k
            if it.get("details") is not None and not isinstance(it["details"], dict):
                return iloc + ["details"], "details must be an object or null"
    return None


def renderer_render(req, omit):
    by_module = {}
    for c in req["content"]:
        by_module.setdefault(c["plugin"].get("python_module"), c)
    rd = req["report_data"]
    out = {"clusters": rd["clusters"], "reports": {}}
    for cl in rd["clusters"]:
        r = rd["reports"].get(cl)
        if r is None:
            continue
        items = []
        for it in r["reports"]:
            key = it["key"]
            if key in omit:
                continue
            rule_id = it["component"].rsplit(".", 1)[0]
            desc = "detailed description"
            c = by_module.get(rule_id)
            if c is not None:
                md = (c["error_keys"].get(key) or {}).get("metadata") or {}
                if isinstance(md.get("description"), str):
                    desc = md["description"]
            items.append({"rule_id": rule_id, "error_key": key, "description": desc,
                          "reason": "detailed reason for " + key,
                          "resolution": "detailed resolution"})
        if items:
            out["reports"][cl] = items
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("role", choices=("content", "renderer", "sso", "servicelog"))
    ap.add_argument("--port-file")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--log")
    ap.add_argument("--mode", type=str)
    ap.add_argument("--count", type=int)
    ap.add_argument("--retry-after")
    ap.add_argument("--delay", type=float, default=0)
    ap.add_argument("--watch-pid", type=int)
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--file")                                   # content
    ap.add_argument("--omit", action="append", default=[])      # renderer
    ap.add_argument("--client-id", default="CLIENT_ID")         # sso
    ap.add_argument("--client-secret", default="SECRET")
    ap.add_argument("--expires-in", type=int, default=300)
    ap.add_argument("--token-type", default="bearer")
    ap.add_argument("--jwt", action="store_true")
    ap.add_argument("--no-exp", action="store_true")
    ap.add_argument("--token-prefix", default="tok-")           # servicelog
    ap.add_argument("--valid-token", action="append", default=[])
    o = ap.parse_args()
    if o.mode is not None and not valid_mode(o.mode):
        ap.error("bad --mode %r" % o.mode)
    if o.role == "content" and not o.file:
        ap.error("content needs --file")

    httpd = ThreadingHTTPServer(("127.0.0.1", o.port), Handler)
    httpd.daemon_threads = True
    httpd.state = State(o)

    def stop(*_):
        threading.Thread(target=httpd.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if o.watch_pid:
        def watch():
            while True:
                time.sleep(0.5)
                try:
                    os.kill(o.watch_pid, 0)
                except ProcessLookupError:
                    return stop()
                except PermissionError:
                    pass
        threading.Thread(target=watch, daemon=True).start()

    port = httpd.server_address[1]
    if o.port_file:
        with open(o.port_file + ".tmp", "w") as f:
            f.write("%d\n" % port)
        os.rename(o.port_file + ".tmp", o.port_file)
    try:
        httpd.serve_forever(poll_interval=0.2)
    finally:
        httpd.server_close()
        if o.port_file:
            try:
                os.unlink(o.port_file)
            except OSError:
                pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
