"""triadtest: the harness triad's real-process tests stand on (stdlib only).

Modules:
  cleanup   registry run at exit and on SIGTERM/SIGINT/SIGHUP; temp folders
  proc      spawn children that die with the test; bounded waits
  ports     free TCP ports on loopback
  http      HTTP requests and raw-bytes exchanges, with timeouts
  daemon    Daemon: start, wait for /health, signal, stop, logs
  logs      log sources printed when a test fails
  case      TestCase (prints logs on failure), main() (77 = skipped), skip()
  mariadb   MariaDBCluster: a primary and replicas with GTID replication
  netns     Lab: hosts and a client in network namespaces on a bridge
  topo      one_host(), one_daemon(), lbd_keys(): one-host test topologies;
            write_conf()
  upstream  HttpServer, TestServer behind the proxies; stop_then_kill()
  appd      appd's per-app metrics; checks both of its paths share

Tests run as `python3 tests/<kind>/test_x.py` with PYTHONPATH=tests/harness;
ctest also sets TRIAD_BUILD_DIR and TRIAD_SOURCE_DIR.  See tests/README.md.
"""

import os

from .case import SKIP, TestCase, main, require_program, require_root, skip
from .cleanup import remove_tempdir, tempdir
from .daemon import Daemon, DaemonError
from .logs import dump_logs, dump_on_error
from .ports import free_port, free_ports
from .topo import lbd_keys, one_daemon, one_host, write_conf


def source_dir():
    """The source root: $TRIAD_SOURCE_DIR, else derived from this file."""
    env = os.environ.get("TRIAD_SOURCE_DIR")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.dirname(os.path.dirname(os.path.dirname(here)))


def source_path(*parts):
    """A path under the source root, e.g. source_path("etc", "mime.types")."""
    return os.path.join(source_dir(), *parts)


def build_dir():
    """The build folder: $TRIAD_BUILD_DIR, else <source>/build."""
    return os.environ.get("TRIAD_BUILD_DIR") or os.path.join(source_dir(),
                                                             "build")


def build_path(*parts):
    """A path under the build folder, e.g. build_path("tests", "triad_testd")."""
    return os.path.join(build_dir(), *parts)


def asan_env(options):
    """An env for Daemon: $ASAN_OPTIONS with options ("handle_segv=0")
    added, so a test's own AddressSanitizer settings hold beside them."""
    asan = os.environ.get("ASAN_OPTIONS", "")
    return {"ASAN_OPTIONS": (asan + ":" if asan else "") + options}


def triad_daemon(name, conf, status, host="h1", **kw):
    """The build's daemon name ("lbd", "webd"...) on the topology file conf
    as host, in the foreground, ready once its status port answers
    /health; kw goes to Daemon (env=...). Not started yet."""
    return Daemon([build_path(name, name), "-f", "-c", conf, "--host", host],
                  health_url="http://127.0.0.1:%d/health" % status, **kw)


__all__ = [
    "SKIP", "TestCase", "main", "require_program", "require_root", "skip",
    "tempdir", "remove_tempdir", "Daemon", "DaemonError", "dump_logs",
    "dump_on_error", "free_port", "free_ports", "source_dir", "build_dir",
    "build_path", "source_path", "asan_env", "triad_daemon", "one_host",
    "one_daemon", "lbd_keys", "write_conf",
]
