"""appd's process model with a test module (appd/apps/testmod).

The module answers /t/hello, echoes /t/echo, segfaults on /t/crash,
sleeps on /t/sleep?ms=N, streams /t/stream and tells its pid on /t/pid.
Every fault is injected for real (a SIGSEGV, a request past its timeout)
and the test counts what the clients got.
"""

import os
import socket
import threading
import time

import triadtest
from triadtest import appd, http

APPD = triadtest.build_path("appd", "appd")
TESTMOD = triadtest.build_path("appd", "appd_testmod.so")
OLDMOD = triadtest.build_path("appd", "appd_testmod_old.so")

TOPOLOGY = triadtest.one_daemon("appd", '[{port}, "unix:{sock}"]',
                              "{workers}") + """\
  access_log: access.log
  send_timeout: 2s
  apps:
    - name: t
      routes: [/t/]
      module: {mod}
      max_children: {children}
      request_timeout: 1s
      kill_grace: 300ms
      client_max_body_size: 4k
    - name: recycle
      routes: [/r/]
      module: {mod}
      max_children: 1
      max_requests: 3
      env: [MARK={mark}]
    - name: tiny
      routes: [/q/]
      module: {mod}
      max_children: 1
      queue: 1
      pipeline: 1
      retry_after: 7
      request_timeout: 5s
    - name: pipe
      routes: [/p/]
      module: {mod}
      max_children: 1
      pipeline: 4
    - name: ondemand
      routes: [/o/]
      module: {mod}
      pm: ondemand
      max_children: 2
      idle_timeout: 300ms
    - name: dyn
      routes: [/d/]
      module: {mod}
      pm: dynamic
      min_spare: 1
      max_spare: 2
      max_children: 4
      pipeline: 1
    - name: old
      routes: [/old/]
      module: {old}
      max_children: 1
"""


