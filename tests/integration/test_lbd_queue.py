"""lbd's server_maxconn and queue: a slow server that takes one request at
a time; requests past the limit wait in line and are served in turn, and
those that would wait past queue_timeout get 503. The server never sees
more than its limit. In tcp mode the same holds for sessions: those past
queue_timeout are closed unanswered, logged sQ."""

import os
import socket
import socketserver
import threading
import time

import triadtest
from triadtest import http

LBD = triadtest.build_path("lbd", "lbd")

LBD_KEYS = triadtest.lbd_keys("{mode}") + """\
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


class SlowLineHandler(socketserver.StreamRequestHandler):
    """tcp mode: one line per connection, answered after 0.2 s."""

    def handle(self):
        srv = self.server
        with srv.lock:
            srv.busy += 1
            srv.max_busy = max(srv.max_busy, srv.busy)
        try:
            line = self.rfile.readline()
            time.sleep(0.2)
            self.wfile.write(b"ok:" + line)
        except OSError:
            pass
        finally:
            with srv.lock:
                srv.busy -= 1


class LbdQueueTest(triadtest.TestCase):

    def start(self, mode, handler):
        self.assertTrue(os.access(LBD, os.X_OK), LBD + " is not built")
        self.folder = triadtest.tempdir("lbd-queue")
        self.port, self.status, p1 = triadtest.free_ports(3)
        up = Slow(("127.0.0.1", p1))
        up.RequestHandlerClass = handler
        threading.Thread(target=up.serve_forever, daemon=True).start()
        self.addCleanup(up.server_close)
        self.addCleanup(up.shutdown)
        conf = triadtest.write_conf(self.folder, triadtest.one_host(
            [("s1", p1)], LBD_KEYS.format(port=self.port, status=self.status,
                                          mode=mode)))
        d = triadtest.Daemon([LBD, "-f", "-c", conf, "--host", "h1"],
                             health_url="http://127.0.0.1:%d/health"
                             % self.status).start()
        self.addCleanup(lambda: self.assertEqual(d.stop(), 0))
        return up

    def metric(self, name):
        return http.metric(self.status, "triad_lbd_" + name)

    def test_tcp_queue_then_close(self):
        up = self.start("tcp", SlowLineHandler)
        results = []

        def one(i):
            with socket.create_connection(("127.0.0.1", self.port), 10) as c:
                c.settimeout(10)
                c.sendall(b"%d\n" % i)
                results.append(c.makefile("rb").readline())

        threads = [threading.Thread(target=one, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(15)
        self.assertEqual(up.max_busy, 1)
        self.assertEqual(len(results), 8)
        # 8 sessions of 0.2 s on one slot with a 1 s queue: some are
        # served in turn, some time out (how many depends on how fast the
        # clients start on a busy machine; every timed-out one was queued).
        answered = [r for r in results if r]
        self.assertGreaterEqual(len(answered), 2, results)
        self.assertGreaterEqual(results.count(b""), 1, results)
        for r in answered:
            self.assertRegex(r, rb"^ok:[0-7]\n$")
        self.assertEqual(self.metric("queue_timeouts_total"),
                         results.count(b""))
        self.assertGreaterEqual(self.metric("queued_total"),
                                results.count(b"") + 1)
        time.sleep(0.7)
        log = open(os.path.join(self.folder, "access.log")).read()
        self.assertIn(" sQ", log)

    def test_http_queue_then_503(self):
        up = self.start("http", SlowHandler)
        results = []

        def one():
            r = http.get("http://127.0.0.1:%d/" % self.port, timeout=10)
            results.append(r.status)

        threads = [threading.Thread(target=one) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(15)
        self.assertEqual(up.max_busy, 1)
        self.assertEqual(len(results), 8)
        self.assertTrue(set(results) <= {200, 503}, results)
        self.assertGreaterEqual(results.count(200), 2, results)
        self.assertGreaterEqual(results.count(503), 1, results)
        self.assertEqual(self.metric("queue_timeouts_total"),
                         results.count(503))
        self.assertGreaterEqual(self.metric("queued_total"),
                                results.count(503) + 1)
        time.sleep(0.7)
        log = open(os.path.join(self.folder, "access.log")).read()
        self.assertIn(" 503 ", log)
        self.assertIn(" sQ ", log)


if __name__ == "__main__":
    triadtest.main()
