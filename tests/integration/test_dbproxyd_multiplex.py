"""dbproxyd with `multiplex`: autocommit reads share server connections.

Sessions whose state is the same (database, SET variables, dialect) send
their autocommit reads down shared, pipelined server connections. What
must hold, against the real primary and replicas:

- the whole routing suite and the prepared-statement suite pass
  unchanged with multiplexing on (the subclasses below);
- many concurrent clients get exactly their own answers, and fewer
  server connections carry them than there are clients;
- nothing leaks: session variables (a different state: other
  connections), user variables and warnings (never on a shared one);
- a client that leaves while its read is queued, and a shared
  connection the server kills, cost the other clients nothing: their
  reads are sent again.
"""

import re
import socket
import struct
import threading
import time

import triadtest
from triadtest import http
from triadtest.mariadb import MariaDBError
import test_dbproxyd_route
import test_dbproxyd_stmt
from test_dbproxyd_route import DbproxydCase, Wire

MULTIPLEX = "  multiplex: 8\n"


class MultiplexRouteTest(test_dbproxyd_route.RouteTest):
    """Routing, transactions, temporary tables, hints, session variables,
    blobs, multi-statements: the same answers with multiplexing on."""

    EXTRA = MULTIPLEX


class MultiplexStmtTest(test_dbproxyd_stmt.StmtTest):
    """Connector/C prepared statements and sysbench oltp_read_write."""

    WORKERS = 1
    EXTRA = MULTIPLEX


class MultiplexCase(DbproxydCase):
    """One worker, multiplex on; helpers. multiplex_stall is 100 ms, not
    5: under ASan a busy connection's head may wait 5 ms, and a read
    would skip a connection that it should join."""

    WORKERS = 1
    EXTRA = MULTIPLEX + "  multiplex_stall: 100ms\n"

    def metric(self, name):
        text = http.get("http://127.0.0.1:%d/metrics" % self.status).text()
        m = re.search(r"^triad_dbproxyd_%s (\d+)" % name, text, re.M)
        self.assertIsNotNone(m, name + " not in the metrics")
        return int(m.group(1))

    def run_clients(self, n, fn, db=lambda i: None):
        """fn(i, wire) in n threads at once, client i logged in to
        database db(i); the first failure is raised."""
        errors = []

        def one(i):
            try:
                w = Wire(self.port, db=db(i))
                try:
                    fn(i, w)
                finally:
                    w.close()
            except Exception as e:  # noqa: BLE001 (reported below)
                errors.append("client %d: %r" % (i, e))
        threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        self.assertEqual(errors, [], self.d.log_tail(30))