class AppdModuleTest(triadtest.TestCase):

    @classmethod
    def setUpClass(cls):
        for p in (APPD, TESTMOD, OLDMOD):
            assert os.path.exists(p), p + " is not built"
        cls.dir = triadtest.tempdir("appd-module")
        cls.port, cls.status = triadtest.free_ports(2)
        cls.sock = os.path.join(cls.dir, "appd.sock")
        cls.conf = os.path.join(cls.dir, "triad.yaml")
        cls.write_conf(mark="one")
        # Under AddressSanitizer a SIGSEGV must stay a signal (the crash
        # test checks the signal appd logs).
        cls.appd = triadtest.Daemon(
            [APPD, "-f", "-c", cls.conf, "--host", "h1"], name="appd",
            env=triadtest.asan_env("handle_segv=0"),
            health_url="http://127.0.0.1:%d/health" % cls.status)
        cls.appd.start()
        cls.base = "http://127.0.0.1:%d" % cls.port

    @classmethod
    def write_conf(cls, mark, workers=1, children=2):
        with open(cls.conf, "w") as f:
            f.write(TOPOLOGY.format(port=cls.port, status=cls.status,
                                    sock=cls.sock, mod=TESTMOD, old=OLDMOD,
                                    mark=mark, workers=workers,
                                    children=children))

    @classmethod
    def tearDownClass(cls):
        cls.appd.stop()

    def get(self, path, **kw):
        return http.get(self.base + path, **kw)

    def metric(self, name, app):
        return appd.metric(self.status, name, app)

    def test_hello_and_echo(self):
        r = self.get("/t/hello")
        self.assertEqual((r.status, r.body), (200, b"hello\n"))
        self.assertEqual(r.header("content-length"), "6")
        r = http.post(self.base + "/t/echo?a=b%20c", b"some body",
                      headers={"X-Test": "yo"})
        self.assertEqual(r.status, 200)
        self.assertIn(b"method=POST\npath=/t/echo\nquery=a=b%20c\n", r.body)
        self.assertIn(b"x-test=yo\n", r.body)
        self.assertIn(b"remote=127.0.0.1\n", r.body)
        self.assertTrue(r.body.endswith(b"body=9:some body"))

    def test_unix_listener_and_forwarded_for(self):
        # A trusted peer (loopback, the unix socket) names the client.
        r = http.get("http://appd/t/echo", unix=self.sock,
                     headers={"X-Forwarded-For": "203.0.113.9, 198.51.100.7"})
        self.assertEqual(r.status, 200)
        self.assertIn(b"remote=198.51.100.7\n", r.body)

    def test_chunked_request_body(self):
        req = (b"POST /t/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
               b"chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n6\r\n"
               b" world\r\n0\r\n\r\n")
        r = http.raw_exchange("127.0.0.1", self.port, req)
        self.assertEqual(r.status(), 200)
        self.assertIn(b"body=11:hello world", r.data)

    def test_client_stalled_mid_body_gets_408(self):
        """Through the master: a body that stops coming gets 408 after
        send_timeout (2s) and a close; no worker is taken."""
        http.check_stalled_body(self, "127.0.0.1", self.port, "/t/echo")
        self.assertEqual(self.get("/t/hello").status, 200)

    def test_body_over_limit_413(self):
        r = http.post(self.base + "/t/echo", b"x" * 5000)
        self.assertEqual(r.status, 413)
        # Chunked, so the limit is met mid-stream.
        chunk = b"1000\r\n" + b"y" * 4096 + b"\r\n"
        req = (b"POST /t/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
               b"chunked\r\n\r\n" + chunk * 2 + b"0\r\n\r\n")
        r = http.raw_exchange("127.0.0.1", self.port, req)
        self.assertEqual(r.status(), 413)
        self.assertEqual(self.get("/t/hello").status, 200)

    def test_streaming(self):
        r = http.raw_exchange("127.0.0.1", self.port,
                              b"GET /t/stream HTTP/1.1\r\nHost: x\r\n"
                              b"Connection: close\r\n\r\n")
        self.assertEqual(r.status(), 200)
        self.assertIn(b"Transfer-Encoding: chunked", r.data)
        self.assertTrue(r.data.endswith(b"0\r\n\r\n"))
        body = http.parse_response(r.data)[3]
        self.assertEqual(body, b"7\r\npart 0\n\r\n7\r\npart 1\n\r\n"
                         b"7\r\npart 2\n\r\n0\r\n\r\n")

    def test_slow_client_of_a_big_stream(self):
        """A client that reads late gets every byte of a 16 MB stream (appd
        stops reading the worker while the client's output is full). The
        ondemand app has the default request_timeout (30 s)."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=20)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        s.sendall(b"GET /o/big?kb=16384 HTTP/1.1\r\nHost: x\r\n"
                  b"Connection: close\r\n\r\n")
        time.sleep(0.5)
        parts = []
        while True:
            chunk = s.recv(1 << 16)
            if not chunk:
                break
            parts.append(chunk)
        s.close()
        data = b"".join(parts)
        status, _, headers, body = http.parse_response(data)
        self.assertEqual(status, 200)
        # Dechunk.
        out, rest = [], body
        while True:
            line, rest = rest.split(b"\r\n", 1)
            size = int(line, 16)
            if size == 0:
                break
            out.append(rest[:size])
            rest = rest[size + 2:]
        payload = b"".join(out)
        self.assertEqual(len(payload), 16384 * 1024)
        self.assertEqual(payload.count(b"x"), len(payload))
        # A client that leaves mid-stream frees its worker.
        s = socket.create_connection(("127.0.0.1", self.port), timeout=20)
        s.sendall(b"GET /o/big?kb=65536 HTTP/1.1\r\nHost: x\r\n\r\n")
        s.recv(1000)
        s.close()
        for _ in range(4):
            self.assertEqual(self.get("/o/hello", timeout=10).status, 200)

    def test_unknown_route_404(self):
        r = self.get("/nothing")
        self.assertEqual(r.status, 404)
        self.assertEqual(r.json()["status"], 404)

    def test_crash_gives_502_and_respawns(self):
        crashes = self.metric("app_crashes_total", "t") or 0
        mark = self.appd.log_mark()
        r = self.get("/t/crash")
        self.assertEqual(r.status, 502)
        self.appd.wait_log(r"app t: worker \d+ killed by signal 11 "
                           r"\(Segmentation fault\) while running GET "
                           r"/t/crash", since=mark)
        # Other requests keep working, on a new worker.
        for _ in range(5):
            self.assertEqual(self.get("/t/hello").status, 200)
        self.assertEqual(self.metric("app_crashes_total", "t"), crashes + 1)
        self.assertEqual(self.metric("app_workers", "t"), 2)

    def test_worker_exit_502(self):
        r = self.get("/t/exit")
        self.assertEqual(r.status, 502)
        self.assertEqual(self.get("/t/hello").status, 200)

    def test_handler_failure_500(self):
        r = self.get("/t/fail")
        self.assertEqual(r.status, 500)
        self.assertEqual(r.json()["error"], "internal error")

    def test_timeout_killed_and_logged(self):
        timeouts = self.metric("app_timeouts_total", "t") or 0
        appd.check_timeout_504(self, self.appd, self.get)
        self.assertEqual(self.metric("app_timeouts_total", "t"),
                         timeouts + 1)
        self.assertEqual(self.get("/t/hello").status, 200)

    def test_max_requests_recycles(self):
        pids = [self.get("/r/pid").body for _ in range(7)]
        # One worker, 3 requests each: three distinct pids, in runs of 3.
        self.assertEqual(len(set(pids[:3])), 1)
        self.assertEqual(len(set(pids[3:6])), 1)
        self.assertNotEqual(pids[0], pids[3])
        self.assertNotEqual(pids[3], pids[6])
        self.assertGreaterEqual(self.metric("app_recycles_total", "recycle"),
                                2)

    def test_queue_full_503_retry_after(self):
        # One worker, a queue of one: the third request at once is refused.
        results = []

        def slow():
            results.append(self.get("/q/sleep?ms=800", timeout=10).status)

        threads = [threading.Thread(target=slow) for _ in range(2)]
        for t in threads:
            t.start()
            time.sleep(0.15)
        r = self.get("/q/hello")
        for t in threads:
            t.join()
        self.assertEqual(r.status, 503)
        self.assertEqual(r.header("retry-after"), "7")
        self.assertEqual(sorted(results), [200, 200])
        self.assertGreaterEqual(self.metric("app_rejections_total", "tiny"),
                                1)

    def test_requests_sent_ahead_survive_a_crash(self):
        """Requests sent ahead to a worker that crashes never ran: they
        go to the next worker, none is lost or answered 502."""
        for _ in range(3):
            statuses = {}
            lock = threading.Lock()

            def one(path):
                st = self.get(path, timeout=10).status
                with lock:
                    statuses.setdefault(path, []).append(st)

            threads = [threading.Thread(target=one, args=("/p/crash",))]
            threads += [threading.Thread(target=one, args=("/p/hello",))
                        for _ in range(6)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            self.assertEqual(statuses["/p/crash"], [502])
            self.assertEqual(statuses["/p/hello"], [200] * 6)

    def test_ondemand_idle_workers_end(self):
        self.assertEqual(self.get("/o/hello").status, 200)
        self.assertEqual(self.metric("app_workers", "ondemand"), 1)
        deadline = time.time() + 10
        while self.metric("app_workers", "ondemand") != 0:
            self.assertLess(time.time(), deadline, "idle worker not ended")
            time.sleep(0.1)
        self.assertEqual(self.get("/o/hello").status, 200)

    def test_dynamic_pool(self):
        """dynamic: one spare at rest, up to max_children under load, idle
        ones over max_spare stopped afterwards."""
        deadline = time.time() + 10
        while self.metric("app_workers", "dyn") != 1:
            self.assertLess(time.time(), deadline)
            time.sleep(0.05)
        threads = [threading.Thread(target=self.get, args=(
            "/d/sleep?ms=600",), kwargs={"timeout": 10}) for _ in range(4)]
        for t in threads:
            t.start()
            time.sleep(0.05)
        peak = 0
        while any(t.is_alive() for t in threads):
            peak = max(peak, self.metric("app_workers", "dyn"))
            time.sleep(0.05)
        self.assertEqual(peak, 4)
        deadline = time.time() + 10
        while self.metric("app_workers", "dyn") != 2:
            self.assertLess(time.time(), deadline, "spares not stopped")
            time.sleep(0.1)

    def test_config_errors_dry_run(self):
        bad = os.path.join(self.dir, "bad.yaml")
        with open(bad, "w") as f:
            f.write("site: t\nhosts:\n  h1: { address: 127.0.0.1 }\n"
                    "appd:\n  on: [h1]\n  listen: 1\n  apps:\n"
                    "    - { name: a, routes: /a/ }\n"
                    "    - { name: b, routes: /b/, module: b.so, "
                    "max_childs: 2 }\n")
        import subprocess
        p = subprocess.run([APPD, "-t", "-c", bad, "--host", "h1"],
                           capture_output=True, text=True, timeout=20)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("bad.yaml:9:45: unknown key 'max_childs'", p.stderr)
        self.assertIn("did you mean 'max_children'", p.stderr)
        p = subprocess.run([APPD, "-t", "-c", self.conf, "--host", "h1"],
                           capture_output=True, text=True, timeout=20)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("configuration OK", p.stdout + p.stderr)
        with open(bad, "w") as f:
            f.write("site: t\nhosts:\n  h1: { address: 127.0.0.1 }\n"
                    "appd:\n  on: [h1]\n  listen: 1\n  apps:\n"
                    "    - { name: a, routes: /a/ }\n")
        p = subprocess.run([APPD, "-t", "-c", bad, "--host", "h1"],
                           capture_output=True, text=True, timeout=20)
        self.assertEqual(p.returncode, 1)
        self.assertIn("bad.yaml:8:7: app a: kind module needs 'module'",
                      p.stderr)

    def test_old_api_refused(self):
        mark = self.appd.log_mark()
        r = self.get("/old/x")
        self.assertEqual(r.status, 502)
        self.appd.wait_log(r"speaks triad app API version 0, appd speaks 1",
                           since=mark)

    def test_hostile_heads(self):
        r = http.raw_exchange("127.0.0.1", self.port,
                              b"GET /t/hello HTTP/1.1\r\nHost: x\r\n"
                              b"Content-Length: 3\r\nTransfer-Encoding: "
                              b"chunked\r\n\r\n")
        self.assertEqual(r.status(), 400)
        r = http.raw_exchange("127.0.0.1", self.port,
                              b"GET http://evil/t/hello HTTP/1.1\r\n"
                              b"Host: x\r\n\r\n")
        self.assertEqual(r.status(), 400)

    def test_status_has_app_metrics(self):
        self.get("/t/hello")
        for name in ("app_workers", "app_workers_idle", "app_workers_busy",
                     "app_requests_total", "app_queue_length"):
            self.assertIsNotNone(self.metric(name, "t"), name)
        text = http.get("http://127.0.0.1:%d/metrics" % self.status).text()
        self.assertIn('triad_appd_app_duration_microseconds_bucket{app="t"',
                      text)
        st = http.get("http://127.0.0.1:%d/status" % self.status).json()
        apps = {a["name"]: a for a in st["apps"]}
        self.assertEqual(apps["t"]["kind"], "module")
        self.assertEqual(apps["t"]["routes"], ["/t/"])
        self.assertEqual(apps["dyn"]["pm"], "dynamic")
        self.assertGreaterEqual(apps["t"]["requests"], 1)
        for key in ("workers", "idle", "busy", "queue", "errors", "timeouts",
                    "crashes", "recycles", "rejections", "latency_p99_us"):
            self.assertIn(key, apps["t"])

    def test_zz_reload_under_load(self):
        """SIGHUP while clients hammer: every request succeeds."""
        before = []

        def reloads():
            time.sleep(0.3)
            before.append(self.get("/r/pid").body)
            for i in range(3):
                self.write_conf(mark="gen%d" % i)
                mark = self.appd.log_mark()
                self.appd.reload()
                self.appd.wait_log(r"generation %d" % (i + 2), since=mark)
                time.sleep(0.3)

        counts = http.hammer(
            lambda: self.get("/t/sleep?ms=20", timeout=10).status, reloads)
        self.assertEqual(counts["bad"], [])
        self.assertGreater(counts["ok"], 20)
        # New workers after a reload.
        self.assertNotEqual(self.get("/r/pid").body, before[0])


MAXC_TOPOLOGY = triadtest.one_daemon("appd") + """\
  max_connections: {maxc}
  apps:
    - name: t
      routes: [/t/]
      module: {mod}
      max_children: 1
"""


class AppdMaxConnectionsTest(triadtest.TestCase):
    """max_connections on appd's master listeners, and after a reload
    that raises it while accepting is paused (appd used to stay paused
    for good)."""

    def write_conf(self, maxc):
        self.conf = triadtest.write_conf(self.dir, MAXC_TOPOLOGY.format(
            port=self.port, status=self.status, mod=TESTMOD, maxc=maxc))

    def setUp(self):
        self.assertTrue(os.path.exists(TESTMOD), TESTMOD + " is not built")
        self.dir = triadtest.tempdir("appd-maxc")
        self.port, self.status = triadtest.free_ports(2)
        self.write_conf(2)
        self.appd = triadtest.triad_daemon("appd", self.conf,
                                           self.status).start()
        self.addCleanup(self.appd.stop)

    def test_paused_then_reloaded(self):
        def raise_limit():
            self.write_conf(3)
            mark = self.appd.log_mark()
            self.appd.reload()
            self.appd.wait_log("generation 2 in service", since=mark)
        http.check_limit_raised(self, self.port, raise_limit,
                                path="/t/hello")


if __name__ == "__main__":
    triadtest.main()
