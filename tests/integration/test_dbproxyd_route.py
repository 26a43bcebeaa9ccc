"""dbproxyd in front of a real primary and two GTID replicas.

Routing is observed through @@server_id (100 is the primary, 101 and 102
the replicas): autocommit reads go to a replica; writes, FOR UPDATE,
locking functions, transactions, temporary tables and hints go where
they must.  Also: the mariadb CLI end to end, multi-statements, a 20 MB
blob both ways, session variables that must not leak through the pools,
bad logins.
"""

import hashlib
import json
import os
import re
import socket
import ssl
import struct
import subprocess
import time

import triadtest
from triadtest.proc import poll_until
from triadtest import http
from triadtest.mariadb import MariaDBCluster, MariaDBError, client_sql

DBPROXYD = triadtest.build_path("dbproxyd", "dbproxyd")

TOPOLOGY = """\
site: test.example
hosts:
  h1: {{ address: 127.0.0.1 }}
dbproxyd:
  on: [h1]
  listen: [{port}, "unix:{sock}"]
  status: {status}
  workers: {workers}
  users:
    - {{ name: app, password_hash: "{hash}" }}
    - {{ name: triad, password_hash: "{hash2}" }}
  backend_user: triad
  backend_password: triadpw
  monitor_user: triad
  monitor_password: triadpw
  monitor_interval: 200ms
  max_replication_lag: 5s
  read_your_writes: {ryw}
  auth_fail_delay: 200ms
  pool_min: 1
  max_packet: {max_packet}
  login_timeout: 1s
  primary: "{a0}"
  replicas: ["{a1}", "{a2}"]
{extra}"""


