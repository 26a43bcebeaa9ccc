"""webd's less common options: try_files (a single-page app), dotfiles,
symlinks allowed outside the root, .br variants, a Host-bound route, and
an upstream on a Unix socket."""

import os
import socket
import socketserver
import threading

import triadtest
from triadtest import http

WEBD = triadtest.build_path("webd", "webd")

TOPOLOGY = triadtest.one_daemon("webd") + """\
  root: www
  mime_types: {mime}
  try_files: ["$uri", "$uri/", "/app.html"]
  dotfiles: true
  symlinks_outside_root: true
  max_connections: {maxc}
  routes:
    - {{ prefix: /u/, to: "unix:{sock}", host: api.example }}
"""


class UnixUpstream(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        line = self.rfile.readline()
        while self.rfile.readline() not in (b"\r\n", b""):
            pass
        body = b"unix says " + line.split(b" ")[1]
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n"
                         b"Connection: close\r\n\r\n%s" % (len(body), body))


class WebdOptionsTest(triadtest.TestCase):

    @classmethod
    def setUpClass(cls):
        assert os.access(WEBD, os.X_OK), WEBD + " is not built"
        cls.dir = triadtest.tempdir("webd-options")
        www = os.path.join(cls.dir, "www")
        os.makedirs(www)
        for name, data in (("app.html", b"<app/>"), (".profile", b"dot"),
                           ("s.css", b"body{color:red}" * 10),
                           ("s.css.br", b"BROTLI-BYTES")):
            with open(os.path.join(www, name), "wb") as f:
                f.write(data)
        with open(os.path.join(cls.dir, "shared.txt"), "wb") as f:
            f.write(b"shared outside")
        os.symlink(os.path.join(cls.dir, "shared.txt"),
                   os.path.join(www, "shared.txt"))
        cls.sock = os.path.join(cls.dir, "up.sock")
        cls.up = UnixUpstream(cls.sock, Handler)
        threading.Thread(target=cls.up.serve_forever, daemon=True).start()
        cls.port, cls.status = triadtest.free_ports(2)
        cls.gen = 1
        cls.write_conf(2)
        cls.d = triadtest.triad_daemon("webd", cls.conf, cls.status).start()
        cls.base = "http://127.0.0.1:%d" % cls.port

    @classmethod
    def write_conf(cls, max_connections):
        cls.conf = triadtest.write_conf(cls.dir, TOPOLOGY.format(
            port=cls.port, status=cls.status, sock=cls.sock,
            maxc=max_connections,
            mime=triadtest.source_path("etc", "mime.types")))

    def reload(self, max_connections):
        """SIGHUP with another max_connections; waits for the new
        generation."""
        type(self).write_conf(max_connections)
        mark = self.d.log_mark()
        self.d.reload()
        type(self).gen += 1
        self.d.wait_log("generation %d in service" % self.gen, since=mark)

    @classmethod
    def tearDownClass(cls):
        try:
            cls.d.stop_clean()
        finally:
            cls.up.shutdown()
            cls.up.server_close()

    def test_single_page_fallback(self):
        r = http.get(self.base + "/some/client/route")
        self.assertEqual((r.status, r.body), (200, b"<app/>"))
        self.assertIn("text/html", r.header("content-type"))

    def test_dotfiles_and_outside_symlink(self):
        self.assertEqual(http.get(self.base + "/.profile").body, b"dot")
        self.assertEqual(http.get(self.base + "/shared.txt").body,
                         b"shared outside")
        # Still no way up through "..".
        res = http.raw_exchange("127.0.0.1", self.port,
                                b"GET /../shared.txt HTTP/1.1\r\nHost: x\r\n"
                                b"Connection: close\r\n\r\n")
        self.assertEqual(res.status(), 400)

    def test_brotli_variant(self):
        r = http.get(self.base + "/s.css", headers={
            "Accept-Encoding": "gzip, br"})
        self.assertEqual((r.header("content-encoding"), r.body),
                         ("br", b"BROTLI-BYTES"))
        self.assertEqual(r.header("vary"), "Accept-Encoding")
        r = http.get(self.base + "/s.css")
        self.assertEqual(r.body, b"body{color:red}" * 10)
        self.assertEqual(r.header("vary"), "Accept-Encoding")

    def test_max_connections(self):
        held = http.hold(self.port, 2)
        # Accepting is paused at the limit: no answer while both are open.
        extra = http.paused_request(self, self.port, path="/app.html")
        held[0].close()
        self.assertIn(b"200 OK", extra.recv(4096))
        extra.close()
        held[1].close()

    def test_max_connections_follows_a_reload(self):
        # Paused at 2, a reload to 3 resumes accepting at once (the
        # workers keep their sockets: same addresses).
        try:
            http.check_limit_raised(self, self.port, lambda: self.reload(3),
                                    path="/app.html")
        finally:
            self.reload(2)

    def test_host_route_to_unix_socket(self):
        r = http.get(self.base + "/u/x", headers={"Host": "api.example"})
        self.assertEqual(r.body, b"unix says /u/x")
        # Another Host: not the route; a static lookup (here, try_files).
        r = http.get(self.base + "/u/x", headers={"Host": "www.example"})
        self.assertEqual(r.body, b"<app/>")


if __name__ == "__main__":
    triadtest.main()
