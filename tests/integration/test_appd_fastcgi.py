"""appd's fastcgi and cgi kinds with real programs: php-cgi running the
PHP twin of foobar (appd/apps/foobar-php) in a pool appd spawns, php-cgi
started by the test as an external FastCGI server (`address`), and CGI
shell scripts.

The twin's database routes need PHP's mysqli (Debian php-mysql); without
it those are skipped with a message and the rest still runs.
"""

import json
import os
import re
import shutil
import socket
import stat
import subprocess
import time

import triadtest
from triadtest import http
from triadtest.mariadb import MariaDBCluster

APPD = triadtest.build_path("appd", "appd")
TWIN = os.path.join(triadtest.source_dir(), "appd", "apps", "foobar-php")

TOPOLOGY = triadtest.one_daemon("appd") + """\
  apps:
    - name: php
      kind: fastcgi
      routes: [/api/]
      command: [php-cgi]
      root: {twin}
      script: index.php
      max_children: 2
      max_requests: 4
      env: [FOOBAR_DB_HOST=127.0.0.1, FOOBAR_DB_PORT={dbport},
            FOOBAR_DB_USER=triad, FOOBAR_DB_PASSWORD=triadpw,
            FOOBAR_DB_NAME=triadtest]
    - name: phpfiles
      kind: fastcgi
      routes: [/php/]
      command: [php-cgi]
      root: {www}
      max_children: 1
    - name: external
      kind: fastcgi
      routes: [/ext/]
      address: "127.0.0.1:{ext}"
      root: {www}
      script: info.php
      max_children: 2
    - name: cgi
      kind: cgi
      routes: [/cgi-bin/]
      root: {www}
      max_children: 2
      request_timeout: 1s
      kill_grace: 200ms
      client_max_body_size: 2k
    - name: confined
      kind: cgi
      routes: [/confined/]
      root: {www}
      user: nobody
      group: nogroup
      chdir: /tmp
      env: [GREETING=hi there]
      rlimits: {{ nofile: 64, cpu: 5s{memory} }}
"""

INFO_PHP = """<?php
header('Content-Type: application/json');
echo json_encode(['script' => $_SERVER['SCRIPT_FILENAME'] ?? null,
  'path_info' => $_SERVER['PATH_INFO'] ?? null,
  'query' => $_SERVER['QUERY_STRING'] ?? null,
  'remote' => $_SERVER['REMOTE_ADDR'] ?? null,
  'https' => $_SERVER['HTTPS'] ?? null,
  'proxy' => getenv('HTTP_PROXY') ?: null,
  'method' => $_SERVER['REQUEST_METHOD'],
  'body' => file_get_contents('php://input')]);
error_log("info.php was here");
"""

HELLO_SH = """#!/bin/sh
printf 'Content-Type: text/plain\\r\\n\\r\\n'
echo "method=$REQUEST_METHOD query=$QUERY_STRING path_info=$PATH_INFO"
echo "remote=$REMOTE_ADDR script=$SCRIPT_NAME"
echo "appd_env=${TRIAD_APPD_DB_PASSWORD:-none}"
echo "cgi stderr says hi" >&2
cat
"""

STATUS_SH = """#!/bin/sh
printf 'Status: 418 Teapot\\nX-Mine: yes\\n\\nshort and stout\\n'
"""

SLOW_SH = """#!/bin/sh
sleep 30 &
sleep 30
"""

WHO_SH = """#!/bin/sh
printf 'Content-Type: text/plain\\n\\n'
echo "uid=$(id -u) gid=$(id -g) cwd=$(pwd) nofile=$(ulimit -n)" \\
    "cpu=$(ulimit -t)"
echo "greeting=$GREETING"
"""

BAD_SH = """#!/bin/sh
echo "this is no header line"
"""


def sanitized():
    """True for an AddressSanitizer build: its shadow memory does not fit
    under a RLIMIT_AS, so the memory limit is left out there."""
    try:
        with open(triadtest.build_path("CMakeCache.txt")) as f:
            return "TRIAD_SANITIZE:BOOL=ON" in f.read()
    except OSError:
        return False


def has_mysqli():
    try:
        out = subprocess.run(["php-cgi", "-m"], capture_output=True,
                             text=True, timeout=20).stdout
    except OSError:
        return False
    return "mysqli" in out