class Wire:
    """A minimal MySQL client on a raw socket (python stdlib only): login
    with mysql_native_password, COM_QUERY with text results, any raw
    packet.  Why: the mariadb CLI strips comments (routing hints), splits
    multi-statements itself and cannot send a 20 MB statement or garbage.
    """

    CAPS = (0x1 | 0x4 | 0x200 | 0x2000 | 0x8000 | 0x10000 | 0x20000 |
            0x40000 | 0x80000 | 0x1000000)

    def __init__(self, port, user="app", password="apppw", caps=None,
                 plugin=b"mysql_native_password", timeout=20.0, tls=None,
                 db=None):
        self.s = socket.create_connection(("127.0.0.1", port), timeout)
        self.caps = self.CAPS if caps is None else caps
        self.buf = b""
        seq, greet = self.read()
        self.greeting_caps = struct.unpack("<H", greet[greet.index(
            b"\0", 1) + 14:greet.index(b"\0", 1) + 16])[0]
        login_seq = 1
        if tls is not None:          # an ssl.SSLContext
            self.caps |= 0x800
            self.send(struct.pack("<IIB23x", self.caps, 1 << 24, 45), 1)
            self.s = tls.wrap_socket(self.s, server_hostname="127.0.0.1")
            login_seq = 2
        vend = greet.index(b"\0", 1)
        scramble = greet[vend + 5:vend + 13]
        rest = greet[vend + 13 + 1 + 2 + 1 + 2 + 2 + 1 + 10:]
        scramble += rest[:12]
        tok = self.token(password, scramble) if plugin == \
            b"mysql_native_password" else b"x" * 32
        if db is not None:             # CLIENT_CONNECT_WITH_DB
            self.caps |= 0x8
        pkt = struct.pack("<IIB23x", self.caps, 1 << 24, 45)
        pkt += user.encode() + b"\0" + bytes([len(tok)]) + tok
        if db is not None:
            pkt += db.encode() + b"\0"
        pkt += plugin + b"\0"
        self.send(pkt, login_seq)
        seq, r = self.read()
        if r[0] == 0xfe:               # AuthSwitchRequest
            name_end = r.index(b"\0", 1)
            self.send(self.token(password, r[name_end + 1:name_end + 21]),
                      seq + 1)
            seq, r = self.read()
        if r[0] == 0xff:
            raise MariaDBError(r[9:].decode(), struct.unpack("<H", r[1:3])[0])

    @staticmethod
    def token(pw, scramble):
        s1 = hashlib.sha1(pw.encode()).digest()
        mix = hashlib.sha1(scramble + hashlib.sha1(s1).digest()).digest()
        return bytes(a ^ b for a, b in zip(s1, mix))

    def close(self):
        self.s.close()

    def recv_exact(self, n):
        while len(self.buf) < n:
            d = self.s.recv(1 << 20)
            if not d:
                raise ConnectionError("closed by dbproxyd")
            self.buf += d
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read(self):
        """One logical packet (frames joined): (last seq, payload)."""
        data = b""
        while True:
            h = self.recv_exact(4)
            n = h[0] | h[1] << 8 | h[2] << 16
            data += self.recv_exact(n)
            if n < 0xffffff:
                return h[3], data

    def send(self, payload, seq=0):
        out = b""
        while True:
            chunk, payload = payload[:0xffffff], payload[0xffffff:]
            out += struct.pack("<I", len(chunk))[:3] + bytes([seq & 255])
            out += chunk
            seq += 1
            if len(chunk) < 0xffffff:
                break
        self.s.sendall(out)

    @staticmethod
    def lenenc(p, i):
        c = p[i]
        if c < 0xfb:
            return c, i + 1
        if c == 0xfb:
            return None, i + 1
        n = {0xfc: 2, 0xfd: 3, 0xfe: 8}[c]
        return int.from_bytes(p[i + 1:i + 1 + n], "little"), i + 1 + n

    def results(self):
        """Every result of one command: lists of rows (tuples of bytes or
        None), [] for an OK; raises MariaDBError on ERR."""
        out = []
        while True:
            _, p = self.read()
            if p[0] == 0xff:
                raise MariaDBError(p[9:].decode("utf-8", "replace"),
                                   struct.unpack("<H", p[1:3])[0])
            if p[0] == 0xfe and len(p) < 9:          # EOF (SET_OPTION)
                status = struct.unpack("<H", p[3:5])[0]
                out.append([])
            elif p[0] == 0x00:
                _, i = self.lenenc(p, 1)
                _, i = self.lenenc(p, i)
                status = struct.unpack("<H", p[i:i + 2])[0]
                out.append([])
            else:
                ncols, _ = self.lenenc(p, 0)
                for _ in range(ncols):
                    self.read()
                rows = []
                while True:
                    _, p = self.read()
                    if p[0] == 0xfe and len(p) < 0xffffff:
                        _, i = self.lenenc(p, 1)
                        _, i = self.lenenc(p, i)
                        status = struct.unpack("<H", p[i:i + 2])[0]
                        break
                    if p[0] == 0xff:
                        raise MariaDBError(p[9:].decode(), struct.unpack(
                            "<H", p[1:3])[0])
                    row, i = [], 0
                    for _ in range(ncols):
                        n, i = self.lenenc(p, i)
                        row.append(None if n is None else p[i:i + n])
                        i += n or 0
                    rows.append(tuple(row))
                out.append(rows)
            if not status & 0x8:
                return out

    def query(self, q):
        self.send(b"\x03" + (q.encode() if isinstance(q, str) else q))
        return self.results()

    def value(self, q):
        return int(self.query(q)[-1][0][0])


def native_hash(pw):
    return "*" + hashlib.sha1(hashlib.sha1(pw.encode()).digest()) \
        .hexdigest().upper()


