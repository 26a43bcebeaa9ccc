"""Where failing tests find the logs to print.

Why: when an integration test fails, the daemons' and servers' own logs
usually say why.  Every Daemon, MariaDB server and netns background process
registers itself here as a log source; case.TestCase prints the tails of
the sources that were alive during a failing test, and dump_on_error() does
the same for a block of code outside unittest.

A log source is any object with:
  name          str
  log_path      str (a file; may not exist yet)
  stopped_at    time.monotonic() of its last stop, or None while running
  final_log     (optional) the log's tail kept before its folder was removed
"""

import contextlib
import os
import sys
import threading

from . import proc

_lock = threading.Lock()
_sources = []


def add_source(src):
    """Remember src for dump_logs() (once)."""
    with _lock:
        if src not in _sources:
            _sources.append(src)


def remove_source(src):
    with _lock:
        if src in _sources:
            _sources.remove(src)


def default_lines():
    """TRIAD_LOG_LINES (default 150): how many lines of each log to print."""
    try:
        return int(os.environ.get("TRIAD_LOG_LINES", "150"))
    except ValueError:
        return 150


def dump_logs(since=None, lines=None, file=None, sources=None):
    """Print the tail of every log source (or of `sources`) to file.

    since: a time.monotonic() value; sources stopped before it are skipped
    (they cannot explain a later failure).  Returns how many were printed.
    """
    file = file or sys.stderr
    lines = lines or default_lines()
    with _lock:
        todo = list(sources if sources is not None else _sources)
    n = 0
    for src in todo:
        stopped = getattr(src, "stopped_at", None)
        if since is not None and stopped is not None and stopped < since:
            continue
        text = proc.tail(src.log_path, lines) or getattr(src, "final_log", "")
        print("----- log of %s (%s), last %d lines -----\n%s\n----- end of %s"
              % (src.name, src.log_path, lines, text or "(empty)", src.name),
              file=file)
        n += 1
    file.flush()
    return n


@contextlib.contextmanager
def dump_on_error(*sources):
    """Context manager: if the block raises, print the logs, then re-raise.

    With no arguments every registered source is printed.
    """
    try:
        yield
    except BaseException:
        dump_logs(sources=list(sources) if sources else None)
        raise
