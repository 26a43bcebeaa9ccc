"""The lifecycle frame end to end, through triad_testd (tests/support/).

triad_testd runs in common/lifecycle like every daemon, around a trivial
line service: "sleep MS" is answered after MS ms with "gen G greeting T",
G being the generation the connection started with. That makes reload
(in-flight work keeps its generation), rejected reloads, graceful stop and
sd_notify observable from outside.
"""

import os
import signal
import socket
import subprocess
import time

import triadtest
from triadtest import http

TESTD = triadtest.build_path("tests", "triad_testd")

TOPOLOGY = triadtest.one_daemon("webd", workers=2) + """\
  shutdown_timeout: {shutdown}
  pidfile: {pidfile}
  greeting: {greeting}
"""


class LifecycleTest(triadtest.TestCase):

    def setUp(self):
        self.assertTrue(os.access(TESTD, os.X_OK), TESTD + " is not built")
        self.dir = triadtest.tempdir("lifecycle")
        self.port, self.status = triadtest.free_ports(2)
        self.conf = os.path.join(self.dir, "triad.yaml")
        self.pidfile = os.path.join(self.dir, "testd.pid")
        self.write(greeting="hello")

    def write(self, greeting, extra="", shutdown="5s"):
        with open(self.conf, "w") as f:
            f.write(TOPOLOGY.format(port=self.port, status=self.status,
                                    pidfile=self.pidfile, greeting=greeting,
                                    shutdown=shutdown) + extra)

    def daemon(self, **kw):
        d = triadtest.Daemon(
            [TESTD, "-f", "-c", self.conf, "--host", "h1"], notify=True,
            health_url="http://127.0.0.1:%d/health" % self.status, **kw)
        return d.start()

    def ask(self, ms, timeout=10):
        """One exchange on a fresh connection; returns the answer line."""
        with socket.create_connection(("127.0.0.1", self.port), timeout) as s:
            s.sendall(b"sleep %d\n" % ms)
            return s.makefile().readline().strip()

    def generation(self):
        return http.get("http://127.0.0.1:%d/status" % self.status).json()[
            "generation"]

    def test_check_mode(self):
        out = subprocess.run([TESTD, "-t", "-c", self.conf, "--host", "h1"],
                             capture_output=True, text=True, timeout=10)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout, "configuration OK\n")
        self.write(greeting="x", extra="  greting: typo\n  workers: 0\n")
        out = subprocess.run([TESTD, "-t", "-c", self.conf, "--host", "h1"],
                             capture_output=True, text=True, timeout=10)
        self.assertEqual(out.returncode, 1)
        self.assertIn("triad.yaml:12:3: unknown key 'greting'", out.stderr)
        self.assertIn("did you mean 'greeting'?", out.stderr)
        out = subprocess.run([TESTD, "-t", "-c", self.conf + ".missing"],
                             capture_output=True, text=True, timeout=10)
        self.assertEqual(out.returncode, 1)
        self.assertIn("triad.yaml.missing", out.stderr)
        out = subprocess.run([TESTD, "--bogus"], capture_output=True,
                             text=True, timeout=10)
        self.assertEqual(out.returncode, 1)
        self.assertIn("usage:", out.stderr)

    def test_wrong_host(self):
        self.write(greeting="x")
        out = subprocess.run([TESTD, "-t", "-c", self.conf, "--host", "h9"],
                             capture_output=True, text=True, timeout=10)
        self.assertEqual(out.returncode, 1)
        self.assertIn("h9", out.stderr)

    def test_serve_reload_and_stop(self):
        d = self.daemon()
        ready = d.wait_notify("READY=1")
        self.assertIn("MAINPID=%d" % d.pid, ready)
        with open(self.pidfile) as f:
            self.assertEqual(int(f.read()), d.pid)
        self.assertEqual(self.ask(0), "gen 1 greeting hello")
        st = http.get("http://127.0.0.1:%d/status" % self.status).json()
        self.assertEqual((st["daemon"], st["instance"], st["state"]),
                         ("testd", "h1", "serving"))

        # A slow request started before the reload keeps generation 1.
        slow = socket.create_connection(("127.0.0.1", self.port), 10)
        slow.sendall(b"sleep 1500\n")
        time.sleep(0.2)
        self.write(greeting="bonjour")
        mark = d.log_mark()
        d.reload()
        d.wait_log("generation 2 in service", since=mark)
        self.assertEqual(self.generation(), 2)
        self.assertEqual(self.ask(0), "gen 2 greeting bonjour")
        self.assertEqual(slow.makefile().readline().strip(),
                         "gen 1 greeting hello")
        slow.close()
        self.assertIn("RELOADING=1", "\n".join(d.notify_messages()))

        # An invalid file is rejected whole: generation 2 stays.
        self.write(greeting="x", extra="  workers: many\n")
        mark = d.log_mark()
        d.reload()
        d.wait_log("reload failed: keeping generation 2", since=mark)
        self.assertIn("workers", d.log_text()[mark:])
        self.assertEqual(self.ask(0), "gen 2 greeting bonjour")
        # So is one that loads but cannot be prepared.
        self.write(greeting="x", extra="  fail_prepare: true\n")
        mark = d.log_mark()
        d.reload()
        d.wait_log("prepare refused", since=mark)
        self.assertEqual(self.generation(), 2)
        metrics = http.get("http://127.0.0.1:%d/metrics" % self.status).text()
        self.assertIn("triad_testd_reload_failures_total 2", metrics)
        self.assertIn("triad_testd_reloads_total 1", metrics)

        # Graceful stop: in-flight work finishes, health turns 503 meanwhile.
        slow = socket.create_connection(("127.0.0.1", self.port), 10)
        slow.sendall(b"sleep 1500\n")
        time.sleep(0.2)
        d.signal(signal.SIGTERM)
        d.wait_notify("STOPPING=1")
        h = http.get("http://127.0.0.1:%d/health" % self.status)
        self.assertEqual((h.status, h.text().strip()), (503, "draining"))
        self.assertRaises(OSError, self.ask, 0, 2)
        self.assertEqual(slow.makefile().readline().strip(),
                         "gen 2 greeting bonjour")
        slow.close()
        self.assertEqual(d.wait_exit(10), 0)
        self.assertFalse(os.path.exists(self.pidfile))

    def test_shutdown_timeout_and_second_instance(self):
        self.write(greeting="hi", shutdown="300ms")
        d = self.daemon()
        # The pidfile refuses a second copy while the first lives.
        out = subprocess.run([TESTD, "-f", "-c", self.conf, "--host", "h1"],
                             capture_output=True, text=True, timeout=10)
        self.assertEqual(out.returncode, 1)
        self.assertIn("already running as pid %d" % d.pid, out.stderr)
        slow = socket.create_connection(("127.0.0.1", self.port), 10)
        slow.sendall(b"sleep 20000\n")
        time.sleep(0.2)
        t0 = time.monotonic()
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(10), 0)
        self.assertLess(time.monotonic() - t0, 5)
        self.assertIn("shutdown timeout", d.log_text())
        slow.close()

    def test_watchdog_and_reopen(self):
        d = triadtest.Daemon(
            [TESTD, "-f", "-c", self.conf, "--host", "h1"], notify=True,
            env={"WATCHDOG_USEC": "400000"},
            health_url="http://127.0.0.1:%d/health" % self.status).start()
        d.wait_notify("WATCHDOG=1", timeout=5)
        mark = d.log_mark()
        d.reopen_logs()
        d.wait_log("reopening logs", since=mark)
        self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    triadtest.main()