class MultiplexTest(MultiplexCase):

    def test_session_variables_do_not_cross(self):
        # A session that SET a variable has another state: its reads
        # share connections only with sessions of that state.
        def client(i, w):
            mode = "ANSI_QUOTES" if i % 2 else "NO_ZERO_DATE"
            w.query("SET SESSION sql_mode = '%s'" % mode)
            for _ in range(100):
                got = w.query("SELECT @@session.sql_mode")[0][0][0]
                self.assertEqual(got, mode.encode())
        self.run_clients(8, client)

        # And a session with no SET reads the server's default.
        default = self.db.sql(self.db.servers[1], "SELECT "
                              "@@global.sql_mode")[0][0]
        w = Wire(self.port)
        try:
            got = w.query("SELECT @@session.sql_mode")[0][0][0]
            self.assertEqual(got.decode(), default)
        finally:
            w.close()

    def test_databases_do_not_cross(self):
        # The login's database is session state: sessions of another
        # database never get a connection where USE chose this one.
        for name, v in (("triadmux_a", 1), ("triadmux_b", 2)):
            self.db.sql(self.db.primary, "CREATE DATABASE IF NOT EXISTS "
                        "%s; CREATE OR REPLACE TABLE %s.k (v INT); "
                        "INSERT INTO %s.k VALUES (%d)" % (name, name, name, v))
        self.db.wait_all_replicated()
        before = self.metric("multiplexed_total")

        def client(i, w):
            for _ in range(100):
                self.assertEqual(w.query("SELECT v FROM k"),
                                 [[(b"%d" % (1 + i % 2),)]])
        self.run_clients(8, client, db=lambda i: "triadmux_" + "ab"[i % 2])
        self.assertGreaterEqual(self.metric("multiplexed_total") - before,
                                800)

    def test_user_variables_and_warnings_stay_home(self):
        # SELECT @v := ... sets a user variable: never on a shared
        # connection, so the next session cannot see it; SHOW WARNINGS
        # reads the session's own last statement.
        def client(i, w):
            for k in range(50):
                self.assertEqual(w.query("SELECT @v := %d" % (i * 1000 + k)),
                                 [[(str(i * 1000 + k).encode(),)]])
                self.assertEqual(w.query("SELECT 1")[0][0][0], b"1")
                self.assertEqual(w.query("SELECT @v")[0][0][0],
                                 str(i * 1000 + k).encode())
                w.query("SELECT CAST('x%d' AS INT)" % k)
                warn = w.query("SHOW WARNINGS")[0]
                self.assertTrue(warn and b"x%d" % k in warn[0][2], warn)

        def fresh(i, w):
            for _ in range(100):
                self.assertEqual(w.query("SELECT @v"), [[(None,)]])
                self.assertEqual(w.query("SHOW WARNINGS"), [[]])
        errors = []

        def both():
            try:
                self.run_clients(4, client)
            except AssertionError as e:
                errors.append(e)
        t = threading.Thread(target=both)
        t.start()
        self.run_clients(4, fresh)
        t.join(120)
        self.assertEqual(errors, [])

    def test_slow_read_is_not_joined(self):
        # A shared connection busy with a slow read for longer than
        # multiplex_stall takes no more: the next read does not wait.
        a, b = Wire(self.port), Wire(self.port)
        try:
            a.send(b"\x03/* triad:primary */ SELECT BENCHMARK(4000000, "
                   b"MD5('z'))")
            time.sleep(0.3)
            t0 = time.monotonic()
            self.assertEqual(b.query("/* triad:primary */ SELECT 6161"),
                             [[(b"6161",)]])
            self.assertLess(time.monotonic() - t0, 0.5)
            self.assertEqual(a.results(), [[(b"0",)]])
        finally:
            a.close()
            b.close()


