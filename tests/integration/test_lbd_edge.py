"""lbd's front door: a deny list, the per-client rate limit (429 with
Retry-After) and the per-client connection limit, seen from clients on
two loopback addresses (127.0.0.1 and 127.0.0.2)."""

import os
import socket
import time

import triadtest
from triadtest import http
from triadtest.upstream import HttpServer, stop_then_kill

LBD = triadtest.build_path("lbd", "lbd")

LBD_KEYS = """\
  on: [ {{ host: h1, listen: "0.0.0.0:{port}" }} ]
  status: {status}
  workers: 2
  mode: http
  servers: webd
  deny: [127.0.0.3/32]
  rate_limit: 5
  rate_period: 10s
  max_conn_per_ip: 3
"""


def connect_from(source, port):
    s = socket.socket()
    s.settimeout(5)
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    return s


def get_from(source, port):
    """One request from a source address; b"" when lbd closed (or reset)
    the connection without an answer."""
    s = connect_from(source, port)
    data = b""
    try:
        s.sendall(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        while True:
            chunk = s.recv(4096)
            if not chunk:
                return data
            data += chunk
    except (ConnectionResetError, BrokenPipeError):
        return data
    finally:
        s.close()


class LbdEdgeTest(triadtest.TestCase):

    @classmethod
    def setUpClass(cls):
        assert os.access(LBD, os.X_OK), LBD + " is not built"
        cls.dir = triadtest.tempdir("lbd-edge")
        cls.port, cls.status, p1 = triadtest.free_ports(3)
        cls.up = HttpServer(p1, "s1", answer=lambda srv, req: (200, b"ok"))
        conf = triadtest.write_conf(cls.dir, triadtest.one_host(
            [("s1", p1)], LBD_KEYS.format(port=cls.port, status=cls.status)))
        cls.d = triadtest.triad_daemon("lbd", conf, cls.status).start()

    @classmethod
    def tearDownClass(cls):
        stop_then_kill(cls.d, [cls.up])

    def test_deny_list(self):
        self.assertEqual(get_from("127.0.0.3", self.port), b"")
        self.assertIn(b"200 OK", get_from("127.0.0.4", self.port))

    def test_rate_limit_429(self):
        answers = [get_from("127.0.0.5", self.port) for _ in range(7)]
        self.assertTrue(all(b"200 OK" in a for a in answers[:5]), answers)
        for a in answers[5:]:
            self.assertIn(b"429 Too Many Requests", a)
            self.assertRegex(a, rb"Retry-After: [12]\r\n")
        # Another client is not affected.
        self.assertIn(b"200 OK", get_from("127.0.0.6", self.port))
        m = http.get("http://127.0.0.1:%d/metrics" % self.status).text()
        self.assertRegex(m, r"triad_lbd_rate_limited_total [2-9]")

    def test_connection_limit(self):
        held = [connect_from("127.0.0.7", self.port) for _ in range(3)]
        time.sleep(0.2)
        extra = connect_from("127.0.0.7", self.port)
        try:        # closed at once: EOF, or a reset if our bytes landed
            extra.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            self.assertEqual(extra.recv(4096), b"")
        except ConnectionResetError:
            pass
        extra.close()
        for s in held:
            s.close()
        time.sleep(0.3)
        self.assertIn(b"200 OK", get_from("127.0.0.7", self.port))


if __name__ == "__main__":
    triadtest.main()