class DbproxydCase(triadtest.TestCase):
    """One cluster for the class; one dbproxyd per test."""

    RYW = "off"
    WORKERS = 2
    MAX_PACKET = "64m"
    EXTRA = ""

    @classmethod
    def setUpClass(cls):
        cls.db = MariaDBCluster(replicas=2).start()
        cls.db.sql(cls.db.primary, "CREATE TABLE triadtest.t (id INT "
                   "PRIMARY KEY AUTO_INCREMENT, v VARCHAR(64)); "
                   "CREATE TABLE triadtest.blobs (id INT PRIMARY KEY, "
                   "b LONGBLOB)")
        cls.db.wait_all_replicated()

    @classmethod
    def tearDownClass(cls):
        cls.db.close()

    def setUp(self):
        self.assertTrue(os.access(DBPROXYD, os.X_OK), DBPROXYD +
                        " is not built")
        self.dir = triadtest.tempdir("dbproxyd")
        self.port, self.status = triadtest.free_ports(2)
        self.sock = os.path.join(self.dir, "dbproxyd.sock")
        self.conf = os.path.join(self.dir, "triad.yaml")
        s = self.db.servers
        with open(self.conf, "w") as f:
            f.write(TOPOLOGY.format(
                port=self.port, status=self.status, sock=self.sock,
                workers=self.WORKERS, hash=native_hash("apppw"),
                hash2=native_hash("triadpw"), ryw=self.RYW,
                a0=self.address(s[0]), a1=self.address(s[1]),
                a2=self.address(s[2]), max_packet=self.MAX_PACKET,
                extra=self.extra()))
        self.d = triadtest.Daemon(
            [DBPROXYD, "-f", "-v", "-c", self.conf, "--host", "h1"],
            health_url="http://127.0.0.1:%d/health" % self.status).start()
        self.wait_servers_up()

    def extra(self):
        """More keys of dbproxyd's section (a subclass's)."""
        return self.EXTRA

    def address(self, server):
        """How dbproxyd reaches a MariaDB server (a subclass may say
        unix:/path)."""
        return "127.0.0.1:%d" % server.port

    def tearDown(self):
        self.d.stop_clean()

    def state(self):
        st = http.get("http://127.0.0.1:%d/status" % self.status).json()
        return {s["name"]: s for s in st["servers"]}

    def wait_servers_up(self, timeout=20.0):
        def up():
            return all(s["state"] == "up" for s in self.state().values())
        poll_until(up, timeout, "every server up")

    def sql(self, q, user="app", password="apppw", **kw):
        return client_sql(q, host="127.0.0.1", port=self.port, user=user,
                          password=password, **kw)

    def server_id(self, q="SELECT @@server_id", **kw):
        return int(self.sql(q, **kw)[-1][0])


