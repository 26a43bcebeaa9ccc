"""triadctl status and drain/enable against real daemons: lbd in front of
two webd on loopback.  status prints one row per instance (state,
generation, requests, errors, backends up/down) and --json the same;
drain/enable go through lbd's admin action and change where requests go;
an instance that is down is a row saying so, and the exit status is 3."""

import json
import os
import subprocess

import triadtest
from triadtest import http

TRIADCTL = triadtest.build_path("ctl", "triadctl")
LBD = triadtest.build_path("lbd", "lbd")
WEBD = triadtest.build_path("webd", "webd")

TOPOLOGY = """\
site: status.example
hosts:
  h1: {{ address: 127.0.0.1 }}
lbd:
  on: [{{ host: h1, name: lb1 }}]
  listen: {port}
  status: {lbs}
  workers: 1
  mode: http
  servers: webd
  retries: 1
  health: {{ type: http, path: /, interval: 100ms, timeout: 300ms, rise: 1, fall: 1 }}
webd:
  on:
    - {{ host: h1, name: web1, listen: {w1}, status: {w1s} }}
    - {{ host: h1, name: web2, listen: {w2}, status: {w2s} }}
  workers: 1
  root: www
  mime_types: {mime}
"""


def ctl(*args):
    return subprocess.run([TRIADCTL] + list(args), capture_output=True,
                          text=True, timeout=30)


class TriadctlStatusTest(triadtest.TestCase):

    @classmethod
    def setUpClass(cls):
        for p in (TRIADCTL, LBD, WEBD):
            if not os.access(p, os.X_OK):
                triadtest.skip(p + " is not built")
        cls.dir = triadtest.tempdir("triadctl-status")
        os.mkdir(os.path.join(cls.dir, "www"))
        with open(os.path.join(cls.dir, "www", "index.html"), "w") as f:
            f.write("hello\n")
        (cls.port, cls.lbs, cls.w1, cls.w1s, cls.w2,
         cls.w2s) = triadtest.free_ports(6)
        cls.conf = os.path.join(cls.dir, "triad.yaml")
        with open(cls.conf, "w") as f:
            f.write(TOPOLOGY.format(port=cls.port, lbs=cls.lbs, w1=cls.w1,
                                    w1s=cls.w1s, w2=cls.w2, w2s=cls.w2s,
                                    mime=os.path.join(triadtest.source_dir(),
                                                      "etc", "mime.types")))
        cls.webd = {}
        for name, st in (("web1", cls.w1s), ("web2", cls.w2s)):
            cls.webd[name] = triadtest.Daemon(
                [WEBD, "-f", "-c", cls.conf, "--host", "h1", "--instance",
                 name], name=name,
                health_url="http://127.0.0.1:%d/health" % st).start()
        cls.lbd = triadtest.Daemon(
            [LBD, "-f", "-c", cls.conf, "--host", "h1"], name="lbd",
            health_url="http://127.0.0.1:%d/health" % cls.lbs).start()

    @classmethod
    def tearDownClass(cls):
        cls.lbd.stop()
        for d in cls.webd.values():
            d.stop()

    def get(self, n):
        for _ in range(n):
            r = http.get("http://127.0.0.1:%d/" % self.port)
            self.assertEqual(r.status, 200)

    def server(self, name):
        st = http.get("http://127.0.0.1:%d/status" % self.lbs).json()
        return [s for s in st["servers"] if s["name"] == name][0]

    def status_json(self):
        r = ctl("status", self.conf, "--json")
        return r.returncode, json.loads(r.stdout)

    def test_table(self):
        self.get(5)
        r = ctl("status", self.conf)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertEqual(lines[0].split(), ["HOST", "DAEMON", "INSTANCE",
                                            "STATE", "GEN", "REQ/S",
                                            "ERRORS", "UP/DOWN", "STATUS"])
        rows = {l.split()[2]: l.split() for l in lines[1:]}
        self.assertEqual(sorted(rows), ["lb1", "web1", "web2"])
        self.assertEqual(rows["lb1"][:5], ["h1", "lbd", "lb1", "serving",
                                           "1"])
        self.assertEqual(rows["lb1"][7], "2/0")
        self.assertEqual(rows["web1"][7], "-")
        self.assertEqual(rows["lb1"][8], "127.0.0.1:%d" % self.lbs)

    def test_json_counts(self):
        rc, before = self.status_json()
        self.assertEqual(rc, 0)
        self.get(6)
        rc, after = self.status_json()
        by = {r["instance"]: r for r in after}
        old = {r["instance"]: r for r in before}
        self.assertEqual(by["lb1"]["requests"] - old["lb1"]["requests"], 6)
        self.assertEqual(by["lb1"]["backends_up"], 2)
        self.assertEqual(by["lb1"]["backends_down"], 0)
        self.assertEqual(by["lb1"]["errors"] - old["lb1"]["errors"], 0)
        self.assertEqual(by["lb1"]["state"], "serving")
        self.assertNotIn("backends_up", by["web1"])
        # Health checks reach webd too: count only what we sent.
        self.assertGreaterEqual(by["web1"]["requests"] +
                                by["web2"]["requests"] -
                                old["web1"]["requests"] -
                                old["web2"]["requests"], 6)

    def test_drain_and_enable(self):
        r = ctl("drain", self.conf, "web1")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("lb1 (h1) at 127.0.0.1:%d: 200 web1: drain" % self.lbs,
                      r.stdout)
        try:
            self.assertEqual(self.server("web1")["admin"], "drain")
            before = self.server("web1")["connects"]
            self.get(8)
            self.assertEqual(self.server("web1")["connects"], before)
        finally:
            r = ctl("enable", self.conf, "web1")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.server("web1")["admin"], "ready")

    def test_drain_unknown_server(self):
        r = ctl("drain", self.conf, "web9")
        self.assertEqual(r.returncode, 1)
        self.assertIn("404 no server 'web9'", r.stdout)
        # A name with characters that need encoding reaches lbd intact.
        r = ctl("drain", self.conf, "we b&state=maint")
        self.assertEqual(r.returncode, 1)
        self.assertIn("no server 'we b&state=maint'", r.stdout)
        self.assertEqual(self.server("web1")["admin"], "ready")

    def test_down_instance_is_a_row(self):
        self.webd["web2"].stop()
        try:
            self.lbd.wait_log(r"server web2 is DOWN", timeout=10)
            rc, rows = self.status_json()
            self.assertEqual(rc, 3)
            by = {r["instance"]: r for r in rows}
            self.assertEqual(by["web2"]["state"], "down")
            self.assertFalse(by["web2"]["reachable"])
            self.assertIn("connect", by["web2"]["error"])
            self.assertEqual((by["lb1"]["backends_up"],
                              by["lb1"]["backends_down"]), (1, 1))
            self.get(3)
        finally:
            self.webd["web2"].start()
            self.lbd.wait_log(r"server web2 is UP", timeout=10)


if __name__ == "__main__":
    triadtest.main()
