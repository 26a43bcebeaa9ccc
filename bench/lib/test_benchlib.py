"""Self-tests of benchlib's pure parts: python3 bench/lib/test_benchlib.py

Why: a benchmark that misreads wrk's units or loses a section of
docs/BENCHMARKS.md records wrong numbers silently.  The sample outputs are
real wrk 4.1 and perf 6.x outputs, plus hostile variants.
"""

import os
import socket
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import idle, procfs, profile, report, stats, wrk  # noqa: E402

WRK_OUT = """\
Running 5s test @ http://127.0.0.1:8080/1k.bin
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.20ms  444.61us   8.95ms   87.81%
    Req/Sec    26.69k     4.25k   35.56k    65.00%
  Latency Distribution
     50%  850.00us
     75%    1.31ms
     90%    1.57ms
     99%    1.05s
  159519 requests in 3.00s, 191.83MB read
  Socket errors: connect 1, read 2, write 3, timeout 4
  Non-2xx or 3xx responses: 5
Requests/sec:  53092.48
Transfer/sec:      1.50GB
"""

TRACE_OUT = """
 Summary of events:

 webd (28926), 135227 events, 100.0%

   syscall            calls  errors  total       min       avg       max
                                     (msec)    (msec)    (msec)    (msec)
   --------------- --------  ------ -------- --------- --------- ---------
   epoll_wait           345      0  1435.700     0.000     4.161    50.214
   openat2            19058  19056   278.225     0.011     0.015     0.164

 webd (28927), 10 events, 0.0%

   syscall            calls  errors  total       min       avg       max
   --------------- --------  ------ -------- --------- --------- ---------
   openat2                2      1     0.020     0.010     0.010     0.010
"""

PERF_OUT = """\
# Overhead  Shared Object         Symbol
# ........  ....................  ......
#
    23.30%  libpython3.11.so.1.0  [.] _PyObject_Malloc
     9.10%  [kernel.kallsyms]     [k] finish_task_switch.isra.0
     0.50%  libevent_core-2.1.so  [.] 0x000000000000b6c4
"""


class WrkTest(unittest.TestCase):

    def test_units_and_errors(self):
        r = wrk.parse(WRK_OUT)
        self.assertAlmostEqual(r["rps"], 53092.48)
        self.assertAlmostEqual(r["p50_ms"], 0.85)
        self.assertAlmostEqual(r["p99_ms"], 1050.0)
        self.assertEqual(r["bps"], 1.5 * (1 << 30))
        self.assertEqual(r["requests"], 159519)
        self.assertEqual(r["errors"], 15)

    def test_no_errors_lines(self):
        text = "\n".join(line for line in WRK_OUT.splitlines()
                         if "errors" not in line and "Non-2xx" not in line)
        self.assertEqual(wrk.parse(text)["errors"], 0)

    def test_missing_or_garbled(self):
        with self.assertRaises(wrk.WrkError):
            wrk.parse("unable to connect to 127.0.0.1:1 Connection refused")
        with self.assertRaises(wrk.WrkError):
            wrk.parse(WRK_OUT.replace("1.05s", "1.05parsecs"))
        with self.assertRaises(wrk.WrkError):
            wrk.parse(WRK_OUT.replace("1.50GB", "1.50XB"))


class StatsTest(unittest.TestCase):

    def test_median(self):
        self.assertEqual(stats.median([3, 1, 2]), 2)
        self.assertEqual(stats.median([4, 1, 3, 2]), 2.5)
        self.assertEqual(stats.median([7]), 7)
        with self.assertRaises(ValueError):
            stats.median([])

    def test_verdict(self):
        ok, line = stats.verdict("x", [("m", 1.2)], 1.1)
        self.assertTrue(ok)
        self.assertEqual(line, "PASS x: 1.20x m (goal >= 1.10x)")
        ok, line = stats.verdict("x", [("m", 0.55)], 1.1)
        self.assertFalse(ok)
        self.assertIn("missed by 50%", line)
        ok, line = stats.verdict("p99", [("m", 1.5)], 1.0,
                                 higher_is_better=False)
        self.assertFalse(ok)
        self.assertIn("missed by 50%", line)
        self.assertTrue(stats.verdict("p99", [("m", 1.0)], 1.0, False)[0])
        self.assertFalse(stats.verdict("x", [("m", None)], 1.0)[0])
        self.assertFalse(stats.verdict("x", [], 1.0)[0])
        self.assertIsNone(stats.ratio(1, 0))

    def test_verdict_needs_every_estimate(self):
        ok, line = stats.verdict("x", [("of medians", 1.21),
                                       ("paired", 0.88)], 1.1)
        self.assertFalse(ok)
        self.assertEqual(line, "MISS x: 1.21x of medians, 0.88x paired "
                         "(goal >= 1.10x), missed by 20%")
        ok, _ = stats.verdict("x", [("a", 1.2), ("b", 1.1)], 1.1)
        self.assertTrue(ok)


