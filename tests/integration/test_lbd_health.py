"""lbd's active health checks against two small HTTP servers whose
/health answer the test flips: fall, rise, the log lines, /status, and a
dead server taken out before any client meets it."""

import os
import socketserver
import time

import triadtest
from triadtest import http
from triadtest.upstream import HttpServer, TestServer, stop_then_kill

LBD = triadtest.build_path("lbd", "lbd")

LBD_KEYS = triadtest.lbd_keys() + """\
  retries: 0
  health: {{ type: http, path: /health, interval: 100ms, timeout: 300ms,
            rise: 2, fall: 2 }}
"""


def health_answer(srv, req):
    """/health answers srv.health; anything else, the server's name."""
    if req.target.startswith("/health"):
        return srv.health, b"h"
    return 200, srv.name.encode()


def server(port, name):
    s = HttpServer(port, name, answer=health_answer)
    s.health = 200
    return s


class InterimHandler(socketserver.StreamRequestHandler):
    """Answers every request with 100 and 103 interim answers, then 200."""

    def handle(self):
        self.server.track(self.connection)
        try:
            while self.rfile.readline() not in (b"\r\n", b""):
                pass
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n"
                             b"HTTP/1.1 103 Early Hints\r\n"
                             b"Link: </s.css>; rel=preload\r\n\r\n"
                             b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n"
                             b"Connection: close\r\n\r\nh")
        except OSError:
            pass


class LbdHealthTest(triadtest.TestCase):

    def setUp(self):
        self.assertTrue(os.access(LBD, os.X_OK), LBD + " is not built")
        self.dir = triadtest.tempdir("lbd-health")
        self.port, self.status, p1, p2 = triadtest.free_ports(4)
        self.servers = [server(p1, "s1"), server(p2, "s2")]
        conf = triadtest.write_conf(self.dir, triadtest.one_host(
            [("s1", p1), ("s2", p2)],
            LBD_KEYS.format(port=self.port, status=self.status)))
        self.d = triadtest.triad_daemon("lbd", conf, self.status).start()

    def tearDown(self):
        stop_then_kill(self.d, self.servers)

    def who(self, n):
        return [http.get("http://127.0.0.1:%d/" % self.port).body.decode()
                for _ in range(n)]

    def check_of(self, name):
        st = http.get("http://127.0.0.1:%d/status" % self.status).json()
        return [s for s in st["servers"] if s["name"] == name][0]

    def test_fall_and_rise(self):
        self.assertEqual(sorted(set(self.who(4))), ["s1", "s2"])
        self.servers[1].health = 503
        self.d.wait_log(r"server s2 is DOWN: HTTP status 503 \(2/2 checks "
                        r"failed\)", timeout=5)
        self.assertEqual(set(self.who(6)), {"s1"})
        srv = self.check_of("s2")
        self.assertEqual(srv["state"], "check-down")
        self.assertEqual(srv["check"]["last"], "HTTP status 503")
        self.assertEqual((srv["check"]["fall"], srv["check"]["fall_needed"],
                          srv["check"]["rise"], srv["check"]["rise_needed"]),
                         (2, 2, 0, 2))
        self.servers[1].health = 200
        self.d.wait_log(r"server s2 is UP: HTTP status 200 \(2/2 checks "
                        r"passed\)", timeout=5)
        self.assertEqual(sorted(set(self.who(4))), ["s1", "s2"])

    def test_interim_answers_are_skipped(self):
        port = self.servers[1].server_address[1]
        self.servers[1].health = 503
        self.d.wait_log(r"server s2 is DOWN", timeout=5)
        self.servers[1].kill()
        self.servers[1] = TestServer(port, "s2", InterimHandler)
        self.d.wait_log(r"server s2 is UP: HTTP status 200 \(2/2 checks "
                        r"passed\)", timeout=5)

    def test_bad_check_request_is_refused(self):
        import subprocess
        conf = os.path.join(self.dir, "bad.yaml")
        text = open(os.path.join(self.dir, "triad.yaml")).read()
        with open(conf, "w") as f:
            f.write(text.replace("path: /health", 'path: "/a b"'))
        out = subprocess.run([LBD, "-t", "-c", conf, "--host", "h1"],
                             capture_output=True, text=True, timeout=10)
        self.assertEqual(out.returncode, 1)
        self.assertIn("health.path must start with / and hold visible",
                      out.stderr)

    def test_dead_server_taken_out_before_clients_see_it(self):
        self.servers[0].kill()
        self.d.wait_log(r"server s1 is DOWN: connect", timeout=5)
        # retries is 0: had s1 still been in, half of these would fail.
        self.assertEqual(set(self.who(6)), {"s2"})


if __name__ == "__main__":
    triadtest.main()
