"""lbd's server_maxconn and queue: a slow server that takes one request at
a time; requests past the limit wait in line and are served in turn, and
those that would wait past queue_timeout get 503. The server never sees
more than its limit."""

import os
import socketserver
import threading
import time

import triadtest
from triadtest import http

LBD = triadtest.build_path("lbd", "lbd")

TOPOLOGY = """\
site: test.example
hosts:
  h1: {{ address: 127.0.0.1 }}
webd:
  on: [ {{ host: h1, name: s1, listen: {p1} }} ]
lbd:
  on: [h1]
  listen: {port}
  status: {status}
  workers: 1
  mode: http
  servers: webd
  server_maxconn: 1
  queue_timeout: 1s
  access_log: access.log
"""


class Slow(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr):
        self.lock = threading.Lock()
        self.busy = 0
        self.max_busy = 0
        super().__init__(addr, SlowHandler)


class SlowHandler(socketserver.StreamRequestHandler):
    def handle(self):
        try:
            while True:
                if not self.rfile.readline():
                    return
                while self.rfile.readline() not in (b"\r\n", b""):
                    pass
                srv = self.server
                with srv.lock:
                    srv.busy += 1
                    srv.max_busy = max(srv.max_busy, srv.busy)
                time.sleep(0.2)
                with srv.lock:
                    srv.busy -= 1
                self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
                                 b"\r\nok")
        except OSError:
            pass


class LbdQueueTest(triadtest.TestCase):

    def test_queue_then_503(self):
        self.assertTrue(os.access(LBD, os.X_OK), LBD + " is not built")
        folder = triadtest.tempdir("lbd-queue")
        port, status, p1 = triadtest.free_ports(3)
        up = Slow(("127.0.0.1", p1))
        threading.Thread(target=up.serve_forever, daemon=True).start()
        conf = os.path.join(folder, "triad.yaml")
        with open(conf, "w") as f:
            f.write(TOPOLOGY.format(port=port, status=status, p1=p1))
        d = triadtest.Daemon([LBD, "-f", "-c", conf, "--host", "h1"],
                             health_url="http://127.0.0.1:%d/health"
                             % status).start()
        try:
            results = []

            def one():
                r = http.get("http://127.0.0.1:%d/" % port, timeout=10)
                results.append(r.status)

            threads = [threading.Thread(target=one) for _ in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(15)
            self.assertEqual(up.max_busy, 1)
            self.assertEqual(len(results), 8)
            self.assertTrue(set(results) <= {200, 503}, results)
            self.assertGreaterEqual(results.count(200), 4, results)
            self.assertGreaterEqual(results.count(503), 2, results)
            time.sleep(0.7)
            log = open(os.path.join(folder, "access.log")).read()
            self.assertIn(" 503 ", log)
            self.assertIn(" sQ ", log)
        finally:
            rc = d.stop()
            up.shutdown()
            up.server_close()
        self.assertEqual(rc, 0)


if __name__ == "__main__":
    triadtest.main()
