"""lbd terminating HTTPS: SNI picks the certificate, TLS 1.0 and 1.1 are
refused, ALPN says http/1.1, plain HTTP is redirected, HTTPS answers carry
HSTS and the servers learn the request came over https. Driven by curl
and openssl s_client; certificates are made by the openssl CLI."""

import json
import os
import signal
import socket
import ssl
import subprocess
import time

import triadtest
from triadtest import http
from triadtest.upstream import HttpServer, stop_then_kill

LBD = triadtest.build_path("lbd", "lbd")

# lbd in front of one test server (s1), over HTTP and HTTPS; each class
# adds its own settings.
LBD_HEAD = triadtest.lbd_keys() + """\
  tls_listen: {tport}
"""

TOPOLOGY = LBD_HEAD + """\
  redirect_https: true
  hsts: 365d
  certificates:
    - {{ cert: a.pem, key: a.key }}
    - {{ cert: b.pem, key: b.key }}
"""


def make_cert(folder, name, cn):
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
         "-subj", "/CN=" + cn, "-addext", "subjectAltName=DNS:" + cn,
         "-keyout", os.path.join(folder, name + ".key"),
         "-out", os.path.join(folder, name + ".pem")],
        check=True, capture_output=True, timeout=30)


class LbdTlsTest(triadtest.TestCase):

    @classmethod
    def setUpClass(cls):
        assert os.access(LBD, os.X_OK), LBD + " is not built"
        cls.dir = triadtest.tempdir("lbd-tls")
        make_cert(cls.dir, "a", "a.test")
        make_cert(cls.dir, "b", "b.test")
        cls.port, cls.tport, cls.status, p1 = triadtest.free_ports(4)
        cls.echo = HttpServer(p1, "s1", answer=lambda srv, req: (
            200, json.dumps(req.headers).encode()))
        conf = triadtest.write_conf(cls.dir, triadtest.one_host(
            [("s1", p1)], TOPOLOGY.format(port=cls.port, tport=cls.tport,
                                          status=cls.status)))
        cls.d = triadtest.triad_daemon("lbd", conf, cls.status).start()

    @classmethod
    def tearDownClass(cls):
        stop_then_kill(cls.d, [cls.echo])

    def curl(self, *args):
        return subprocess.run(["curl", "-sS", "--max-time", "10"] +
                              list(args), capture_output=True, timeout=30)

    def s_client(self, *args, brief=True):
        return subprocess.run(
            ["openssl", "s_client", "-connect", "127.0.0.1:%d" % self.tport]
            + (["-brief"] if brief else []) + list(args), input=b"",
            capture_output=True, timeout=30)

    def test_sni_picks_the_certificate(self):
        for name in ("a.test", "b.test"):
            out = self.curl("--cacert", os.path.join(self.dir, name[0] +
                                                    ".pem"),
                            "--resolve", "%s:%d:127.0.0.1" % (name,
                                                             self.tport),
                            "https://%s:%d/x" % (name, self.tport))
            self.assertEqual(out.returncode, 0, out.stderr)
            headers = json.loads(out.stdout)
            self.assertEqual(headers["x-forwarded-proto"], "https")
            self.assertIn("proto=https", headers["forwarded"])
        # No SNI: the first certificate is the default.
        out = self.s_client()
        self.assertIn(b"CN = a.test", out.stdout + out.stderr)

    def test_old_protocols_refused_and_alpn(self):
        for flag in ("-tls1", "-tls1_1"):
            out = self.s_client(flag)
            self.assertNotEqual(out.returncode, 0, flag)
        out = self.s_client("-tls1_2", "-alpn", "h2,http/1.1", brief=False)
        text = (out.stdout + out.stderr).decode()
        self.assertIn("Protocol  : TLSv1.2", text)
        self.assertIn("ALPN protocol: http/1.1", text)
        out = self.s_client("-tls1_3", brief=False)
        self.assertIn("TLSv1.3", (out.stdout + out.stderr).decode())

    def test_redirect_and_hsts(self):
        r = http.get("http://127.0.0.1:%d/p?q=1" % self.port,
                     headers={"Host": "www.foobar.com:%d" % self.port})
        self.assertEqual(r.status, 301)
        self.assertEqual(r.header("location"),
                         "https://www.foobar.com:%d/p?q=1" % self.tport)
        out = self.curl("-k", "-D", "-", "-o", "/dev/null",
                        "https://127.0.0.1:%d/" % self.tport)
        self.assertIn(b"strict-transport-security: max-age=31536000",
                      out.stdout.lower())


