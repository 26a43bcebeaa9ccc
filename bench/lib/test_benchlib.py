"""Self-tests of benchlib's pure parts: python3 bench/lib/test_benchlib.py

Why: a benchmark that misreads wrk's units or loses a section of
docs/BENCHMARKS.md records wrong numbers silently.  The sample outputs are
real wrk 4.1 and perf 6.x outputs, plus hostile variants.
"""

import os
import shutil
import socket
import stat
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
from benchlib import (idle, machine, procfs, profile, report,  # noqa: E402
                      rounds, stats, wrk)

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


    def test_run_passes_headers(self):
        # A stand-in wrk that prints its arguments before a real output.
        d = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, d)
        fake = os.path.join(d, "wrk")
        with open(fake, "w") as f:
            f.write("#!/bin/sh\nprintf '%%s|' \"$@\" > %s/argv\ncat <<'EOF'\n"
                    "%sEOF\n" % (d, WRK_OUT))
        os.chmod(fake, stat.S_IRWXU)
        r = wrk.run("http://x/", 2, 8, 1, wrk=fake,
                    headers=("Connection: close",))
        self.assertEqual(r["requests"], 159519)
        with open(os.path.join(d, "argv")) as f:
            argv = f.read().split("|")
        self.assertEqual(argv[-4:], ["-H", "Connection: close", "http://x/",
                                     ""])
        with open(fake, "w") as f:
            f.write("#!/bin/sh\necho nope >&2\nexit 3\n")
        with self.assertRaises(wrk.WrkError):
            wrk.run("http://x/", 1, 1, 1, wrk=fake)


def fake_result(rps, p99, errors=0, requests=100):
    return {"rps": rps, "p99_ms": p99, "errors": errors,
            "requests": requests}


class RoundsTest(unittest.TestCase):

    def test_interleave_flips_the_order(self):
        calls = []
        seen = []
        out = rounds.interleave(
            ["c1", "c2"], ("a", "b"), 3,
            lambda c, s: calls.append((c, s)) or fake_result(len(calls), 1),
            lambda rnd, c, s, r: seen.append((rnd, c, s, r["rps"])))
        self.assertEqual(calls, [
            ("c1", "a"), ("c1", "b"), ("c2", "a"), ("c2", "b"),
            ("c1", "b"), ("c1", "a"), ("c2", "b"), ("c2", "a"),
            ("c1", "a"), ("c1", "b"), ("c2", "a"), ("c2", "b")])
        self.assertEqual([r["rps"] for r in out["c1"]["b"]], [2, 5, 10])
        self.assertEqual(seen[4], (1, "c1", "b", 5))

    def test_interleave_skips(self):
        calls = []
        out = rounds.interleave(
            ["c1", "c2"], ("a", "b", "r"), 2,
            lambda c, s: calls.append((c, s)) or fake_result(1, 1),
            skip=lambda c, s: s == "r" and c == "c2")
        self.assertEqual(calls, [
            ("c1", "a"), ("c1", "b"), ("c1", "r"), ("c2", "a"), ("c2", "b"),
            ("c1", "r"), ("c1", "b"), ("c1", "a"), ("c2", "b"), ("c2", "a")])
        self.assertEqual(sorted(out["c2"]), ["a", "b"])
        self.assertEqual(len(out["c1"]["r"]), 2)

    def test_summarize_medians_and_paired(self):
        # Round 2 is a slow spell for both: the paired ratio ignores it,
        # the ratio of medians does not.
        runs = {"c": {"a": [fake_result(100, 2.0), fake_result(10, 9.0, 1),
                            fake_result(120, 3.0)],
                      "b": [fake_result(50, 1.0), fake_result(20, 3.0, 2),
                            fake_result(0, 4.0)]}}
        res = rounds.summarize(runs, ("a", "b"),
                               [("rps", "rps", 1.0), ("p99", "p99_ms", 2.0)])
        c = res["c"]
        self.assertEqual(c["a"]["rps"], 100)
        self.assertEqual(c["b"]["rps"], 20)
        self.assertEqual(c["a"]["p99"], 6.0)            # scaled
        self.assertEqual(c["a"]["errors"], 1)
        self.assertEqual(c["b"]["errors"], 2)
        self.assertEqual(c["a"]["rps_all"], [100, 10, 120])
        # per-round a/b: 2.0, 0.5, and none for b = 0 -> median 1.25
        self.assertAlmostEqual(c["paired"]["rps"], 1.25)
        self.assertEqual(rounds.estimates(c, ("a", "b"), "rps"),
                         [("of medians", 5.0), ("paired", 1.25)])
        self.assertEqual(
            rounds.round_line("t=1 x", c, ("a", "b")),
            "- t=1 x, a / b req/s: 100 / 50 (2.00x), 10 / 20 (0.50x), "
            "120 / 0 (n/a); paired median 1.25x")

    def test_paired_none_when_b_never_ran(self):
        runs = {"c": {"a": [fake_result(1, 1)], "b": [fake_result(0, 0)]}}
        res = rounds.summarize(runs, ("a", "b"), [("rps", "rps", 1.0)])
        self.assertIsNone(res["c"]["paired"]["rps"])
        self.assertFalse(stats.verdict(
            "x", rounds.estimates(res["c"], ("a", "b"), "rps"), 1.0)[0])

    def test_measured_cpu_per_request(self):
        me = [os.getpid()]

        def burn():
            t = os.times()
            while sum(os.times()[:2]) - sum(t[:2]) < 0.05:
                pass
            return fake_result(1, 1, requests=1000)
        r = rounds.measured(burn, {"cpu_us": me, "none": [2 ** 22 + 7]})
        self.assertGreater(r["cpu_us"], 10.0)   # >= 50 ms / 1000 requests
        self.assertEqual(r["none"], 0.0)
        r = rounds.measured(lambda: fake_result(0, 0, requests=0),
                            {"cpu_us": me})
        self.assertEqual(r["cpu_us"], 0.0)


