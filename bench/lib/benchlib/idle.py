"""idle: open many keep-alive connections, one request each, and hold them.

Why: memory per idle connection is what decides how a server copes with
many slow or parked clients.  Each connection sends one GET and reads the
whole answer, so the server has parsed a request and finished a response
(its buffers have been used) and then sits in keep-alive.  One thread, a
selector and non-blocking sockets: 10,000 threads would measure us.
"""

import errno
import resource
import selectors
import socket
import time


def raise_nofile(want):
    """Raise our soft RLIMIT_NOFILE toward want (capped by the hard limit).

    Children started afterwards inherit it.  Returns the new soft limit.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    new = want if hard == resource.RLIM_INFINITY else min(want, hard)
    if new > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
        soft = new
    return soft


def _complete(buf):
    """True when buf holds one whole response with a Content-Length."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return False
    for line in buf[:end].split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            return len(buf) >= end + 4 + int(v.strip())
    return True


class IdleConns:
    """n connections to host:port, each with one answered request.

    request: the raw request bytes (keep-alive).  open() blocks at most
    `timeout` seconds; afterwards `held` connections are open and idle and
    `failed` were refused, reset or unanswered.  close() closes them all;
    use it as a context manager.  The caller raises RLIMIT_NOFILE first.
    """

    BATCH = 256         # connections in progress at once: stays in backlogs

    def __init__(self, host, port, n, request, timeout=60.0):
        self.addr = (host, port)
        self.n = n
        self.request = request
        self.timeout = timeout
        self.held = 0
        self.failed = 0
        self._socks = []
        self._sel = selectors.DefaultSelector()
        self._busy = 0

    def __enter__(self):
        return self.open()

    def __exit__(self, *exc):
        self.close()

    def _start_one(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        err = s.connect_ex(self.addr)
        if err not in (0, errno.EINPROGRESS):
            s.close()
            self.failed += 1
            return
        self._sel.register(s, selectors.EVENT_WRITE, bytearray())
        self._busy += 1

    def _drop(self, s, ok):
        self._sel.unregister(s)
        self._busy -= 1
        if ok:
            self._socks.append(s)
            self.held += 1
        else:
            s.close()
            self.failed += 1

    def _on_event(self, s, buf, events):
        if events & selectors.EVENT_WRITE:
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                return self._drop(s, False)
            s.send(self.request)           # tiny: fits any send buffer
            self._sel.modify(s, selectors.EVENT_READ, buf)
            return None
        try:
            data = s.recv(65536)
        except OSError:
            return self._drop(s, False)
        if not data:
            return self._drop(s, False)
        buf += data
        if _complete(buf):
            buf.clear()
            self._drop(s, True)
        return None

    def open(self):
        """Connect, send and read until all n are held or timeout passes."""
        deadline = time.monotonic() + self.timeout
        todo = self.n
        while (todo or self._busy) and time.monotonic() < deadline:
            while todo and self._busy < self.BATCH:
                self._start_one()
                todo -= 1
            for key, ev in self._sel.select(timeout=0.2):
                self._on_event(key.fileobj, key.data, ev)
        for key in list(self._sel.get_map().values()):
            self._drop(key.fileobj, False)   # unanswered in time
        self.failed += todo
        return self

    def alive(self):
        """How many held connections the server has not closed (peeks each
        socket without blocking; a server that dropped them shows here)."""
        n = 0
        for s in self._socks:
            try:
                if s.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b"":
                    continue
            except BlockingIOError:
                pass
            except OSError:
                continue
            n += 1
        return n

    def close(self):
        for s in self._socks:
            s.close()
        self._socks = []
        self._sel.close()
