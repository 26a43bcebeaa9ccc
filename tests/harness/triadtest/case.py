"""unittest glue: a TestCase that prints logs on failure, skip with 77, main().

Why: ctest reads exit code 77 as "skipped", but unittest exits 0 when every
test was skipped, so a missing prerequisite would look like a pass.  main()
maps "nothing ran but skips" to 77.  TestCase prints the tails of the logs
of every daemon and server alive during a failing test, because the
assertion alone rarely says why a daemon misbehaved.
"""

import os
import select
import subprocess
import sys
import time
import unittest

from . import cleanup, logs, proc

SKIP = 77


def skip(reason):
    """Exit the whole script as skipped (ctest code 77), reason on stderr."""
    print("SKIP: %s" % reason, file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    cleanup.run_all()
    os._exit(SKIP)


def require_root():
    """Skip the script unless running as root."""
    if os.geteuid() != 0:
        skip("needs root (running as uid %d)" % os.geteuid())


def require_program(path_or_name):
    """Skip the script unless the program exists; return its path."""
    import shutil
    p = path_or_name if os.sep in path_or_name else shutil.which(path_or_name)
    if not p or not os.access(p, os.X_OK):
        skip("program not found: %s" % path_or_name)
    return p


class TestCase(unittest.TestCase):
    """unittest.TestCase that prints registered logs when a test fails.

    Logs come from logs.add_source(), which Daemon, MariaDB servers and
    netns background processes call themselves; sources stopped before the
    test began are left out.
    """

    def __init_subclass__(cls, **kw):
        """Wrap the subclass's own setUpClass so that a fixture failing to
        start prints the logs too (unittest never calls run() then)."""
        super().__init_subclass__(**kw)
        own = cls.__dict__.get("setUpClass")
        if own is None:
            return
        func = own.__func__

        def setup(klass):
            started = time.monotonic()
            try:
                return func(klass)
            except unittest.SkipTest:
                raise
            except BaseException:
                print("\n===== %s.setUpClass failed: logs follow ====="
                      % klass.__name__, file=sys.stderr)
                logs.dump_logs(since=started)
                raise
        cls.setUpClass = classmethod(setup)

    def run(self, result=None):
        result = result if result is not None else self.defaultTestResult()
        before = len(result.failures) + len(result.errors)
        started = time.monotonic()
        out = super().run(result)
        if len(result.failures) + len(result.errors) > before:
            print("\n===== %s failed: logs follow =====" % self.id(),
                  file=sys.stderr)
            logs.dump_logs(since=started)
        return out


def harness_env(env=None):
    """os.environ plus env, with PYTHONPATH set to this harness, for
    child Python processes that import triadtest."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = proc.merged_env(env)
    out["PYTHONPATH"] = here
    out.pop("TRIAD_KEEP", None)
    return out


def start_script(test, source, args=(), timeout=60.0):
    """Run Python source as a child process that imports triadtest, and
    return (popen, words of its first output line).

    Why: the harness's own tests kill such a child (SIGTERM, SIGKILL) to
    prove that what it started is cleaned up.  The child is killed at the
    test's cleanup; its stderr is discarded.  Raises TimeoutError if no line
    comes within timeout seconds.
    """
    d = cleanup.tempdir("child")
    path = os.path.join(d, "child.py")
    with open(path, "w") as f:
        f.write(source)
    p = subprocess.Popen([sys.executable, path] + [str(a) for a in args],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         stdin=subprocess.DEVNULL, env=harness_env())
    test.addCleanup(p.stdout.close)
    test.addCleanup(proc.kill, p)
    if not select.select([p.stdout], [], [], timeout)[0]:
        raise TimeoutError("child script printed nothing in %.0fs" % timeout)
    words = p.stdout.readline().decode().split()
    if not words:
        raise RuntimeError("child script exited early (status %s)"
                           % p.wait(timeout))
    return p, words


def main(argv=None):
    """Run the unittest tests of __main__ and exit like ctest expects.

    Exit 0 when all ran and passed, 1 on failure, 77 when nothing ran but
    skips (each skip reason printed).  Cleanup always runs before exit.
    """
    cleanup.install()
    prog = unittest.main(module="__main__", argv=argv, exit=False,
                         verbosity=2)
    r = prog.result
    cleanup.run_all()
    if r.failures or r.errors or r.unexpectedSuccesses:
        sys.exit(1)
    ran = r.testsRun - len(r.skipped)
    if r.skipped and ran <= 0:
        for _, reason in r.skipped:
            print("SKIP: %s" % reason, file=sys.stderr)
        sys.exit(SKIP)
    sys.exit(0)
