"""Cleanup that always happens: a registry run at exit, on SIGTERM/SIGINT/SIGHUP,
and temporary folders that a later run sweeps if a run was SIGKILLed.

Why: ctest, a person's Ctrl-C or a failing assertion may end a test at any
point; servers, folders and namespaces must not outlive it.  Every fixture
registers its teardown here; the registry runs last-in first-out, once, and
keeps going when one callback fails.

SIGTERM, SIGINT and SIGHUP raise KeyboardInterrupt in the main thread (unittest
re-raises KeyboardInterrupt, whereas it would swallow SystemExit as a test
error), so the stack unwinds through every `finally` and then atexit runs the
registry.  A SIGKILL cannot be caught: children die with us through
PR_SET_PDEATHSIG (see proc.py) and leftovers (folders, namespaces) are named
with our pid so that the next run removes those whose pid is dead.
"""

import atexit
import os
import shutil
import signal
import sys
import tempfile
import threading

TEMP_PREFIX = "triadtest-"

_lock = threading.Lock()
_callbacks = {}         # id -> (description, fn)
_next_id = 0
_installed = False
_running = False
_tempdirs = {}          # path -> handle


def _on_signal(signum, frame):
    """Turn a termination signal into KeyboardInterrupt so cleanup runs."""
    raise KeyboardInterrupt("signal %d" % signum)


def install():
    """Install the atexit hook and signal handlers (idempotent).

    Signal handlers can only be set from the main thread; from another thread
    only the atexit hook is installed.  A handler someone else installed
    (anything but the default or ignore) is left alone.
    """
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
    atexit.register(run_all)
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        cur = signal.getsignal(sig)
        if cur in (signal.SIG_DFL, signal.default_int_handler, None):
            signal.signal(sig, _on_signal)


def register(fn, description=""):
    """Register fn() to run at cleanup; return a handle for unregister().

    fn must be safe to call when the resource is already gone.
    """
    global _next_id
    install()
    with _lock:
        _next_id += 1
        _callbacks[_next_id] = (description or repr(fn), fn)
        return _next_id


def unregister(handle):
    """Forget a callback (the owner cleaned up by itself)."""
    with _lock:
        _callbacks.pop(handle, None)


def run_all():
    """Run every registered callback, newest first, each once.

    Termination signals are ignored meanwhile so that a second Ctrl-C cannot
    leave half the resources behind.  A failing callback is reported and the
    others still run.
    """
    global _running
    with _lock:
        if _running:
            return
        _running = True
    old = _block_signals()
    try:
        while True:
            with _lock:
                if not _callbacks:
                    break
                handle = max(_callbacks)
                desc, fn = _callbacks.pop(handle)
            try:
                fn()
            except BaseException as e:  # noqa: B036 - cleanup must go on
                print("triadtest: cleanup %s failed: %r" % (desc, e),
                      file=sys.stderr)
    finally:
        _restore_signals(old)
        with _lock:
            _running = False


def _block_signals():
    if threading.current_thread() is not threading.main_thread():
        return {}
    old = {}
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        old[sig] = signal.signal(sig, signal.SIG_IGN)
    return old


def _restore_signals(old):
    for sig, handler in old.items():
        signal.signal(sig, handler)


def pid_alive(pid):
    """True if a process with this pid exists (any owner)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def owner_pid(name, prefix):
    """The pid embedded in NAME = PREFIX + '<pid>-...', or None."""
    if not name.startswith(prefix):
        return None
    head = name[len(prefix):].split("-", 1)[0]
    return int(head) if head.isdigit() else None


def sweep_stale_tempdirs():
    """Remove triadtest-<pid>-* folders in the temp dir whose pid is dead.

    Why: a SIGKILLed run (ctest's timeout) cannot clean up after itself.
    """
    base = tempfile.gettempdir()
    try:
        names = os.listdir(base)
    except OSError:
        return
    for name in names:
        pid = owner_pid(name, TEMP_PREFIX)
        if pid is None or pid == os.getpid() or pid_alive(pid):
            continue
        shutil.rmtree(os.path.join(base, name), ignore_errors=True)


def keep_temp():
    """TRIAD_KEEP=1 keeps temporary folders for a post-mortem."""
    return os.environ.get("TRIAD_KEEP", "") not in ("", "0")


def tempdir(tag="tmp"):
    """Create a fresh folder /tmp/triadtest-<pid>-<tag>-XXXX, removed at cleanup.

    Returns its path.  Short on purpose: Unix socket paths inside it must fit
    in 108 bytes.  With TRIAD_KEEP=1 the folder is kept and its path printed.
    """
    sweep_stale_tempdirs()
    path = tempfile.mkdtemp(prefix="%s%d-%s-" % (TEMP_PREFIX, os.getpid(), tag))
    _tempdirs[path] = register(lambda: _rmtree(path), "rmtree " + path)
    return path


def remove_tempdir(path):
    """Remove a folder made by tempdir() now rather than at exit."""
    handle = _tempdirs.pop(path, None)
    if handle is not None:
        unregister(handle)
    _rmtree(path)


def _rmtree(path):
    if keep_temp():
        print("triadtest: kept %s" % path, file=sys.stderr)
    else:
        shutil.rmtree(path, ignore_errors=True)
