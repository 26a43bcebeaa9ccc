"""lbd in http mode.

Part one puts lbd in front of two small HTTP/1.1 servers in this process
that answer with their name and the headers they got, so per-request
balancing on one keep-alive connection, the forwarding headers, admin
drain and hostile requests are seen from both ends. Part two puts lbd in
front of two real webd and kills one with SIGKILL, and reloads lbd, under
a bounded load: no request may fail.
"""

import json
import os
import signal
import socket
import threading
import time

import triadtest
from triadtest import http
from triadtest.upstream import HttpServer, stop_then_kill

LBD = triadtest.build_path("lbd", "lbd")
WEBD = triadtest.build_path("webd", "webd")

ECHO_LBD = triadtest.lbd_keys(listen='[{port}, "[::1]:{port6}"]') + """\
  http_request_timeout: 1s
  access_log: access.log
  trusted_proxies: 127.0.0.2/32
"""


class LbdHttpEchoTest(triadtest.TestCase):

    @classmethod
    def setUpClass(cls):
        assert os.access(LBD, os.X_OK), LBD + " is not built"
        cls.dir = triadtest.tempdir("lbd-http")
        cls.port, cls.status, p1, p2, cls.port6 = triadtest.free_ports(5)
        cls.echo = [HttpServer(p1, "s1"), HttpServer(p2, "s2")]
        conf = triadtest.write_conf(cls.dir, triadtest.one_host(
            [("s1", p1), ("s2", p2)],
            ECHO_LBD.format(port=cls.port, status=cls.status,
                            port6=cls.port6)))
        cls.d = triadtest.triad_daemon("lbd", conf, cls.status).start()

    @classmethod
    def tearDownClass(cls):
        stop_then_kill(cls.d, cls.echo)

    def metric(self, name):
        return http.metric(self.status, "triad_lbd_" + name)

    def test_half_close_after_request_gets_the_answer(self):
        r = http.raw_exchange("127.0.0.1", self.port,
                              b"GET /half HTTP/1.1\r\nHost: x\r\n\r\n",
                              half_close=True)
        self.assertTrue(r.closed and not r.reset, r)
        self.assertEqual(r.status(), 200, r.data)
        self.assertIn(b'"line": "GET /half HTTP/1.1"', r.data)

    def test_split_head_and_body_are_acknowledged_at_once(self):
        # lbd's listener delays ACKs so that the answer carries them. A
        # client whose Nagle holds its next chunk until the last is
        # acknowledged must not wait for the delayed-ACK timer (40 ms or
        # more) while lbd waits for the rest of a head, or for a body
        # that the server is waiting for. 20 ms leaves half the timer
        # to a loaded machine.
        for chunks in ([b"GET /split HTTP/1.1\r\n",
                        b"Host: x\r\nConnection: close\r\n\r\n"],
                       [b"POST /split HTTP/1.1\r\nHost: x\r\n"
                        b"Content-Length: 5\r\nConnection: close\r\n\r\n",
                        b"hello"]):
            secs = http.split_send_seconds("127.0.0.1", self.port, chunks)
            self.assertLess(secs, 0.020, chunks)

    def test_pooled_connection_closed_by_server_is_dropped(self):
        # Pool a connection to each server, then have both servers close
        # them while idle: lbd must notice and open new ones, with no
        # request sent to a dead connection (no retry needed).
        for _ in range(2):
            self.assertEqual(http.get("http://127.0.0.1:%d/a"
                                      % self.port).status, 200)
        before = self.metric("upstream_retries_total")
        for e in self.echo:
            e.drop_connections()
        time.sleep(0.3)
        for _ in range(4):
            self.assertEqual(http.get("http://127.0.0.1:%d/b"
                                      % self.port).status, 200)
        self.assertEqual(self.metric("upstream_retries_total"), before)

    def test_per_request_balancing_on_one_connection(self):
        s = socket.create_connection(("127.0.0.1", self.port), 5)
        f = s.makefile("rb")
        names = []
        for _ in range(6):
            s.sendall(b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n")
            status, _, body = http.read_response(f)
            self.assertEqual(status, 200)
            names.append(json.loads(body)["server"])
        s.close()
        # Round robin per request (where it starts depends on the tests
        # before): each request of the one connection goes to the other.
        self.assertIn(names, (["s1", "s2"] * 3, ["s2", "s1"] * 3))

    def test_per_server_metrics(self):
        for _ in range(4):
            http.get("http://127.0.0.1:%d/m" % self.port)
        m = http.get("http://127.0.0.1:%d/metrics" % self.status).text()
        for name in ("s1", "s2"):
            self.assertRegex(m, r'triad_lbd_server_requests_total\{server="%s",'
                             r'class="2xx"\} [1-9]' % name)
            self.assertRegex(m, r'triad_lbd_server_duration_microseconds_count'
                             r'\{server="%s"\} [1-9]' % name)

    def test_forwarding_headers(self):
        r = http.get("http://127.0.0.1:%d/h" % self.port,
                     headers={"X-Forwarded-For": "198.51.100.7"})
        h = r.json()["headers"]
        # lbd's peer is not trusted by default: the client's own XFF goes.
        self.assertEqual(h["x-forwarded-for"], "127.0.0.1")
        self.assertEqual(h["forwarded"], "for=127.0.0.1;proto=http")
        self.assertEqual(h["x-forwarded-proto"], "http")

    def echoed_headers(self, family, src, dst, extra=b""):
        """GET /h from src to dst (addresses of family) through lbd, with
        Connection: close; returns the headers the server received."""
        def factory(host, port, timeout):
            s = socket.socket(family, socket.SOCK_STREAM)
            s.settimeout(timeout)
            s.bind((src, 0))
            s.connect((dst, port))
            return s
        res = http.raw_exchange(dst, self.port6 if family ==
                                socket.AF_INET6 else self.port,
                                b"GET /h HTTP/1.1\r\nHost: a\r\n" + extra +
                                b"Connection: close\r\n\r\n",
                                sock_factory=factory)
        p = http.parse_response(res.data)
        self.assertIsNotNone(p, res.data[:200])
        self.assertEqual(p[0], 200)
        return json.loads(p[3])["headers"]

    def test_forwarding_headers_from_a_trusted_proxy(self):
        # 127.0.0.2 is a trusted proxy: its chains are kept and extended.
        h = self.echoed_headers(
            socket.AF_INET, "127.0.0.2", "127.0.0.1",
            b"X-Forwarded-For: 198.51.100.7, 203.0.113.4\r\n"
            b"Forwarded: for=198.51.100.7;proto=https\r\n"
            b"X-Forwarded-Proto: https\r\n")
        self.assertEqual(h["x-forwarded-for"],
                         "198.51.100.7, 203.0.113.4, 127.0.0.2")
        self.assertEqual(h["x-real-ip"], "203.0.113.4")
        self.assertEqual(h["x-forwarded-proto"], "https")
        self.assertEqual(h["forwarded"],
                         "for=198.51.100.7;proto=https, "
                         "for=127.0.0.2;proto=http")
        # The same from an untrusted address: only what lbd saw.
        h = self.echoed_headers(
            socket.AF_INET, "127.0.0.3", "127.0.0.1",
            b"Forwarded: for=198.51.100.7\r\n")
        self.assertEqual(h["forwarded"], "for=127.0.0.3;proto=http")

    def test_forwarded_for_an_ipv6_client(self):
        if not socket.has_ipv6:
            self.skipTest("no IPv6")
        h = self.echoed_headers(socket.AF_INET6, "::1", "::1")
        self.assertEqual(h["forwarded"], 'for="[::1]";proto=http')
        self.assertEqual(h["x-forwarded-for"], "::1")

    def test_smuggling_never_reaches_a_server_as_two(self):
        before = sum(len(e.requests) for e in self.echo)
        vectors = [
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1"
            b"\r\nHost: a\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n"
            b"Content-Length: 40\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, "
            b"identity\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\x0bchunked\r\n"
            b"\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: a\r\n Transfer-Encoding: chunked\r\n"
            b"Content-Length: 3\r\n\r\nabc",
            b"GET / HTTP/1.1\r\nHost: a\r\nX: a\rGET /smuggled HTTP/1.1\r\n\r\n",
            b"GET / HTTP/1.1\nHost: a\n\nGET /smuggled HTTP/1.1\n\n",
            b"GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length : 5\r\n\r\nhello",
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello",
            b"GET / HTTP/1.1\r\nHost: a\r\nX: \x00\r\n\r\n",
        ]
        for v in vectors:
            res = http.raw_exchange("127.0.0.1", self.port, v, timeout=5)
            self.assertIn(res.status(), (400, 501), v)
        after = [r.line for e in self.echo for r in e.requests]
        self.assertFalse([l for l in after if "smuggled" in l])
        self.assertEqual(sum(len(e.requests) for e in self.echo), before)

    def test_admin_drain_and_slowloris(self):
        url = "http://127.0.0.1:%d/admin/server" % self.status
        r = http.post(url, body=b"name=s1&state=drain",
                      content_type="application/x-www-form-urlencoded")
        self.assertEqual(r.status, 200)
        try:
            got = {http.get("http://127.0.0.1:%d/" % self.port).json()[
                "server"] for _ in range(6)}
            self.assertEqual(got, {"s2"})
        finally:
            http.post(url, body=b"name=s1&state=ready",
                      content_type="application/x-www-form-urlencoded")
        s = socket.create_connection(("127.0.0.1", self.port), 5)
        s.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n")
        t0 = time.monotonic()
        s.settimeout(5)
        data = s.recv(4096)
        s.close()
        self.assertIn(b"408", data)
        self.assertLess(time.monotonic() - t0, 4)


WEBD_KEYS = """\
  workers: 1
  root: www
  mime_types: {mime}
"""
WEBD_LBD = triadtest.lbd_keys(workers=2) + """\
  retries: 2
  max_fails: 1
  fail_timeout: 5s
  connect_timeout: 500ms
"""


class LbdHttpFailoverTest(triadtest.TestCase):
    # Subclasses (test_lbd_pipeline) change lbd's settings and the load.
    LBD_EXTRA = ""
    CLIENTS = 4

    def setUp(self):
        for p in (LBD, WEBD):
            self.assertTrue(os.access(p, os.X_OK), p + " is not built")
        self.dir = triadtest.tempdir("lbd-failover")
        os.makedirs(os.path.join(self.dir, "www"))
        with open(os.path.join(self.dir, "www", "index.html"), "w") as f:
            f.write("hello from webd\n")
        (self.port, self.status, w1, w2, ws1,
         ws2) = triadtest.free_ports(6)
        self.conf = triadtest.write_conf(self.dir, triadtest.one_host(
            [("w1", w1, ws1), ("w2", w2, ws2)],
            (WEBD_LBD + self.LBD_EXTRA).format(port=self.port,
                                               status=self.status),
            WEBD_KEYS.format(mime=triadtest.source_path("etc",
                                                        "mime.types"))))
        self.webd = [triadtest.Daemon(
            [WEBD, "-f", "-c", self.conf, "--host", "h1", "--instance", n],
            name="webd-" + n,
            health_url="http://127.0.0.1:%d/health" % s).start()
            for n, s in (("w1", ws1), ("w2", ws2))]
        self.lbd = triadtest.triad_daemon("lbd", self.conf,
                                          self.status).start()

    def tearDown(self):
        try:
            self.lbd.stop_clean()
        finally:
            for w in self.webd:
                w.stop()

    def load(self, seconds, results):
        """Bounded load: GETs on CLIENTS threads for `seconds`."""
        stop = time.monotonic() + seconds

        def run():
            while time.monotonic() < stop:
                try:
                    r = http.get("http://127.0.0.1:%d/" % self.port,
                                 timeout=5)
                    if r.status == 200 and r.body == b"hello from webd\n":
                        results["ok"] += 1
                    else:
                        results["bad"].append(r.status)
                except OSError as e:
                    results["bad"].append(repr(e))

        threads = [threading.Thread(target=run)
                   for _ in range(self.CLIENTS)]
        for t in threads:
            t.start()
        return threads

    def test_kill_one_server_under_load(self):
        results = {"ok": 0, "bad": []}
        threads = self.load(3.0, results)
        time.sleep(1.0)
        self.webd[1].signal(signal.SIGKILL)
        for t in threads:
            t.join(15)
        self.assertEqual(results["bad"], [])
        self.assertGreater(results["ok"], 50)
        # What hid the dead server is counted against it, per server.
        st = http.get("http://127.0.0.1:%d/status" % self.status).json()
        srv = {s["name"]: s for s in st["servers"]}
        self.assertGreaterEqual(srv["w2"]["redispatches"], 1)
        self.assertGreaterEqual(srv["w2"]["retries"],
                                srv["w2"]["redispatches"])
        self.assertEqual(srv["w1"]["redispatches"], 0)

    def test_reload_under_load(self):
        results = {"ok": 0, "bad": []}
        threads = self.load(3.0, results)
        for i in range(4):
            time.sleep(0.5)
            mark = self.lbd.log_mark()
            self.lbd.reload()
            self.lbd.wait_log("generation %d in service" % (i + 2),
                              since=mark)
        for t in threads:
            t.join(15)
        self.assertEqual(results["bad"], [])
        self.assertGreater(results["ok"], 50)


if __name__ == "__main__":
    triadtest.main()
