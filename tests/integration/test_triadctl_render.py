"""triadctl render: every host of every example topology, and each file
checked by the tool that will read it: `nft -c -f` for the ruleset,
`systemd-analyze verify` and `systemd-analyze security --offline=true`
(exposure 2.0 or less per unit) for the units, `keepalived -t` for the VIP
pair, `mariadbd --help --verbose` for the MariaDB fragment and `sh -n` for
the bootstrap script."""

import os
import re
import shutil
import stat
import subprocess

import triadtest

TRIADCTL = triadtest.build_path("ctl", "triadctl")
TOPOLOGIES = os.path.join(triadtest.source_dir(), "etc", "topologies")
EXAMPLES = {
    "single-host.yaml": ["local", "local2"],
    "three-host-active-active.yaml": ["h1", "h2", "h3"],
    "three-host-active-passive.yaml": ["h1", "h2", "h3"],
}
DAEMONS = ("lbd", "webd", "appd", "dbproxyd")
EXPOSURE_MAX = 2.0


def run(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, timeout=120,
                          **kw)


class TriadctlRenderTest(triadtest.TestCase):

    @classmethod
    def setUpClass(cls):
        if not os.path.exists(TRIADCTL):
            triadtest.skip("triadctl is not built")
        cls.dir = triadtest.tempdir("triadctl-render")
        # systemd-analyze verify wants the ExecStart binaries to exist.
        cls.sbin = os.path.join(cls.dir, "sbin")
        os.mkdir(cls.sbin)
        for d in DAEMONS:
            os.symlink(shutil.which("true"), os.path.join(cls.sbin, d))
        cls.out = {}
        for name, hosts in EXAMPLES.items():
            for host in hosts:
                out = os.path.join(cls.dir, name, host)
                r = run([TRIADCTL, "render", os.path.join(TOPOLOGIES, name),
                         host, "--out", out, "--sbindir", cls.sbin])
                if r.returncode != 0:
                    raise AssertionError("render %s %s: %s" % (name, host,
                                                               r.stderr))
                cls.out[(name, host)] = out

    def files(self, sub, suffix=""):
        for (name, host), out in sorted(self.out.items()):
            d = os.path.join(out, sub)
            if not os.path.isdir(d):
                continue
            for f in sorted(os.listdir(d)):
                if f.endswith(suffix):
                    yield name, host, os.path.join(d, f)

    def test_units_per_instance(self):
        out = self.out[("three-host-active-passive.yaml", "h3")]
        self.assertEqual(sorted(os.listdir(os.path.join(out, "systemd"))), [
            "triad-appd-app3.service", "triad-dbproxyd-dbp3.service",
            "triad-webd-web3.service", "triad.target"])
        out = self.out[("three-host-active-active.yaml", "h1")]
        with open(os.path.join(out, "systemd", "triad-lbd-lb1.service")) as f:
            unit = f.read()
        for line in ("Type=notify", "WatchdogSec=10s", "Restart=on-failure",
                     "ExecReload=/bin/kill -HUP $MAINPID",
                     "NoNewPrivileges=yes", "ProtectSystem=strict",
                     "SystemCallFilter=@system-service",
                     "CapabilityBoundingSet=CAP_NET_BIND_SERVICE",
                     "AmbientCapabilities=CAP_NET_BIND_SERVICE",
                     "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX"):
            self.assertIn(line + "\n", unit)
        args = "-c /etc/triad/triad.yaml --host h1 --instance lb1"
        self.assertIn("ExecStartPre=%s/lbd -t %s\n" % (self.sbin, args), unit)
        self.assertIn("ExecStart=%s/lbd -f %s\n" % (self.sbin, args), unit)
        self.assertIn("ExecReload=%s/lbd -t %s\n" % (self.sbin, args), unit)
        # Ports above 1024 need no capability at all.
        with open(os.path.join(out, "systemd",
                               "triad-webd-web1.service")) as f:
            unit = f.read()
        self.assertIn("CapabilityBoundingSet=\n", unit)
        self.assertNotIn("AmbientCapabilities", unit)

    def test_unit_user_from_topology(self):
        # A daemon section's user/group become the unit's, so the daemon
        # finds itself that user instead of failing to switch.
        with open(os.path.join(TOPOLOGIES, "single-host.yaml")) as f:
            text = f.read()
        text = text.replace("webd:\n", "webd:\n  user: www-data\n  group: "
                            "www-data\n", 1)
        path = os.path.join(self.dir, "user.yaml")
        with open(path, "w") as f:
            f.write(text)
        out = os.path.join(self.dir, "user-out")
        r = run([TRIADCTL, "render", path, "local", "--out", out,
                 "--user", "triadsvc"])
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(out, "systemd",
                               "triad-webd-web1.service")) as f:
            self.assertIn("User=www-data\nGroup=www-data\n", f.read())
        with open(os.path.join(out, "systemd",
                               "triad-lbd-lb1.service")) as f:
            self.assertIn("User=triadsvc\nGroup=triadsvc\n", f.read())

    def test_systemd_verify(self):
        triadtest.require_program("systemd-analyze")
        n = 0
        for name, host, path in self.files("systemd"):
            r = run(["systemd-analyze", "verify", "--man=no", path],
                    cwd=os.path.dirname(path))
            self.assertEqual((r.returncode, r.stdout + r.stderr), (0, ""),
                             "%s %s %s" % (name, host, path))
            n += 1
        self.assertGreater(n, 10)

    def test_systemd_security_exposure(self):
        triadtest.require_program("systemd-analyze")
        n = 0
        for name, host, path in self.files("systemd", ".service"):
            r = run(["systemd-analyze", "security", "--offline=true",
                     "--no-pager", path])
            m = re.search(r"Overall exposure level for \S+: ([0-9.]+)",
                          r.stdout)
            self.assertIsNotNone(m, r.stdout + r.stderr)
            self.assertLessEqual(float(m.group(1)), EXPOSURE_MAX,
                                 "%s %s %s:\n%s" % (name, host, path,
                                                    r.stdout))
            n += 1
        self.assertGreater(n, 10)

    def test_nft_accepts(self):
        triadtest.require_root()
        triadtest.require_program("nft")
        for name, host, path in self.files("nftables"):
            r = run(["nft", "-c", "-f", path])
            self.assertEqual(r.returncode, 0, "%s %s: %s" % (name, host,
                                                              r.stderr))

    def test_nft_ports(self):
        out = self.out[("three-host-active-passive.yaml", "h1")]
        with open(os.path.join(out, "nftables", "triad.nft")) as f:
            rules = f.read()
        self.assertIn("ip daddr { 10.231.0.11, 10.231.0.10 } tcp dport "
                      "{ 80, 443 } accept", rules)
        # 8093: the foobar app's own listen (webd's route to "appd:8093").
        self.assertIn("ip saddr @hosts4 tcp dport { 8081, 8091, 8093, 6033, "
                      "3306 } accept", rules)
        self.assertIn("ip saddr @admin4 tcp dport { 9080, 9081, 9091, 9033, "
                      "22 } accept", rules)
        self.assertIn("elements = { 10.231.1.0/24 }", rules)
        self.assertIn("policy drop;", rules)
        # h3 runs no lbd: no client port at all, and no VRRP.
        out = self.out[("three-host-active-passive.yaml", "h3")]
        with open(os.path.join(out, "nftables", "triad.nft")) as f:
            rules = f.read()
        self.assertNotIn("{ 80, 443 }", rules)
        self.assertNotIn("vrrp", rules)

    def test_keepalived(self):
        triadtest.require_program("keepalived")
        seen = []
        for name, host, path in self.files("keepalived"):
            seen.append((name, host))
            with open(path) as f:
                conf = f.read()
            r = run(["keepalived", "-t", "-n", "-l", "-f", path])
            if r.returncode == -15:
                # keepalived 2.2.7 (Debian 12) kills its own config test
                # when script_user is set (acassen/keepalived#2617, fixed
                # in 2.2.8): check the same file with the user as root.
                self.assertIn("\tscript_user nobody\n", conf)
                copy = path + ".root"
                with open(copy, "w") as f:
                    f.write(conf.replace("script_user nobody",
                                         "script_user root"))
                r = run(["keepalived", "-t", "-n", "-l", "-f", copy])
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("track_script {\n\t\tchk_lbd\n\t}", conf)
            self.assertIn("/health", conf)
            self.assertIn("10.231.0.10/24 dev eth0", conf)
        # Only the VIP pair of the active-passive file gets one.
        self.assertEqual(seen, [("three-host-active-passive.yaml", "h1"),
                                ("three-host-active-passive.yaml", "h2")])
        confs = [open(os.path.join(self.out[s], "keepalived",
                                   "keepalived.conf")).read() for s in seen]
        self.assertIn("priority 150", confs[0])
        self.assertIn("priority 99", confs[1])
        self.assertIn("unicast_peer {\n\t\t10.231.0.12\n", confs[0])

    def test_mariadb_fragments(self):
        triadtest.require_program("mariadbd")
        ids = {}
        for name, host, path in self.files("mariadb", ".cnf"):
            r = run(["mariadbd", "--defaults-file=" + path, "--help",
                     "--verbose", "--user=root"])
            self.assertNotIn("[ERROR]", r.stdout + r.stderr, path)
            self.assertRegex(r.stdout, r"(?m)^log-bin\s+triad-bin$")
            self.assertRegex(r.stdout, r"(?m)^gtid-strict-mode\s+TRUE$")
            self.assertRegex(r.stdout,
                             r"(?m)^rpl-semi-sync-slave-enabled\s+TRUE$")
            sid = int(re.search(r"(?m)^server-id\s+(\d+)$", r.stdout)
                      .group(1))
            ids.setdefault(name, []).append(sid)
            ro = re.search(r"(?m)^read-only\s+(\S+)$", r.stdout).group(1)
            primary = host in ("h1", "local")
            # The primary waits for a replica's ack; replicas only ack.
            self.assertRegex(r.stdout, r"(?m)^rpl-semi-sync-master-enabled"
                             r"\s+%s$" % ("TRUE" if primary else "FALSE"))
            self.assertEqual(ro, "FALSE" if primary else "TRUE", path)
            self.assertEqual(sid == 1, primary)
        self.assertEqual(ids, {"single-host.yaml": [1, 2],
                               "three-host-active-active.yaml": [1, 2, 3],
                               "three-host-active-passive.yaml": [1, 2, 3]})

    def test_bootstrap_scripts(self):
        for name, host, path in self.files("mariadb", ".sh"):
            self.assertTrue(os.stat(path).st_mode & stat.S_IXUSR)
            r = run(["sh", "-n", path])
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(path) as f:
                text = f.read()
            if host in ("h1", "local"):
                self.assertIn("GRANT REPLICATION SLAVE", text)
            else:
                self.assertIn("MASTER_USE_GTID=slave_pos", text)
            # No password is ever rendered; the script refuses to run
            # without one.
            self.assertNotIn("replpw", text)
            r = run(["sh", path], env={"PATH": os.environ["PATH"]})
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("TRIAD_REPL_PASSWORD", r.stderr)

    def test_readme(self):
        for key, out in self.out.items():
            with open(os.path.join(out, "README")) as f:
                text = f.read()
            self.assertIn("for host %s." % key[1], text)
            self.assertIn("nft -f nftables/triad.nft", text)
            self.assertIn("systemctl enable --now triad.target", text)

    def test_render_again_replaces(self):
        key = ("three-host-active-active.yaml", "h2")
        r = run([TRIADCTL, "render", os.path.join(TOPOLOGIES, key[0]),
                 key[1], "--out", self.out[key], "--sbindir", self.sbin])
        self.assertEqual(r.returncode, 0, r.stderr)
        leftovers = [f for _, _, f in self.files("systemd")
                     if f.endswith(".tmp")]
        self.assertEqual(leftovers, [])


if __name__ == "__main__":
    triadtest.main()
