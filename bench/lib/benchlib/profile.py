"""profile: where a running server spends its CPU, by perf sampling.

Why cpu-clock: on virtual machines the hardware counters are often missing
(`perf stat -e instructions true` says <not supported>), but the software
clock event works everywhere perf does.  The caller drives load while
sample() records, then reads the flat profile (self time per symbol).
"""

import os
import re
import shutil
import subprocess
import time

from . import report


def available():
    """True if perf exists and may sample processes (paranoid <= 1 or
    root).  A benchmark then profiles; otherwise it says why not."""
    if shutil.which("perf") is None:
        return False
    try:
        with open("/proc/sys/kernel/perf_event_paranoid") as f:
            paranoid = int(f.read())
    except (OSError, ValueError):
        return False
    return os.geteuid() == 0 or paranoid <= 1


def start(pids, seconds, out_path):
    """Begin sampling pids (a list; all their threads) with call graphs for
    `seconds`.  Returns the Popen of perf; the caller waits (finish())."""
    argv = ["perf", "record", "-q", "-e", "cpu-clock", "-F", "999", "-g",
            "-p", ",".join(map(str, pids)), "-o", out_path, "--", "sleep",
            str(seconds)]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def trace_start(pids, seconds, out_path):
    """Begin counting the system calls of pids for `seconds` (perf trace
    -s, written to out_path).  Tracing slows the server down a lot, so
    only the counts per request mean anything, not the rate."""
    argv = ["perf", "trace", "-s", "-p", ",".join(map(str, pids)), "-o",
            out_path, "--", "sleep", str(seconds)]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def parse_trace(text):
    """perf trace -s summary -> {syscall: [calls, errors]} summed over all
    the threads listed."""
    out = {}
    pat = re.compile(r"^\s+(\w+)\s+(\d+)\s+(\d+)\s+[0-9.]+\s+[0-9.]+")
    for line in text.splitlines():
        m = pat.match(line)
        if m:
            c = out.setdefault(m.group(1), [0, 0])
            c[0] += int(m.group(2))
            c[1] += int(m.group(3))
    return out


def finish(popen, timeout):
    """Wait up to timeout seconds for a perf started here, then kill it
    (timeout 0: stop it now, as cleanup after an error)."""
    try:
        return popen.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        popen.kill()
        return popen.wait()


def parse_report(text):
    """perf report --stdio output with fields overhead,dso[,sym] -> list of
    (percent, dso, symbol or ''), in perf's order (highest first)."""
    out = []
    pat = re.compile(r"^\s+([0-9.]+)%\s+(\S+)(?:\s+\[[.kgu]\]\s+(.+?))?\s*$")
    for line in text.splitlines():
        m = pat.match(line)
        if m:
            out.append((float(m.group(1)), m.group(2), m.group(3) or ""))
    return out


def _report(data_path, fields):
    argv = ["perf", "report", "-i", data_path, "--stdio", "--no-children",
            "-g", "none", "-F", fields, "--percent-limit", "0.3"]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    return parse_report(p.stdout)


def summary(data_path, limit=12):
    """What a perf.data file says, as a dict of lists of (percent, dso,
    symbol): by_dso (time per binary or library, the kernel included),
    top (symbols by self time), top_user (the same without the kernel:
    where the server's own code and its libraries spend)."""
    syms = _report(data_path, "overhead,dso,sym")
    return {
        "by_dso": _report(data_path, "overhead,dso")[:limit],
        "top": syms[:limit],
        "top_user": [r for r in syms if r[1] != "[kernel.kallsyms]"][:limit],
    }


def sample_during(pids, seconds, data_path, load, limit=12):
    """perf record pids while load() runs, then summary(data_path, limit).

    load: a callable that drives the server for about `seconds` (a wrk
    run).  Sampling starts half a second before it, so the first requests
    are seen; perf is killed if it outlives load by 30 s.
    """
    p = start(pids, seconds + 1, data_path)
    try:
        time.sleep(0.5)
        load()
        finish(p, seconds + 30)
    finally:
        finish(p, 0)
    return summary(data_path, limit)


def syscalls_during(pids, seconds, out_path, load):
    """System calls per request of pids while load() runs (perf trace -s).

    load: a callable that drives the server for about `seconds` and
    returns a wrk result (its "requests" count divides).  Returns
    {syscall: (calls per request, failed calls per request)}.
    """
    p = trace_start(pids, seconds + 1.5, out_path)
    try:
        time.sleep(0.5)
        r = load()
        finish(p, 60)
    finally:
        finish(p, 0)
    with open(out_path) as f:
        counts = parse_trace(f.read())
    n = max(1.0, r["requests"])
    return {sc: (c / n, e / n) for sc, (c, e) in counts.items()}


def markdown(name, summ):
    """The markdown of one summary(): a line of time per binary, then the
    top symbols and the top user-space symbols."""
    def syms(title, rows):
        return report.table(["%", "dso", title],
                     [["%.1f" % p, d, s] for p, d, s in rows],
                     ["r", "l", "l"])
    return "\n".join([
        "%s, time by binary: %s" % (name, ", ".join(
            "%s %.1f%%" % (d, p) for p, d, _ in summ["by_dso"])), "",
        syms("%s: top symbols" % name, summ["top"]), "",
        syms("%s: top user-space symbols" % name, summ["top_user"])])


def syscall_rows(named):
    """Rows for a table of system calls per request, one pair of columns
    (calls, failed) per server.  named: [(server, syscalls_during()
    result)].  Calls under 0.01 per request everywhere are left out; the
    last row is the total of calls."""
    names = sorted({sc for _, c in named for sc in c},
                   key=lambda sc: (-max(c.get(sc, (0, 0))[0]
                                        for _, c in named), sc))
    rows = []
    for sc in names:
        cells = [c.get(sc, (0, 0)) for _, c in named]
        if max(n for n, _ in cells) >= 0.01:
            rows.append([sc] + ["%.2f" % x for n, e in cells
                                for x in (n, e)])
    rows.append(["total"] + [x for _, c in named for x in
                             ("%.2f" % sum(n for n, _ in c.values()), "")])
    return rows
