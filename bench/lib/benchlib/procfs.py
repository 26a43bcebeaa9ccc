"""procfs: a process and its descendants, the memory they hold and the CPU
time they used, from /proc.

Why CPU time: on a shared machine req/s moves with whatever else runs, but
the server's own CPU time per request moves much less; it tells whether a
server is slower or only got fewer cycles.

Why both memory numbers: VmRSS summed over nginx's master and workers
counts the pages they share (binary, libraries, copy-on-write heap) once
per process, which is how `ps` and most comparisons read it and what the
target names; Pss splits shared pages between the processes that map them
and is the fairer figure, so benchmarks print it next to RSS.
"""

import os


def _stat_fields(pid):
    """Fields of /proc/PID/stat after the command name (state is [0]), or
    None if the process is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _ppid(pid):
    f = _stat_fields(pid)
    return int(f[1]) if f else None


def tree(pid):
    """[pid] plus every living descendant's pid (threads are not listed)."""
    children = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            pp = _ppid(int(name))
            if pp is not None:
                children.setdefault(pp, []).append(int(name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def _field_kb(path, key):
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def rss_kb(pids):
    """Sum of VmRSS (kB) over pids; a vanished pid counts 0."""
    return sum(_field_kb("/proc/%d/status" % p, "VmRSS") for p in pids)


def pss_kb(pids):
    """Sum of Pss (kB, from smaps_rollup) over pids."""
    return sum(_field_kb("/proc/%d/smaps_rollup" % p, "Pss") for p in pids)


def cpu_seconds(pids):
    """User + system CPU seconds used so far by pids (all their threads);
    a vanished pid counts 0.  Resolution: one clock tick (usually 10 ms)."""
    tck = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in pids:
        f = _stat_fields(p)
        if f:
            total += int(f[11]) + int(f[12])     # utime, stime
    return total / float(tck)
