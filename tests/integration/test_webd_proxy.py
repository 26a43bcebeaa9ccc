"""webd forwarding dynamic routes to upstream servers (appd's place).

The upstreams are small HTTP/1.1 servers in this process (threads) that
echo what they received, stream chunked answers, stall, or die, so every
path of the proxy is seen from both ends.
"""

import hashlib
import json
import os
import socket
import socketserver
import subprocess
import threading
import time

import triadtest
from triadtest import http
from triadtest.upstream import TestServer

WEBD = triadtest.build_path("webd", "webd")

TOPOLOGY = """\
site: test.example
hosts:
  h1: {{ address: 127.0.0.1 }}
appd:
  on: [ {{ host: h1, name: app1, listen: {up1} }}, {{ host: h1, name: app2, listen: {up2} }} ]
webd:
  on: [h1]
  listen: {port}
  status: {status}
  workers: 2
  root: www
  mime_types: {mime}
  client_max_body_size: 2m
  upstream_read_timeout: 1s
  upstream_connect_timeout: 1s
  upstream_fail_timeout: 1s
  trusted_proxies: {trusted}
  access_log: {name}-access.log
  routes:
    - {{ prefix: /api/, to: appd }}
    - {{ prefix: /dead/, to: "127.0.0.1:{dead}" }}
    - {{ prefix: /api/slow, to: "127.0.0.1:{slow}" }}
"""


class Upstream(TestServer):
    """A tiny HTTP/1.1 server: keep-alive, CL and chunked bodies."""

    def __init__(self, port, name):
        self.peers = set()
        self.requests = 0
        super().__init__(port, name, UpstreamHandler)


class UpstreamHandler(socketserver.StreamRequestHandler):

    def read_body(self, headers):
        if headers.get("transfer-encoding") == "chunked":
            body = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return body
                body += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(headers.get("content-length", "0")))

    def handle(self):
        self.server.peers.add(self.client_address[1])
        self.server.track(self.connection)
        try:
            self.serve()
        except (ValueError, OSError):
            pass        # a client (webd) that gave up mid-request

    def serve(self):
        while True:
            line = self.rfile.readline()
            if not line:
                return
            method, target, _ = line.decode().split(" ", 2)
            headers = {}
            raw = []
            while True:
                h = self.rfile.readline()
                if h in (b"\r\n", b""):
                    break
                k, v = h.decode().split(":", 1)
                headers[k.strip().lower()] = v.strip()
                raw.append(k.strip())
            body = self.read_body(headers)
            self.server.requests += 1
            if not self.answer(method, target, headers, raw, body):
                return

    def send(self, status, body, extra=""):
        self.wfile.write(("HTTP/1.1 %d X\r\nContent-Length: %d\r\n%s\r\n"
                          % (status, len(body), extra)).encode() + body)

    def answer(self, method, target, headers, raw, body):
        if target.startswith("/api/slow"):
            time.sleep(3)
            return False
        if target.startswith("/api/chunked"):
            self.wfile.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
                             b"\r\nX-Up: yes\r\n\r\n")
            for i in range(5):
                part = b"part%d;" % i
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
            return True
        if target.startswith("/api/close"):
            self.wfile.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"
                             b"until-close")
            return False
        info = {"server": self.server.name, "method": method,
                "target": target, "headers": headers, "names": raw,
                "length": len(body),
                "sha": hashlib.sha256(body).hexdigest()}
        self.send(200, json.dumps(info).encode(),
                  "Content-Type: application/json\r\nConnection: keep-alive\r\n")
        return True


