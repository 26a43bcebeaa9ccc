"""make demo, non-interactively: scripts/demo.py --check in a fresh state
folder (first run: MariaDB data folders, replication, certificate), again
in the same folder (second run: the data is kept and everything starts
again), then the interactive mode stopped with SIGINT as Ctrl-C would:
every process it started is gone and the data stays.

The demo's ports are fixed (README: 8080, 8443, 6033, 3307, 9xxx), so the
test is skipped when one of them is taken."""

import os
import signal
import socket
import subprocess
import sys
import time

import triadtest

DEMO = os.path.join(triadtest.source_dir(), "scripts", "demo.py")
PORTS = (8080, 8443, 8081, 8082, 8091, 8092, 6033, 9080, 9081, 9082, 9091,
         9092, 9033)


def port_taken(host, port):
    s = socket.socket()
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, port))
        return False
    except OSError:
        return True
    finally:
        s.close()


class DemoTest(triadtest.TestCase):

    @classmethod
    def setUpClass(cls):
        triadtest.require_program("mariadbd")
        triadtest.require_program("openssl")
        if not os.access(triadtest.build_path("ctl", "triadctl"), os.X_OK):
            triadtest.skip("triadctl is not built")
        taken = [p for p in PORTS if port_taken("127.0.0.1", p)]
        taken += [3307 for h in ("127.0.0.1", "127.0.0.2")
                  if port_taken(h, 3307)]
        if taken:
            triadtest.skip("the demo's ports are in use: %s" % taken)
        cls.state = triadtest.tempdir("demo-state")

    def demo(self, *args, timeout=400):
        return subprocess.run(
            [sys.executable, DEMO, "--state", self.state, "--build",
             triadtest.build_dir()] + list(args), capture_output=True,
            text=True, timeout=timeout)

    def assertNothingLeft(self):
        """No process runs from the state folder any more."""
        left = []
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open("/proc/%s/cmdline" % pid, "rb") as f:
                    if self.state.encode() in f.read():
                        left.append(pid)
            except OSError:
                pass
        self.assertEqual(left, [])

    def test_1_first_run(self):
        r = self.demo("--check")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        out = r.stdout
        self.assertIn("creating its data folder (first run)", out)
        self.assertIn("making a self-signed certificate", out)
        self.assertIn("check: http://127.0.0.1:8080/ 200", out)
        self.assertIn("check: https://127.0.0.1:8443/ 200", out)
        self.assertIn("check: a write on the primary reached the replica",
                      out)
        self.assertIn("check: OK", out)
        # The other tiers, once built, must be checked too, not skipped.
        if os.access(triadtest.build_path("dbproxyd", "dbproxyd"), os.X_OK):
            self.assertIn("check: SELECT through dbproxyd on 6033", out)
        if os.access(triadtest.build_path("appd", "appd"), os.X_OK):
            self.assertIn("check: POST /api/posts then GET", out)
        self.assertNothingLeft()
        for f in ("triad.yaml", "tls/demo.pem", "mariadb/local/data",
                  "mariadb/local2/data", "render/local/systemd",
                  "logs/lb1.log"):
            self.assertTrue(os.path.exists(os.path.join(self.state, f)), f)

    def test_2_second_run(self):
        r = self.demo("--check")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertNotIn("first run", r.stdout)
        self.assertNotIn("making a self-signed", r.stdout)
        self.assertIn("check: OK", r.stdout)
        self.assertNothingLeft()

    def test_3_ctrl_c(self):
        p = subprocess.Popen(
            [sys.executable, DEMO, "--state", self.state, "--build",
             triadtest.build_dir()], stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True)
        out = ""
        try:
            deadline = time.monotonic() + 300
            while "Ctrl-C stops everything" not in out:
                line = p.stdout.readline()
                if not line or time.monotonic() > deadline:
                    break
                out += line
            self.assertIn("triad is running", out)
            self.assertIn("http://127.0.0.1:8080/", out)
            self.assertIn("https://127.0.0.1:8443/", out)
            time.sleep(1.5)     # one summary line
            p.send_signal(signal.SIGINT)
            rest, _ = p.communicate(timeout=120)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        out += rest
        self.assertEqual(p.returncode, 0, out)
        self.assertIn("requests", out)       # the live line
        self.assertIn("stopped; data kept in " + self.state, out)
        self.assertNothingLeft()


if __name__ == "__main__":
    triadtest.main()
