"""benchlib: what every triad benchmark in bench/ needs (stdlib only).

Modules:
  wrk       run wrk with --latency, parse req/s, p99, throughput, errors
  stats     medians and ratios of repeated rounds, PASS/MISS verdicts
  procfs    process trees, their VmRSS / Pss and CPU time, from /proc
  idle      hold thousands of idle keep-alive connections (non-blocking)
  machine   the machine, versions and commit a result was measured on
  report    markdown tables; replace one section of docs/BENCHMARKS.md
  profile   sample a running process with perf (cpu-clock) and list the
            top symbols; system calls per request
  rounds    interleaved rounds of two servers, CPU per request, medians
            and paired ratios

Process handling (spawn, readiness, stop at exit or on a signal, temp
folders) is the test harness's: tests/harness/triadtest.  A benchmark puts
both folders on sys.path with setup_path() and uses the two together.
"""

import os
import shlex
import sys


def source_dir():
    """The source root: two levels above this package (bench/lib/benchlib)."""
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.dirname(os.path.dirname(os.path.dirname(here)))


def setup_path():
    """Make `import triadtest` work; return the source root.

    Why: benchmarks reuse the harness's process and cleanup code rather than
    a copy of it.  Also sets TRIAD_SOURCE_DIR so the harness agrees.
    """
    src = source_dir()
    harness = os.path.join(src, "tests", "harness")
    if harness not in sys.path:
        sys.path.insert(0, harness)
    os.environ.setdefault("TRIAD_SOURCE_DIR", src)
    return src


def env_int(name, default, lo=1, hi=1 << 30):
    """Integer knob from the environment, clamped to [lo, hi].

    Raises ValueError naming the variable when it is not an integer.
    """
    raw = os.environ.get(name, "")
    if raw == "":
        return default
    try:
        v = int(raw)
    except ValueError:
        raise ValueError("%s=%r is not an integer" % (name, raw)) from None
    return max(lo, min(hi, v))


def env_list(name, default):
    """Space- or comma-separated integers from the environment."""
    raw = os.environ.get(name, "")
    if raw.strip() == "":
        return list(default)
    try:
        return [int(x) for x in raw.replace(",", " ").split()]
    except ValueError:
        raise ValueError("%s=%r: want integers" % (name, raw)) from None


def log(msg):
    """A progress line on stderr (stdout carries the report)."""
    print(msg, file=sys.stderr, flush=True)


def command_line(script, knob_names, argv):
    """The shell command that reproduces a run, from the source root: the
    knobs set in the environment (those of knob_names that are set), the
    script as bench/<script> and its arguments, all quoted."""
    env = ["%s=%s" % (n, shlex.quote(os.environ[n])) for n in knob_names
           if os.environ.get(n)]
    return " ".join(env + ["bench/" + script] +
                    [shlex.quote(a) for a in argv])
