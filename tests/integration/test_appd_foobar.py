"""The foobar message board end to end: curl-like clients -> webd -> appd
(the foobar C module) -> dbproxyd -> the MariaDB fixture (a primary and
two GTID replicas).

Posts are written on the primary and read back from a replica: the test
changes a post on the replicas only (sql_log_bin=0) and sees the API
answer with the replica's text. Without a dbproxyd binary in the build,
appd talks to the primary directly and that part is skipped (said so).
"""

import hashlib
import json
import os
import shutil
import threading

import triadtest
from triadtest import http
from triadtest.mariadb import MariaDBCluster

APPD = triadtest.build_path("appd", "appd")
WEBD = triadtest.build_path("webd", "webd")
DBPROXYD = triadtest.build_path("dbproxyd", "dbproxyd")
FOOBAR = triadtest.build_path("appd", "foobar.so")

TOPOLOGY = """\
site: www.foobar.com
hosts:
  h1: {{ address: 127.0.0.1 }}
webd:
  on: [h1]
  listen: {web}
  status: {webst}
  workers: 1
  root: {www}
  mime_types: {mime}
  routes:
    - {{ prefix: /api/, to: appd }}
appd:
  on: [h1]
  listen: {app}
  status: {appst}
  workers: 1
  database: {{ address: "{dbaddr}", user: triad, password: triadpw,
              db: triadtest, pool: 2 }}
  apps:
    - name: foobar
      routes: [/api/]
      module: {foobar}
      max_children: 3
      client_max_body_size: 16k
{dbproxyd}"""

DBPROXYD_SECTION = """\
dbproxyd:
  on: [h1]
  listen: {port}
  status: {status}
  workers: 1
  users:
    - {{ name: triad, password_hash: "{hash}" }}
  backend_user: triad
  backend_password: triadpw
  monitor_user: triad
  monitor_password: triadpw
  monitor_interval: 200ms
  pool_min: 1
  primary: "127.0.0.1:{p0}"
  replicas: ["127.0.0.1:{p1}", "127.0.0.1:{p2}"]
"""


def native_hash(password):
    """mysql_native_password's stored hash: '*' + SHA1(SHA1(pw)), hex."""
    inner = hashlib.sha1(password.encode()).digest()
    return "*" + hashlib.sha1(inner).hexdigest().upper()