class RouteTest(DbproxydCase):

    def test_cli_reads_go_to_replicas_writes_to_primary(self):
        ids = {self.server_id() for _ in range(8)}
        self.assertTrue(ids <= {101, 102} and ids, ids)
        self.sql("INSERT INTO triadtest.t (v) VALUES ('w')")
        rows = self.db.sql(self.db.primary, "SELECT count(*) FROM "
                           "triadtest.t WHERE v = 'w'")
        self.assertGreaterEqual(int(rows[0][0]), 1)
        # The CLI over the Unix socket too.
        r = client_sql("SELECT @@server_id", unix=self.sock, user="app",
                       password="apppw")
        self.assertIn(int(r[0][0]), (101, 102))

    def test_locking_reads_and_functions_go_to_primary(self):
        for q in ("SELECT @@server_id FROM triadtest.t LIMIT 1 FOR UPDATE",
                  "SELECT @@server_id FROM triadtest.t LIMIT 1 "
                  "LOCK IN SHARE MODE",
                  "SELECT @@server_id, GET_LOCK('x', 0)",
                  "SELECT @@server_id, LAST_INSERT_ID()"):
            self.sql("INSERT IGNORE INTO triadtest.t (id, v) VALUES (1, 'a')")
            self.assertEqual(self.server_id(q), 100, q)

    def test_transactions(self):
        # The CLI sends each statement alone: the SELECT inside the
        # transaction runs on the primary, the one after COMMIT does not.
        r = self.sql("BEGIN; SELECT @@server_id; COMMIT; SELECT @@server_id",
                     database="triadtest")
        self.assertEqual(int(r[0][0]), 100)
        self.assertIn(int(r[1][0]), (101, 102))
        r = self.sql("SET autocommit=0; SELECT @@server_id; COMMIT")
        self.assertEqual(int(r[-1][0]), 100)
        w = Wire(self.port)
        try:
            w.query("START TRANSACTION READ ONLY")
            ro = w.value("SELECT @@server_id")
            self.assertIn(ro, (101, 102))
            # Pinned to that replica until COMMIT.
            self.assertEqual({w.value("SELECT @@server_id")
                              for _ in range(5)}, {ro})
            w.query("COMMIT")
            w.query("SET autocommit = 0")
            self.assertEqual(w.value("SELECT @@server_id"), 100)
            w.query("COMMIT")
            w.query("SET autocommit = 1")
            self.assertIn(w.value("SELECT @@server_id"), (101, 102))
        finally:
            w.close()
        st = http.get("http://127.0.0.1:%d/metrics" % self.status).text()
        self.assertRegex(st, r"transactions_total [1-9]")

    def test_temp_table_pins_session_to_primary(self):
        r = self.sql("CREATE TEMPORARY TABLE tt (a INT); "
                     "INSERT INTO tt VALUES (1)", database="triadtest")
        self.assertEqual(r, [])

    def test_lock_tables_pins_to_primary(self):
        w = Wire(self.port)
        try:
            w.query("LOCK TABLES triadtest.t READ")
            self.assertEqual(w.value("SELECT @@server_id FROM triadtest.t "
                                     "LIMIT 1"), 100)
            w.query("UNLOCK TABLES")
            self.assertIn(w.value("SELECT @@server_id"), (101, 102))
        finally:
            w.close()

    def test_hints(self):
        w = Wire(self.port)
        try:
            self.assertEqual(w.value("/* triad:primary */ SELECT "
                                     "@@server_id"), 100)
            # LAST_INSERT_ID() alone would go to the primary.
            self.assertIn(w.value("SELECT /* triad:replica */ @@server_id, "
                                  "LAST_INSERT_ID()"), (101, 102))
            self.assertIn(w.value("SELECT @@server_id"), (101, 102))
        finally:
            w.close()

    def test_temp_table_keeps_session_on_primary(self):
        w = Wire(self.port)
        try:
            self.assertIn(w.value("SELECT @@server_id"), (101, 102))
            w.query("CREATE TEMPORARY TABLE triadtest.tt (a INT)")
            w.query("INSERT INTO triadtest.tt VALUES (7)")
            self.assertEqual(w.query("SELECT a, @@server_id FROM "
                                     "triadtest.tt")[0], [(b"7", b"100")])
        finally:
            w.close()

    def test_multi_statements(self):
        w = Wire(self.port)
        try:
            r = w.query("SELECT 1; SELECT 2, 3; DO 0")
            self.assertEqual(r, [[(b"1",)], [(b"2", b"3")], []])
            with self.assertRaises(MariaDBError) as e:
                w.query("SELECT 1; SELEC oops")
            self.assertEqual(e.exception.code, 1064)
            self.assertEqual(w.value("SELECT 5"), 5)
        finally:
            w.close()

    def test_commands(self):
        w = Wire(self.port)
        try:
            w.send(b"\x0e")                            # COM_PING
            self.assertEqual(w.results(), [[]])
            w.send(b"\x09")                            # COM_STATISTICS
            self.assertRegex(w.read()[1], rb"^Uptime: \d+")
            w.send(b"\x02triadtest")                   # COM_INIT_DB
            self.assertEqual(w.results(), [[]])
            # Replayed on every server the session then uses.
            self.assertEqual(w.query("SELECT DATABASE()")[0],
                             [(b"triadtest",)])
            self.assertEqual(w.query("/* triad:primary */ SELECT "
                                     "DATABASE()")[0], [(b"triadtest",)])
            w.send(b"\x04t\x00")                       # COM_FIELD_LIST
            names = []
            while True:
                _, p = w.read()
                if p[0] == 0xfe and len(p) < 9:
                    break
                i = 0
                for _ in range(5):                     # catalog..org_name
                    n, i = w.lenenc(p, i)
                    field = p[i:i + n]
                    i += n
                names.append(field)
            self.assertEqual(names, [b"id", b"v"])
            w.query("SET @x = 5")
            self.assertEqual(w.query("SELECT @x")[0], [(b"5",)])
            w.send(b"\x1f")                            # COM_RESET_CONNECTION
            self.assertEqual(w.results(), [[]])
            self.assertEqual(w.query("SELECT @x")[0], [(None,)])
            w.send(b"\x1b\x01\x00")                    # multi-statements off
            w.results()
            with self.assertRaises(MariaDBError) as e:
                w.query("SELECT 1; SELECT 2")
            self.assertEqual(e.exception.code, 1064)
            w.send(b"\x1b\x00\x00")                    # and on again
            w.results()
            self.assertEqual(len(w.query("SELECT 1; SELECT 2")), 2)
        finally:
            w.close()

    def test_blob_20mb_both_ways(self):
        blob = bytes(range(256)) * (20 * 1024 * 4)   # 20 MiB
        w = Wire(self.port)
        try:
            w.query(b"REPLACE INTO triadtest.blobs VALUES (1, x'" +
                    blob.hex().encode() + b"')")
            r = w.query("/* triad:primary */ SELECT b, LENGTH(b) FROM "
                        "triadtest.blobs WHERE id = 1")
            self.assertEqual(r[0][0][1], str(len(blob)).encode())
            self.assertTrue(r[0][0][0] == blob)
            self.assertEqual(w.value("SELECT 6"), 6)
        finally:
            w.close()

    def test_bad_logins(self):
        with self.assertRaises(MariaDBError) as e:
            self.sql("SELECT 1", password="wrong")
        self.assertEqual(e.exception.code, 1045)
        with self.assertRaises(MariaDBError) as e:
            self.sql("SELECT 1", user="nobody")
        self.assertEqual(e.exception.code, 1045)
        m = http.get("http://127.0.0.1:%d/metrics" % self.status).text()
        self.assertRegex(m, r"auth_failures_total 2")
        self.assertNotIn("apppw", self.d.log_text())

    def test_session_variables_do_not_leak(self):
        # One worker's pool: the next session gets a used connection.
        self.sql("SET @leak = 42; SET SESSION sql_mode = 'ANSI'; "
                 "SELECT @leak")
        for _ in range(6):
            r = self.sql("SELECT @leak, @@session.sql_mode")
            self.assertIsNone(r[0][0])
            self.assertNotEqual(r[0][1], "ANSI")
        # Nor the current database (USE, or the login's).
        for _ in range(6):
            w = Wire(self.port)
            w.query("USE triadtest")
            w.query("/* triad:primary */ SELECT DATABASE()")
            w.close()
            w = Wire(self.port)
            try:
                self.assertEqual(w.query("SELECT DATABASE()")[0],
                                 [(None,)])
                self.assertEqual(w.query("/* triad:primary */ SELECT "
                                         "DATABASE()")[0], [(None,)])
            finally:
                w.close()
        # The connections were reused (reset between clients), not new.
        m = http.get("http://127.0.0.1:%d/metrics" % self.status).text()
        self.assertRegex(m, r"server_resets_total [1-9]")

    def test_reload(self):
        w = Wire(self.port)
        w.query("SET @kept = 1")
        with open(self.conf) as f:
            text = f.read()
        # A new user; then a new list of servers, which is refused.
        with open(self.conf, "w") as f:
            f.write(text.replace("    - {{ name: triad,".format(),
                                 '    - {{ name: new, password_hash: "{}" }}\n'
                                 "    - {{ name: triad,".format(
                                     native_hash("newpw"))))
        mark = self.d.log_mark()
        self.d.reload()
        self.d.wait_log("generation 2 in service", since=mark)
        nw = Wire(self.port, user="new", password="newpw")
        self.assertEqual(nw.value("SELECT 1"), 1)
        nw.close()
        self.assertEqual(w.query("SELECT @kept")[0], [(b"1",)])
        w.close()
        # Its last session gone, generation 1 is freed: the monitor must
        # go on with the servers, not with that generation's array.
        self.wait_monitor_past_gen1()
        with open(self.conf, "w") as f:
            f.write(text.replace('replicas: ["127.0.0.1:%d", ' %
                                 self.db.servers[1].port, "replicas: ["))
        mark = self.d.log_mark()
        self.d.reload()
        self.d.wait_log("reload failed", since=mark)
        self.assertIn("list of servers changed", self.d.log_text())
        self.assertIn(self.server_id(), (101, 102))

    def wait_monitor_past_gen1(self):
        """No session left (generation 1 freed with its last), then two
        more rounds of checks: a monitor reading freed memory crashes
        there (ASan: every time)."""
        def idle():
            m = http.get("http://127.0.0.1:%d/metrics" % self.status).text()
            return re.search(r"^triad_dbproxyd_sessions_active 0$", m,
                             re.M) is not None
        poll_until(idle, 20.0, "no client session left")
        checks = self.state()["primary"]["checks"]
        poll_until(lambda: self.state()["primary"]["checks"] >= checks + 2,
                   20.0, "two more checks by the monitor")
        self.assertTrue(self.d.running(), self.d.log_tail(40))

    def test_status_page(self):
        self.server_id()
        st = http.get("http://127.0.0.1:%d/status" % self.status).json()
        names = [s["name"] for s in st["servers"]]
        self.assertEqual(names, ["primary", "replica1", "replica2"])
        self.assertEqual({u["name"] for u in st["users"]}, {"app", "triad"})