class ReportTest(unittest.TestCase):

    def test_table(self):
        t = report.table(["a", "bb"], [["x", 1], ["yyy", 22]])
        self.assertEqual(t.splitlines(), [
            "| a   | bb |", "|-----|---:|", "| x   |  1 |", "| yyy | 22 |"])

    def test_replace_keeps_other_sections(self):
        doc = ("# B\n\nintro\n\n## one\n\nold\n### sub\nold2\n\n"
               "## two\n\nkeep\n")
        out = report.replace_section(doc, "one", "new\n### sub\nnew2")
        self.assertIn("## one\n\nnew\n### sub\nnew2\n\n## two\n\nkeep\n", out)
        self.assertNotIn("old", out)
        self.assertTrue(out.startswith("# B\n\nintro\n"))
        out2 = report.replace_section(out, "one", "new\n### sub\nnew2")
        self.assertEqual(out, out2)               # idempotent

    def test_append_when_absent(self):
        out = report.replace_section("# B\nintro", "three", "body")
        self.assertEqual(out, "# B\nintro\n\n## three\n\nbody\n\n")
        # a title that is only a prefix of another must not match it
        out = report.replace_section("## one two\n\nx\n", "one", "y")
        self.assertIn("## one two\n\nx\n", out)
        self.assertIn("## one\n\ny\n", out)


class ProfileTest(unittest.TestCase):

    def test_trace_sums_threads(self):
        c = profile.parse_trace(TRACE_OUT)
        self.assertEqual(c["openat2"], [19060, 19057])
        self.assertEqual(c["epoll_wait"], [345, 0])
        self.assertEqual(len(c), 2)

    def test_report(self):
        rows = profile.parse_report(PERF_OUT)
        self.assertEqual(rows[0], (23.3, "libpython3.11.so.1.0",
                                   "_PyObject_Malloc"))
        self.assertEqual(rows[1][1:], ("[kernel.kallsyms]",
                                       "finish_task_switch.isra.0"))
        self.assertEqual(len(rows), 3)
        self.assertEqual(profile.parse_report("    5.00%  webd\n"),
                         [(5.0, "webd", "")])


class ProcfsTest(unittest.TestCase):

    def test_self(self):
        me = os.getpid()
        self.assertIn(me, procfs.tree(os.getppid()))
        self.assertGreater(procfs.rss_kb([me]), 1000)
        self.assertEqual(procfs.rss_kb([2 ** 22 + 12345]), 0)  # no such pid
        self.assertGreaterEqual(procfs.cpu_seconds([me]), 0.0)


class IdleTest(unittest.TestCase):
    """Against a tiny server: one that answers, one that closes."""

    def serve(self, answer):
        ls = socket.socket()
        ls.bind(("127.0.0.1", 0))
        ls.listen(64)
        self.addCleanup(ls.close)
        conns = []
        self.addCleanup(lambda: [c.close() for c in conns])

        def loop():
            while True:
                try:
                    c, _ = ls.accept()
                except OSError:
                    return
                conns.append(c)
                c.recv(1000)
                if answer:
                    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n")
                    c.sendall(b"abc")
                else:
                    c.close()
        threading.Thread(target=loop, daemon=True).start()
        return ls.getsockname()[1]

    def test_holds(self):
        port = self.serve(True)
        with idle.IdleConns("127.0.0.1", port, 20, b"GET / HTTP/1.1\r\n\r\n",
                            timeout=10) as c:
            self.assertEqual((c.held, c.failed), (20, 0))
            self.assertEqual(c.alive(), 20)

    def test_closed_by_server(self):
        port = self.serve(False)
        with idle.IdleConns("127.0.0.1", port, 5, b"GET / HTTP/1.1\r\n\r\n",
                            timeout=10) as c:
            self.assertEqual((c.held, c.failed), (0, 5))

    def test_refused(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()                               # nobody listens there
        with idle.IdleConns("127.0.0.1", port, 3, b"x", timeout=5) as c:
            self.assertEqual((c.held, c.failed), (0, 3))


if __name__ == "__main__":
    unittest.main()