class LbdTlsResumeTest(triadtest.TestCase):
    """Session resumption: tickets from a rotating key ring (one new key a
    second here), kept over a reload, refused once their key is three
    periods old; with tickets off, the session cache still resumes."""

    def start(self, rotation):
        self.dir = triadtest.tempdir("lbd-tls-resume")
        make_cert(self.dir, "a", "a.test")
        make_cert(self.dir, "b", "b.test")
        self.port, self.tport, status, p1 = triadtest.free_ports(4)
        echo = HttpServer(p1, "s1")
        self.addCleanup(echo.kill)
        conf = os.path.join(self.dir, "triad.yaml")
        with open(conf, "w") as f:
            f.write(triadtest.one_host([("s1", p1)], TOPOLOGY.format(
                port=self.port, tport=self.tport, status=status) +
                "  tls_ticket_rotation: %s\n" % rotation))
        self.d = triadtest.triad_daemon("lbd", conf, status).start()
        self.addCleanup(lambda: self.assertEqual(self.d.stop(), 0))

    def get(self, session=None, version=ssl.TLSVersion.TLSv1_3):
        """One HTTPS request; returns (reused, session, ticket given)."""
        # Python resumes a session only in the context that made it.
        if not hasattr(self, "ctxs"):
            self.ctxs = {}
        ctx = self.ctxs.get(version)
        if ctx is None:
            ctx = self.ctxs[version] = ssl.SSLContext(
                ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            ctx.minimum_version = ctx.maximum_version = version
        with socket.create_connection(("127.0.0.1", self.tport), 5) as raw:
            with ctx.wrap_socket(raw, server_hostname="a.test",
                                 session=session) as s:
                s.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n"
                          b"Connection: close\r\n\r\n")
                data = b""
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                self.assertTrue(data.startswith(b"HTTP/1.1 200"), data)
                return (s.session_reused, s.session,
                        s.session.has_ticket)

    def test_tickets_resume_rotate_and_expire(self):
        self.start("1s")
        for version in (ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_2):
            reused, sess, ticket = self.get(version=version)
            self.assertFalse(reused)
            self.assertTrue(ticket, version)
            reused, _, _ = self.get(sess, version)
            self.assertTrue(reused, version)
        # A reload makes a new TLS context; the key ring is the process's.
        reused, sess, _ = self.get()
        mark = self.d.log_mark()
        self.d.signal(signal.SIGHUP)
        self.d.wait_log("generation 2 in service", since=mark)
        self.assertTrue(self.get(sess)[0])
        # The key that made sess is dropped after three periods.
        reused, sess, _ = self.get()
        time.sleep(3.3)
        reused, fresh, _ = self.get(sess)
        self.assertFalse(reused)
        self.assertTrue(self.get(fresh)[0])

    def test_tickets_off_cache_still_resumes(self):
        self.start("0")
        out = subprocess.run(
            ["openssl", "s_client", "-connect", "127.0.0.1:%d" % self.tport,
             "-tls1_2", "-sess_out", os.path.join(self.dir, "sess")],
            input=b"", capture_output=True, timeout=30)
        self.assertNotIn(b"TLS session ticket:", out.stdout)
        reused, sess, ticket = self.get(version=ssl.TLSVersion.TLSv1_2)
        self.assertFalse(ticket)
        self.assertTrue(self.get(sess, ssl.TLSVersion.TLSv1_2)[0])


SLOW_TOPOLOGY = LBD_HEAD + """\
  client_timeout: 1s
  server_timeout: 10s
  max_body_size: 6m
  certificates:
    - {{ cert: a.pem, key: a.key }}
"""