class MalformedTest(DbproxydCase):
    """Hostile clients get ERR packets with the right codes, or a close;
    never a crash or a hang (every read below has a timeout)."""

    MAX_PACKET = "1m"

    def raw(self):
        s = socket.create_connection(("127.0.0.1", self.port), 10)
        s.settimeout(10)
        return s

    @staticmethod
    def read_err(s):
        """The next packet, which must be an ERR: its code."""
        data = b""
        while len(data) < 4:
            d = s.recv(4 - len(data))
            if not d:
                raise ConnectionError("closed before an ERR")
            data += d
        n = data[0] | data[1] << 8 | data[2] << 16
        body = b""
        while len(body) < n:
            d = s.recv(n - len(body))
            if not d:
                raise ConnectionError("truncated ERR")
            body += d
        assert body[0] == 0xff, body
        return struct.unpack("<H", body[1:3])[0]

    @staticmethod
    def closed(s):
        try:
            while s.recv(4096):
                pass
            return True
        except ConnectionResetError:
            return True

    def test_garbage_login(self):
        s = self.raw()
        s.recv(4096)                                  # the greeting
        s.sendall(b"\x05\0\0\x01hello")
        self.assertEqual(self.read_err(s), 1043)
        self.assertTrue(self.closed(s))
        s.close()

    def test_truncated_login_times_out(self):
        s = self.raw()
        s.recv(4096)
        s.sendall(b"\x64\0\0\x01" + b"\0" * 10)   # 100 announced, 10 sent
        self.assertTrue(self.closed(s))               # login_timeout
        s.close()

    def test_oversized_login(self):
        s = self.raw()
        s.recv(4096)
        s.sendall(b"\xff\xff\xff\x01" + b"A" * 70000)
        self.assertEqual(self.read_err(s), 1043)
        s.close()

    def test_bad_commands_keep_the_session(self):
        w = Wire(self.port)
        try:
            w.send(b"\x99junk")
            with self.assertRaises(MariaDBError) as e:
                w.results()
            self.assertEqual(e.exception.code, 1047)
            w.send(b"")
            with self.assertRaises(MariaDBError) as e:
                w.results()
            self.assertEqual(e.exception.code, 1158)
            w.send(b"\x17\x01")                      # truncated EXECUTE
            with self.assertRaises(MariaDBError) as e:
                w.results()
            self.assertEqual(e.exception.code, 1158)
            with self.assertRaises(MariaDBError) as e:
                w.query(b"\xff\xfe garbage \x00")
            self.assertEqual(e.exception.code, 1064)
            self.assertEqual(w.value("SELECT 9"), 9)
        finally:
            w.close()

    def test_oversized_command(self):
        w = Wire(self.port)
        try:
            w.send(b"\x03SELECT '" + b"a" * (2 << 20) + b"'")
            with self.assertRaises(MariaDBError) as e:
                w.results()
            self.assertEqual(e.exception.code, 1153)
        finally:
            w.close()

    def test_random_packets_never_hang(self):
        import random
        rnd = random.Random(5)
        for _ in range(30):
            w = Wire(self.port)
            try:
                body = bytes(rnd.randrange(256) for _ in
                             range(rnd.randrange(1, 40)))
                if body[0] in (0x01, 0x18, 0x19):      # no answer by design
                    body = b"\x0e" + body[1:]
                w.send(body)
                try:
                    w.results()
                except MariaDBError:
                    pass
                self.assertEqual(w.value("SELECT 1"), 1)
            except ConnectionError:
                pass                                   # a close is fine
            finally:
                w.close()
        self.assertEqual(self.server_id() in (101, 102), True)


