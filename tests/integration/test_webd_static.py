"""webd serving static files, driven by curl and raw sockets.

A temporary document root holds small and large files, a sparse 1 GB
file, precompressed variants, a directory with an index and one without,
a dotfile, a custom 404 page, and a secret file outside the root with a
symlink to it. Every traversal vector must come back without the secret.
"""

from http import client as http_client
import gzip
import json
import os
import re
import socket
import subprocess
import time

import triadtest
from triadtest import http

WEBD = triadtest.build_path("webd", "webd")
SECRET = b"TOP-SECRET-OUTSIDE-ROOT"

TOPOLOGY = triadtest.one_daemon("webd", workers=2) + """\
  access_log: access.log
  root: www
  mime_types: {mime}
  autoindex: {autoindex}
  header_timeout: 1s
  keepalive_timeout: 5s
  error_pages: [ {{ status: 404, path: /errors/404.html }} ]
  locations: [ {{ prefix: /assets/, cache_control: "public, max-age=3600", expires: 1h }} ]
  max_ranges: 4
"""


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


class WebdStaticTest(triadtest.TestCase):

    @classmethod
    def setUpClass(cls):
        assert os.access(WEBD, os.X_OK), WEBD + " is not built"
        cls.dir = triadtest.tempdir("webd-static")
        www = os.path.join(cls.dir, "www")
        cls.www = www
        write(os.path.join(cls.dir, "secret.txt"), SECRET)
        write(os.path.join(www, "index.html"), b"<h1>home</h1>\n")
        cls.small = bytes(range(256)) * 4
        write(os.path.join(www, "small.bin"), cls.small)
        cls.big = os.urandom(300 * 1024)
        write(os.path.join(www, "big.bin"), cls.big)
        write(os.path.join(www, "app.js"), b"console.log(1);\n" * 100)
        write(os.path.join(www, "app.js.gz"), gzip.compress(
            b"console.log(1);\n" * 100))
        write(os.path.join(www, "assets", "a.css"), b"body{}\n")
        write(os.path.join(www, "docs", "index.html"), b"docs\n")
        write(os.path.join(www, "list", "b.txt"), b"b\n")
        write(os.path.join(www, "list", "a <&>.txt"), b"a\n")
        write(os.path.join(www, "list", ".hidden"), b"h\n")
        write(os.path.join(www, ".env"), b"PASSWORD=x\n")
        write(os.path.join(www, "errors", "404.html"), b"custom 404\n")
        os.symlink(os.path.join(cls.dir, "secret.txt"),
                   os.path.join(www, "escape.txt"))
        os.symlink("index.html", os.path.join(www, "inside.html"))
        os.mkfifo(os.path.join(www, "fifo"))
        with open(os.path.join(www, "sparse.bin"), "wb") as f:
            f.truncate(1 << 30)
        cls.port, cls.status = triadtest.free_ports(2)
        cls.conf = triadtest.write_conf(cls.dir, TOPOLOGY.format(
            port=cls.port, status=cls.status, autoindex="true",
            mime=triadtest.source_path("etc", "mime.types")))
        cls.d = triadtest.triad_daemon("webd", cls.conf, cls.status).start()
        cls.base = "http://127.0.0.1:%d" % cls.port

    @classmethod
    def tearDownClass(cls):
        cls.d.stop_clean()

    def get(self, path, **kw):
        return http.get(self.base + path, **kw)

    def raw(self, data, timeout=5.0):
        return http.raw_exchange("127.0.0.1", self.port, data,
                                 timeout=timeout)

    def curl(self, *args):
        out = subprocess.run(["curl", "-sS", "--max-time", "30"] +
                             list(args), capture_output=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        return out.stdout

    def test_get_head_and_types(self):
        r = self.get("/small.bin")
        self.assertEqual((r.status, r.body), (200, self.small))
        self.assertEqual(r.header("content-type"), "application/octet-stream")
        self.assertEqual(r.header("accept-ranges"), "bytes")
        self.assertTrue(r.header("etag").startswith('"'))
        self.assertIsNotNone(r.header("last-modified"))
        self.assertIsNotNone(r.header("date"))
        r = self.get("/big.bin")
        self.assertEqual(r.body, self.big)
        r = http.request("HEAD", self.base + "/big.bin")
        self.assertEqual((r.status, r.body), (200, b""))
        self.assertEqual(r.header("content-length"), str(len(self.big)))
        r = self.get("/")
        self.assertEqual((r.status, r.body), (200, b"<h1>home</h1>\n"))
        self.assertIn("text/html", r.header("content-type"))
        r = self.get("/inside.html")
        self.assertEqual(r.body, b"<h1>home</h1>\n")

    def test_methods(self):
        r = http.request("POST", self.base + "/small.bin", body=b"x")
        self.assertEqual(r.status, 405)
        self.assertEqual(r.header("allow"), "GET, HEAD")
        r = http.request("DELETE", self.base + "/small.bin")
        self.assertEqual(r.status, 405)

    def test_not_found_and_error_page(self):
        r = self.get("/nope.html")
        self.assertEqual((r.status, r.body), (404, b"custom 404\n"))
        self.assertEqual(self.get("/.env").status, 404)
        self.assertEqual(self.get("/fifo").status, 404)
        r = self.get("/escape.txt")
        self.assertEqual(r.status, 403)
        self.assertNotIn(SECRET, r.body)

    def test_traversal_vectors(self):
        vectors = [
            "/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E%2Fsecret.txt",
            "/..%2fsecret.txt", "/%252e%252e/secret.txt",
            "/docs/../../secret.txt", "/docs/%2e%2e/%2e%2e/secret.txt",
            "/%c0%ae%c0%ae/secret.txt", "/%e0%80%ae%e0%80%ae/secret.txt",
            "/..%5csecret.txt", "/%5c..%5csecret.txt", "/escape.txt",
            "/./../secret.txt", "/docs/./../../secret.txt",
            "/%00/../secret.txt", "/index.html%00", "//../secret.txt",
            "/.%2e/secret.txt", "/%2e./secret.txt", "/..;/secret.txt",
            "/docs/..%00/secret.txt", "/%ed%a0%80/../secret.txt",
            "/.../secret.txt", "/%2f%2e%2e%2fsecret.txt",
            "/docs/..././secret.txt",
        ]
        self.assertGreaterEqual(len(vectors), 25)
        for v in vectors:
            res = self.raw(("GET %s HTTP/1.1\r\nHost: x\r\n"
                            "Connection: close\r\n\r\n" % v).encode())
            self.assertNotIn(SECRET, res.data, v)
            self.assertIn(res.status(), (400, 403, 404), v)

    def test_directories(self):
        r = self.get("/docs")
        self.assertEqual(r.status, 301)
        self.assertEqual(r.header("location"), "/docs/")
        r = self.get("/docs?x=1")
        self.assertEqual(r.header("location"), "/docs/?x=1")
        self.assertEqual(self.get("/docs/").body, b"docs\n")
        r = self.get("/list/")
        self.assertEqual(r.status, 200)
        self.assertIn(b"a%20%3C%26%3E.txt", r.body)
        self.assertIn(b"a &lt;&amp;&gt;.txt", r.body)
        self.assertNotIn(b".hidden", r.body)
        r = self.get("/list/", headers={"Accept": "application/json"})
        names = [e["name"] for e in r.json()]
        self.assertEqual(names, ["a <&>.txt", "b.txt"])

    def test_conditionals(self):
        r = self.get("/small.bin")
        etag, lm = r.header("etag"), r.header("last-modified")
        r = self.get("/small.bin", headers={"If-None-Match": etag})
        self.assertEqual((r.status, r.body), (304, b""))
        self.assertEqual(r.header("etag"), etag)
        r = self.get("/small.bin", headers={"If-Modified-Since": lm})
        self.assertEqual(r.status, 304)
        r = self.get("/small.bin", headers={"If-Match": '"nope"'})
        self.assertEqual(r.status, 412)
        r = self.get("/small.bin", headers={
            "If-Unmodified-Since": "Sat, 01 Jan 2000 00:00:00 GMT"})
        self.assertEqual(r.status, 412)
        r = self.get("/small.bin", headers={"If-None-Match": '"other"'})
        self.assertEqual(r.status, 200)

    def test_ranges(self):
        r = self.get("/big.bin", headers={"Range": "bytes=10-19"})
        self.assertEqual((r.status, r.body), (206, self.big[10:20]))
        self.assertEqual(r.header("content-range"),
                         "bytes 10-19/%d" % len(self.big))
        r = self.get("/big.bin", headers={"Range": "bytes=-5"})
        self.assertEqual(r.body, self.big[-5:])
        r = self.get("/big.bin", headers={"Range": "bytes=0-1,100-101"})
        self.assertEqual(r.status, 206)
        ctype = r.header("content-type")
        self.assertTrue(ctype.startswith("multipart/byteranges; boundary="))
        boundary = ctype.split("boundary=")[1].encode()
        self.assertEqual(int(r.header("content-length")), len(r.body))
        parts = r.body.split(b"--" + boundary)
        self.assertIn(self.big[0:2], parts[1])
        self.assertIn(self.big[100:102], parts[2])
        r = self.get("/big.bin", headers={"Range": "bytes=999999999-"})
        self.assertEqual(r.status, 416)
        self.assertEqual(r.header("content-range"),
                         "bytes */%d" % len(self.big))
        r = self.get("/big.bin", headers={"Range": "lines=1-2"})
        self.assertEqual(r.status, 200)
        etag = self.get("/big.bin").header("etag")
        r = self.get("/big.bin", headers={"Range": "bytes=0-0",
                                          "If-Range": etag})
        self.assertEqual(r.status, 206)
        r = self.get("/big.bin", headers={"Range": "bytes=0-0",
                                          "If-Range": '"stale"'})
        self.assertEqual(r.status, 200)

    def test_precompressed(self):
        r = self.get("/app.js", headers={"Accept-Encoding": "gzip, br"})
        self.assertEqual(r.header("content-encoding"), "gzip")
        self.assertEqual(r.header("vary"), "Accept-Encoding")
        self.assertIn("javascript", r.header("content-type"))
        self.assertEqual(gzip.decompress(r.body), b"console.log(1);\n" * 100)
        r = self.get("/app.js", headers={"Accept-Encoding": "gzip;q=0"})
        self.assertIsNone(r.header("content-encoding"))
        self.assertEqual(r.body, b"console.log(1);\n" * 100)

    def test_location_headers(self):
        r = self.get("/assets/a.css")
        self.assertEqual(r.header("cache-control"), "public, max-age=3600")
        self.assertIsNotNone(r.header("expires"))
        self.assertIn("text/css", r.header("content-type"))

    def test_sparse_1gb(self):
        out = self.curl("-o", "/dev/null", "-w", "%{http_code} "
                        "%{size_download}", self.base + "/sparse.bin")
        self.assertEqual(out.decode(), "200 %d" % (1 << 30))

    def test_pipelining_and_keepalive(self):
        reqs = b"".join(b"GET /small.bin HTTP/1.1\r\nHost: x\r\n\r\n"
                        for _ in range(3))
        reqs += b"GET /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        res = self.raw(reqs)
        self.assertEqual(res.data.count(b"HTTP/1.1 200 OK"), 4)
        self.assertEqual(res.data.count(self.small), 3)
        self.assertTrue(res.data.endswith(b"<h1>home</h1>\n"))
        self.assertTrue(res.closed)
        # HTTP/1.0 closes unless asked.
        res = self.raw(b"GET /index.html HTTP/1.0\r\n\r\n")
        self.assertTrue(res.closed)
        self.assertIn(b"Connection: close", res.data)

    def test_hostile_requests(self):
        res = self.raw(b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                       b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        self.assertEqual(res.status(), 400)
        self.assertTrue(res.closed)
        res = self.raw(b"GET / HTTP/1.1\r\nHost: x\r\n bad: fold\r\n\r\n")
        self.assertEqual(res.status(), 400)
        res = self.raw(b"GET /" + b"a" * 40000 + b" HTTP/1.1\r\n\r\n")
        self.assertIn(res.status(), (414, 431))
        res = self.raw(b"GET / HTTP/1.1\r\nHost: x\r\n" +
                       b"X-A: b\r\n" * 200 + b"\r\n")
        self.assertEqual(res.status(), 431)
        res = self.raw(b"\x00\x01\x02garbage\r\n\r\n")
        self.assertEqual(res.status(), 400)
        # A body on a static GET is read and dropped; the next request
        # on the connection is answered.
        res = self.raw(b"GET /index.html HTTP/1.1\r\nHost: x\r\n"
                       b"Content-Length: 5\r\n\r\nhello"
                       b"GET /small.bin HTTP/1.1\r\nHost: x\r\n"
                       b"Connection: close\r\n\r\n")
        self.assertEqual(res.data.count(b"HTTP/1.1 200 OK"), 2)
        self.assertNotIn(b"HTTP/1.1 400", res.data)

    def test_split_head_is_acknowledged_at_once(self):
        # webd's listener delays ACKs so that the answer carries them. A
        # client whose Nagle holds the rest of its head until the first
        # part is acknowledged must not wait for the delayed-ACK timer
        # (40 ms or more): an incomplete head is acknowledged at once.
        # 20 ms leaves half of the timer to a loaded machine.
        secs = http.split_send_seconds(
            "127.0.0.1", self.port,
            [b"GET /small.bin HTTP/1.1\r\n",
             b"Host: x\r\nConnection: close\r\n\r\n"])
        self.assertLess(secs, 0.020)

    def test_keepalive_idle_timeout(self):
        # keepalive_timeout is 5s. A request 2 s after the first moves the
        # deadline later (the connection stays), and the connection is
        # closed about 5 s after the last answer: not at the first
        # deadline, not never.
        conn = http_client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            for pause in (0, 2):
                time.sleep(pause)
                conn.request("GET", "/small.bin")
                r = conn.getresponse()
                self.assertEqual((r.status, r.read()), (200, self.small))
            t0 = time.monotonic()
            conn.sock.settimeout(10)
            self.assertEqual(conn.sock.recv(1), b"")   # closed by webd
            idle = time.monotonic() - t0
            self.assertGreater(idle, 4.5)
            self.assertLess(idle, 6.5)
        finally:
            conn.close()

    def test_slowloris(self):
        s = socket.create_connection(("127.0.0.1", self.port), 5)
        s.sendall(b"GET / HTTP/1.1\r\n")
        t0 = time.monotonic()
        data = b""
        try:
            for _ in range(30):
                s.sendall(b"X-Slow: 1\r\n")
                time.sleep(0.1)
                s.settimeout(0.01)
                try:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                except socket.timeout:
                    pass
        except (BrokenPipeError, ConnectionResetError):
            pass
        s.settimeout(3)
        try:
            data += s.recv(4096)
        except OSError:
            pass
        s.close()
        self.assertIn(b"408", data)
        self.assertLess(time.monotonic() - t0, 3.0)

    def test_status_and_access_log(self):
        self.get("/small.bin", headers={"User-Agent": 'evil"agent'})
        m = http.get("http://127.0.0.1:%d/metrics" % self.status).text()
        self.assertRegex(m, r'triad_webd_requests_total\{class="2xx"\} [1-9]')
        self.assertIn("triad_webd_file_cache_hits_total", m)
        st = http.get("http://127.0.0.1:%d/status" % self.status).json()
        self.assertEqual(st["daemon"], "webd")
        log = os.path.join(self.dir, "access.log")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if os.path.exists(log) and b"evil" in open(log, "rb").read():
                break
            time.sleep(0.1)
        text = open(log, "rb").read().decode()
        line = [l for l in text.splitlines() if "evil" in l][-1]
        self.assertRegex(line, r'^127\.0\.0\.1:\d+ - - \[.+\] "GET '
                         r'/small.bin HTTP/1.1" 200 1024 "-" '
                         r'"evil\\x22agent" rt=\d+\.\d{3} ut=- tc=--$')


if __name__ == "__main__":
    triadtest.main()
