"""Run a daemon under test: start, wait until ready, signal, stop, read logs.

Why: every integration test starts real programs (triad daemons, peers like
haproxy or nginx, small Python servers) and must know when they serve, fail
early when they die at start, and show their logs when something goes wrong.

    d = Daemon([lbd, "-f", "-c", conf], name="lbd",
               health_url="http://127.0.0.1:%d/health" % status_port)
    with d:                       # start(); stop() at exit; log on error
        ...
        d.reload()                # SIGHUP
        d.wait_log(r"generation 2", timeout=5)

The program's stdout and stderr go to <workdir>/<name>.log (triad daemons
log to stderr).  Readiness is one of: health_url answering 200 (optionally
through a Unix socket, health_unix), tcp=(host, port) accepting,
notify=True and READY=1 on NOTIFY_SOCKET, or a ready() callable; with none
of them the daemon counts as ready once spawned.
"""

import os
import re
import signal as _sig
import socket
import time

from . import cleanup, http, logs, proc


class DaemonError(RuntimeError):
    """The daemon did not start or stop as expected; the message ends with
    the tail of its log."""


class Daemon:
    """One program under test.  See the module docstring.

    argv: program and arguments.  name: label for logs (default: basename).
    env: variables added to the environment (None value removes one).
    cwd: working directory (default: workdir).  workdir: folder for the log
    and the notify socket (default: a fresh temp folder, removed at exit).
    netns: a netns.Host; the program runs inside its namespace and the
    readiness checks connect from there.
    """

    def __init__(self, argv, name=None, env=None, cwd=None, workdir=None,
                 health_url=None, health_unix=None, tcp=None, ready=None,
                 notify=False, netns=None, inherit_env=True):
        self.argv = [str(a) for a in argv]
        self.name = name or os.path.basename(self.argv[0])
        self.env = dict(env or {})
        self.workdir = workdir or cleanup.tempdir(_safe(self.name))
        self.cwd = cwd or self.workdir
        self.health_url = health_url
        self.health_unix = health_unix
        self.tcp = tcp
        self.ready_fn = ready
        self.netns = netns
        self.inherit_env = inherit_env
        self.log_path = os.path.join(self.workdir, _safe(self.name) + ".log")
        self.popen = None
        self.returncode = None
        self.started_at = None
        self.stopped_at = None
        self.starts = 0
        self._cleanup = None
        self._notify = _NotifySocket(self.workdir) if notify else None
        logs.add_source(self)

    # -- starting ---------------------------------------------------------

    def start(self, timeout=10.0):
        """Spawn the program and wait (bounded) until it is ready.

        Raises DaemonError with the log tail if it exits or is not ready in
        time (the process is then stopped).  Returns self.
        """
        if self.running():
            raise DaemonError("%s is already running" % self.name)
        self.starts += 1
        with open(self.log_path, "ab") as f:
            f.write(b"=== triadtest: start #%d: %s ===\n"
                    % (self.starts, " ".join(self.argv).encode()))
        env = dict(self.env)
        if self._notify is not None:
            env["NOTIFY_SOCKET"] = self._notify.path
        argv = self.argv
        if self.netns is not None:
            argv = self.netns.exec_prefix() + argv
        self.returncode = None
        self.stopped_at = None
        self.started_at = time.monotonic()
        self.popen = proc.spawn(argv, self.log_path, env=env, cwd=self.cwd,
                                inherit_env=self.inherit_env)
        self._cleanup = cleanup.register(self._at_exit, "stop " + self.name)
        try:
            self._wait_ready(timeout)
        except (TimeoutError, RuntimeError) as e:
            self.kill()
            raise DaemonError("%s did not become ready: %s\n%s"
                              % (self.name, e, self.log_tail(60))) from None
        return self

    def _wait_ready(self, timeout):
        factory = self.netns.sock_factory if self.netns else None
        if self.health_url:
            http.wait_http(self.health_url, timeout, alive=self.running,
                           unix=self.health_unix, sock_factory=factory)
        elif self.tcp:
            http.wait_tcp(self.tcp[0], self.tcp[1], timeout,
                          alive=self.running, sock_factory=factory)
        elif self._notify is not None:
            self.wait_notify("READY=1", timeout)
        if self.ready_fn is not None:
            proc.poll_until(self._ready_or_dead, timeout, "ready()")
        if not self.running():
            raise RuntimeError("exited with status %s" % self.popen.returncode)

    def _ready_or_dead(self):
        if not self.running():
            raise RuntimeError("exited with status %s" % self.popen.returncode)
        return self.ready_fn()

    # -- state and signals ------------------------------------------------

    @property
    def pid(self):
        return self.popen.pid if self.popen else None

    def running(self):
        """True while the process has not exited."""
        return self.popen is not None and self.popen.poll() is None

    def signal(self, sig):
        """Send sig to the daemon's main process (not its group)."""
        if not self.running():
            raise DaemonError("%s is not running (status %s)\n%s"
                              % (self.name, self.poll(), self.log_tail(40)))
        os.kill(self.popen.pid, sig)

    def reload(self):
        """SIGHUP: reload the configuration."""
        self.signal(_sig.SIGHUP)

    def reopen_logs(self):
        """SIGUSR1: reopen log files."""
        self.signal(_sig.SIGUSR1)

    def poll(self):
        """The exit code if the process ended, else None."""
        return self.popen.poll() if self.popen else None

    # -- stopping ---------------------------------------------------------

    def stop(self, timeout=10.0, sig=_sig.SIGTERM):
        """Send sig (SIGTERM), wait up to timeout, then SIGKILL the group.

        Returns the exit code (negative: killed by that signal; -9 means it
        did not stop in time).  Safe to call when already stopped.
        """
        if self.popen is None:
            return None
        self.returncode = proc.stop(self.popen, timeout, sig)
        self._stopped()
        return self.returncode

    def stop_clean(self, timeout=10.0):
        """stop(), and raise AssertionError, with the log's tail, unless
        the daemon exited with 0: under ASan a leak or an error makes the
        exit code non-zero, so a class's tearDown catches them."""
        rc = self.stop(timeout)
        if rc != 0:
            raise AssertionError("%s exited with %s:\n%s"
                                 % (self.name, rc, self.log_tail(80)))

    def kill(self):
        """SIGKILL the daemon and its group now (a crash, for fault tests)."""
        if self.popen is None:
            return None
        self.returncode = proc.kill(self.popen)
        self._stopped()
        return self.returncode

    def wait_exit(self, timeout=10.0):
        """Wait for the process to exit by itself; return its exit code.

        Raises DaemonError if it still runs after timeout.
        """
        code = proc.wait(self.popen, timeout)
        if code is None:
            raise DaemonError("%s still running after %.1fs" % (self.name,
                                                                 timeout))
        self.returncode = code
        self._stopped()
        return code

    def _stopped(self):
        if self.stopped_at is None:
            self.stopped_at = time.monotonic()
        if self._cleanup is not None:
            cleanup.unregister(self._cleanup)
            self._cleanup = None
        proc.signal_group(self.popen, _sig.SIGKILL)  # leftovers

    def _at_exit(self):
        self._cleanup = None
        if self.popen is not None:
            proc.stop(self.popen, 3.0)

    def restart(self, timeout=10.0):
        """stop() then start(); returns self."""
        self.stop()
        return self.start(timeout)

    def __enter__(self):
        if not self.running():
            self.start()
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            logs.dump_logs(sources=[self])
        self.stop()
        return False

    # -- logs -------------------------------------------------------------

    def log_text(self):
        """The whole log so far ('' if none)."""
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_tail(self, lines=50):
        return proc.tail(self.log_path, lines)

    def log_mark(self):
        """The current size of the log, to pass as since= to wait_log."""
        try:
            return os.path.getsize(self.log_path)
        except OSError:
            return 0

    def wait_log(self, pattern, timeout=10.0, since=0):
        """Wait until the log (from byte offset since) matches regex pattern.

        Returns the re.Match.  Raises DaemonError with the log tail on
        timeout, or at once if the daemon exits before the line appears.
        """
        rx = re.compile(pattern)

        def found():
            m = rx.search(self.log_text()[since:])
            if m is None and not self.running():
                raise RuntimeError("exited (status %s)" % self.poll())
            return m
        try:
            return proc.poll_until(found, timeout, repr(pattern))
        except (TimeoutError, RuntimeError) as e:
            raise DaemonError("%s: log never matched %r: %s\n%s" % (
                self.name, pattern, e, self.log_tail(40))) from None

    # -- sd_notify --------------------------------------------------------

    def wait_notify(self, state, timeout=10.0):
        """Wait until the daemon sent a notify message containing line
        `state` (e.g. "READY=1", "STOPPING=1"); return that message."""
        if self._notify is None:
            raise DaemonError("%s was created without notify=True" % self.name)
        return self._notify.wait(state, timeout, self.running)

    def notify_messages(self):
        """Every sd_notify datagram received so far (list of str)."""
        if self._notify is None:
            return []
        self._notify.drain()
        return list(self._notify.messages)


class _NotifySocket:
    """A NOTIFY_SOCKET (Unix datagram) that records what the daemon sends."""

    def __init__(self, folder):
        self.path = os.path.join(folder, "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.setblocking(False)
        self.messages = []
        cleanup.register(self.sock.close, "close " + self.path)

    def drain(self):
        while True:
            try:
                self.messages.append(self.sock.recv(4096).decode("utf-8",
                                                                 "replace"))
            except BlockingIOError:
                return

    def wait(self, state, timeout, alive):
        def seen():
            self.drain()
            for m in self.messages:
                if state in m.split("\n"):
                    return m
            if not alive():
                raise RuntimeError("exited before sending %s" % state)
            return None
        return proc.poll_until(seen, timeout, "notify " + state)


def _safe(name):
    """A name usable in file names."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:40] or "daemon"