class MaxConnectionsTest(DbproxydCase):
    """Past max_connections a client gets ERR 1040 as its greeting."""

    WORKERS = 1
    EXTRA = "  max_connections: 1\n"

    def test_too_many_connections(self):
        w = Wire(self.port)
        try:
            s = socket.create_connection(("127.0.0.1", self.port), 10)
            s.settimeout(10)
            self.assertEqual(MalformedTest.read_err(s), 1040)
            self.assertTrue(MalformedTest.closed(s))
            s.close()
            self.assertEqual(w.value("SELECT 8"), 8)
        finally:
            w.close()
        # The slot is free again once the first client left.
        poll_until(lambda: self.try_login(), 10, "a free slot")

    def try_login(self):
        try:
            Wire(self.port).close()
            return True
        except (MariaDBError, ConnectionError, OSError, ValueError):
            return False


class PoolWaitTest(DbproxydCase):
    """pool_max 1 on each server and the primary's connection held by an
    open transaction: the next write waits pool_wait_timeout, then the
    mariadb CLI (Connector/C) shows dbproxyd's error as it is (a code in
    the client library's range 2000-2999 would show as a malformed
    packet)."""

    WORKERS = 1
    EXTRA = "  pool_max: 1\n  pool_wait_timeout: 1s\n"

    def test_timeout_error_reaches_the_cli(self):
        hold = Wire(self.port)
        try:
            hold.query("BEGIN")
            hold.query("INSERT INTO triadtest.t (v) VALUES ('hold')")
            with self.assertRaises(MariaDBError) as e:
                self.sql("INSERT INTO triadtest.t (v) VALUES ('waits')")
            self.assertEqual(e.exception.code, 9001, e.exception)
            self.assertIn("pool_wait_timeout", str(e.exception))
            hold.query("ROLLBACK")
        finally:
            hold.close()


