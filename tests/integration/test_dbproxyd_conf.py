"""dbproxyd -t: its section of the topology, checked without starting.

Every configuration error of dbproxyd's own keys is reported with its
place and a way out ("did you mean"), and nothing is started.
"""

import os
import subprocess

import triadtest

DBPROXYD = triadtest.build_path("dbproxyd", "dbproxyd")
HASH = "*E77463FEF1BAAA10AD3DB0E2A64B8F7C7DE750A9"

BASE = """\
site: x
hosts:
  h1: {{ address: 127.0.0.1 }}
  h2: {{ address: 127.0.0.2 }}
dbproxyd:
  on: [h1]
  listen: 3307
{extra}
{mariadb}
"""
MARIADB = "mariadb: { primary: h1, replicas: [h2], port: 3306 }"


class ConfTest(triadtest.TestCase):

    def setUp(self):
        self.dir = triadtest.tempdir("dbproxyd-conf")

    def check(self, extra, mariadb=MARIADB):
        path = os.path.join(self.dir, "t.yaml")
        with open(path, "w") as f:
            f.write(BASE.format(extra=extra, mariadb=mariadb))
        r = subprocess.run([DBPROXYD, "-t", "-c", path, "--host", "h1"],
                           capture_output=True, timeout=30)
        return r.returncode, (r.stdout + r.stderr).decode()

    def test_good(self):
        rc, out = self.check(
            '  users: [{ name: app, password_hash: "%s" }]\n'
            "  read_your_writes: gtid_wait\n  gtid_wait_timeout: 500ms\n"
            "  max_replication_lag: 3s\n  pool_min: 0\n  pool_max: 10\n"
            % HASH)
        self.assertEqual((rc, out.strip()), (0, "configuration OK"))

    def test_errors_with_places(self):
        rc, out = self.check("  read_your_writes: gtid\n  pool_mn: 3\n"
                             "  max_replication_lag: forever\n")
        self.assertEqual(rc, 1)
        self.assertRegex(out, r"t.yaml:8:\d+: dbproxyd.read_your_writes: "
                         r"unknown value 'gtid' \(one of: off, primary, "
                         r"gtid_wait\)")
        self.assertRegex(out, r"t.yaml:9:3: unknown key 'pool_mn' in "
                         r"dbproxyd, did you mean 'pool_min'\?")
        self.assertRegex(out, r"t.yaml:10:\d+: .*max_replication_lag")

    def test_bad_hash_and_duplicate_user(self):
        rc, out = self.check('  users: [{ name: app, password_hash: "E7" }]')
        self.assertEqual(rc, 1)
        self.assertIn("password_hash of 'app' is not '*' and 40 hex", out)
        rc, out = self.check('  users: [{ name: a, password_hash: "%s" }, '
                             '{ name: a, password_hash: "%s" }]'
                             % (HASH, HASH))
        self.assertEqual(rc, 1)
        self.assertIn("dbproxyd.users: 'a' twice", out)

    def test_servers_needed(self):
        rc, out = self.check("", mariadb="")
        self.assertEqual(rc, 1)
        self.assertIn("dbproxyd needs servers", out)
        rc, out = self.check('  primary: "127.0.0.1:99999"', mariadb="")
        self.assertEqual(rc, 1)
        self.assertIn("server '127.0.0.1:99999'", out)

    def test_unix_servers_and_busy_poll(self):
        rc, out = self.check('  primary: "unix:/run/mysqld/mysqld.sock"\n'
                             '  replicas: ["unix:/run/r1.sock", '
                             '"127.0.0.1:3307"]\n  busy_poll_us: 200',
                             mariadb="")
        self.assertEqual((rc, out.strip()), (0, "configuration OK"))
        rc, out = self.check('  primary: "unix:relative.sock"', mariadb="")
        self.assertEqual(rc, 1)
        self.assertIn("must be absolute", out)
        rc, out = self.check('  primary: "unix:/%s"' % ("x" * 200),
                             mariadb="")
        self.assertEqual(rc, 1)
        self.assertIn("unix socket path too long", out)
        rc, out = self.check("  busy_poll_us: 20000")
        self.assertEqual(rc, 1)
        self.assertRegex(out, r"t.yaml:8:\d+: dbproxyd.busy_poll_us must be "
                         r"between 0 and 10000")


if __name__ == "__main__":
    triadtest.main()
