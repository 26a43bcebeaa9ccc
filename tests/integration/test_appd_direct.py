"""appd module apps with their own `listen`: the workers accept and serve
HTTP themselves (appd/direct.c), the master supervises them through the
scoreboard (appd/direct_pool.c).

The test module (appd/apps/testmod) runs twice: app "m" through the
master (FastCGI hand-off) and app "t" on its own listeners, so the module
API is compared on both paths. Every fault is real: a SIGSEGV, a request
past request_timeout, a full accept queue, reloads and recycling while
clients keep their connections alive, hostile heads.
"""

import http.client as httpclient
import os
import signal
import socket
import subprocess
import threading
import time

import triadtest
from triadtest import appd, http

import test_appd_foobar as foobar

APPD = triadtest.build_path("appd", "appd")
TESTMOD = triadtest.build_path("appd", "appd_testmod.so")

TOPOLOGY = triadtest.one_daemon("appd", "[{port}]", "{workers}") + """\
  access_log: access.log
  header_timeout: 1s
  send_timeout: 2s
  max_header_size: 4k
  apps:
    - name: m
      routes: [/m/]
      module: {mod}
      max_children: 1
    - name: t
      routes: [/t/]
      module: {mod}
      listen: [{tport}, "unix:{tsock}"]
      max_children: 2
      request_timeout: 1s
      kill_grace: 300ms
      client_max_body_size: 4k
      env: [MARK={mark}]
    - name: r
      routes: [/r/]
      module: {mod}
      listen: [{rport}]
      max_children: 1
      max_requests: 3
    - name: q
      routes: [/q/]
      module: {mod}
      listen: [{qport}, "unix:{qsock}"]
      max_children: 1
      queue: 8
      queue_timeout: 300ms
      retry_after: 7
      request_timeout: 5s
    - name: dd
      routes: [/d/]
      module: {mod}
      listen: [{dport}]
      pm: dynamic
      min_spare: 1
      max_spare: 2
      max_children: 4
      rlimits: {{ nofile: 200 }}
    - name: od
      routes: [/o/]
      module: {mod}
      listen: [{oport}]
      pm: ondemand
      max_children: 2
      idle_timeout: 300ms
"""


def hammer(port, path, action, clients=4):
    """clients keep-alive clients (http.client, which reconnects after
    a Connection: close) hammer path while action() runs; every
    request must get 200."""
    mine = threading.local()
    conns = []

    def fetch():
        conn = getattr(mine, "conn", None)
        if conn is None:
            conn = mine.conn = httpclient.HTTPConnection("127.0.0.1", port,
                                                         timeout=10)
            conns.append(conn)
        try:
            conn.request("GET", path)
            r = conn.getresponse()
            r.read()
        except (OSError, httpclient.HTTPException) as e:
            conn.close()
            return repr(e)
        if r.getheader("connection") == "close":
            conn.close()
        return r.status

    try:
        return http.hammer(fetch, action, clients)
    finally:
        for conn in conns:
            conn.close()


