"""make package: the .deb CPack builds installs with apt on this machine,
holds the binaries, the units (which pass systemd-analyze verify and the
2.0 exposure target where they are installed), the default topology (which
triadctl and every daemon's -t accept, run as the units' user), the
document root and the foobar app; purging it removes it all.

Root only (it installs a package); skipped when a triad package is
already installed, so a real installation is never touched."""

import glob
import os
import re
import subprocess

import triadtest

DEB_FILES = [
    "/usr/sbin/lbd", "/usr/sbin/webd", "/usr/sbin/triadctl",
    "/etc/triad/triad.yaml", "/etc/triad/mime.types",
    "/lib/systemd/system/triad.target",
    "/lib/systemd/system/triad-lbd-lb1.service",
    "/lib/systemd/system/triad-webd-web1.service",
    "/usr/share/triad/topologies/three-host-active-passive.yaml",
]


def run(argv, **kw):
    kw.setdefault("timeout", 300)
    return subprocess.run(argv, capture_output=True, text=True, **kw)


class PackageTest(triadtest.TestCase):

    @classmethod
    def setUpClass(cls):
        triadtest.require_root()
        for p in ("cpack", "apt-get", "dpkg", "systemd-analyze"):
            triadtest.require_program(p)
        if run(["dpkg", "-s", "triad"]).returncode == 0:
            triadtest.skip("a triad package is installed: not touching it")
        if not os.path.exists(triadtest.build_path("CPackConfig.cmake")):
            triadtest.skip("no CPackConfig.cmake in the build folder")
        cls.dir = triadtest.tempdir("package")
        r = run(["cpack", "-G", "DEB", "-B", cls.dir, "--config",
                 triadtest.build_path("CPackConfig.cmake")],
                cwd=triadtest.build_dir())
        if r.returncode != 0:
            raise AssertionError("cpack: " + r.stdout + r.stderr)
        debs = glob.glob(os.path.join(cls.dir, "triad_*.deb"))
        if len(debs) != 1:
            raise AssertionError("cpack made %r" % debs)
        cls.deb = debs[0]
        # apt resolves the dependencies (all installed by scripts/deps.sh:
        # apt's --no-download cannot install a local .deb).
        r = run(["apt-get", "install", "-y", cls.deb],
                env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
        if r.returncode != 0:
            raise AssertionError("apt-get install: " + r.stdout + r.stderr)

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, "deb", None):
            run(["apt-get", "purge", "-y", "triad"],
                env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))

    def test_1_files(self):
        for f in DEB_FILES:
            self.assertTrue(os.path.exists(f), f)
        listed = run(["dpkg", "-L", "triad"]).stdout.split()
        for f in DEB_FILES:
            self.assertIn(f, listed)
        if os.path.isdir(os.path.join(triadtest.source_dir(), "www")):
            self.assertTrue(os.path.exists("/usr/share/triad/www/index.html"))
        if os.path.exists(triadtest.build_path("appd", "foobar.so")):
            self.assertTrue(os.path.exists("/usr/lib/triad/apps/foobar.so"))
        r = run(["dpkg-query", "-W", "-f", "${Conffiles}", "triad"])
        self.assertIn("/etc/triad/triad.yaml", r.stdout)
        self.assertEqual(run(["getent", "passwd", "triad"]).returncode, 0)

    def test_2_topology_checks(self):
        r = run(["/usr/sbin/triadctl", "check", "/etc/triad/triad.yaml"])
        self.assertEqual(r.returncode, 0, r.stderr)
        # Each unit's ExecStartPre, as the unit's user.
        for unit in sorted(glob.glob("/lib/systemd/system/triad-*.service")):
            with open(unit) as f:
                text = f.read()
            pre = re.search(r"(?m)^ExecStartPre=(.*)$", text).group(1)
            self.assertIn("User=triad\n", text)
            if not os.path.exists(pre.split()[0]):
                continue        # that daemon is not built in this tree
            r = run(["runuser", "-u", "triad", "--"] + pre.split(),
                    cwd="/")
            self.assertEqual(r.returncode, 0, "%s: %s" % (unit, r.stdout +
                                                           r.stderr))
            self.assertIn("configuration OK", r.stdout + r.stderr)

    def test_3_units(self):
        units = sorted(glob.glob("/lib/systemd/system/triad*"))
        self.assertGreaterEqual(len(units), 3)
        r = run(["systemd-analyze", "verify", "--man=no"] + units)
        self.assertEqual((r.returncode, r.stdout + r.stderr), (0, ""))
        for u in units:
            if not u.endswith(".service"):
                continue
            r = run(["systemd-analyze", "security", "--offline=true",
                     "--no-pager", u])
            m = re.search(r"Overall exposure level for \S+: ([0-9.]+)",
                          r.stdout)
            self.assertIsNotNone(m, r.stdout + r.stderr)
            self.assertLessEqual(float(m.group(1)), 2.0, u)

    def test_4_purge(self):
        r = run(["apt-get", "purge", "-y", "triad"],
                env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        type(self).deb = None
        for f in DEB_FILES:
            self.assertFalse(os.path.exists(f), f)
        self.assertNotEqual(run(["getent", "passwd", "triad"]).returncode, 0)


if __name__ == "__main__":
    triadtest.main()
