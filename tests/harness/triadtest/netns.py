"""Network-namespace fixture: N hosts and a client on a private bridge.

Why: the 3-host tests need three machines and a client with real
addresses, firewalls and failures, on one box and without touching the
machine's own network.  Every host, every client and the bridge itself live
in their own namespaces, named triad-<pid>-<n>-<role>; the root namespace
gets nothing (no bridge, no veth, no address).

    with Lab(hosts=3) as lab:            # 10.231.0.11-13, client .100
        h1, h2 = lab.hosts[0], lab.hosts[1]
        srv = h2.spawn(["python3", "-m", "http.server", "8000"])
        h1.run(["curl", "-s", "http://%s:8000/" % h2.addr])
        s = lab.client.connect(h2.addr, 8000)     # a socket from the client

With admin=True a second bridge carries an admin network (10.231.1.0/24)
that only the hosts join: the client has no route to it.

Cleanup always happens (context manager, close(), and the cleanup
registry at exit or on a signal): background processes are killed, every
process left in the namespaces too, then the namespaces are deleted, which
deletes their veths and bridges.  Namespaces of dead runs (SIGKILLed by a
timeout) are removed when the next Lab starts.

Needs root and a kernel that lets us create namespaces; otherwise start()
raises NetnsUnavailable, a unittest.SkipTest (scripts exit 77).
"""

import contextlib
import ctypes
import itertools
import os
import shutil
import signal
import socket
import subprocess
import time
import unittest

from . import cleanup, logs, proc

PREFIX = "triad-"
CLONE_NEWNET = 0x40000000
_seq = itertools.count(1)
_libc = ctypes.CDLL(None, use_errno=True)


class NetnsUnavailable(unittest.SkipTest):
    """Namespaces cannot be created here (not root, no permission)."""


class CommandError(RuntimeError):
    """A command run on a host failed; the message has its output."""

    def __init__(self, host, argv, code, out, err):
        super().__init__("on %s: %s exited %s\nstdout: %s\nstderr: %s" % (
            host, " ".join(argv), code, out.strip()[-2000:],
            err.strip()[-2000:]))
        self.returncode = code
        self.stdout = out
        self.stderr = err


def _ip(*args, input=None, check=True):
    """Run `ip ARGS`; return CompletedProcess (text).  Raises CommandError."""
    r = subprocess.run(["ip"] + list(args), input=input, capture_output=True,
                       text=True, timeout=60)
    if check and r.returncode != 0:
        raise CommandError("root", ["ip"] + list(args), r.returncode,
                           r.stdout, r.stderr)
    return r


def list_netns():
    """Names of every named network namespace on the machine."""
    r = _ip("netns", "list", check=False)
    return [line.split()[0] for line in r.stdout.splitlines() if line.strip()]


def _kill_netns(name):
    """Kill every process in namespace name, then delete it."""
    r = _ip("netns", "pids", name, check=False)
    for pid in r.stdout.split():
        try:
            os.kill(int(pid), signal.SIGKILL)
        except (ProcessLookupError, ValueError):
            pass
    _ip("netns", "del", name, check=False)


def sweep_stale():
    """Delete triad-<pid>-* namespaces whose pid is dead (killed runs)."""
    for name in list_netns():
        pid = cleanup.owner_pid(name, PREFIX)
        if pid is not None and pid != os.getpid() and \
                not cleanup.pid_alive(pid):
            _kill_netns(name)


@contextlib.contextmanager
def entered(ns):
    """Run the block with this thread inside network namespace ns.

    Why: a socket belongs to the namespace it was created in, so creating
    it here gives the caller a client "on" that host without a subprocess.
    Only the calling thread moves; it moves back even on error.
    """
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        target = os.open("/run/netns/" + ns, os.O_RDONLY)
        try:
            if _libc.setns(target, CLONE_NEWNET) != 0:
                e = ctypes.get_errno()
                raise OSError(e, "setns %s: %s" % (ns, os.strerror(e)))
        finally:
            os.close(target)
        try:
            yield
        finally:
            if _libc.setns(own, CLONE_NEWNET) != 0:
                # Staying in the wrong namespace would poison every later
                # test in this process: stop hard.
                os._exit(70)
    finally:
        os.close(own)