class TlsTest(DbproxydCase):
    """SSLRequest: the login and the session inside TLS."""

    def extra(self):
        self.cert = os.path.join(self.dir, "cert.pem")
        key = os.path.join(self.dir, "cert.key")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                        "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                        "-days", "2", "-subj", "/CN=127.0.0.1", "-addext",
                        "subjectAltName=IP:127.0.0.1", "-keyout", key,
                        "-out", self.cert], check=True, capture_output=True,
                       timeout=30)
        return "  tls_cert: %s\n  tls_key: %s\n" % (self.cert, key)

    def test_wire_over_tls(self):
        ctx = ssl.create_default_context(cafile=self.cert)
        w = Wire(self.port, tls=ctx)
        try:
            self.assertTrue(w.greeting_caps & 0x800)
            self.assertEqual(w.s.version()[:3], "TLS")
            self.assertIn(w.value("SELECT @@server_id"), (101, 102))
            blob = os.urandom(3 << 20)
            w.query(b"REPLACE INTO triadtest.blobs VALUES (2, x'" +
                    blob.hex().encode() + b"')")
            r = w.query("/* triad:primary */ SELECT b FROM triadtest.blobs "
                        "WHERE id = 2")
            self.assertTrue(r[0][0][0] == blob)
        finally:
            w.close()
        with self.assertRaises(MariaDBError) as e:
            Wire(self.port, password="bad", tls=ctx)
        self.assertEqual(e.exception.code, 1045)

    def test_mariadb_cli_verifies_the_certificate(self):
        r = subprocess.run(
            ["mariadb", "--no-defaults", "--protocol=tcp", "-h", "127.0.0.1",
             "-P", str(self.port), "-u", "app", "--ssl",
             "--ssl-ca=" + self.cert, "--ssl-verify-server-cert",
             "--batch", "--skip-column-names", "-e", "SELECT 42"],
            capture_output=True, timeout=30,
            env=dict(os.environ, MYSQL_PWD="apppw"))
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertEqual(r.stdout.strip(), b"42")