class MiscTest(unittest.TestCase):

    def test_command_line_quotes(self):
        os.environ["BENCH_T_A"] = "1 2"
        self.addCleanup(os.environ.pop, "BENCH_T_A")
        self.assertEqual(
            benchlib.command_line("x-vs-y", ("BENCH_T_A", "BENCH_T_UNSET"),
                                  ["--record", "a b"]),
            "BENCH_T_A='1 2' bench/x-vs-y --record 'a b'")

    def test_build_of(self):
        d = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, d)
        os.makedirs(os.path.join(d, "lbd"))
        prog = os.path.join(d, "lbd", "lbd")
        open(prog, "w").close()
        with open(os.path.join(d, "CMakeCache.txt"), "w") as f:
            f.write("CMAKE_BUILD_TYPE:STRING=Release\n"
                    "CMAKE_HOME_DIRECTORY:INTERNAL=/src/triad\n")
        b = machine.build_of(prog)
        self.assertEqual((b["build_type"], b["src"]),
                         ("Release", "/src/triad"))
        self.assertRegex(b["mtime"], r"^\d{4}-\d\d-\d\d \d\d:\d\d UTC$")
        for f in ("CMakeCache.txt", "lbd/lbd"):
            os.remove(os.path.join(d, f))
        b = machine.build_of(prog)
        self.assertEqual((b["build_type"], b["src"], b["mtime"]),
                         (None, None, "?"))


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

    def test_syscall_rows(self):
        a = {"epoll_ctl": (8.0, 0.0), "readv": (2.0, 0.5),
             "rare": (0.001, 0.0)}
        b = {"recvfrom": (2.0, 0.0), "rare": (0.005, 0.0)}
        rows = profile.syscall_rows([("a", a), ("b", b)])
        self.assertEqual(rows, [
            ["epoll_ctl", "8.00", "0.00", "0.00", "0.00"],
            ["readv", "2.00", "0.50", "0.00", "0.00"],
            ["recvfrom", "0.00", "0.00", "2.00", "0.00"],
            ["total", "10.00", "", "2.00", ""]])

    def test_markdown(self):
        summ = {"by_dso": [(60.0, "[kernel.kallsyms]", ""), (40.0, "x", "")],
                "top": [(9.5, "x", "f")], "top_user": []}
        text = profile.markdown("x", summ)
        self.assertTrue(text.startswith(
            "x, time by binary: [kernel.kallsyms] 60.0%, x 40.0%\n"))
        self.assertIn("| 9.5 | x   | f              |", text)
        self.assertIn("x: top user-space symbols", text)


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