class WebdProxyTest(triadtest.TestCase):

    @classmethod
    def setUpClass(cls):
        assert os.access(WEBD, os.X_OK), WEBD + " is not built"
        cls.dir = triadtest.tempdir("webd-proxy")
        os.makedirs(os.path.join(cls.dir, "www"))
        (cls.port, cls.status, up1, up2, cls.dead, port2,
         status2, cls.slow) = triadtest.free_ports(8)
        cls.up = [Upstream(up1, "app1"), Upstream(up2, "app2")]
        cls.slow_up = Upstream(cls.slow, "slow")
        mime = os.path.join(triadtest.source_dir(), "etc", "mime.types")
        cls.d = cls.start(cls.port, cls.status, up1, up2, mime,
                          "[127.0.0.1/32]", "trusted")
        cls.d2 = cls.start(port2, status2, up1, up2, mime, "[]",
                           "untrusted")
        cls.base = "http://127.0.0.1:%d" % cls.port
        cls.base2 = "http://127.0.0.1:%d" % port2

    @classmethod
    def start(cls, port, status, up1, up2, mime, trusted, name):
        conf = os.path.join(cls.dir, name + ".yaml")
        with open(conf, "w") as f:
            f.write(TOPOLOGY.format(port=port, status=status, up1=up1,
                                    up2=up2, dead=cls.dead, mime=mime,
                                    slow=cls.slow, name=name,
                                    trusted=trusted))
        return triadtest.Daemon(
            [WEBD, "-f", "-c", conf, "--host", "h1"], name="webd-" + name,
            health_url="http://127.0.0.1:%d/health" % status).start()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.d.stop_clean()
        finally:
            try:
                cls.d2.stop_clean()
            finally:
                for u in cls.up + [cls.slow_up]:
                    u.kill()

    def test_forwarded_headers(self):
        r = http.get(self.base + "/api/echo?x=1", headers={
            "Connection": "keep-alive, X-Hop", "X-Hop": "secret",
            "X-Forwarded-For": "203.0.113.9", "Host": "www.foobar.com"})
        self.assertEqual(r.status, 200)
        info = r.json()
        h = info["headers"]
        self.assertEqual(info["target"], "/api/echo?x=1")
        self.assertEqual(h["host"], "www.foobar.com")
        self.assertEqual(h["x-forwarded-for"], "203.0.113.9, 127.0.0.1")
        self.assertEqual(h["x-real-ip"], "203.0.113.9")
        self.assertEqual(h["x-forwarded-proto"], "http")
        self.assertNotIn("x-hop", h)
        self.assertNotIn("connection", h)
        # An untrusted peer's own X-Forwarded-For is not believed.
        r = http.get(self.base2 + "/api/echo", headers={
            "X-Forwarded-For": "203.0.113.9", "X-Real-IP": "1.1.1.1"})
        h = r.json()["headers"]
        self.assertEqual(h["x-forwarded-for"], "127.0.0.1")
        self.assertEqual(h["x-real-ip"], "127.0.0.1")

    def test_request_bodies(self):
        body = os.urandom(1500 * 1024)
        r = http.post(self.base + "/api/upload", body=body, timeout=20)
        info = r.json()
        self.assertEqual((info["length"], info["sha"]),
                         (len(body), hashlib.sha256(body).hexdigest()))
        out = subprocess.run(
            ["curl", "-sS", "--max-time", "20", "-H",
             "Transfer-Encoding: chunked", "--data-binary", "@-",
             self.base + "/api/chunky"], input=body[:300000],
            capture_output=True, timeout=30)
        info = json.loads(out.stdout)
        self.assertEqual(info["length"], 300000)
        self.assertEqual(info["headers"].get("transfer-encoding"), "chunked")
        # Past client_max_body_size: 413 from the head alone, and closed.
        res = http.raw_exchange("127.0.0.1", self.port,
                                b"POST /api/big HTTP/1.1\r\nHost: x\r\n"
                                b"Content-Length: 3145728\r\n\r\n")
        self.assertEqual(res.status(), 413)
        self.assertTrue(res.closed)
        # A chunked body that grows past it mid-stream: 413 as well.
        chunk = b"x" * 65536
        res = http.raw_exchange("127.0.0.1", self.port,
                                b"POST /api/big HTTP/1.1\r\nHost: x\r\n"
                                b"Transfer-Encoding: chunked\r\n\r\n" +
                                (b"10000\r\n" + chunk + b"\r\n") * 40,
                                timeout=10)
        self.assertIn(res.status(), (413, None))
        self.assertTrue(res.closed or res.reset)

    def test_expect_continue(self):
        out = subprocess.run(
            ["curl", "-sS", "--max-time", "10", "-H",
             "Expect: 100-continue", "--data-binary", "@-",
             self.base + "/api/expect"], input=b"y" * 5000,
            capture_output=True, timeout=30)
        self.assertEqual(json.loads(out.stdout)["length"], 5000)

    def test_chunked_response(self):
        r = http.get(self.base + "/api/chunked")
        self.assertEqual(r.body, b"part0;part1;part2;part3;part4;")
        self.assertEqual(r.header("x-up"), "yes")
        res = http.raw_exchange("127.0.0.1", self.port,
                                b"GET /api/chunked HTTP/1.0\r\n\r\n")
        self.assertTrue(res.closed)
        head, _, body = res.data.partition(b"\r\n\r\n")
        self.assertNotIn(b"chunked", head)
        self.assertEqual(body, b"part0;part1;part2;part3;part4;")
        r = http.get(self.base + "/api/close")
        self.assertEqual(r.body, b"until-close")

    def test_errors_do_not_hang(self):
        t0 = time.monotonic()
        r = http.get(self.base + "/dead/x", timeout=10)
        self.assertEqual(r.status, 502)
        self.assertLess(time.monotonic() - t0, 5)
        t0 = time.monotonic()
        r = http.get(self.base + "/api/slow", timeout=10)
        self.assertEqual(r.status, 504)
        self.assertLess(time.monotonic() - t0, 5)

    def test_keepalive_reuse_and_balance(self):
        before = [len(u.peers) for u in self.up]
        reqs = [u.requests for u in self.up]
        s = socket.create_connection(("127.0.0.1", self.port), 5)
        names = []
        f = s.makefile("rb")
        for _ in range(20):
            s.sendall(b"GET /api/echo HTTP/1.1\r\nHost: x\r\n\r\n")
            status, _, body = http.read_response(f)
            names.append(json.loads(body)["server"])
            self.assertEqual(status, 200)
        s.close()
        self.assertEqual(set(names), {"app1", "app2"})
        new = sum(len(u.peers) for u in self.up) - sum(before)
        served = sum(u.requests for u in self.up) - sum(reqs)
        self.assertEqual(served, 20)
        self.assertLessEqual(new, 4)    # a pool per worker and server

    def test_access_log_upstream_time(self):
        http.get(self.base + "/api/logged")
        log = os.path.join(self.dir, "trusted-access.log")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if os.path.exists(log) and b"/api/logged" in open(log, "rb").read():
                break
            time.sleep(0.1)
        line = [l for l in open(log).read().splitlines()
                if "/api/logged" in l][-1]
        self.assertRegex(line, r'" 200 \d+ "-" "[^"]*" rt=\d+\.\d{3} '
                         r'ut=\d+\.\d{3} tc=--$')

    def test_dead_server_is_skipped(self):
        port = self.up[1].server_address[1]
        self.up[1].kill()
        try:
            for _ in range(10):
                r = http.get(self.base + "/api/echo", timeout=10)
                self.assertEqual(r.status, 200)
                self.assertEqual(r.json()["server"], "app1")
        finally:
            self.up[1] = Upstream(port, "app2")
            time.sleep(1.2)     # past upstream_fail_timeout
        m = http.get("http://127.0.0.1:%d/metrics" % self.status).text()
        self.assertRegex(m, r"triad_webd_upstream_errors_total [1-9]")
        self.assertRegex(m, r'triad_webd_upstream_server_errors_total\{'
                         r'route="/api/",server="app2"\} [1-9]')


if __name__ == "__main__":
    triadtest.main()
