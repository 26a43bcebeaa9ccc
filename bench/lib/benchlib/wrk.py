"""wrk: run it against one URL with --latency and read its summary.

Why a parser of our own: wrk prints human units (us/ms/s, KB/MB/GB in powers
of 1024) and hides errors in optional lines; every benchmark needs the same
four numbers from it, and a run with errors must not pass for a fast one.
"""

import re
import subprocess

_TIME = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}
_SIZE = {"B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30, "TB": 1 << 40}


class WrkError(RuntimeError):
    """wrk failed or printed something we cannot read."""


def _ms(text):
    m = re.fullmatch(r"([0-9.]+)(us|ms|s|m|h)", text)
    if not m:
        raise WrkError("bad latency %r" % text)
    return float(m.group(1)) * _TIME[m.group(2)]


def _bytes(text):
    m = re.fullmatch(r"([0-9.]+)(B|KB|MB|GB|TB)", text)
    if not m:
        raise WrkError("bad size %r" % text)
    return float(m.group(1)) * _SIZE[m.group(2)]


def parse(text):
    """wrk --latency output -> dict.

    Keys: rps (requests/s), p50_ms, p99_ms, bps (bytes/s read, headers
    included), requests, errors (socket errors of every kind plus non-2xx/3xx
    responses).  Raises WrkError if a required line is missing.
    """
    out = {"errors": 0}
    pats = {
        "rps": r"^Requests/sec:\s+([0-9.]+)",
        "bps": r"^Transfer/sec:\s+(\S+)",
        "p50_ms": r"^\s+50%\s+(\S+)",
        "p99_ms": r"^\s+99%\s+(\S+)",
        "requests": r"^\s+(\d+) requests in",
    }
    for key, pat in pats.items():
        m = re.search(pat, text, re.M)
        if not m:
            raise WrkError("no %s in wrk output:\n%s" % (key, text))
        v = m.group(1)
        out[key] = (_ms(v) if key.endswith("_ms") else _bytes(v)
                    if key == "bps" else float(v))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), "
                  r"timeout (\d+)", text)
    if m:
        out["errors"] += sum(int(x) for x in m.groups())
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if m:
        out["errors"] += int(m.group(1))
    return out


def run(url, threads, conns, duration, timeout=10, wrk="wrk", headers=()):
    """Run wrk keep-alive against url for `duration` seconds; parse().

    threads, conns: -t and -c.  timeout: wrk's per-request --timeout in
    seconds.  headers: extra request headers ("Name: value"); with
    "Connection: close" wrk opens a new connection for every request once
    the server answers with close.  The process is bounded (killed
    duration + 60 s after start).  Raises WrkError on a non-zero exit or
    unreadable output.
    """
    argv = [wrk, "-t%d" % threads, "-c%d" % conns, "-d%ds" % duration,
            "--timeout", "%ds" % timeout, "--latency"]
    for h in headers:
        argv += ["-H", h]
    argv.append(url)
    try:
        p = subprocess.run(argv, capture_output=True, text=True,
                           timeout=duration + 60)
    except subprocess.TimeoutExpired:
        raise WrkError("wrk did not finish: %s" % " ".join(argv)) from None
    if p.returncode != 0:
        raise WrkError("wrk exited %d: %s" % (p.returncode, p.stderr))
    return parse(p.stdout)