class MultiplexQueueTest(MultiplexCase):
    """Reads queued behind a slow one, and many clients over few
    connections (multiplex_stall long enough that a client joins a
    connection whatever its head's wait)."""

    EXTRA = MULTIPLEX + "  multiplex_stall: 10s\n"

    def test_each_client_gets_its_own_answers(self):
        self.sql("INSERT INTO triadtest.t (id, v) VALUES " + ", ".join(
            "(%d, 'row%d')" % (i, i - 1000) for i in range(1000, 1016)) +
            " ON DUPLICATE KEY UPDATE v = VALUES(v)")
        self.db.wait_all_replicated()
        before = self.metric("multiplexed_total")

        def client(i, w):
            for k in range(200):
                n = i * 100000 + k
                self.assertEqual(w.query("SELECT %d, 'c%d'" % (n, i)),
                                 [[(str(n).encode(), b"c%d" % i)]])
                row = w.query("SELECT v FROM triadtest.t WHERE id = %d" %
                              (1000 + i))
                self.assertEqual(row, [[(b"row%d" % i,)]])
        self.run_clients(16, client)
        self.assertGreaterEqual(self.metric("multiplexed_total") - before,
                                16 * 400)
        # 16 sessions, 8 reads in flight per connection: fewer server
        # connections than sessions. multiplex_stall is 10 s here: at
        # 100 ms, a starved machine (CI running two tests at once) made
        # every head wait past it, and each read that found all of them
        # stalled opened a connection of its own (30 for 16 sessions).
        st = self.state().values()
        busy = sum(s["pool"]["busy"] for s in st)
        self.assertLess(busy, 16, st)
        self.assertGreaterEqual(sum(s["pool"]["shared"] for s in st), 1, st)

    def kill_primary_thread(self, text):
        """KILL CONNECTION on the primary for the thread running a query
        that contains text (waited for up to 2.5 s)."""
        rows = []
        for _ in range(50):
            rows = self.db.sql(self.db.primary, "SELECT id FROM "
                               "information_schema.processlist WHERE info "
                               "LIKE '%%%s%%' AND info NOT LIKE "
                               "'%%processlist%%'" % text)
            if rows:
                break
            time.sleep(0.05)
        self.assertTrue(rows, "no query with %r on the primary" % text)
        self.db.sql(self.db.primary, "KILL CONNECTION %s" % rows[0][0])

    def queued_behind(self, slow, fast):
        """Sends the slow read on one client and then the fast one on
        another, both to the primary's shared connection (hinted); returns
        (slow client, fast client) with both queries sent."""
        a, b = Wire(self.port), Wire(self.port)
        a.send(b"\x03/* triad:primary */ " + slow.encode())
        time.sleep(0.05)
        b.send(b"\x03/* triad:primary */ " + fast.encode())
        return a, b

    def test_client_leaves_while_queued(self):
        # The client that left has an answer still to come: dbproxyd drops
        # it when it comes (the session stays until then, a zombie) and
        # the connection goes on; the read behind it is not sent again.
        retries = self.metric("read_retries_total")
        slow = "SELECT BENCHMARK(4000000, MD5('x'))"
        a, b = self.queued_behind(slow, "SELECT 4242")
        try:
            a.s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                           struct.pack("ii", 1, 0))
            a.close()           # its answer is still to come
            self.assertEqual(b.results(), [[(b"4242",)]])
            self.assertEqual(b.value("/* triad:primary */ SELECT 7"), 7)
        finally:
            b.close()
        self.assertEqual(self.metric("read_retries_total"), retries)
        self.assertEqual(self.state()["primary"]["pool"]["shared"], 1)
        self.assertNotIn("shared connection lost", self.d.log_tail(200))
        self.assertEqual(self.sql("SELECT 1")[0][0], "1")

    def test_client_that_stops_reading_then_leaves(self):
        # A's answer (about 100 MB) fills its output to the cap, so the
        # shared connection stops reading; B is queued behind it. A
        # leaves without reading: its answer is dropped, B gets its own.
        a = Wire(self.port)
        a.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        b = Wire(self.port)
        try:
            a.send(b"\x03/* triad:primary */ SELECT REPEAT('a', 1000000) "
                   b"FROM triadtest.seq_1_to_100")
            time.sleep(1.0)
            b.send(b"\x03/* triad:primary */ SELECT 3131")
            time.sleep(0.2)
            a.s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                           struct.pack("ii", 1, 0))
            a.close()
            self.assertEqual(b.results(), [[(b"3131",)]])
        finally:
            b.close()

    def test_killed_mid_answer(self):
        # Rows of 20 KB, one every 0.1 s or so: the client has some when
        # the server connection is killed. The server's ERR ends that
        # answer; it is never followed by the same read sent again (a
        # second result after half of one), and the client can go on.
        q = (b"\x03/* triad:primary */ SELECT REPEAT('r', 20000), "
             b"BENCHMARK(200000, MD5(seq)) FROM triadtest.seq_1_to_30")
        a = Wire(self.port)
        try:
            a.send(q)
            a.read()                            # the column count
            while len(a.read()[1]) < 20000:     # column definitions
                pass
            self.kill_primary_thread("seq_1_to_30")
            with self.assertRaises((ConnectionError, MariaDBError)) as e:
                while True:
                    _, p = a.read()
                    self.assertNotEqual(p[:1], b"\x02",
                                        "a second result set began")
                    if p[:1] == b"\xff":
                        raise MariaDBError("", struct.unpack("<H",
                                                             p[1:3])[0])
            if isinstance(e.exception, MariaDBError):
                self.assertIn(e.exception.code, (1317, 1927), e.exception)
                self.assertEqual(a.value("/* triad:primary */ SELECT 8"), 8)
        finally:
            a.close()
        self.assertEqual(self.sql("SELECT 2")[0][0], "2")

    def test_shared_connection_killed(self):
        retries = self.metric("read_retries_total")
        slow = "SELECT BENCHMARK(6000000, MD5('y'))"
        a, b = self.queued_behind(slow, "SELECT 5151")
        try:
            self.kill_primary_thread("BENCHMARK(6000000")
            # The killed read may end with the server's ERR (its answer);
            # the one queued behind it had not started: sent again.
            try:
                self.assertEqual(a.results(), [[(b"0",)]])
            except MariaDBError as e:
                self.assertIn(e.code, (1317, 1927, 2013), e)
            self.assertEqual(b.results(), [[(b"5151",)]])
        finally:
            a.close()
            b.close()
        self.assertGreater(self.metric("read_retries_total"), retries)
        self.d.wait_log(r"shared connection lost; [12] read")