class AppdFastcgiTest(triadtest.TestCase):

    @classmethod
    def setUpClass(cls):
        triadtest.require_program("php-cgi")
        cls.mysqli = has_mysqli()
        cls.db = MariaDBCluster(replicas=0).start() if cls.mysqli else None
        cls.dir = triadtest.tempdir("appd-fastcgi")
        cls.www = os.path.join(cls.dir, "www")
        os.makedirs(os.path.join(cls.www, "cgi-bin"))
        os.makedirs(os.path.join(cls.www, "php"))
        with open(os.path.join(cls.www, "info.php"), "w") as f:
            f.write(INFO_PHP)
        shutil.copy(os.path.join(cls.www, "info.php"),
                    os.path.join(cls.www, "php", "info.php"))
        for name, text in (("hello.sh", HELLO_SH), ("status.sh", STATUS_SH),
                           ("slow.sh", SLOW_SH), ("bad.sh", BAD_SH),
                           ("who.sh", WHO_SH),
                           ("noexec.sh", HELLO_SH)):
            p = os.path.join(cls.www, "cgi-bin", name)
            with open(p, "w") as f:
                f.write(text)
            if name != "noexec.sh":
                os.chmod(p, 0o755)
        cls.port, cls.status, cls.ext = triadtest.free_ports(3)
        os.makedirs(os.path.join(cls.www, "confined"))
        shutil.copy(os.path.join(cls.www, "cgi-bin", "who.sh"),
                    os.path.join(cls.www, "confined", "who.sh"))
        os.chmod(cls.dir, 0o755)    # nobody must reach the script
        cls.php = triadtest.Daemon(
            ["php-cgi", "-b", "127.0.0.1:%d" % cls.ext], name="php-cgi-ext",
            env={"PHP_FCGI_CHILDREN": "0"}, tcp=("127.0.0.1", cls.ext))
        cls.php.start()
        conf = cls.conf = os.path.join(cls.dir, "triad.yaml")
        with open(conf, "w") as f:
            f.write(TOPOLOGY.format(
                port=cls.port, status=cls.status, twin=TWIN, www=cls.www,
                ext=cls.ext, dbport=cls.db.primary.port if cls.db else 1,
                memory="" if sanitized() else ", memory: 512m"))
        cls.appd = triadtest.Daemon(
            [APPD, "-f", "-c", conf, "--host", "h1"], name="appd",
            health_url="http://127.0.0.1:%d/health" % cls.status)
        cls.appd.start()
        cls.base = "http://127.0.0.1:%d" % cls.port

    @classmethod
    def tearDownClass(cls):
        cls.appd.stop()
        cls.php.stop()
        if cls.db:
            cls.db.close()

    def get(self, path, **kw):
        return http.get(self.base + path, **kw)

    # -- the PHP twin under php-cgi ------------------------------------

    def test_twin_hello_and_errors(self):
        r = self.get("/api/hello")
        self.assertEqual((r.status, r.body), (200, b"hello\n"))
        r = http.post(self.base + "/api/posts", b"{oops",
                      content_type="application/json")
        self.assertEqual(r.status, 400)
        self.assertIn("malformed JSON", r.json()["error"])
        r = http.post(self.base + "/api/posts", b'{"author": 3, "body": "x"}',
                      content_type="application/json")
        self.assertEqual(r.status, 400)
        self.assertEqual(self.get("/api/nothing").status, 404)
        self.assertEqual(self.get("/api/posts?page=0").status, 400)

    def test_twin_recycled_after_max_requests(self):
        mark = self.appd.log_mark()
        for _ in range(10):
            self.assertEqual(self.get("/api/hello").status, 200)
        self.appd.wait_log(r"app php: worker \d+ served 4 requests: "
                           r"recycled", since=mark)

    def test_twin_database(self):
        if not self.mysqli:
            self.skipTest("php-cgi has no mysqli (Debian php-mysql): the "
                          "twin's database routes are not tested")
        r = http.post(self.base + "/api/posts",
                      json.dumps({"author": "php", "body": "from php"}),
                      content_type="application/json")
        self.assertEqual(r.status, 201, r.body)
        pid = r.json()["id"]
        self.assertEqual(r.header("location"), "/api/posts/%d" % pid)
        self.assertEqual(self.get("/api/posts/%d" % pid).json()["body"],
                         "from php")
        r = http.post(self.base + "/api/posts/%d/like" % pid, b"")
        self.assertEqual(r.json(), {"id": pid, "likes": 1})
        self.assertEqual(self.get("/api/stats").status, 200)

    # -- fastcgi params ---------------------------------------------------

    def test_params_and_stderr(self):
        mark = self.appd.log_mark()
        r = http.post(self.base + "/php/info.php/extra/path?x=1", b"data",
                      headers={"X-Forwarded-For": "203.0.113.5",
                               "X-Forwarded-Proto": "https",
                               "Proxy": "http://evil:1"})
        self.assertEqual(r.status, 200, r.body)
        info = r.json()
        self.assertEqual(info["script"],
                         os.path.join(self.www, "php", "info.php"))
        self.assertEqual(info["path_info"], "/extra/path")
        self.assertEqual(info["query"], "x=1")
        self.assertEqual(info["remote"], "203.0.113.5")
        self.assertEqual(info["https"], "on")
        self.assertIsNone(info["proxy"])
        self.assertEqual(info["body"], "data")
        self.appd.wait_log(r"app phpfiles: worker \d+ stderr: .*info.php "
                           r"was here", since=mark)

    def test_php_traversal_refused(self):
        r = http.raw_exchange("127.0.0.1", self.port,
                              b"GET /php/../info.php HTTP/1.1\r\nHost: x\r\n"
                              b"Connection: close\r\n\r\n")
        self.assertEqual(r.status(), 400)
        r = http.raw_exchange("127.0.0.1", self.port,
                              b"GET /php/%2e%2e/info.php HTTP/1.1\r\n"
                              b"Host: x\r\nConnection: close\r\n\r\n")
        self.assertEqual(r.status(), 400)

    def test_external_fastcgi_address(self):
        for _ in range(3):
            r = self.get("/ext/anything?y=2")
            self.assertEqual(r.status, 200, r.body)
            info = r.json()
            self.assertEqual(info["script"],
                             os.path.join(self.www, "info.php"))
            self.assertEqual(info["path_info"], "/ext/anything")

    # -- cgi ------------------------------------------------------------

    def test_cgi_shell_script(self):
        mark = self.appd.log_mark()
        r = http.post(self.base + "/cgi-bin/hello.sh/more?a=b", b"input!")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.header("content-type"), "text/plain")
        self.assertEqual(r.body,
                         b"method=POST query=a=b path_info=/more\n"
                         b"remote=127.0.0.1 script=/cgi-bin/hello.sh\n"
                         b"appd_env=none\ninput!")
        self.appd.wait_log(r"app cgi: cgi /cgi-bin/hello.sh/more stderr: "
                           r"cgi stderr says hi", since=mark)

    def test_cgi_status_and_errors(self):
        r = self.get("/cgi-bin/status.sh")
        self.assertEqual((r.status, r.header("x-mine"), r.body),
                         (418, "yes", b"short and stout\n"))
        self.assertEqual(self.get("/cgi-bin/none.sh").status, 404)
        self.assertEqual(self.get("/cgi-bin/noexec.sh").status, 403)
        self.assertEqual(self.get("/cgi-bin/bad.sh").status, 502)
        r = http.raw_exchange("127.0.0.1", self.port,
                              b"GET /cgi-bin/../cgi-bin/hello.sh HTTP/1.1\r\n"
                              b"Host: x\r\nConnection: close\r\n\r\n")
        self.assertEqual(r.status(), 400)

    def test_cgi_body_limit_413(self):
        r = http.post(self.base + "/cgi-bin/hello.sh", b"z" * 3000)
        self.assertEqual(r.status, 413)

    def test_zz_reload_under_load_php(self):
        """SIGHUP while clients use the php-cgi pool: new php-cgi workers,
        old ones finish their requests, no request fails."""
        first = self.appd.log_mark()

        def reloads():
            for i in range(2):
                time.sleep(0.3)
                mark = self.appd.log_mark()
                self.appd.reload()
                self.appd.wait_log(r"generation %d in service" % (i + 2),
                                   since=mark)
            time.sleep(0.3)

        counts = http.hammer(
            lambda: self.get("/api/hello", timeout=10).status, reloads,
            clients=3)
        self.assertEqual(counts["bad"], [])
        self.assertGreater(counts["ok"], 10)
        # New workers got sockets of their own (old ones still hold theirs).
        self.assertNotIn("binding a worker socket",
                         self.appd.log_text()[first:])

    def test_cgi_user_chdir_env_rlimits(self):
        if os.geteuid() != 0:
            self.skipTest("switching users needs appd to run as root")
        import pwd
        import grp
        r = self.get("/confined/who.sh")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.body.decode(),
                         "uid=%d gid=%d cwd=/tmp nofile=64 cpu=5\n"
                         "greeting=hi there\n" % (
                             pwd.getpwnam("nobody").pw_uid,
                             grp.getgrnam("nogroup").gr_gid))

    def test_cgi_timeout_kills_group(self):
        mark = self.appd.log_mark()
        r = self.get("/cgi-bin/slow.sh", timeout=10)
        self.assertEqual(r.status, 504)
        self.appd.wait_log(r"app cgi: cgi /cgi-bin/slow.sh \(pid (\d+)\) "
                           r"ran past request_timeout", since=mark)
        pid = int(re.search(r"slow.sh \(pid (\d+)\) ran past",
                            self.appd.log_text()[mark:]).group(1))
        deadline = time.time() + 10
        while True:        # the group (the script and its sleep) is gone
            alive = subprocess.run(["pgrep", "-g", str(pid)],
                                   capture_output=True).returncode == 0
            if not alive:
                break
            self.assertLess(time.time(), deadline, "script group lives on")
            time.sleep(0.05)


if __name__ == "__main__":
    triadtest.main()
