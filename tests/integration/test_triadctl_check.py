"""triadctl check: the example topologies pass; each broken topology gives
its exact file:line:col error, and every error of a file, not only the
first.  Also the other commands' refusals (unknown host for render, bad
usage)."""

import os
import random
import subprocess

import triadtest

TRIADCTL = triadtest.build_path("ctl", "triadctl")
EXAMPLES = ("single-host.yaml", "three-host-active-active.yaml",
            "three-host-active-passive.yaml")

# A valid two-host site; each case below breaks one thing in it.
BASE = """\
site: t.example
hosts:
  h1: { address: 10.0.0.1 }
  h2: { address: 10.0.0.2 }
lbd:
  on: [h1, h2]
  listen: 80
  tls_listen: 443
  mode: http
  servers: webd
webd:
  on: [h1, h2]
  listen: 8081
  root: www
  routes:
    - { prefix: /api/, to: appd }
appd:
  on: [h1, h2]
  listen: 8091
dbproxyd:
  on: [h1]
  listen: 6033
mariadb: { primary: h1, replicas: [h2], port: 3306 }
"""


def run(*args):
    return subprocess.run([TRIADCTL] + list(args), capture_output=True,
                          text=True, timeout=30)


class TriadctlCheckTest(triadtest.TestCase):

    @classmethod
    def setUpClass(cls):
        if not os.path.exists(TRIADCTL):
            triadtest.skip("triadctl is not built")
        cls.dir = triadtest.tempdir("triadctl-check")

    def check_text(self, text, name="t.yaml"):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path, run("check", path)

    def errors(self, r):
        """The error lines (notices about daemons not built are not)."""
        return [l for l in r.stderr.splitlines()
                if not l.startswith("triadctl: notice:")]

    def assertErrors(self, text, expected):
        """text fails with exactly the expected lines (without 'FILE:')."""
        path, r = self.check_text(text)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertEqual(self.errors(r),
                         ["%s:%s" % (path, e) for e in expected])

    def test_examples_pass(self):
        for name in EXAMPLES:
            path = os.path.join(triadtest.source_dir(), "etc", "topologies",
                                name)
            r = run("check", path)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout, "%s: configuration OK\n" % path)
            self.assertEqual(self.errors(r), [])

    def test_package_default_passes(self):
        path = os.path.join(triadtest.source_dir(), "packaging", "triad.yaml")
        r = run("check", path)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_base_passes(self):
        path, r = self.check_text(BASE)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_vip_needs_two_lbd_hosts(self):
        text = BASE.replace("  on: [h1, h2]\n  listen: 80\n",
                            "  on: [h1]\n  listen: 80\n  vip: 10.0.0.10\n")
        self.assertErrors(text, [
            "8:8: lbd.vip '10.0.0.10' needs lbd on two hosts (keepalived "
            "moves it between them); lbd runs on 1 host"])

    def test_vip_two_instances_one_host(self):
        text = BASE.replace(
            "  on: [h1, h2]\n  listen: 80\n",
            "  on: [h1, { host: h1, name: lbx, listen: 81, status: 9999 }]\n"
            "  listen: 80\n  vip: 10.0.0.10/24\n").replace(
            "  tls_listen: 443\n", "")
        self.assertErrors(text, [
            "8:8: lbd.vip '10.0.0.10/24' needs lbd on two hosts (keepalived "
            "moves it between them); lbd runs on 1 host"])
        # And both share the section's tls_listen: a clash of their own.
        text = text.replace("  vip:", "  tls_listen: 443\n  vip:")
        path, r = self.check_text(text)
        self.assertIn(path + ":8:15: port 443 on host 'h1': lbd tls_listen "
                      "clashes with lbd tls_listen", self.errors(r))

    def test_vip_is_a_host_address(self):
        text = BASE.replace("  listen: 80\n", "  listen: 80\n  vip: 10.0.0.2\n",
                            1)
        self.assertErrors(text, [
            "8:8: lbd.vip '10.0.0.2' is the address of host 'h2'"])

    def test_vip_pair_passes(self):
        text = BASE.replace("  listen: 80\n", "  listen: 80\n  vip: 10.0.0.10/24\n"
                            "  vrid: 7\n", 1)
        path, r = self.check_text(text)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_tls_listen_clashes_on_host(self):
        text = BASE.replace("  tls_listen: 443\n", "  tls_listen: 8081\n")
        self.assertErrors(text, [
            "8:15: port 8081 on host 'h1': lbd tls_listen clashes with webd "
            "'h1'",
            "8:15: port 8081 on host 'h2': lbd tls_listen clashes with webd "
            "'h2'"])

    def test_listen_clashes_on_host(self):
        # The topology's own check: webd and appd on one port of h1.
        text = BASE.replace("  listen: 8091\n", "  listen: 8081\n")
        self.assertErrors(text, [
            "19:11: port 8081 on host 'h1': appd 'h1' listen clashes with "
            "webd 'h1' listen at line 13",
            "19:11: port 8081 on host 'h2': appd 'h2' listen clashes with "
            "webd 'h2' listen at line 13"])

    def test_mariadb_port_clashes(self):
        text = BASE.replace("  listen: 6033\n", "  listen: 3306\n")
        self.assertErrors(text, [
            "23:47: port 3306 on host 'h1': mariadb port clashes with "
            "dbproxyd 'h1'"])

    def test_replica_is_primary(self):
        text = BASE.replace("replicas: [h2]", "replicas: [h2, h1]")
        self.assertErrors(text, [
            "23:40: mariadb.replicas: 'h1' is the primary"])

    def test_unknown_host(self):
        text = BASE.replace("  on: [h1]\n  listen: 6033",
                            "  on: [h3]\n  listen: 6033")
        self.assertErrors(text, [
            "21:8: unknown host 'h3' in dbproxyd.on[0], did you mean 'h1'?"])

    def test_backup_not_an_instance(self):
        text = BASE.replace("  servers: webd\n",
                            "  servers: webd\n  backup: [h2, web9]\n")
        self.assertErrors(text, [
            "11:16: lbd.backup: 'web9' is not an instance of webd"])

    def test_every_server_a_backup(self):
        text = BASE.replace("  servers: webd\n",
                            "  servers: webd\n  backup: [h1, h2]\n")
        self.assertErrors(text, [
            "11:12: lbd.backup: every instance of webd is a backup: none is "
            "active"])

    def test_servers_daemon_absent(self):
        text = BASE.replace("  servers: webd\n", "  servers: appd\n")
        path, r = self.check_text(text)
        self.assertEqual(r.returncode, 0, r.stderr)
        text = BASE.replace("  servers: webd\n", "  servers: dbproxyd\n") \
            .replace("dbproxyd:\n  on: [h1]\n  listen: 6033\n", "")
        self.assertErrors(text, [
            "10:12: lbd.servers: no instance of 'dbproxyd' in the topology"])

    def test_dbproxyd_without_servers(self):
        text = BASE.replace("mariadb: { primary: h1, replicas: [h2], port: "
                            "3306 }\n", "")
        self.assertErrors(text, [
            "21:7: dbproxyd needs servers: a mariadb section (primary, "
            "replicas, port) or dbproxyd.primary"])
        text = text.replace("  listen: 6033\n",
                            "  listen: 6033\n  primary: 10.0.0.9:3306\n")
        path, r = self.check_text(text)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_route_to_absent_daemon(self):
        text = BASE.replace("appd:\n  on: [h1, h2]\n  listen: 8091\n", "")
        self.assertErrors(text, [
            "16:28: webd.routes[0].to: no instance of 'appd' in the "
            "topology"])

    def test_route_to_daemon_port(self):
        # "appd:8093": every appd instance's host at that port (a module
        # app's own listen); the same resolution as webd's.
        route = "    - { prefix: /api/, to: appd }"
        text = BASE.replace(route, '    - { prefix: /api/, to: "appd:8091" }')
        path, r = self.check_text(text)
        self.assertEqual(r.returncode, 0, r.stderr)
        # A port nothing of appd listens on: every request would be a 502.
        self.assertErrors(BASE.replace(
            route, '    - { prefix: /api/, to: "appd:8093" }'), [
            "16:28: webd.routes[0].to: nothing of appd listens on port 8093 "
            "(an app's own listen, or appd's)"])
        self.assertErrors(BASE.replace(
            route, '    - { prefix: /api/, to: "appd:0" }'), [
            "16:28: webd.routes[0].to: 'appd:0': the port must be "
            "1..65535"])
        self.assertErrors(BASE.replace(
            route, '    - { prefix: /api/, to: "appd:80x" }'), [
            "16:28: webd.routes[0].to: 'appd:80x': the port must be "
            "1..65535"])
        self.assertErrors(BASE.replace(
            route, '    - { prefix: /api/, to: "apd:8093" }'), [
            "16:28: webd.routes[0].to: 'apd:8093' is neither a daemon of "
            "the topology nor an address ('apd' is not a numeric IPv4 or "
            "IPv6 address)"])
        text = BASE.replace("appd:\n  on: [h1, h2]\n  listen: 8091\n", "") \
            .replace(route, '    - { prefix: /api/, to: "appd:8093" }')
        self.assertErrors(text, [
            "16:28: webd.routes[0].to: 'appd:8093': no appd section in the "
            "topology"])

    def test_daemon_schemas_are_strict(self):
        # Each daemon's own keys are read with its own schema.
        text = BASE.replace("  mode: http\n", "  mode: http\n  balence: x\n") \
            .replace("  root: www\n", "  root: www\n  autoindx: true\n")
        path, r = self.check_text(text)
        self.assertEqual(r.returncode, 1)
        errs = self.errors(r)
        self.assertIn(path + ":10:3: unknown key 'balence' in lbd, did you "
                      "mean 'balance'?", errs)
        self.assertIn(path + ":16:3: unknown key 'autoindx' in webd, did you "
                      "mean 'autoindex'?", errs)

    def test_every_error_reported(self):
        text = BASE.replace("replicas: [h2]", "replicas: [h2, h1]") \
            .replace("  on: [h1]\n  listen: 6033", "  on: [h3]\n  listen: 6033")
        path, r = self.check_text(text)
        self.assertEqual(self.errors(r), [
            path + ":21:8: unknown host 'h3' in dbproxyd.on[0], did you mean "
            "'h1'?",
            path + ":23:40: mariadb.replicas: 'h1' is the primary"])

    def test_daemon_and_cross_errors_in_one_pass(self):
        # A daemon key error (the topology's own) and a cross-check error
        # (triadctl's) in one file: one run reports both, in line order.
        text = BASE.replace("  on: [h1, h2]\n  listen: 80\n",
                            "  on: [h1]\n  listen: 80\n  vip: 10.0.0.10\n") \
            .replace("  servers: webd\n",
                     "  servers: webd\n  balence: leastconn\n")
        path, r = self.check_text(text)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(self.errors(r), [
            path + ":8:8: lbd.vip '10.0.0.10' needs lbd on two hosts "
            "(keepalived moves it between them); lbd runs on 1 host",
            path + ":12:3: unknown key 'balence' in lbd, did you mean "
            "'balance'?"])

    def test_broken_sections_do_not_crash_the_cross_checks(self):
        # Every daemon section and the mariadb section with wrong types:
        # all reported, and the cross checks meet missing values safely.
        text = BASE.replace("  servers: webd\n", "  servers: [1, 2]\n") \
            .replace("  routes:\n    - { prefix: /api/, to: appd }",
                     "  routes: 7") \
            .replace("  listen: 6033", "  listen: [x]") \
            .replace("mariadb: { primary: h1, replicas: [h2], port: 3306 }",
                     "mariadb: { primary: [h1], replicas: h9, port: -1 }")
        path, r = self.check_text(text)
        self.assertEqual(r.returncode, 1, r.stderr)
        errs = self.errors(r)
        self.assertGreaterEqual(len(errs), 4, errs)
        for e in errs:
            self.assertTrue(e.startswith(path + ":"), e)

    def test_mutated_examples_never_crash(self):
        # Bounded, seeded mutations of the example topologies (a line
        # dropped, a value turned into a list, a number or garbage): every
        # run ends with 0 or 1 and a message, never a signal (in the
        # sanitizer build, never a sanitizer report).
        rng = random.Random(7)
        swaps = ("[1, 2]", "-1", "x:y:z", "{}", "''", "99999999999")
        texts = []
        for name in EXAMPLES:
            with open(os.path.join(triadtest.source_dir(), "etc",
                                   "topologies", name)) as f:
                texts.append(f.read().splitlines())
        for i in range(150):
            lines = list(rng.choice(texts))
            k = rng.randrange(len(lines))
            if rng.random() < 0.3:
                what = "dropped: " + lines.pop(k)
            else:
                if ":" in lines[k]:
                    lines[k] = lines[k].split(":", 1)[0] + ": " + \
                        rng.choice(swaps)
                what = "changed: " + lines[k]
            path, r = self.check_text("\n".join(lines) + "\n",
                                      "m%d.yaml" % i)
            self.assertIn(r.returncode, (0, 1), (what, r.stderr))
            self.assertNotIn("Sanitizer", r.stderr, what)
            if r.returncode == 1:
                self.assertIn(path, r.stderr)

    def test_hostile_files(self):
        for text, want in (
                ("a: &x [1]\nb: *x\n", "alias"),
                ("hosts:\n\t h1: {}\n", "tab"),
                ("\x00", "NUL"),
                ("", "empty")):
            path, r = self.check_text(text)
            self.assertEqual(r.returncode, 1, text)
            self.assertIn(path + ":", r.stderr)
        r = run("check", os.path.join(self.dir, "missing.yaml"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("missing.yaml", r.stderr)

    def test_usage(self):
        self.assertEqual(run().returncode, 2)
        self.assertEqual(run("frobnicate").returncode, 2)
        self.assertEqual(run("check").returncode, 2)
        r = run("render", os.path.join(triadtest.source_dir(), "etc",
                                       "topologies", EXAMPLES[1]), "h9",
                "--out", os.path.join(self.dir, "out"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("no host 'h9'", r.stderr)


if __name__ == "__main__":
    triadtest.main()