class FoobarTest(triadtest.TestCase):

    @classmethod
    def setUpClass(cls):
        for p in (APPD, WEBD, FOOBAR):
            assert os.path.exists(p), p + " is not built"
        cls.db = MariaDBCluster(replicas=2).start()
        cls.dir = triadtest.tempdir("appd-foobar")
        www = os.path.join(cls.dir, "www")
        shutil.copytree(os.path.join(triadtest.source_dir(), "www"), www)
        (web, webst, app, appst, dbp, dbpst) = triadtest.free_ports(6)
        cls.via_dbproxyd = os.path.exists(DBPROXYD)
        section = ""
        if cls.via_dbproxyd:
            section = DBPROXYD_SECTION.format(
                port=dbp, status=dbpst, hash=native_hash("triadpw"),
                p0=cls.db.primary.port, p1=cls.db.replicas[0].port,
                p2=cls.db.replicas[1].port)
            dbaddr = "dbproxyd"
        else:
            dbaddr = "127.0.0.1:%d" % cls.db.primary.port
        conf = os.path.join(cls.dir, "triad.yaml")
        with open(conf, "w") as f:
            f.write(TOPOLOGY.format(
                web=web, webst=webst, app=app, appst=appst, www=www,
                mime=os.path.join(triadtest.source_dir(), "etc",
                                  "mime.types"),
                dbaddr=dbaddr, foobar=FOOBAR, dbproxyd=section))
        cls.daemons = []
        if cls.via_dbproxyd:
            cls.start(DBPROXYD, "dbproxyd", conf, dbpst)
        cls.appd = cls.start(APPD, "appd", conf, appst)
        cls.start(WEBD, "webd", conf, webst)
        cls.base = "http://127.0.0.1:%d" % web

    @classmethod
    def start(cls, binary, name, conf, status):
        d = triadtest.Daemon([binary, "-f", "-c", conf, "--host", "h1"],
                             name=name, health_url="http://127.0.0.1:%d/"
                             "health" % status)
        d.start()
        cls.daemons.append(d)
        return d

    @classmethod
    def tearDownClass(cls):
        for d in reversed(cls.daemons):
            d.stop()
        cls.db.close()

    def api(self, method, path, body=None, raw=None):
        data = raw if raw is not None else (
            json.dumps(body).encode() if body is not None else None)
        headers = {"Content-Type": "application/json"} if data else {}
        return http.request(method, self.base + path, body=data,
                            headers=headers)

    def new_post(self, author="ann", body="hello board"):
        r = self.api("POST", "/api/posts", {"author": author, "body": body})
        self.assertEqual(r.status, 201, r.body)
        return r

    def test_page_served_by_webd(self):
        r = http.get(self.base + "/")
        self.assertEqual(r.status, 200)
        self.assertIn(b"fetch(", r.body)
        self.assertIn(b"/api/posts", r.body)

    def test_create_read_on_primary_and_replica(self):
        r = self.new_post(body="written on the primary")
        post = r.json()
        self.assertEqual(r.header("location"), "/api/posts/%d" % post["id"])
        self.assertEqual(post["likes"], 0)
        pid = post["id"]
        self.assertEqual(self.db.primary.value(
            "SELECT body FROM triadtest.posts WHERE id = %d" % pid),
            "written on the primary")
        self.db.wait_all_replicated()
        for i, rep in enumerate(self.db.replicas):
            self.assertEqual(rep.value("SELECT body FROM triadtest.posts "
                                       "WHERE id = %d" % pid),
                             "written on the primary")
        got = self.api("GET", "/api/posts/%d" % pid)
        self.assertEqual(got.status, 200)
        self.assertEqual(got.json()["author"], "ann")
        listing = self.api("GET", "/api/posts?page=1").json()
        self.assertIn(pid, [p["id"] for p in listing["posts"]])
        if not self.via_dbproxyd:
            self.skipTest("no dbproxyd in the build: appd read from the "
                          "primary; the read-from-a-replica part is skipped")
        # Change the post on the replicas only: the API must show it.
        for i, rep in enumerate(self.db.replicas):
            rep.sql("SET sql_log_bin = 0; UPDATE triadtest.posts SET body "
                    "= 'replica %d' WHERE id = %d" % (i, pid), admin=True)
        seen = {self.api("GET", "/api/posts/%d" % pid).json()["body"]
                for _ in range(6)}
        self.assertTrue(seen <= {"replica 0", "replica 1"}, seen)

    def test_likes_are_atomic(self):
        pid = self.new_post(body="like me").json()["id"]
        errors = []

        def like():
            for _ in range(10):
                r = self.api("POST", "/api/posts/%d/like" % pid)
                if r.status != 200:
                    errors.append(r.status)

        threads = [threading.Thread(target=like) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(self.db.primary.value(
            "SELECT likes FROM triadtest.posts WHERE id = %d" % pid), "40")
        r = self.api("POST", "/api/posts/%d/like" % pid)
        self.assertEqual(r.json(), {"id": pid, "likes": 41})

    def test_stats(self):
        self.new_post()
        self.db.wait_all_replicated()
        s = self.api("GET", "/api/stats").json()
        n = int(self.db.primary.value("SELECT COUNT(*) FROM triadtest.posts"))
        likes = int(self.db.primary.value(
            "SELECT COALESCE(SUM(likes), 0) FROM triadtest.posts"))
        self.assertEqual(s, {"posts": n, "likes": likes})

    def test_bad_input_400(self):
        cases = [
            b"{not json",
            b"[1, 2]",
            b'{"author": "x"}',
            b'{"author": 5, "body": "x"}',
            b'{"author": "x", "body": ["x"]}',
            b'{"author": "", "body": "x"}',
            json.dumps({"author": "a" * 65, "body": "x"}).encode(),
            json.dumps({"author": "x", "body": "b" * 2001}).encode(),
            b'{"author": "x", "author": "y", "body": "z"}',
            b'{"author": "x\\u0000y", "body": "z"}',
            b"\xff\xfe",
        ]
        for raw in cases:
            r = self.api("POST", "/api/posts", raw=raw)
            self.assertEqual(r.status, 400, raw)
            self.assertIn("error", r.json(), raw)
        # Characters, not bytes: 64 three-byte characters are fine.
        r = self.api("POST", "/api/posts", {"author": "€" * 64, "body": "ok"})
        self.assertEqual(r.status, 201)
        for q in ("page=0", "page=abc", "page=-1", "page=100001", "page="):
            r = self.api("GET", "/api/posts?" + q)
            self.assertEqual(r.status, 400, q)

    def test_not_found_and_methods(self):
        self.assertEqual(self.api("GET", "/api/posts/999999999").status, 404)
        self.assertEqual(self.api("POST", "/api/posts/999999999/like")
                         .status, 404)
        self.assertEqual(self.api("GET", "/api/posts/012").status, 404)
        self.assertEqual(self.api("GET", "/api/posts/1x").status, 404)
        self.assertEqual(self.api("DELETE", "/api/posts").status, 405)
        self.assertEqual(self.api("GET", "/api/posts/1/like").status, 405)
        self.assertEqual(self.api("GET", "/api/nothing").status, 404)

    def test_body_over_limit_413(self):
        big = json.dumps({"author": "x", "body": "y" * 20000}).encode()
        r = self.api("POST", "/api/posts", raw=big)
        self.assertEqual(r.status, 413)

    def test_sql_injection_is_data(self):
        evil = "'); DROP TABLE posts; --"
        pid = self.new_post(author=evil, body="\\' OR 1=1 --").json()["id"]
        self.db.wait_all_replicated()
        r = self.api("GET", "/api/posts/%d" % pid).json()
        self.assertEqual((r["author"], r["body"]),
                         (evil, "\\' OR 1=1 --"))

    def test_zz_schema_is_idempotent(self):
        """A restart runs CREATE TABLE IF NOT EXISTS again: data stays."""
        n = self.db.primary.value("SELECT COUNT(*) FROM triadtest.posts")
        self.appd.restart()
        self.assertEqual(self.api("GET", "/api/stats").status, 200)
        self.assertEqual(self.db.primary.value(
            "SELECT COUNT(*) FROM triadtest.posts"), n)


if __name__ == "__main__":
    triadtest.main()