class LbdTlsSlowServerTest(triadtest.TestCase):
    """client_timeout bounds the client's slowness, not the server's: an
    HTTPS answer that the server takes longer than client_timeout to make
    (within server_timeout) still reaches the client, as over HTTP; a
    client that does not read its answer is cut off, and big answers go
    whole, over HTTP and HTTPS."""

    DELAY = 2.5

    @classmethod
    def setUpClass(cls):
        cls.dir = triadtest.tempdir("lbd-tls-slow")
        make_cert(cls.dir, "a", "a.test")
        cls.port, cls.tport, cls.status, p1 = triadtest.free_ports(4)

        def answer(srv, req):
            if " /slow" in req.line:
                time.sleep(cls.DELAY)
            if " /huge" in req.line:
                return 200, b"z" * (32 << 20)
            if " /bigchunked" in req.line:
                return 200, b"y" * (8 << 20), "chunked"
            if " /big" in req.line:
                return 200, b"x" * (8 << 20)
            return 200, b"done"
        def early(srv, req):
            if " /refuse" in req.line:
                return 413, b"too big for me"
            return None
        cls.origin = HttpServer(p1, "s1", answer=answer, early=early)
        conf = triadtest.write_conf(cls.dir, triadtest.one_host(
            [("s1", p1)], SLOW_TOPOLOGY.format(port=cls.port, tport=cls.tport,
                                               status=cls.status)))
        # Under ASan freed memory waits in a quarantine, which would count
        # in the resident size the stalled-client test bounds.
        cls.d = triadtest.triad_daemon(
            "lbd", conf, cls.status,
            env=triadtest.asan_env("quarantine_size_mb=0")).start()

    @classmethod
    def tearDownClass(cls):
        stop_then_kill(cls.d, [cls.origin])

    def both(self):
        """(scheme, port, sock_factory) for lbd's HTTP and HTTPS ports."""
        ctx = ssl.create_default_context(cafile=os.path.join(self.dir,
                                                             "a.pem"))

        def tls(host, port, timeout):
            sock = socket.create_connection((host, port), timeout=timeout)
            return ctx.wrap_socket(sock, server_hostname="a.test")
        return (("http", self.port, None), ("https", self.tport, tls))

    def test_slow_answer_reaches_the_client(self):
        for scheme, port, factory in self.both():
            # A first answer, so the connection has written before the
            # slow one (the timer of the last write must not cut it).
            for path in ("/fast", "/slow"):
                t0 = time.monotonic()
                r = http.get("http://127.0.0.1:%d%s" % (port, path),
                             timeout=10, sock_factory=factory)
                self.assertEqual((r.status, r.body), (200, b"done"),
                                 (scheme, path))
            self.assertGreaterEqual(time.monotonic() - t0, self.DELAY - 0.1)

    def test_client_stalled_mid_body_gets_408(self):
        """A body that stops coming is the client's timeout (408 after
        client_timeout), not the server's (504 after
        server_timeout); a body that trickles within it goes through."""
        for scheme, port, factory in self.both():
            # Within 5 s: client_timeout is 1 s, server_timeout 10 s.
            http.check_stalled_body(self, "127.0.0.1", port, "/stall",
                                    deadline=5, host_header="a.test",
                                    sock_factory=factory)
            # Trickling: 10 bytes every 0.4s, each within client_timeout.
            sock = http.connect("127.0.0.1", port, 8, sock_factory=factory)
            sock.sendall(b"POST /trickle HTTP/1.1\r\nHost: a.test\r\n"
                         b"Content-Length: 50\r\n\r\n")
            for _ in range(5):
                time.sleep(0.4)
                sock.sendall(b"0123456789")
            got = sock.recv(4096)
            sock.close()
            self.assertTrue(got.startswith(b"HTTP/1.1 200 "),
                            (scheme, got[:60]))
        self.d.wait_log(r"sent nothing of its body for 1000 ms", timeout=5)
        bodies = [len(r.body) for r in self.origin.requests
                  if r.line.startswith("POST /trickle")]
        self.assertEqual(bodies, [50, 50])

    def test_early_answers_are_heard(self):
        """An answer before the body is read reaches the client, over
        HTTP and HTTPS, every time: a server's 413 sent before it reads
        and closes (a reset, which used to fail lbd's write: 502), and
        lbd's own 413 past max_body_size (its close with the body unread
        reset the client before it read the answer; lbd now lingers)."""
        got = {}
        for url, size in (("http://a.test:%d/refuse" % self.port, 4),
                          ("https://a.test:%d/refuse" % self.tport, 4),
                          ("http://a.test:%d/limit" % self.port, 8),
                          ("https://a.test:%d/limit" % self.tport, 8)):
            body = b"x" * (size << 20)
            for _ in range(5):
                out = subprocess.run(
                    ["curl", "-sS", "--max-time", "10", "--cacert",
                     os.path.join(self.dir, "a.pem"), "--resolve",
                     "a.test:%d:127.0.0.1" % self.tport, "--resolve",
                     "a.test:%d:127.0.0.1" % self.port, "-H", "Expect:",
                     "--data-binary", "@-", "-w", " %{http_code}", url],
                    input=body, capture_output=True, timeout=30)
                k = out.stdout.decode(errors="replace")[-3:]
                k += " " + url.split("/")[-1]
                got[k] = got.get(k, 0) + 1
        self.assertEqual(got, {"413 refuse": 10, "413 limit": 10})

    def test_big_answer_whole_with_and_without_keepalive(self):
        """8 MiB answers (a server's body has no size limit), with a
        length or chunked, over HTTP and through the TLS filter's
        back-pressure; a closing connection sends all before it goes."""
        urls = ["http://a.test:%d/big" % self.port,
                "http://a.test:%d/bigchunked" % self.port,
                "https://a.test:%d/big" % self.tport,
                "https://a.test:%d/bigchunked" % self.tport]
        for url in urls:
            for extra in ([], ["-H", "Connection: close"],
                          ["--limit-rate", "8M"]):
                out = subprocess.run(
                    ["curl", "-sS", "--max-time", "20", "--cacert",
                     os.path.join(self.dir, "a.pem"), "--resolve",
                     "a.test:%d:127.0.0.1" % self.tport, "--resolve",
                     "a.test:%d:127.0.0.1" % self.port, "-o", "-", "-w",
                     "\n%{http_code}"] + extra + [url],
                    capture_output=True, timeout=30)
                self.assertEqual(out.returncode, 0, (url, extra,
                                                     out.stderr))
                body, code = out.stdout.rsplit(b"\n", 1)
                self.assertEqual((code, len(body)), (b"200", 8 << 20),
                                 (url, extra))
                self.assertEqual(body.count(body[:1]), 8 << 20)

    def test_client_that_does_not_read_is_cut_off(self):
        """A client that stops reading is let go after client_timeout,
        and meanwhile lbd holds a bounded part of the answer, not all."""
        def rss_kib():
            with open("/proc/%d/status" % self.d.popen.pid) as f:
                return int([x for x in f if x.startswith("VmRSS")][0]
                           .split()[1])

        def active():
            return http.metric(self.status, "triad_lbd_connections_active")
        ctx = ssl.create_default_context(cafile=os.path.join(self.dir,
                                                             "a.pem"))
        before = rss_kib()
        raw = socket.create_connection(("127.0.0.1", self.tport), timeout=10)
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        tls = ctx.wrap_socket(raw, server_hostname="a.test")
        try:
            tls.sendall(b"GET /huge HTTP/1.1\r\nHost: a.test\r\n\r\n")
            triadtest.proc.poll_until(lambda: active() >= 1, 5,
                                      "the connection is counted")
            # The kernel's buffers fill, nothing moves for 1s: closed.
            peak = [0]

            def gone():
                peak[0] = max(peak[0], rss_kib())
                return active() == 0
            triadtest.proc.poll_until(gone, 10,
                                      "lbd lets the stalled client go")
            # Of 32 MiB, the kernel took a few; lbd held no more than a
            # few hundred KiB at a time (back-pressure on the server).
            self.assertLess(peak[0] - before, 4096)
        finally:
            tls.close()

if __name__ == "__main__":
    triadtest.main()