class AppdDirectTest(triadtest.TestCase):

    @classmethod
    def setUpClass(cls):
        for p in (APPD, TESTMOD):
            assert os.path.exists(p), p + " is not built"
        cls.dir = triadtest.tempdir("appd-direct")
        (cls.port, cls.status, cls.tport, cls.rport, cls.qport,
         cls.oport, cls.dport) = triadtest.free_ports(7)
        cls.tsock = os.path.join(cls.dir, "t.sock")
        cls.qsock = os.path.join(cls.dir, "q.sock")
        cls.conf = os.path.join(cls.dir, "triad.yaml")
        cls.write_conf("one")
        cls.appd = triadtest.Daemon(
            [APPD, "-f", "-c", cls.conf, "--host", "h1"], name="appd",
            workdir=cls.dir, cwd=cls.dir,
            env=triadtest.asan_env("handle_segv=0:handle_abort=0"),
            health_url="http://127.0.0.1:%d/health" % cls.status)
        cls.appd.start()
        cls.wait_workers("t", 2)

    @classmethod
    def write_conf(cls, mark, workers=1):
        with open(cls.conf, "w") as f:
            f.write(TOPOLOGY.format(
                port=cls.port, status=cls.status, tport=cls.tport,
                tsock=cls.tsock, qsock=cls.qsock, rport=cls.rport,
                qport=cls.qport,
                oport=cls.oport, dport=cls.dport, mod=TESTMOD, mark=mark,
                workers=workers))

    @classmethod
    def tearDownClass(cls):
        cls.appd.stop()

    @classmethod
    def metric(cls, name, app):
        return appd.metric(cls.status, name, app)

    @classmethod
    def wait_workers(cls, app, n, timeout=10):
        deadline = time.time() + timeout
        while cls.metric("app_workers", app) != n:
            if time.time() > deadline:
                raise AssertionError("app %s: %s workers, not %d" % (
                    app, cls.metric("app_workers", app), n))
            time.sleep(0.05)

    def t(self, path, **kw):
        return http.get("http://127.0.0.1:%d%s" % (self.tport, path), **kw)

    def wait_metric(self, name, app, want, timeout=5):
        deadline = time.time() + timeout
        while self.metric(name, app) != want:
            self.assertLess(time.time(), deadline, "%s{app=%s} is %s, not "
                            "%s" % (name, app, self.metric(name, app), want))
            time.sleep(0.05)

    # ---- the module API, the same on both paths ----

    def test_hello_tcp_and_unix(self):
        r = self.t("/t/hello")
        self.assertEqual((r.status, r.body), (200, b"hello\n"))
        self.assertEqual(r.header("content-length"), "6")
        self.assertEqual(r.header("server"), "triad-appd")
        r = http.get("http://x/t/hello", unix=self.tsock)
        self.assertEqual((r.status, r.body), (200, b"hello\n"))

    def test_same_api_as_through_the_master(self):
        """The same request to the same module, once through the master
        and once on the app's own listener, gets the same answer."""
        hdrs = {"X-Test": "yo", "Content-Type": "text/x-t",
                "X-Forwarded-For": "203.0.113.9, 198.51.100.7",
                "X-Forwarded-Proto": "https"}
        body = b"some body \x00 with a NUL"
        a = http.post("http://127.0.0.1:%d/m/echo?a=b%%20c+d&x=1" %
                      self.port, body, headers=hdrs)
        b = http.post("http://127.0.0.1:%d/t/echo?a=b%%20c+d&x=1" %
                      self.tport, body, headers=hdrs)
        self.assertEqual((a.status, b.status), (200, 200))
        self.assertEqual(a.body.replace(b"/m/", b"/t/"), b.body)
        self.assertIn(b"remote=198.51.100.7\nhttps=on\nct=text/x-t\n"
                      b"a=b c d\n", b.body)
        for h in ("content-type", "content-length"):
            self.assertEqual(a.header(h), b.header(h))
        # From a Unix-socket peer (webd on this host) too.
        r = http.get("http://x/t/echo", unix=self.tsock,
                     headers={"X-Forwarded-For": "192.0.2.1"})
        self.assertIn(b"remote=192.0.2.1\nhttps=-\n", r.body)

    def test_untrusted_peer_forwarded_for_ignored(self):
        """Only trusted proxies name the client; loopback is trusted by
        default, so a HEAD and a 1.0 request check the rest instead."""
        r = http.raw_exchange("127.0.0.1", self.tport,
                              b"HEAD /t/hello HTTP/1.1\r\nHost: x\r\n"
                              b"Connection: close\r\n\r\n")
        self.assertEqual(r.status(), 200)
        self.assertIn(b"Content-Length: 6", r.data)
        self.assertTrue(r.data.endswith(b"\r\n\r\n"))
        r = http.raw_exchange("127.0.0.1", self.tport,
                              b"GET /t/stream HTTP/1.0\r\n\r\n")
        self.assertEqual(r.status(), 200)
        self.assertNotIn(b"chunked", r.data)
        self.assertTrue(r.data.endswith(b"part 2\n"))

    def test_streaming_chunked(self):
        r = http.raw_exchange("127.0.0.1", self.tport,
                              b"GET /t/stream HTTP/1.1\r\nHost: x\r\n"
                              b"Connection: close\r\n\r\n")
        self.assertEqual(r.status(), 200)
        self.assertIn(b"Transfer-Encoding: chunked", r.data)
        body = http.parse_response(r.data)[3]
        self.assertEqual(body, b"7\r\npart 0\n\r\n7\r\npart 1\n\r\n"
                         b"7\r\npart 2\n\r\n0\r\n\r\n")

    def test_big_stream_to_a_slow_client(self):
        s = socket.create_connection(("127.0.0.1", self.oport), timeout=20)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        s.sendall(b"GET /o/big?kb=8192 HTTP/1.1\r\nHost: x\r\n"
                  b"Connection: close\r\n\r\n")
        time.sleep(0.3)
        data = bytearray()
        while True:
            chunk = s.recv(1 << 16)
            if not chunk:
                break
            data += chunk
        s.close()
        self.assertEqual(data.count(b"x"), 8192 * 1024)
        self.assertTrue(data.endswith(b"0\r\n\r\n"))

    def test_handler_failure_500(self):
        r = self.t("/t/fail")
        self.assertEqual(r.status, 500)
        self.assertEqual(r.json()["error"], "internal error")

    def test_routes_only(self):
        r = self.t("/m/hello")
        self.assertEqual(r.status, 404)
        self.assertEqual(r.json()["status"], 404)
        # The master does not serve an app that has its own listen.
        r = http.get("http://127.0.0.1:%d/t/hello" % self.port)
        self.assertEqual(r.status, 404)

    def test_body_limit_413(self):
        r = http.post("http://127.0.0.1:%d/t/echo" % self.tport, b"x" * 5000)
        self.assertEqual(r.status, 413)
        chunk = b"1000\r\n" + b"y" * 4096 + b"\r\n"
        r = http.raw_exchange("127.0.0.1", self.tport,
                              b"POST /t/echo HTTP/1.1\r\nHost: x\r\n"
                              b"Transfer-Encoding: chunked\r\n\r\n" +
                              chunk * 2 + b"0\r\n\r\n")
        self.assertEqual(r.status(), 413)
        r = http.raw_exchange("127.0.0.1", self.tport,
                              b"POST /t/echo HTTP/1.1\r\nHost: x\r\n"
                              b"Transfer-Encoding: chunked\r\nConnection: "
                              b"close\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
        self.assertEqual(r.status(), 200)
        self.assertIn(b"body=5:hello", r.data)

    def test_client_stalled_mid_body_gets_408(self):
        """A body that stops coming: 408 after send_timeout (2s), the
        connection closed, nothing run; the worker serves on."""
        http.check_stalled_body(self, "127.0.0.1", self.tport, "/t/echo")
        self.assertEqual(self.t("/t/hello").status, 200)

    def test_expect_100_continue(self):
        s = socket.create_connection(("127.0.0.1", self.tport), timeout=5)
        s.sendall(b"POST /t/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                  b"Expect: 100-continue\r\nConnection: close\r\n\r\n")
        self.assertEqual(s.recv(64), b"HTTP/1.1 100 Continue\r\n\r\n")
        s.sendall(b"abc")
        data = b""
        while True:
            b = s.recv(4096)
            if not b:
                break
            data += b
        s.close()
        self.assertTrue(data.startswith(b"HTTP/1.1 200 OK"), data)
        self.assertTrue(data.endswith(b"body=3:abc"), data)

    # ---- hostile clients ----

    def test_smuggling_forms_refused(self):
        for req in (b"POST /t/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3"
                    b"\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                    b"POST /t/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3"
                    b"\r\nContent-Length: 4\r\n\r\nabcd",
                    b"POST /t/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:"
                    b" chunked, identity\r\n\r\n0\r\n\r\n",
                    b"GET /t/hello HTTP/1.1\nHost: x\n\n",
                    b"GET /t/hello HTTP/1.1\r\nHost: x\r\n Folded: y\r\n\r\n",
                    b"GET http://evil/t/hello HTTP/1.1\r\nHost: x\r\n\r\n"):
            r = http.raw_exchange("127.0.0.1", self.tport, req)
            self.assertIn(r.status(), (400, 501), req)
        # Pipelined after a good one: the second is refused, the first
        # answered; nothing is smuggled to the module.
        r = http.raw_exchange("127.0.0.1", self.tport,
                              b"GET /t/hello HTTP/1.1\r\nHost: x\r\n\r\n"
                              b"GET /t/hello HTTP/1.1\r\nHost: x\r\n"
                              b"Content-Length: 1\r\nContent-Length: 2\r\n"
                              b"\r\nab")
        self.assertEqual(r.data.count(b"HTTP/1.1 200"), 1)
        self.assertEqual(r.data.count(b"HTTP/1.1 400"), 1)

    def test_oversized_head_431(self):
        r = http.raw_exchange("127.0.0.1", self.tport,
                              b"GET /t/hello HTTP/1.1\r\nHost: x\r\nX-Big: " +
                              b"a" * 6000 + b"\r\n\r\n")
        self.assertEqual(r.status(), 431)

    def test_slowloris_408(self):
        s = socket.create_connection(("127.0.0.1", self.tport), timeout=5)
        s.sendall(b"GET /t/hello HTTP/1.1\r\nHost: x\r\n")
        data = b""
        for _ in range(8):		# a byte now and then: no extension
            time.sleep(0.2)
            try:
                s.sendall(b"X")
            except OSError:
                break
        s.settimeout(5)
        try:
            while True:
                b = s.recv(4096)
                if not b:
                    break
                data += b
        except OSError:
            pass
        s.close()
        self.assertIn(b" 408 ", data.split(b"\r\n")[0])

    # ---- supervision ----

    def test_crash_502_logged_respawned(self):
        crashes = self.metric("app_crashes_total", "t") or 0
        mark = self.appd.log_mark()
        r = self.t("/t/crash")
        self.assertEqual(r.status, 502)
        self.assertEqual(r.header("connection"), "close")
        self.appd.wait_log(r"app t: worker \d+ killed by signal 11 "
                           r"\(Segmentation fault\) while running GET "
                           r"/t/crash", since=mark)
        for _ in range(6):
            self.assertEqual(self.t("/t/hello").status, 200)
        self.wait_metric("app_crashes_total", "t", crashes + 1)
        self.wait_workers("t", 2)

    def test_real_faults_502(self):
        """A write through NULL, a division by zero and abort() each get
        their 502, the worker's own line and the master's, with the
        signal; a crash after part of a stream was sent cuts the stream
        instead (no 502 where a 200 began)."""
        for path, sig in (("/t/segv", 11), ("/t/fpe", 8), ("/t/abort", 6)):
            mark = self.appd.log_mark()
            r = self.t(path)
            self.assertEqual(r.status, 502, path)
            self.appd.wait_log(r"appd: app t: worker \d+: crashed, signal "
                               r"%d while running GET %s" % (sig, path),
                               since=mark)
            self.appd.wait_log(r"app t: worker \d+ killed by signal %d .* "
                               r"while running GET %s" % (sig, path),
                               since=mark)
            self.wait_workers("t", 2)
        r = http.raw_exchange("127.0.0.1", self.tport,
                              b"GET /t/streamcrash HTTP/1.1\r\nHost: x\r\n"
                              b"\r\n")
        self.assertTrue(r.data.startswith(b"HTTP/1.1 200 OK"), r.data)
        self.assertIn(b"part 0", r.data)
        self.assertNotIn(b"502", r.data)
        self.assertFalse(r.data.endswith(b"0\r\n\r\n"))
        self.wait_workers("t", 2)

    def test_crash_after_a_pipelined_answer(self):
        """The crash's 502 never takes the place of an earlier answer on
        the same connection."""
        r = http.raw_exchange("127.0.0.1", self.tport,
                              b"GET /t/hello HTTP/1.1\r\nHost: x\r\n\r\n"
                              b"GET /t/crash HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertTrue(r.data.startswith(b"HTTP/1.1 200 OK"), r.data)
        self.assertIn(b"hello\n", r.data)
        self.assertEqual(r.data.count(b"HTTP/1.1 "), 2)
        self.assertIn(b"HTTP/1.1 502", r.data)
        self.wait_workers("t", 2)

    def test_timeout_504_logged(self):
        timeouts = self.metric("app_timeouts_total", "t") or 0
        appd.check_timeout_504(self, self.appd, self.t)
        self.wait_metric("app_timeouts_total", "t", timeouts + 1)
        self.assertEqual(self.t("/t/hello").status, 200)
        self.wait_workers("t", 2)

    def test_max_requests_recycles(self):
        base = "http://127.0.0.1:%d" % self.rport
        pids = []
        for _ in range(7):
            r = http.get(base + "/r/pid", timeout=10)
            self.assertEqual(r.status, 200)
            pids.append(r.body)
        self.assertEqual(len(set(pids[:3])), 1)
        self.assertEqual(len(set(pids[3:6])), 1)
        self.assertNotEqual(pids[0], pids[3])
        self.assertNotEqual(pids[3], pids[6])
        self.assertGreaterEqual(self.metric("app_recycles_total", "r"), 2)

    def test_queue_timeout_503(self):
        """One worker busy, a connection left in the accept queue past
        queue_timeout: the master answers it 503 with Retry-After."""
        rej = self.metric("app_rejections_total", "q") or 0
        out = {}

        def slow():
            out["slow"] = http.get("http://127.0.0.1:%d/q/sleep?ms=2000" %
                                   self.qport, timeout=10).status

        self.wait_metric("app_workers_busy", "q", 0)
        th = threading.Thread(target=slow)
        th.start()
        self.wait_metric("app_workers_busy", "q", 1)
        uth = threading.Thread(target=lambda: out.setdefault(
            "unix", http.get("http://x/q/hello", unix=self.qsock,
                             timeout=10)))
        uth.start()
        r = http.get("http://127.0.0.1:%d/q/hello" % self.qport, timeout=10)
        th.join()
        uth.join()
        self.assertEqual(out["slow"], 200)
        self.assertEqual(r.status, 503)
        self.assertEqual(r.header("retry-after"), "7")
        self.assertEqual(r.header("connection"), "close")
        self.assertEqual(out["unix"].status, 503)
        self.assertEqual(self.metric("app_rejections_total", "q"), rej + 2)
        self.assertEqual(http.get("http://127.0.0.1:%d/q/hello" %
                                  self.qport).status, 200)

    def test_queue_length_in_status(self):
        """Connections waiting while the worker is busy show as the
        app's queue (TCP_INFO of a TCP listener, sock_diag of a Unix
        one)."""
        socks = []
        th = threading.Thread(target=http.get, args=(
            "http://127.0.0.1:%d/q/sleep?ms=1500" % self.qport,),
            kwargs={"timeout": 10})
        self.wait_metric("app_workers_busy", "q", 0)
        th.start()
        self.wait_metric("app_workers_busy", "q", 1)
        for _ in range(2):
            socks.append(socket.create_connection(("127.0.0.1",
                                                   self.qport)))
            u = socket.socket(socket.AF_UNIX)
            u.connect(self.qsock)
            socks.append(u)
        seen = 0
        deadline = time.time() + 1
        while time.time() < deadline and seen < 4:
            seen = max(seen, self.metric("app_queue_length", "q"))
            time.sleep(0.02)
        for s in socks:
            s.close()
        th.join()
        self.assertEqual(seen, 4)

    def test_ondemand_spawn_and_idle_end(self):
        self.wait_workers("od", 0)
        r = http.get("http://127.0.0.1:%d/o/hello" % self.oport, timeout=10)
        self.assertEqual(r.status, 200)
        self.assertGreaterEqual(self.metric("app_workers", "od"), 1)
        self.wait_workers("od", 0, timeout=10)

    def test_dynamic_pool_and_rlimits(self):
        """dynamic: one spare at rest; four slow requests at once on four
        connections run on four workers (a worker takes one connection
        per loop turn, so an idle one does not swallow the burst); the
        spares over max_spare stop afterwards. The app's rlimits apply."""
        self.wait_workers("dd", 1)
        pid = int(http.get("http://127.0.0.1:%d/d/pid" % self.dport).body)
        with open("/proc/%d/limits" % pid) as f:
            self.assertRegex(f.read(), r"Max open files\s+200\s+200")
        out = []
        threads = [threading.Thread(target=lambda: out.append(http.get(
            "http://127.0.0.1:%d/d/sleep?ms=800" % self.dport,
            timeout=20).status)) for _ in range(4)]
        for th in threads:
            th.start()
            time.sleep(0.05)
        peak = 0
        while any(th.is_alive() for th in threads):
            peak = max(peak, self.metric("app_workers", "dd"))
            time.sleep(0.05)
        self.assertEqual(out, [200] * 4)
        self.assertEqual(peak, 4)
        self.wait_workers("dd", 2, timeout=10)

    def test_status_and_metrics(self):
        time.sleep(0.2)		# earlier requests summed (50 ms scans)
        before = self.metric("app_requests_total", "t") or 0
        for _ in range(3):
            self.t("/t/hello")
        deadline = time.time() + 5
        while self.metric("app_requests_total", "t") < before + 3:
            self.assertLess(time.time(), deadline)
            time.sleep(0.05)
        st = http.get("http://127.0.0.1:%d/status" % self.status).json()
        apps = {a["name"]: a for a in st["apps"]}
        self.assertEqual(apps["t"]["listen"], ["127.0.0.1:%d" % self.tport,
                                               "unix:" + self.tsock])
        self.assertEqual(apps["m"]["listen"], [])
        self.assertEqual(apps["t"]["workers"], 2)
        self.assertGreater(apps["t"]["latency_p99_us"], 0)
        text = http.get("http://127.0.0.1:%d/metrics" % self.status).text()
        self.assertIn('triad_appd_app_duration_microseconds_bucket{app="t"',
                      text)

    def test_access_log_and_reopen(self):
        log = os.path.join(self.dir, "access.log")
        self.t("/t/hello?one")
        deadline = time.time() + 5
        while "GET /t/hello?one" not in open(log).read():
            self.assertLess(time.time(), deadline)
            time.sleep(0.1)
        self.assertRegex(open(log).read(), r'"GET /t/hello\?one HTTP/1.1" '
                         r'200 6 rt=\S+ ut=\S+ app=t tc=--')
        os.rename(log, log + ".1")
        self.appd.reopen_logs()
        time.sleep(0.3)		# the master's scan passes the new file
        deadline = time.time() + 5
        while True:
            self.t("/t/hello?two")
            self.t("/t/hello?two")
            if os.path.exists(log) and "/t/hello?two" in open(log).read():
                break
            self.assertLess(time.time(), deadline, "no line in the new log")
            time.sleep(0.2)

    def test_bad_config(self):
        bad = os.path.join(self.dir, "bad.yaml")
        cases = [
            ("    - { name: a, kind: cgi, root: /tmp, routes: /a/, "
             "listen: 9 }\n", "listen: only a module app serves its own "
             "listeners"),
            ("    - { name: a, module: a.so, routes: /a/, listen: 9 }\n"
             "    - { name: b, module: a.so, routes: /b/, listen: "
             "'127.0.0.1:9' }\n", "app b: listen: 127.0.0.1:9 is also app "
             "a's"),
            ("    - { name: a, module: a.so, routes: /a/, listen: 1 }\n",
             "app a: listen: 127.0.0.1:1 is appd's own listen address"),
            ("    - { name: a, module: a.so, routes: /a/, listen: "
             "'unix:/tmp/x.sock' }\n    - { name: b, module: a.so, routes: "
             "/b/, listen: 'unix:/tmp/x.sock' }\n", "is also app a's"),
            ("    - { name: a, module: a.so, routes: /a/, listen: "
             "'nowhere:x' }\n", "app a: listen: "),
        ]
        for apps, want in cases:
            with open(bad, "w") as f:
                f.write("site: t\nhosts:\n  h1: { address: 127.0.0.1 }\n"
                        "appd:\n  on: [h1]\n  listen: 1\n  apps:\n" + apps)
            p = subprocess.run([APPD, "-t", "-c", bad, "--host", "h1"],
                               capture_output=True, text=True, timeout=20)
            self.assertEqual(p.returncode, 1, apps)
            self.assertIn(want, p.stderr)
            self.assertRegex(p.stderr, r"bad\.yaml:\d+:\d+: app ")

    # ---- no request lost: reload and recycling under load ----

    def test_recycling_under_load(self):
        before = self.metric("app_recycles_total", "r") or 0
        res = hammer(self.rport, "/r/hello",
                          lambda: time.sleep(3))
        self.assertEqual(res["bad"], [])
        self.assertGreater(res["ok"], 50)
        self.assertGreaterEqual(self.metric("app_recycles_total", "r") -
                                before, 10)

    def test_zz_reload_under_load(self):
        def reloads():
            for mark in ("two", "three", "four"):
                time.sleep(0.7)
                self.write_conf(mark)
                m = self.appd.log_mark()
                self.appd.reload()
                self.appd.wait_log(r"generation \d+ in service", since=m)
            time.sleep(0.7)

        res = hammer(self.tport, "/t/sleep?ms=5", reloads)
        self.assertEqual(res["bad"], [])
        self.assertGreater(res["ok"], 50)
        self.wait_workers("t", 2)
        # The workers now are the new generation's, with its settings.
        for _ in range(4):
            pid = int(self.t("/t/pid").body)
            with open("/proc/%d/environ" % pid, "rb") as f:
                self.assertIn(b"MARK=four\0", f.read())
        st = http.get("http://127.0.0.1:%d/status" % self.status).json()
        self.assertGreaterEqual(st["generation"], 4)


TRIADCTL = triadtest.build_path("ctl", "triadctl")

SITE = """\
site: t.example
hosts:
  h1: { address: 10.0.0.1 }
  h2: { address: 10.0.0.2 }
webd:
  on: [h1]
  listen: 8081
  root: /srv/www
  routes:
    - { prefix: /api/, to: "10.0.0.2:9100" }
appd:
  on: [h1, h2]
  listen: 8091
  apps:
    - { name: a, module: a.so, routes: /api/, listen: [9100, "unix:/x"] }
"""


class TriadctlAppListenTest(triadtest.TestCase):
    """triadctl knows apps' own listen: a clash with another daemon's port
    on the host, and the port opened in the rendered nftables."""

    @classmethod
    def setUpClass(cls):
        if not os.path.exists(TRIADCTL):
            triadtest.skip("triadctl is not built")
        cls.dir = triadtest.tempdir("appd-direct-ctl")

    def ctl(self, text, *args):
        path = os.path.join(self.dir, "site.yaml")
        with open(path, "w") as f:
            f.write(text)
        return path, subprocess.run([TRIADCTL] + [a.replace("@", path)
                                                  for a in args],
                                    capture_output=True, text=True,
                                    timeout=60)

    def test_clash_with_another_daemon(self):
        path, r = self.ctl(SITE.replace("listen: [9100,", "listen: [8081,"),
                           "check", "@")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("port 8081 on host 'h1': appd app listen clashes with "
                      "webd 'h1'", r.stderr)
        path, r = self.ctl(SITE, "check", "@")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_port_in_nftables(self):
        out = os.path.join(self.dir, "out")
        path, r = self.ctl(SITE, "render", "@", "h2", "--out", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(out, "nftables", "triad.nft")) as f:
            rules = f.read()
        self.assertIn("tcp dport { 8091, 9100 } accept", rules)


class FoobarDirectTest(foobar.FoobarTest):
    """The foobar board end to end (every test of test_appd_foobar.py:
    the post written on the primary and read from a replica through
    dbproxyd, likes, stats, 400s for bad JSON, 413) with webd routing
    /api/ to the app's own listener instead of appd's."""

    @classmethod
    def setUpClass(cls):
        port = triadtest.free_port()
        saved = foobar.TOPOLOGY
        foobar.TOPOLOGY = saved.replace(
            "      routes: [/api/]\n",
            "      routes: [/api/]\n      listen: [%d]\n" % port).replace(
            "to: appd }", "to: \"127.0.0.1:%d\" }" % port)
        assert foobar.TOPOLOGY != saved
        cls.direct_port = port
        try:
            foobar.FoobarTest.setUpClass.__func__(cls)
        finally:
            foobar.TOPOLOGY = saved

    def test_zz_reload_under_load_through_webd(self):
        """webd's pooled connections to the app's listener while appd
        reloads three times: no request fails."""
        port = int(self.base.rsplit(":", 1)[1])

        def reloads():
            for _ in range(3):
                time.sleep(0.7)
                m = self.appd.log_mark()
                self.appd.reload()
                self.appd.wait_log(r"generation \d+ in service", since=m)
            time.sleep(0.7)

        res = hammer(port, "/api/stats", reloads)
        self.assertEqual(res["bad"], [])
        self.assertGreater(res["ok"], 50)

    def test_served_by_the_app_listener(self):
        r = http.get("http://127.0.0.1:%d/api/stats" % self.direct_port)
        self.assertEqual(r.status, 200)
        self.assertEqual(sorted(r.json()), ["likes", "posts"])


if __name__ == "__main__":
    triadtest.main()
