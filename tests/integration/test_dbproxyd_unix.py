"""dbproxyd reaching its MariaDB servers over their Unix sockets.

`primary: unix:/path` and `replicas: [unix:/path, ...]` name a server on
the same host by its socket: no TCP stack between dbproxyd and the server
(cheaper per query, see docs/BENCHMARKS.md).  The pools log in over the
socket, the monitor checks over it (Connector/C's local connection), and
routing, prepared statements (Connector/C client, sysbench), the monitor's
verdicts and a socket where no server listens behave as over TCP.
"""

import os

import triadtest
from triadtest import http
from triadtest.mariadb import MariaDBError
import test_dbproxyd_stmt
from test_dbproxyd_route import DbproxydCase, Wire


class UnixBackendTest(DbproxydCase):

    def address(self, server):
        return "unix:" + server.socket

    def test_status_names_the_sockets(self):
        st = self.state()
        self.assertEqual(st["primary"]["address"],
                         "unix:" + self.db.servers[0].socket)
        self.assertEqual(st["replica2"]["address"],
                         "unix:" + self.db.servers[2].socket)
        self.assertTrue(all(s["state"] == "up" for s in st.values()), st)
        self.assertTrue(all(s["checks"] > 0 for s in st.values()), st)

    def test_routing(self):
        ids = {self.server_id() for _ in range(8)}
        self.assertTrue(ids and ids <= {101, 102}, ids)
        self.sql("INSERT INTO triadtest.t (v) VALUES ('over unix')")
        self.assertEqual(self.server_id(
            "SELECT @@server_id FROM triadtest.t LIMIT 1 FOR UPDATE"), 100)
        w = Wire(self.port)
        try:
            w.query("BEGIN")
            self.assertEqual(w.value("SELECT @@server_id"), 100)
            w.query("COMMIT")
            self.assertIn(w.value("SELECT @@server_id"), (101, 102))
        finally:
            w.close()

    def test_monitor_over_the_socket(self):
        self.db.stop_sql_thread(0)
        try:
            self.d.wait_log(r"replica1 \(unix:.*\): up -> broken")
            self.assertEqual({self.server_id() for _ in range(8)}, {102})
        finally:
            self.db.start_sql_thread(0)
        self.d.wait_log(r"replica1 \(unix:.*\): broken -> up")


class UnixStmtTest(test_dbproxyd_stmt.StmtTest):
    """Prepared statements (Connector/C client, sysbench) with every
    server reached over its socket."""

    def address(self, server):
        return "unix:" + server.socket


class UnixBackendMissingTest(DbproxydCase):
    """A socket path where no server listens: the primary is down
    (monitor), a write gets a clear error at once, reads go on."""

    def address(self, server):
        if server.role == "primary":
            return "unix:" + os.path.join(self.dir, "no-server.sock")
        return "unix:" + server.socket

    def wait_servers_up(self, timeout=20.0):
        self.d.wait_log(r"primary \(unix:.*no-server\.sock\): unknown -> "
                        r"down")

    def test_write_refused_reads_continue(self):
        with self.assertRaises(MariaDBError) as e:
            self.sql("INSERT INTO triadtest.t (v) VALUES ('nowhere')")
        self.assertIn(e.exception.code, (1290, 9001))
        self.assertIn(self.server_id(), (101, 102))
        st = http.get("http://127.0.0.1:%d/status" % self.status).json()
        self.assertEqual({s["name"]: s["state"] for s in st["servers"]}
                         ["primary"], "down")


if __name__ == "__main__":
    triadtest.main()
