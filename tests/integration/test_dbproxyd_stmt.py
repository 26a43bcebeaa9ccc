"""dbproxyd and prepared statements (binary protocol).

A C client built with Connector/C (tests/support/dbp_client.c) prepares,
executes with new values, sends long data, resets and closes statements,
inside and outside a transaction, then changes user; sysbench
oltp_read_write, which uses prepared statements, must run with no error
through dbproxyd.  BusyPollStmtTest runs the same with busy polling.
"""

import os
import re
import shutil
import subprocess

import triadtest
from triadtest import http
from test_dbproxyd_route import DbproxydCase, Wire

CLIENT = triadtest.build_path("tests", "dbp_client")


class StmtTest(DbproxydCase):

    def test_connector_c_client(self):
        r = subprocess.run([CLIENT, str(self.port), "app", "apppw",
                            "triadtest"], capture_output=True, timeout=120)
        out = r.stdout.decode()
        self.assertEqual(r.returncode, 0, out + r.stderr.decode() +
                         self.d.log_tail(30))
        self.assertIn("ALL OK", out)
        self.assertIn("change_user ok", out)
        ids = [int(x) for x in re.findall(r"server_id (\d+)", out)]
        # 20 autocommit executions on replicas, then 2 in a transaction.
        self.assertTrue(set(ids[:20]) <= {101, 102}, ids)
        self.assertEqual(ids[20:], [100, 100])

    def test_unknown_statement_id(self):
        w = Wire(self.port)
        try:
            w.send(b"\x17" + (4242).to_bytes(4, "little") + b"\0\1\0\0\0")
            with self.assertRaises(Exception) as e:
                w.results()
            self.assertEqual(getattr(e.exception, "code", 0), 1243)
            self.assertEqual(w.value("SELECT 3"), 3)
        finally:
            w.close()

    def test_sysbench_oltp_read_write(self):
        if shutil.which("sysbench") is None:
            self.skipTest("sysbench not installed")
        base = ["sysbench", "oltp_read_write", "--mysql-host=127.0.0.1",
                "--mysql-port=%d" % self.port, "--mysql-user=app",
                "--mysql-password=apppw", "--mysql-db=triadtest",
                "--tables=2", "--table-size=500", "--db-ps-mode=auto"]
        r = subprocess.run(base + ["prepare"], capture_output=True,
                           timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout.decode() +
                         r.stderr.decode())
        r = subprocess.run(base + ["--threads=4", "--time=4",
                                   "--report-interval=0", "run"],
                           capture_output=True, timeout=120)
        out = r.stdout.decode() + r.stderr.decode()
        self.assertEqual(r.returncode, 0, out + self.d.log_tail(30))
        # sysbench ignores deadlocks (1213) and lock waits, which
        # InnoDB reports under 4 threads on small tables with or without
        # dbproxyd; any other error would stop it (non-zero exit).
        self.assertRegex(out, r"reconnects:\s+0 ")
        st = http.get("http://127.0.0.1:%d/status" % self.status).json()
        self.assertTrue(set(st["errors"]) <= {"1213", "1205", "1020"},
                        st["errors"])
        m = http.get("http://127.0.0.1:%d/metrics" % self.status).text()
        self.assertRegex(m, r"errors_sent_total 0")
        m = re.search(r"transactions:\s+(\d+)", out)
        self.assertTrue(m and int(m.group(1)) > 0, out)
        st = http.get("http://127.0.0.1:%d/metrics" % self.status).text()
        self.assertRegex(st, r'queries_total\{target="replica"\} [1-9]')
        subprocess.run(base + ["cleanup"], capture_output=True, timeout=60)


class BusyPollStmtTest(StmtTest):
    """The same with one worker that polls before it sleeps (busy_poll_us,
    as bench/dbproxyd-vs-direct runs it): nothing is lost or reordered
    when commands and answers are read while polling."""

    WORKERS = 1
    EXTRA = "  busy_poll_us: 500\n"


if __name__ == "__main__":
    triadtest.main()