class ReadYourWritesPrimaryTest(DbproxydCase):

    RYW = "primary"

    def test_reads_after_a_write_go_to_primary(self):
        w = Wire(self.port)
        try:
            self.assertIn(w.value("SELECT @@server_id"), (101, 102))
            w.query("INSERT INTO triadtest.t (v) VALUES ('ryw')")
            self.assertEqual({w.value("SELECT @@server_id")
                              for _ in range(4)}, {100})
        finally:
            w.close()
        self.assertIn(self.server_id(), (101, 102))


class ReadYourWritesGtidTest(DbproxydCase):

    RYW = "gtid_wait"

    def test_replica_waits_for_the_write(self):
        w = Wire(self.port)
        try:
            for i in range(5):
                tag = "gtid-%d-%f" % (i, time.time())
                w.query("INSERT INTO triadtest.t (v) VALUES ('%s')" % tag)
                r = w.query("SELECT count(*), @@server_id FROM triadtest.t "
                            "WHERE v = '%s'" % tag)[0][0]
                self.assertEqual(r[0], b"1")
                self.assertIn(int(r[1]), (101, 102))
        finally:
            w.close()
        m = http.get("http://127.0.0.1:%d/metrics" % self.status).text()
        self.assertRegex(m, r"gtid_waits_total [5-9]")

    def test_a_write_with_no_binlog_event_keeps_reads_on_replicas(self):
        """A no-op write (no GTID) leaves nothing to wait for.

        appd's workers open each connection with CREATE TABLE IF NOT
        EXISTS; on a table that is there it writes no binlog event, and
        the session's reads must still go to the replicas."""
        w = Wire(self.port)
        try:
            w.query("CREATE TABLE IF NOT EXISTS triadtest.t (id INT)")
            w.query("UPDATE triadtest.t SET v = 'x' WHERE id < 0")
            for _ in range(4):
                self.assertIn(w.value("SELECT @@server_id"), (101, 102))
        finally:
            w.close()

    def test_timeout_falls_back_to_primary(self):
        self.db.lag_replica(0, 30)
        self.db.lag_replica(1, 30)
        try:
            w = Wire(self.port)
            w.query("INSERT INTO triadtest.t (v) VALUES ('late')")
            r = w.query("SELECT count(*) > 0, @@server_id FROM triadtest.t "
                        "WHERE v = 'late'")[0][0]
            self.assertEqual(r, (b"1", b"100"))
            w.close()
            m = http.get("http://127.0.0.1:%d/metrics" % self.status).text()
            self.assertRegex(m, r"gtid_wait_timeouts_total [1-9]")
        finally:
            self.db.unlag_replica(0)
            self.db.unlag_replica(1)
            self.db.wait_all_replicated()


if __name__ == "__main__":
    triadtest.main()
