"""dbproxyd's monitor and what it does with a failing server.

A replica whose SQL thread stops leaves the read pool and returns when
the thread runs again; a lagging replica (MASTER_DELAY past
max_replication_lag) leaves too; with the primary killed, writes get a
clear error at once (never a hang) while reads continue on the replicas;
every change of state is logged.  Each test owns its cluster: they break
it.
"""

import threading
import time

import triadtest
from triadtest import http
from triadtest.mariadb import MariaDBCluster, MariaDBError
from triadtest.proc import poll_until
from test_dbproxyd_route import DbproxydCase, Wire


class FailoverCase(DbproxydCase):

    @classmethod
    def setUpClass(cls):
        pass

    @classmethod
    def tearDownClass(cls):
        pass

    def setUp(self):
        self.db = MariaDBCluster(replicas=2).start()
        self.db.sql(self.db.primary, "CREATE TABLE triadtest.t (id INT "
                    "PRIMARY KEY AUTO_INCREMENT, v VARCHAR(64))")
        self.db.wait_all_replicated()
        super().setUp()

    def tearDown(self):
        super().tearDown()
        self.db.close()

    def wait_state(self, name, state, timeout=20.0):
        poll_until(lambda: self.state()[name]["state"] == state, timeout,
                   "%s %s" % (name, state))

    def read_ids(self, n=12):
        return {self.server_id() for _ in range(n)}


class FailoverTest(FailoverCase):

    def test_sql_thread_stopped_leaves_and_returns(self):
        self.assertEqual(self.state()["replica1"]["state"], "up")
        self.db.stop_sql_thread(0)
        self.wait_state("replica1", "broken")
        self.assertEqual(self.read_ids(), {102})
        self.d.wait_log(r"replica1 .*up -> broken: .*SQL thread stopped")
        self.db.start_sql_thread(0)
        self.wait_state("replica1", "up")
        self.d.wait_log(r"replica1 .*broken -> up: back in the read pool")
        # New sessions pick the least loaded replica: both serve again.
        poll_until(lambda: 101 in self.read_ids(6), 10, "replica1 reads")

    def test_no_replica_left_reads_on_primary(self):
        self.db.stop_sql_thread(0)
        self.db.stop_sql_thread(1)
        self.wait_state("replica1", "broken")
        self.wait_state("replica2", "broken")
        self.assertEqual(self.read_ids(), {100})
        self.db.start_sql_thread(0)
        self.wait_state("replica1", "up")
        self.assertEqual(self.read_ids(), {101})

    def test_lagging_replica_leaves(self):
        self.db.lag_replica(1, 30)
        for i in range(3):
            self.sql("INSERT INTO triadtest.t (v) VALUES ('lag')")
            time.sleep(1)
        # Seconds_Behind_Master grows past max_replication_lag (5 s).
        self.wait_state("replica2", "lagging", timeout=30)
        self.assertEqual(self.read_ids(), {101})
        self.db.unlag_replica(1)
        self.wait_state("replica2", "up", timeout=30)

    def test_primary_killed_fast_write_errors_reads_continue(self):
        w = Wire(self.port)
        w.query("INSERT INTO triadtest.t (v) VALUES ('before')")
        t = Wire(self.port)
        t.query("BEGIN")
        t.query("INSERT INTO triadtest.t (v) VALUES ('in a transaction')")
        self.db.kill_primary()
        # Before and after the monitor notices: an error, never a hang
        # (Wire has a 20 s timeout; the monitor's interval is 200 ms).
        t0 = time.monotonic()
        with self.assertRaises(MariaDBError) as e:
            w.query("INSERT INTO triadtest.t (v) VALUES ('lost')")
        self.assertIn(e.exception.code, (1927, 9001, 1290))
        self.wait_state("primary", "down")
        self.d.wait_log(r"primary .*up -> down: .*writes refused")
        for _ in range(5):
            with self.assertRaises(MariaDBError) as e:
                self.sql("INSERT INTO triadtest.t (v) VALUES ('x')")
            self.assertEqual(e.exception.code, 1290)
        self.assertLess(time.monotonic() - t0, 15)
        # The open transaction is gone: its session is told, once.
        with self.assertRaises(MariaDBError) as e:
            t.query("COMMIT")
        self.assertEqual(e.exception.code, 1927)
        self.assertIn(t.value("SELECT @@server_id"), (101, 102))
        t.close()
        # The same session still reads, from a replica.
        self.assertIn(w.value("SELECT @@server_id"), (101, 102))
        self.assertTrue(self.read_ids() <= {101, 102})
        w.close()
        # The primary returns: writes work again.
        self.db.start_primary()
        self.wait_state("primary", "up")
        self.sql("INSERT INTO triadtest.t (v) VALUES ('after')")

    def test_replica_stopped_under_reads_no_read_fails(self):
        # Readers on kept sessions and on new ones while a replica shuts
        # down: a read whose replica is lost (or refuses) before answering
        # is sent elsewhere, and the replica leaves the pool at once.
        errors, ids = [], []
        stop = time.monotonic() + 3.0

        def reader():
            w = Wire(self.port)
            try:
                while time.monotonic() < stop and len(ids) < 5000:
                    try:
                        ids.append(w.value("SELECT @@server_id"))
                        ids.append(self.server_id())
                    except (MariaDBError, OSError) as e:
                        errors.append(repr(e))
                        w = Wire(self.port)
            finally:
                w.close()

        threads = [threading.Thread(target=reader) for _ in range(3)]
        for t in threads:
            t.start()
        time.sleep(0.5)
        self.db.stop_replica(0)
        for t in threads:
            t.join(30)
        self.assertEqual(errors, [])
        self.assertGreater(len(ids), 20)
        self.assertTrue(set(ids) <= {100, 101, 102}, set(ids))
        self.assertNotEqual(self.state()["replica1"]["state"], "up")
        retried = http.metric(self.status, "triad_dbproxyd_read_retries_total")
        print("reads sent again after the replica went: %d" % retried)


if __name__ == "__main__":
    triadtest.main()
