#!/usr/bin/env python3
"""make demo: the whole triad stack on this machine, from one topology.

    python3 scripts/demo.py [--state run] [--build build] [--check]

What it does, in order:
  1. copies etc/topologies/single-host.yaml into the state folder (paths
     made absolute) and checks it with `triadctl check`;
  2. renders what each "host" needs with `triadctl render` (the same files
     an operator installs: units, MariaDB fragments, bootstrap scripts);
  3. starts a MariaDB primary (127.0.0.1:3307) and a replica (127.0.0.2:3307)
     from the rendered fragments, with GTID replication set up by the
     rendered bootstrap scripts (first run only; data stays in the state
     folder);
  4. makes a self-signed certificate for lbd's HTTPS port (first run only);
  5. starts dbproxyd, appd, webd and lbd, each instance with the command
     line of its rendered systemd unit, and waits for each /health;
  6. prints the URLs, the ports and the status pages, then a live one-line
     summary until Ctrl-C, which stops everything cleanly.

--check starts everything, checks that every URL answers, stops and exits
0 (or 1 with the reason): CI runs it (tests/integration/test_triadctl_demo.py).
A daemon whose binary is not built is skipped with a notice.  Python 3
standard library only.
"""

import argparse
import ctypes
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOPOLOGY = os.path.join(SRC, "etc", "topologies", "single-host.yaml")
ORDER = ("dbproxyd", "appd", "webd", "lbd")     # start order; stop reversed
REPL_PASSWORD = "demo-repl"
DB_USER, DB_PASSWORD = "triad", "triadpw"      # dbproxyd's backend account
APP_USER, APP_PASSWORD = "foobar", "foobarpw"  # the app's, through dbproxyd
MARIADB_ARGS = ["--innodb-buffer-pool-size=32M", "--skip-name-resolve",
                "--performance-schema=OFF", "--loose-feedback=OFF",
                "--character-set-server=utf8mb4",
                "--collation-server=utf8mb4_general_ci"]


class DemoError(Exception):
    pass


def log(msg):
    print("[demo] " + msg, flush=True)


