"""webd under SIGHUP and SIGUSR1: new roots and routes apply to new
connections, open ones finish on the generation they started with, a
reload under load loses no request, and the access log follows a rename."""

import os
import signal
import socket
import threading
import time

import triadtest
from triadtest import http

WEBD = triadtest.build_path("webd", "webd")

TOPOLOGY = triadtest.one_daemon("webd", "[{port}{unix}]", 2) + """\
  root: {root}
  access_log: access.log
  mime_types: {mime}
"""


class WebdReloadTest(triadtest.TestCase):

    def setUp(self):
        self.assertTrue(os.access(WEBD, os.X_OK), WEBD + " is not built")
        self.dir = triadtest.tempdir("webd-reload")
        for name in ("a", "b"):
            os.makedirs(os.path.join(self.dir, name))
            with open(os.path.join(self.dir, name, "who.txt"), "w") as f:
                f.write(name)
        self.port, self.status = triadtest.free_ports(2)
        self.conf = os.path.join(self.dir, "triad.yaml")
        self.write("a")
        self.d = triadtest.triad_daemon("webd", self.conf, self.status).start()
        self.url = "http://127.0.0.1:%d/who.txt" % self.port

    def tearDown(self):
        self.assertEqual(self.d.stop(), 0, self.d.log_tail(50))

    def write(self, root, unix=None):
        with open(self.conf, "w") as f:
            f.write(TOPOLOGY.format(
                port=self.port, status=self.status, root=root,
                unix=', "unix:%s"' % unix if unix else "",
                mime=triadtest.source_path("etc", "mime.types")))

    def reload(self, expect_gen):
        mark = self.d.log_mark()
        self.d.reload()
        self.d.wait_log("generation %d in service" % expect_gen, since=mark)

    def ask_on(self, s):
        s.sendall(b"GET /who.txt HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while not data.endswith(b"\r\n\r\n" + data.split(b"\r\n\r\n")[-1]) \
                or b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n")[-1]) < 1:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        return data.split(b"\r\n\r\n", 1)[1]

    def cpu_seconds(self):
        with open("/proc/%d/stat" % self.d.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def test_unix_listener_shared_by_workers_and_moved(self):
        # One path, two workers: bound once and shared; then moved by a
        # reload, after which the old copies are closed and no worker
        # spins on them.
        socks = [os.path.join(self.dir, n) for n in ("one.sock", "two.sock")]
        for gen, sock in enumerate(socks, start=2):
            self.write("a", unix=sock)
            self.reload(gen)
            for _ in range(6):
                r = http.get("http://x/who.txt", unix=sock)
                self.assertEqual((r.status, r.body), (200, b"a"))
        before = self.cpu_seconds()
        time.sleep(1.0)
        self.assertLess(self.cpu_seconds() - before, 0.5)

    def test_new_root_for_new_connections(self):
        kept = socket.create_connection(("127.0.0.1", self.port), 5)
        self.assertEqual(self.ask_on(kept), b"a")
        self.write("b")
        self.reload(2)
        self.assertEqual(http.get(self.url).body, b"b")
        # The open connection finishes on its own generation.
        self.assertEqual(self.ask_on(kept), b"a")
        kept.close()
        # A broken file is refused whole; generation 2 stays.
        with open(self.conf, "a") as f:
            f.write("  rooot: /x\n")
        mark = self.d.log_mark()
        self.d.reload()
        self.d.wait_log("reload failed", since=mark)
        self.assertIn("did you mean 'root'", self.d.log_text()[mark:])
        self.assertEqual(http.get(self.url).body, b"b")

    def test_reload_under_load_loses_nothing(self):
        results = {"ok": 0, "bad": []}
        stop = time.monotonic() + 4.0

        def load():
            while time.monotonic() < stop:      # bounded in time
                try:
                    r = http.get(self.url, timeout=5)
                    if r.status == 200 and r.body in (b"a", b"b"):
                        results["ok"] += 1
                    else:
                        results["bad"].append(r.status)
                except OSError as e:
                    results["bad"].append(repr(e))

        threads = [threading.Thread(target=load) for _ in range(4)]
        for t in threads:
            t.start()
        for i in range(5):
            time.sleep(0.5)
            self.write("b" if i % 2 == 0 else "a")
            self.reload(i + 2)
        for t in threads:
            t.join(10)
        self.assertEqual(results["bad"], [])
        self.assertGreater(results["ok"], 50)

    def test_access_log_reopen(self):
        log = os.path.join(self.dir, "access.log")
        http.get(self.url)
        time.sleep(0.7)         # the batch is flushed every 500 ms
        os.rename(log, log + ".1")
        mark = self.d.log_mark()
        self.d.signal(signal.SIGUSR1)
        self.d.wait_log("reopening logs", since=mark)
        http.get(self.url + "?after")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if os.path.exists(log) and b"?after" in open(log, "rb").read():
                break
            time.sleep(0.1)
        self.assertIn(b"?after", open(log, "rb").read())
        self.assertNotIn(b"?after", open(log + ".1", "rb").read())


if __name__ == "__main__":
    triadtest.main()