class Host:
    """One machine of the lab: name ("h1", "c1"), ns, addr, admin_addr."""

    def __init__(self, lab, name, ns, addr, admin_addr=None):
        self.lab = lab
        self.name = name
        self.ns = ns
        self.addr = addr
        self.admin_addr = admin_addr
        self._procs = []

    def exec_prefix(self):
        """argv prefix that runs a program inside this host."""
        return ["ip", "netns", "exec", self.ns]

    def run(self, argv, check=True, timeout=60.0, input=None, env=None):
        """Run argv on this host and wait (bounded); return a
        CompletedProcess with text stdout/stderr.  check: raise
        CommandError on a non-zero exit."""
        argv = [str(a) for a in argv]
        r = subprocess.run(self.exec_prefix() + argv, input=input,
                           capture_output=True, text=True, timeout=timeout,
                           env=proc.merged_env(env))
        if check and r.returncode != 0:
            raise CommandError(self.name, argv, r.returncode, r.stdout,
                               r.stderr)
        return r

    def sh(self, command, **kw):
        """run(["sh", "-c", command])."""
        return self.run(["sh", "-c", command], **kw)

    def spawn(self, argv, name=None, env=None, cwd=None):
        """Start argv on this host in the background; return the Popen.

        Output goes to <lab dir>/<host>-<name>.log, which failing tests
        print.  The process is killed by stop() or at the lab's cleanup.
        """
        name = name or os.path.basename(str(argv[0]))
        bg = _Background(self, name, argv, env, cwd)
        self._procs.append(bg)
        return bg.popen

    def daemon(self, argv, **kw):
        """A daemon.Daemon that runs on this host (start() it yourself)."""
        from .daemon import Daemon
        kw.setdefault("workdir", self.lab.dir)
        return Daemon(argv, netns=self, **kw)

    def sock_factory(self, host, port, timeout):
        """A TCP socket connected from this host to host:port."""
        with entered(self.ns):
            s = socket.socket(socket.AF_INET6 if ":" in host
                              else socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(timeout)
        try:
            s.connect((host, port))
        except OSError:
            s.close()
            raise
        return s

    def connect(self, host, port, timeout=5.0):
        """Same as sock_factory, with a default timeout."""
        return self.sock_factory(host, port, timeout)

    def stop_all(self):
        """Stop every background process started on this host."""
        for bg in self._procs:
            bg.stop()

    def __repr__(self):
        return "<Host %s %s in %s>" % (self.name, self.addr, self.ns)


class _Background:
    """A background process on a host, registered as a log source."""

    def __init__(self, host, name, argv, env, cwd):
        self.name = "%s:%s" % (host.name, name)
        self.log_path = os.path.join(host.lab.dir, "%s-%s.log" % (
            host.name, name.replace("/", "_")))
        self.stopped_at = None
        self.popen = proc.spawn(host.exec_prefix() + [str(a) for a in argv],
                                self.log_path, env=env, cwd=cwd)
        logs.add_source(self)

    def stop(self):
        if self.stopped_at is None:
            proc.stop(self.popen, 3.0)
            self.stopped_at = time.monotonic()
            self.final_log = proc.tail(self.log_path, logs.default_lines())


class Lab:
    """hosts (list of Host h1..hN on SUBNET.11...), clients (c1.. on
    SUBNET.100...), client (= clients[0]), optional admin network.

    subnet / admin_subnet: the first three octets of the /24 networks.
    start() creates everything and returns self; close() removes it all.
    """

    def __init__(self, hosts=3, clients=1, subnet="10.231.0", admin=False,
                 admin_subnet="10.231.1"):
        self.prefix = "%s%d-%d" % (PREFIX, os.getpid(), next(_seq))
        self.bridge_ns = self.prefix + "-br"
        self.subnet = subnet
        self.admin_subnet = admin_subnet if admin else None
        self.n_hosts = hosts
        self.n_clients = clients
        self.hosts = []
        self.clients = []
        self.client = None
        self.dir = None
        self._created = []
        self._cleanup = None

    def names(self):
        """Every namespace this lab created (bridge last)."""
        return list(self._created)

    def start(self):
        """Create the namespaces, bridges, veths and addresses."""
        _check_available()
        sweep_stale()
        self.dir = cleanup.tempdir("netns")
        self._cleanup = cleanup.register(self.close, "netns " + self.prefix)
        try:
            self._add_ns(self.bridge_ns)
            self._build()
        except BaseException:
            self.close()
            raise
        return self

    def _add_ns(self, ns):
        r = _ip("netns", "add", ns, check=False)
        if r.returncode != 0:
            if "ermission" in r.stderr or "not permitted" in r.stderr:
                raise NetnsUnavailable("ip netns add not permitted here: %s"
                                       % r.stderr.strip())
            raise CommandError("root", ["ip", "netns", "add", ns],
                               r.returncode, r.stdout, r.stderr)
        self._created.insert(0, ns)     # deleted before the bridge

    def _build(self):
        members = []
        for k in range(1, self.n_hosts + 1):
            members.append(("h%d" % k, 10 + k, True))
        for k in range(1, self.n_clients + 1):
            members.append(("c%d" % k, 99 + k, False))
        bridge = ["link add br0 type bridge", "link set br0 up",
                  "link set lo up"]
        if self.admin_subnet:
            bridge += ["link add br1 type bridge", "link set br1 up"]
        for name, octet, is_host in members:
            ns = "%s-%s" % (self.prefix, name)
            self._add_ns(ns)
            bridge += self._bridge_side(name, ns, is_host)
            host = Host(self, name, ns, "%s.%d" % (self.subnet, octet),
                        "%s.%d" % (self.admin_subnet, octet)
                        if is_host and self.admin_subnet else None)
            (self.hosts if is_host else self.clients).append(host)
        _ip("-n", self.bridge_ns, "-batch", "-", input="\n".join(bridge))
        for h in self.hosts + self.clients:
            _ip("-n", h.ns, "-batch", "-", input="\n".join(_host_side(h)))
        self.client = self.clients[0] if self.clients else None

    def _bridge_side(self, name, ns, is_host):
        cmds = ["link add %s type veth peer name eth0 netns %s" % (name, ns),
                "link set %s master br0 up" % name]
        if is_host and self.admin_subnet:
            cmds += ["link add a%s type veth peer name eth1 netns %s"
                     % (name, ns), "link set a%s master br1 up" % name]
        return cmds

    def close(self):
        """Kill every process in the lab, delete its namespaces and
        folder (idempotent, never raises for what is already gone)."""
        for h in self.hosts + self.clients:
            h.stop_all()
        for ns in self._created:
            _kill_netns(ns)
        self._created = []
        if self._cleanup is not None:
            cleanup.unregister(self._cleanup)
            self._cleanup = None
        if self.dir:
            cleanup.remove_tempdir(self.dir)

    def __enter__(self):
        if not self._created:
            self.start()
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            logs.dump_logs()
        self.close()
        return False


def _host_side(h):
    cmds = ["link set lo up",
            "addr add %s/24 dev eth0" % h.addr, "link set eth0 up"]
    if h.admin_addr:
        cmds += ["addr add %s/24 dev eth1" % h.admin_addr, "link set eth1 up"]
    return cmds


def _check_available():
    if os.geteuid() != 0:
        raise NetnsUnavailable("network namespaces need root (uid %d)"
                               % os.geteuid())
    if shutil.which("ip") is None:
        raise NetnsUnavailable("the ip command (iproute2) is not installed")
