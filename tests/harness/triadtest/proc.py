"""Child processes that cannot outlive the test: spawn, signal, stop.

Why one module: the daemon runner, the MariaDB fixture and the namespace
fixture all start programs that must die with the test, even when the test
itself is SIGKILLed by ctest's timeout.  Each child:
  - runs in its own session (process group), so stop() also reaches its own
    children (appd workers, a shell's subprocesses);
  - gets PR_SET_PDEATHSIG=SIGKILL when spawned from the main thread, so the
    kernel kills it if the test process dies without cleaning up.  (The
    signal fires when the spawning *thread* exits, hence main thread only.)
"""

import ctypes
import os
import signal
import subprocess
import threading
import time

PR_SET_PDEATHSIG = 1

_libc = ctypes.CDLL(None, use_errno=True)


def _child_setup(parent_pid):
    """Return a preexec_fn that ties the child's life to ours."""
    def setup():
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent_pid:     # parent died before prctl
            os.kill(os.getpid(), signal.SIGKILL)
    return setup


def merged_env(env=None, inherit=True):
    """os.environ (when inherit) updated with env; None values delete keys."""
    out = dict(os.environ) if inherit else {}
    for k, v in (env or {}).items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = str(v)
    return out


def spawn(argv, log_path=None, env=None, cwd=None, inherit_env=True,
          stdin=subprocess.DEVNULL, stdout=None):
    """Start argv in a new session; stdout+stderr go to log_path (appended).

    argv: list of strings.  env: variables added to (or, with None values,
    removed from) the inherited environment.  stdout: overrides log_path
    (e.g. subprocess.PIPE).  Returns the Popen; the caller owns it and must
    stop() it (fixtures register that with cleanup.register).
    """
    out = stdout
    logf = None
    if out is None and log_path is not None:
        logf = open(log_path, "ab", buffering=0)
        out = logf
    elif out is None:
        out = subprocess.DEVNULL
    pre = None
    if threading.current_thread() is threading.main_thread():
        pre = _child_setup(os.getpid())
    try:
        return subprocess.Popen(
            [str(a) for a in argv], stdin=stdin, stdout=out,
            stderr=subprocess.STDOUT if out is not subprocess.DEVNULL
            else subprocess.DEVNULL,
            env=merged_env(env, inherit_env), cwd=cwd,
            start_new_session=True, preexec_fn=pre, close_fds=True)
    finally:
        if logf is not None:
            logf.close()


def signal_group(popen, sig):
    """Send sig to the child's whole process group; ignore if it is gone."""
    try:
        os.killpg(popen.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def send(popen, sig):
    """Send sig to the child itself (not its group) if it still runs."""
    if popen.poll() is None:
        try:
            os.kill(popen.pid, sig)
        except ProcessLookupError:
            pass


def wait(popen, timeout):
    """Wait up to timeout seconds; return the exit code or None."""
    try:
        return popen.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        return None


def stop(popen, timeout=10.0, sig=signal.SIGTERM):
    """Stop a child: sig, wait up to timeout, then SIGKILL its whole group.

    Returns the exit code as Popen reports it (negative for a signal).  Any
    process left in the group afterwards is SIGKILLed too, so nothing the
    child started survives it.
    """
    if popen.poll() is None:
        send(popen, sig)
        if wait(popen, timeout) is None:
            signal_group(popen, signal.SIGKILL)
            popen.wait()
    signal_group(popen, signal.SIGKILL)
    return popen.returncode


def kill(popen):
    """SIGKILL the child's group at once and reap it."""
    signal_group(popen, signal.SIGKILL)
    send(popen, signal.SIGKILL)
    popen.wait()
    return popen.returncode


def poll_until(cond, timeout, what, interval=0.01, max_interval=0.1):
    """Call cond() until it returns a true value; return that value.

    Why: every wait in the harness is bounded.  The interval grows from
    interval to max_interval.  Raises TimeoutError naming `what`.
    """
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() >= deadline:
            raise TimeoutError("timed out after %.1fs waiting for %s"
                               % (timeout, what))
        time.sleep(interval)
        interval = min(interval * 1.5, max_interval)


def tail(path, lines=200):
    """The last `lines` lines of a text file ('' if it does not exist)."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 256 * 1024))
            data = f.read()
    except OSError:
        return ""
    text = data.decode("utf-8", "replace")
    return "\n".join(text.splitlines()[-lines:])


def alive(pid):
    """True if pid exists and is not a zombie (any owner)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False