class MultiplexCapTest(MultiplexCase):
    """pool_max 2: shared connections do not keep a session that needs
    its own connection waiting."""

    EXTRA = MultiplexCase.EXTRA + "  pool_max: 2\n  pool_wait_timeout: 20s\n"

    def write(self):
        """An INSERT from a session with no database (its own connection
        to the primary); the seconds it took."""
        w = Wire(self.port, timeout=30.0)
        try:
            t0 = time.monotonic()
            self.assertEqual(w.query("INSERT INTO triadtest.t (v) VALUES "
                                     "('cap')"), [[]])
            return time.monotonic() - t0
        finally:
            w.close()

    def test_empty_shared_connection_makes_room(self):
        for name in ("triadmux_a", "triadmux_b"):
            self.db.sql(self.db.primary, "CREATE DATABASE IF NOT EXISTS %s"
                        % name)
        self.db.wait_all_replicated()
        # Two states, two shared connections to the primary: the cap.
        for name in ("triadmux_a", "triadmux_b"):
            w = Wire(self.port, db=name)
            try:
                self.assertEqual(w.value("/* triad:primary */ SELECT 1"), 1)
            finally:
                w.close()
        self.assertEqual(self.state()["primary"]["pool"]["shared"], 2)
        # A write needs a connection of its own: an empty shared one
        # closes to make room, at once (not after pool_wait_timeout).
        self.assertLess(self.write(), 5.0)
        self.assertLessEqual(self.state()["primary"]["pool"]["shared"], 1)

    def test_busy_shared_connections_make_room_when_done(self):
        for name in ("triadmux_a", "triadmux_b"):
            self.db.sql(self.db.primary, "CREATE DATABASE IF NOT EXISTS %s"
                        % name)
        self.db.wait_all_replicated()
        # Both slots busy with a slow read each: a write waits in line,
        # and gets a connection when one of them is done (under a second
        # on a quiet machine), not an error at pool_wait_timeout (20 s).
        slow = [Wire(self.port, db=n) for n in ("triadmux_a", "triadmux_b")]
        try:
            for w in slow:
                w.send(b"\x03/* triad:primary */ SELECT BENCHMARK(2000000, "
                       b"MD5('c'))")
            time.sleep(0.2)
            self.assertEqual(self.state()["primary"]["pool"]["shared"], 2)
            self.assertLess(self.write(), 15.0)
            for w in slow:
                self.assertEqual(w.results(), [[(b"0",)]])
        finally:
            for w in slow:
                w.close()

if __name__ == "__main__":
    triadtest.main()
