"""Free TCP ports on loopback for daemons under test.

Why not just bind port 0: the kernel hands port-0 binds from the ephemeral
range, the same range it uses for outgoing connections, so under load a port
we picked may already be some client's source port by the time the daemon
binds it.  We pick at random *below* the ephemeral range, prove each port
free by binding it (TCP, without SO_REUSEADDR, so TIME_WAIT also counts as
busy), and never hand out the same port twice in one process.  Port 0 is the
fallback when the low range is exhausted.
"""

import random
import socket

_given = set()
_LOW, _HIGH = 20000, 32000


def _ephemeral_range():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            lo, hi = f.read().split()
            return int(lo), int(hi)
    except (OSError, ValueError):
        return 32768, 60999


def _candidate_range():
    lo, hi = _LOW, _HIGH
    elo, ehi = _ephemeral_range()
    if elo <= hi and ehi >= lo:        # overlap: stay below the ephemeral range
        hi = min(hi, elo - 1)
    if hi - lo < 1000:
        lo, hi = 10000, 19999
    return lo, hi


def _try_bind(host, port):
    """Bind host:port and return the bound socket, or None if busy."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind((host, port))
        return s
    except OSError:
        s.close()
        return None


def free_ports(n=1, host="127.0.0.1"):
    """Return a list of n distinct TCP ports free on host right now.

    All n sockets are held bound until every port is found, so the list has
    no duplicates.  The ports are free, not reserved: bind them soon.
    """
    lo, hi = _candidate_range()
    held = []
    try:
        for _ in range(50 * n + 100):
            if len(held) == n:
                break
            port = random.randint(lo, hi)
            if port in _given:
                continue
            s = _try_bind(host, port)
            if s is not None:
                held.append(s)
                _given.add(port)
        while len(held) < n:               # low range exhausted: port 0
            s = _try_bind(host, 0)
            held.append(s)
            _given.add(s.getsockname()[1])
        return [s.getsockname()[1] for s in held]
    finally:
        for s in held:
            s.close()


def free_port(host="127.0.0.1"):
    """One free TCP port on host (see free_ports)."""
    return free_ports(1, host)[0]
