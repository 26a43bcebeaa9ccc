"""machine: what a number was measured on (STYLE.md rule 10 wants the
machine, the versions and the commit next to every recorded result)."""

import datetime
import os
import platform
import re
import subprocess


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _mem_gib():
    try:
        with open("/proc/meminfo") as f:
            kb = int(re.search(r"MemTotal:\s+(\d+)", f.read()).group(1))
        return kb / (1 << 20)
    except (OSError, AttributeError, ValueError):
        return 0.0


def loadavg():
    """The 1, 5 and 15 minute load averages as a string."""
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def describe():
    """dict: date (UTC), nproc, cpu, kernel, mem_gib, load."""
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime(
            "%Y-%m-%d %H:%M UTC"),
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": _cpu_model(),
        "kernel": platform.release(),
        "mem_gib": _mem_gib(),
        "load": loadavg(),
    }


def version(argv, pattern=r"(\S+/[0-9][^\s]*)"):
    """First match of pattern in the output (stdout+stderr) of argv.

    For `nginx -v`, `haproxy -v`, `wrk -v`: they print their version in
    different streams and exit codes.  Returns '?' if it cannot run.
    """
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    m = re.search(pattern, p.stdout + p.stderr)
    return m.group(1) if m else "?"


def git_commit(src, paths=()):
    """Short HEAD of the repo at src, plus '+dirty' when any of paths (all
    of the tree when empty) has uncommitted changes: a number measured on
    an edited tree must say so."""
    def git(*args):
        return subprocess.run(["git", "-C", src] + list(args),
                              capture_output=True, text=True,
                              timeout=10).stdout.strip()
    try:
        head = git("rev-parse", "--short", "HEAD") or "?"
        dirty = git("status", "--porcelain", "--untracked-files=no", "--",
                    *paths)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return head + ("+dirty" if dirty else "")


def cmake_cache(build_dir, key):
    """A value from build_dir/CMakeCache.txt ('' when empty, None when the
    file or the key is missing), e.g. CMAKE_BUILD_TYPE, or
    CMAKE_HOME_DIRECTORY: the source tree a binary was built from, whose
    commit is the one to quote (it may be a clean clone, not this tree)."""
    try:
        with open(os.path.join(build_dir, "CMakeCache.txt")) as f:
            m = re.search(r"^%s:\w+=(.*)$" % re.escape(key), f.read(), re.M)
    except OSError:
        return None
    return m.group(1).strip() if m else None


def build_of(binary):
    """What the CMake build that made binary says about it.

    binary: BUILD/<folder>/<program> (as triad's build lays them out).
    Returns {"build_type": CMAKE_BUILD_TYPE (None if unknown), "src": the
    source tree it was built from (None if unknown), "mtime": the binary's
    modification time, UTC}.  Why: a recorded number quotes the commit of
    the tree the binary came from, which may be a clean clone elsewhere,
    and a build that is not Release must be flagged.
    """
    build = os.path.dirname(os.path.dirname(os.path.abspath(binary)))
    try:
        mtime = datetime.datetime.fromtimestamp(
            os.stat(binary).st_mtime, datetime.timezone.utc).strftime(
                "%Y-%m-%d %H:%M UTC")
    except OSError:
        mtime = "?"
    return {"build_type": cmake_cache(build, "CMAKE_BUILD_TYPE"),
            "src": cmake_cache(build, "CMAKE_HOME_DIRECTORY"),
            "mtime": mtime}