def http_get(url, timeout=2.0):
    """(status, body) of a GET; TLS certificates are not checked (the
    demo's is self-signed)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=ctx) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def wait_until(cond, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.1)
    raise DemoError("timed out after %.0fs waiting for %s" % (timeout, what))


def child_setup():
    """In the child: its own session (a Ctrl-C reaches only the demo, which
    stops everything in order), and SIGTERM when the demo dies, even by
    SIGKILL, so no daemon outlives it."""
    os.setsid()
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        pass        # PR_SET_PDEATHSIG = 1; not fatal where missing


class Process:
    """One child with a log file (see child_setup)."""

    def __init__(self, name, argv, log_path, env=None):
        self.name, self.argv, self.log_path = name, argv, log_path
        self.env = env
        self.popen = None

    def start(self):
        with open(self.log_path, "ab") as out:
            out.write(("=== demo: %s\n" % " ".join(self.argv)).encode())
            out.flush()
            self.popen = subprocess.Popen(
                self.argv, stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT, preexec_fn=child_setup,
                env=self.env)
        return self

    def alive(self):
        return self.popen is not None and self.popen.poll() is None

    def stop(self, timeout=20.0):
        if not self.alive():
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            log("%s did not stop in %.0fs: killed" % (self.name, timeout))
            self.popen.kill()
            self.popen.wait()

    def tail(self, n=15):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""


class MariaDB:
    """A server from a rendered fragment, its data in the state folder."""

    def __init__(self, demo, host, role):
        self.demo, self.host, self.role = demo, host, role
        self.dir = os.path.join(demo.state, "mariadb", host)
        self.datadir = os.path.join(self.dir, "data")
        self.socket = os.path.join(self.dir, "mysqld.sock")
        self.pidfile = os.path.join(self.dir, "mysqld.pid")
        self.cnf = os.path.join(demo.render_dir, host, "mariadb",
                                "60-triad.cnf")
        self.proc = None

    def client(self):
        return ["mariadb", "--no-defaults", "--protocol=socket",
                "--socket=" + self.socket, "--user=root"]

    def sql(self, query, names=False):
        opts = ["--batch"] + ([] if names else ["--skip-column-names"])
        r = subprocess.run(self.client() + opts + ["-e", query],
                           capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            raise DemoError("%s: %s: %s" % (self.host, query,
                                             r.stderr.strip()))
        return r.stdout

    def stale_server(self):
        """A mariadbd left running on this datadir (a killed demo) is
        stopped, so that this run can start its own."""
        try:
            with open(self.pidfile) as f:
                pid = int(f.read().strip())
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                if self.datadir.encode() not in f.read():
                    return
        except (OSError, ValueError):
            return
        log("stopping a MariaDB left running on %s (pid %d)" %
            (self.datadir, pid))
        os.kill(pid, signal.SIGTERM)
        wait_until(lambda: not os.path.exists("/proc/%d" % pid), 60,
                   "the old MariaDB to stop")

    def install(self):
        os.makedirs(self.dir, exist_ok=True)
        if os.path.isdir(os.path.join(self.datadir, "mysql")):
            return False
        log("MariaDB %s: creating its data folder (first run)" % self.host)
        r = subprocess.run(
            ["mariadb-install-db", "--no-defaults", "--datadir=" +
             self.datadir, "--skip-test-db",
             "--auth-root-authentication-method=socket"] + self.demo.root_user,
            capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            raise DemoError("mariadb-install-db: " + r.stdout + r.stderr)
        return True

    def start(self):
        self.stale_server()
        first = self.install()
        argv = (["mariadbd", "--defaults-file=" + self.cnf,
                 "--datadir=" + self.datadir, "--socket=" + self.socket,
                 "--pid-file=" + self.pidfile,
                 "--tmpdir=" + self.dir, "--log-error=" +
                 os.path.join(self.demo.logs, "mariadb-%s.log" % self.host)]
                + MARIADB_ARGS + self.demo.root_user)
        self.proc = Process("mariadb-" + self.host, argv, os.path.join(
            self.demo.logs, "mariadb-%s.out" % self.host)).start()
        wait_until(self.ready, 60, "MariaDB %s" % self.host)
        return first

    def ready(self):
        if not self.proc.alive():
            raise DemoError("MariaDB %s exited: see %s" % (
                self.host, os.path.join(self.demo.logs,
                                        "mariadb-%s.log" % self.host)))
        r = subprocess.run(self.client() + ["-e", "SELECT 1"],
                           capture_output=True, timeout=10)
        return r.returncode == 0

    def bootstrap(self):
        """The rendered bootstrap script, as an operator would run it."""
        env = dict(os.environ, TRIAD_REPL_PASSWORD=REPL_PASSWORD,
                   MARIADB=" ".join(self.client()))
        script = os.path.join(self.demo.render_dir, self.host, "mariadb",
                              "bootstrap.sh")
        r = subprocess.run(["sh", script], env=env, capture_output=True,
                           text=True, timeout=60)
        if r.returncode != 0:
            raise DemoError("%s: %s" % (script, r.stderr))
        log("MariaDB " + r.stdout.strip())

    def stop(self):
        if self.proc is not None:
            self.proc.stop(timeout=60)


class Demo:

    def __init__(self, args):
        self.state = os.path.abspath(args.state)
        self.build = os.path.abspath(args.build)
        self.check_only = args.check
        self.logs = os.path.join(self.state, "logs")
        self.render_dir = os.path.join(self.state, "render")
        self.conf = os.path.join(self.state, "triad.yaml")
        self.triadctl = os.path.join(self.build, "ctl", "triadctl")
        self.root_user = ["--user=root"] if os.geteuid() == 0 else []
        self.db = []
        self.procs = []         # the daemons, in start order
        self.instances = []     # from `triadctl status --json`

    # -- preparation ------------------------------------------------------

    def topology(self):
        """The demo's topology: single-host.yaml with its relative paths
        made absolute, so the state folder can be anywhere."""
        with open(TOPOLOGY) as f:
            text = f.read()
        text = text.replace("../../run/", self.state + "/")
        text = text.replace("../../build/", self.build + "/")
        text = text.replace("../../www", self.docroot())
        text = text.replace("../mime.types",
                            os.path.join(SRC, "etc", "mime.types"))
        text = text.replace("../../", SRC + "/")
        with open(self.conf, "w") as f:
            f.write("# Written by scripts/demo.py from "
                    "etc/topologies/single-host.yaml: edit that one.\n" + text)
        r = subprocess.run([self.triadctl, "check", self.conf],
                           capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            raise DemoError("triadctl check:\n" + r.stderr)

    def docroot(self):
        """www/ of the source tree (the foobar page); until it exists, a
        placeholder page in the state folder."""
        www = os.path.join(SRC, "www")
        if os.path.isdir(www):
            return www
        www = os.path.join(self.state, "www")
        os.makedirs(www, exist_ok=True)
        with open(os.path.join(www, "index.html"), "w") as f:
            f.write("<!doctype html><title>triad demo</title>\n"
                    "<p>triad demo: www/ is not in this tree yet.\n")
        log("notice: no www/ in the source tree: serving a placeholder "
            "page from " + www)
        return www

    def render(self):
        shutil.rmtree(self.render_dir, ignore_errors=True)
        for host in ("local", "local2"):
            r = subprocess.run([self.triadctl, "render", self.conf, host,
                                "--out", os.path.join(self.render_dir, host),
                                "--conf", self.conf, "--sbindir",
                                "/usr/sbin"],
                               capture_output=True, text=True, timeout=30)
            if r.returncode != 0:
                raise DemoError("triadctl render: " + r.stderr)

    def certificate(self):
        tls = os.path.join(self.state, "tls")
        cert, key = os.path.join(tls, "demo.pem"), os.path.join(tls, "demo.key")
        if os.path.exists(cert) and os.path.exists(key):
            return
        os.makedirs(tls, exist_ok=True)
        log("making a self-signed certificate for localhost")
        r = subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:prime256v1", "-nodes", "-days", "825",
             "-subj", "/CN=localhost", "-addext",
             "subjectAltName=DNS:localhost,IP:127.0.0.1",
             "-keyout", key, "-out", cert], capture_output=True, text=True,
            timeout=60)
        if r.returncode != 0:
            raise DemoError("openssl: " + r.stderr)
        os.chmod(key, 0o600)

    def prepare(self):
        if not os.access(self.triadctl, os.X_OK):
            raise DemoError("%s is not built (make build)" % self.triadctl)
        for d in (self.state, self.logs):
            os.makedirs(d, exist_ok=True)
        self.topology()
        self.render()
        self.certificate()
        r = subprocess.run([self.triadctl, "status", self.conf, "--json"],
                           capture_output=True, text=True, timeout=60)
        self.instances = json.loads(r.stdout)

    # -- MariaDB ----------------------------------------------------------

    def start_mariadb(self):
        primary = MariaDB(self, "local", "primary")
        replica = MariaDB(self, "local2", "replica")
        self.db = [primary, replica]
        first = primary.start()
        if first:
            primary.sql(
                "CREATE USER IF NOT EXISTS '%s'@'%%' IDENTIFIED BY '%s'; "
                "GRANT ALL PRIVILEGES ON *.* TO '%s'@'%%'; "
                "REVOKE READ_ONLY ADMIN ON *.* FROM '%s'@'%%'; "
                "CREATE DATABASE IF NOT EXISTS foobar CHARACTER SET utf8mb4;"
                % (DB_USER, DB_PASSWORD, DB_USER, DB_USER))
            primary.bootstrap()
        if replica.start():
            replica.bootstrap()
        wait_until(lambda: self.replica_running(replica), 60,
                   "the replica to replicate")
        log("MariaDB: primary 127.0.0.1:3307, replica 127.0.0.2:3307 "
            "(GTID %s)" % primary.sql("SELECT @@gtid_binlog_pos").strip())

    def replica_running(self, replica):
        out = replica.sql("SHOW SLAVE STATUS\\G", names=True)
        return ("Slave_IO_Running: Yes" in out and
                "Slave_SQL_Running: Yes" in out)

    # -- the daemons --------------------------------------------------------

    def unit_argv(self, inst):
        """The ExecStart of the instance's rendered unit, with the binary
        of the build tree."""
        unit = os.path.join(self.render_dir, inst["host"], "systemd",
                            "triad-%s-%s.service" % (inst["daemon"],
                                                     inst["instance"]))
        with open(unit) as f:
            line = re.search(r"(?m)^ExecStart=(.*)$", f.read()).group(1)
        argv = line.split()
        argv[0] = os.path.join(self.build, inst["daemon"], inst["daemon"])
        return argv

    def start_daemons(self):
        for daemon in ORDER:
            for inst in [i for i in self.instances if i["daemon"] == daemon]:
                argv = self.unit_argv(inst)
                if not os.access(argv[0], os.X_OK):
                    log("notice: %s is not built: %s %s not started" %
                        (argv[0], daemon, inst["instance"]))
                    continue
                p = Process(inst["instance"], argv, os.path.join(
                    self.logs, "%s.log" % inst["instance"])).start()
                p.inst = inst
                self.procs.append(p)
                wait_until(lambda: self.healthy(p), 30,
                           "%s %s /health" % (daemon, inst["instance"]))

    def healthy(self, p):
        if not p.alive():
            raise DemoError("%s %s exited:\n%s" % (p.inst["daemon"], p.name,
                                                   p.tail()))
        try:
            return http_get("http://%s/health" % p.inst["status"],
                            1.0)[0] == 200
        except OSError:
            return False

    def running(self, daemon):
        return [p for p in self.procs if p.inst["daemon"] == daemon]

    # -- what to open -------------------------------------------------------

    def banner(self):
        print("\ntriad is running (state in %s):\n" % self.state)
        print("  site      http://127.0.0.1:8080/      https://127.0.0.1:8443/"
              "  (self-signed)")
        if self.running("appd"):
            print("  API       http://127.0.0.1:8080/api/posts  "
                  "http://127.0.0.1:8080/api/stats")
        if self.running("dbproxyd"):
            print("  MySQL     127.0.0.1:6033 (dbproxyd)  mariadb -h 127.0.0.1 "
                  "-P 6033 -u %s -p%s" % (APP_USER, APP_PASSWORD))
        print("  MariaDB   primary 127.0.0.1:3307, replica 127.0.0.2:3307")
        print("\n  status pages (/, /status, /metrics, /health):")
        for p in self.procs:
            print("    %-9s %-5s http://%s/" % (p.inst["daemon"], p.name,
                                               p.inst["status"]))
        print("\n  logs in %s; Ctrl-C stops everything.\n" % self.logs)

    def summary(self):
        lb = self.running("lbd")
        line = []
        if lb:
            try:
                st = json.loads(http_get("http://%s/status" %
                                         lb[0].inst["status"])[1])
                m = st.get("metrics", {})
                req = sum(v for k, v in m.items()
                          if k.startswith("triad_lbd_requests_total"))
                err = sum(v for k, v in m.items()
                          if k.startswith("triad_lbd_requests_total")
                          and "5xx" in k)
                srv = st.get("servers", [])
                up = sum(1 for s in srv if s.get("state") == "up")
                line.append("lbd: %d requests, %d errors (5xx), webd up "
                            "%d/%d" % (req, err, up, len(srv)))
            except (OSError, ValueError):
                line.append("lbd: no answer")
        down = [p.name for p in self.procs if not p.alive()]
        line.append("exited: " + ", ".join(down) if down else
                    "%d daemons running" % len(self.procs))
        return " | ".join(line)

    def live(self):
        while True:
            sys.stdout.write("\r\033[K" + self.summary())
            sys.stdout.flush()
            time.sleep(1)

    # -- --check ------------------------------------------------------------

    def check(self):
        """Every URL the banner prints answers; exits non-zero otherwise."""
        for url in ("http://127.0.0.1:8080/", "https://127.0.0.1:8443/"):
            code, body = http_get(url, 5)
            if code != 200:
                raise DemoError("%s answered %d" % (url, code))
            log("check: %s 200 (%d bytes)" % (url, len(body)))
        for p in self.procs:
            url = "http://%s/status" % p.inst["status"]
            st = json.loads(http_get(url)[1])
            if st.get("state") != "serving":
                raise DemoError("%s: state %s" % (url, st.get("state")))
        log("check: %d status pages serving" % len(self.procs))
        self.check_replication()
        if self.running("dbproxyd"):
            self.check_dbproxyd()
        if self.running("appd"):
            url = "http://127.0.0.1:8080/api/stats"
            code, body = http_get(url, 10)
            if code != 200:
                raise DemoError("%s answered %d: %r" % (url, code, body))
            log("check: %s 200 %s" % (url, body.decode().strip()))
            self.check_post()

    def check_post(self):
        """A post written through lbd (primary, through dbproxyd) is read
        back through lbd."""
        req = urllib.request.Request(
            "http://127.0.0.1:8080/api/posts", method="POST",
            data=json.dumps({"author": "demo", "body": "hello from make "
                             "demo --check"}).encode(),
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            if r.status != 201:
                raise DemoError("POST /api/posts answered %d" % r.status)
            post = json.loads(r.read())
        url = "http://127.0.0.1:8080/api/posts/%s" % post["id"]
        code, body = http_get(url, 10)
        if code != 200 or json.loads(body).get("body") != post["body"]:
            raise DemoError("%s answered %d: %r" % (url, code, body))
        log("check: POST /api/posts then GET %s: the same post" % url)

    def check_replication(self):
        primary, replica = self.db
        primary.sql("CREATE TABLE IF NOT EXISTS foobar.demo_check "
                    "(id INT PRIMARY KEY, at DATETIME); REPLACE INTO "
                    "foobar.demo_check VALUES (1, NOW())")
        pos = primary.sql("SELECT @@gtid_binlog_pos").strip()
        got = replica.sql("SELECT MASTER_GTID_WAIT('%s', 30)" % pos).strip()
        if got != "0":
            raise DemoError("the replica did not reach %s" % pos)
        log("check: a write on the primary reached the replica (%s)" % pos)

    def check_dbproxyd(self):
        r = subprocess.run(
            ["mariadb", "--no-defaults", "--protocol=tcp", "-h", "127.0.0.1",
             "-P", "6033", "-u", APP_USER, "-p" + APP_PASSWORD, "--batch",
             "--skip-column-names", "-e", "SELECT id FROM foobar.demo_check"],
            capture_output=True, text=True, timeout=30)
        if r.returncode != 0 or r.stdout.strip() != "1":
            raise DemoError("dbproxyd 6033: %s %s" % (r.stdout, r.stderr))
        log("check: SELECT through dbproxyd on 6033 answered")

    # -- stop ---------------------------------------------------------------

    def stop(self):
        for p in reversed(self.procs):
            p.stop()
        for db in reversed(self.db):
            db.stop()
        self.procs, self.db = [], []


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--state", default=os.path.join(SRC, "run"),
                    help="state folder (default: ./run)")
    ap.add_argument("--build", default=os.path.join(SRC, "build"),
                    help="build folder (default: ./build)")
    ap.add_argument("--check", action="store_true",
                    help="start, check every URL, stop")
    args = ap.parse_args()
    demo = Demo(args)
    # SIGTERM and SIGHUP stop as cleanly as Ctrl-C does; SIGINT too when
    # the demo was started in the background (which ignores it).
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.default_int_handler)
    rc = 0
    try:
        demo.prepare()
        demo.start_mariadb()
        demo.start_daemons()
        if args.check:
            demo.check()
            log("check: OK")
        else:
            demo.banner()
            demo.live()
    except KeyboardInterrupt:
        print()
        log("stopping")
    except DemoError as e:
        log("error: %s" % e)
        rc = 1
    finally:
        demo.stop()
    if rc == 0:
        log("stopped; data kept in %s" % demo.state)
    return rc


if __name__ == "__main__":
    sys.exit(main())
