"""sysbench: run one sysbench OLTP test and parse what it reports.

Why here: dbproxyd's benchmark (and any later database benchmark) reads
the same numbers as wrk.parse() gives for HTTP, under the same keys, so
rounds.measured() and rounds.summarize() work unchanged: "rps" is queries
per second, "requests" the queries, "errors" the ignored errors plus
reconnects, "p95_ms" the 95th percentile of one event's latency.
"""

import re
import subprocess


def parse(text):
    """sysbench's report -> {"rps", "requests", "tps", "p95_ms",
    "avg_ms", "errors"}; raises ValueError when a field is missing."""
    def num(pattern):
        m = re.search(pattern, text)
        if not m:
            raise ValueError("sysbench output lacks %r:\n%s"
                             % (pattern, text[-2000:]))
        return float(m.group(1))
    return {
        "requests": int(num(r"queries:\s+(\d+)")),
        "rps": num(r"queries:\s+\d+\s+\(([\d.]+) per sec"),
        "tps": num(r"transactions:\s+\d+\s+\(([\d.]+) per sec"),
        "p95_ms": num(r"95th percentile:\s+([\d.]+)"),
        "avg_ms": num(r"avg:\s+([\d.]+)"),
        "errors": int(num(r"ignored errors:\s+(\d+)") +
                      num(r"reconnects:\s+(\d+)")),
    }


def argv(test, host, port, user, password, db, tables, table_size,
         extra=()):
    """The common sysbench command line of an OLTP test."""
    return ["sysbench", test, "--mysql-host=" + host,
            "--mysql-port=%d" % port, "--mysql-user=" + user,
            "--mysql-password=" + password, "--mysql-db=" + db,
            "--tables=%d" % tables, "--table-size=%d" % table_size,
            "--db-ps-mode=auto", "--mysql-ssl=off"] + list(extra)


def run(test, threads, seconds, **kw):
    """One `sysbench TEST run`; returns parse() of its report."""
    a = argv(test, extra=["--threads=%d" % threads, "--time=%d" % seconds,
                          "--percentile=95", "--report-interval=0", "run"],
             **kw)
    r = subprocess.run(a, capture_output=True, timeout=seconds + 120)
    out = r.stdout.decode("utf-8", "replace")
    if r.returncode != 0:
        raise RuntimeError("sysbench %s failed (%d): %s" % (
            test, r.returncode, (out + r.stderr.decode())[-2000:]))
    return parse(out)


def prepare(tables, table_size, **kw):
    """Creates the tables (oltp_common prepare)."""
    r = subprocess.run(argv("oltp_common", tables=tables,
                            table_size=table_size, extra=["prepare"], **kw),
                       capture_output=True, timeout=600)
    if r.returncode != 0:
        raise RuntimeError("sysbench prepare failed: %s"
                           % (r.stdout + r.stderr).decode()[-2000:])
