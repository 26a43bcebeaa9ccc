"""Small HTTP clients for tests: well-formed requests and raw bytes.

Why both: integration tests check status codes and bodies of normal requests
(request/get/post, which never raise on 4xx/5xx), and the parser's hostile
input tests need to send bytes no library would send and read whatever
comes back until the server closes (raw_exchange).

Every call has a timeout.  A connection can go to TCP host:port, to a Unix
socket (unix="/path"), or through a socket factory (sock_factory=fn(host,
port, timeout) -> connected socket), which is how netns.Host reaches
addresses inside a network namespace.
"""

import http.client
import json as _json
import socket
import threading
import time
import urllib.parse

from . import proc

MAX_BODY = 64 * 1024 * 1024


class Response:
    """status (int), reason, headers (list of (name, value)), body (bytes)."""

    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body

    def header(self, name, default=None):
        """The first header called name (case-insensitive), or default."""
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return default

    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        return _json.loads(self.body)

    def __repr__(self):
        return "<Response %d %s, %d bytes>" % (self.status, self.reason,
                                               len(self.body))


class _Conn(http.client.HTTPConnection):
    """HTTPConnection that connects through a Unix socket or a factory."""

    def __init__(self, host, port, timeout, unix=None, sock_factory=None):
        super().__init__(host, port, timeout=timeout)
        self._unix = unix
        self._factory = sock_factory

    def connect(self):
        if self._unix is not None:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(self.timeout)
            try:
                s.connect(self._unix)
            except OSError:
                s.close()
                raise
            self.sock = s
        elif self._factory is not None:
            self.sock = self._factory(self.host, self.port, self.timeout)
        else:
            super().connect()


def _split_url(url):
    u = urllib.parse.urlsplit(url)
    if u.scheme != "http":
        raise ValueError("only http:// URLs: %r" % url)
    path = u.path or "/"
    if u.query:
        path += "?" + u.query
    return u.hostname, u.port or 80, path


def request(method, url, body=None, headers=None, timeout=5.0, unix=None,
            sock_factory=None):
    """Send one request and return a Response (any status, no exception).

    url: "http://host:port/path" (with unix=, host and port only name the
    Host header).  body: bytes or str.  Raises OSError/http.client errors
    on connection failures and socket.timeout when timeout passes.
    """
    host, port, path = _split_url(url)
    if isinstance(body, str):
        body = body.encode()
    conn = _Conn(host, port, timeout, unix, sock_factory)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read(MAX_BODY)
        return Response(r.status, r.reason, r.getheaders(), data)
    finally:
        conn.close()


def get(url, **kw):
    """GET url; see request() for the keywords."""
    return request("GET", url, **kw)


def post(url, body=b"", content_type="application/octet-stream", **kw):
    """POST body to url with a Content-Type; see request()."""
    headers = dict(kw.pop("headers", None) or {})
    headers.setdefault("Content-Type", content_type)
    return request("POST", url, body=body, headers=headers, **kw)


class RawResult:
    """What raw_exchange read: data (bytes), closed (peer sent EOF or
    reset), reset (peer reset the connection), timed_out."""

    def __init__(self, data, closed, reset, timed_out):
        self.data = data
        self.closed = closed
        self.reset = reset
        self.timed_out = timed_out

    def status(self):
        """The status code of the first response in data, or None."""
        r = parse_response(self.data)
        return r[0] if r else None

    def __repr__(self):
        return "<RawResult %d bytes closed=%s reset=%s timed_out=%s>" % (
            len(self.data), self.closed, self.reset, self.timed_out)


def connect(host, port, timeout=5.0, unix=None, sock_factory=None):
    """A connected stream socket (TCP, Unix or from a factory)."""
    if unix is not None:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        try:
            s.connect(unix)
        except OSError:
            s.close()
            raise
        return s
    if sock_factory is not None:
        return sock_factory(host, port, timeout)
    return socket.create_connection((host, port), timeout=timeout)


def raw_exchange(host, port, data, timeout=5.0, half_close=False,
                 max_bytes=MAX_BODY, unix=None, sock_factory=None):
    """Send data (bytes, or a list of byte strings sent one by one) and read
    until the peer closes, max_bytes arrive, or timeout seconds pass.

    half_close: shut our write side after sending (tells the server no more
    requests come).  Returns a RawResult; never raises on reset or timeout
    while reading, because both are outcomes hostile-input tests look at.
    """
    chunks = [data] if isinstance(data, (bytes, bytearray)) else list(data)
    s = connect(host, port, timeout, unix, sock_factory)
    deadline = time.monotonic() + timeout
    try:
        try:
            for c in chunks:
                s.sendall(c)
            if half_close:
                s.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass                  # the server may answer and close early
        return _read_all(s, deadline, max_bytes)
    finally:
        s.close()


def check_stalled_body(tc, host, port, path, deadline=6.0, host_header="x",
                       **kw):
    """A request whose body stops coming (10 of 100 bytes, then silence):
    tc (a TestCase) asserts that the server answers 408 and closes within
    deadline seconds, which the server's body timeout must be well under.
    kw goes to raw_exchange (sock_factory for TLS)."""
    t0 = time.monotonic()
    r = raw_exchange(host, port,
                     b"POST " + path.encode() + b" HTTP/1.1\r\nHost: " +
                     host_header.encode() + b"\r\n"
                     b"Content-Length: 100\r\n\r\n0123456789",
                     timeout=deadline + 4, **kw)
    tc.assertTrue(r.data.startswith(b"HTTP/1.1 408 "), r.data[:60])
    tc.assertTrue(r.closed, r)
    tc.assertLess(time.monotonic() - t0, deadline)


def hold(port, n, host="127.0.0.1", settle=0.2):
    """n connections to port that send nothing, accepted by the daemon
    once settle seconds have passed (what a max_connections test fills
    the limit with)."""
    held = [socket.create_connection((host, port), 5) for _ in range(n)]
    time.sleep(settle)
    return held


def paused_request(tc, port, host="127.0.0.1", path="/"):
    """A GET sent on a new connection while the daemon's accepting is
    paused: tc (a TestCase) asserts that no answer comes within half a
    second. Returns the socket (5 s timeout) to read the answer from once
    accepting resumes."""
    s = socket.create_connection((host, port), 5)
    s.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\n"
              b"Connection: close\r\n\r\n")
    s.settimeout(0.5)
    tc.assertRaises(socket.timeout, s.recv, 100)
    s.settimeout(5)
    return s


def check_limit_raised(tc, port, raise_limit, path="/"):
    """max_connections across a reload, against a daemon whose limit is 2
    (per worker, one worker): with two connections held a request waits;
    raise_limit() (a reload to 3, waited for) lets it through at once;
    then 3 is the limit: with three held a request waits until one
    closes. tc is the TestCase; every socket is closed at the end."""
    held = hold(port, 2)
    try:
        extra = paused_request(tc, port, path=path)
        held.append(extra)
        raise_limit()
        tc.assertIn(b"200 OK", extra.recv(4096))
        held.remove(extra)
        extra.close()   # its answer closes it: two are open again
        held += hold(port, 1)
        late = paused_request(tc, port, path=path)
        held.append(late)
        held[0].close()
        tc.assertIn(b"200 OK", late.recv(4096))
    finally:
        for s in held:
            s.close()


def hammer(fetch, action, clients=4):
    """clients threads call fetch() (which returns an HTTP status) over and
    over while action() runs, and stop when it returns; an OSError from
    fetch counts as a failed request. Returns {"ok": how many got 200,
    "bad": every other status or error, in order}."""
    stop = threading.Event()
    res = {"ok": 0, "bad": []}
    lock = threading.Lock()

    def client():
        while not stop.is_set():
            try:
                st = fetch()
            except OSError as e:
                st = repr(e)
            with lock:
                if st == 200:
                    res["ok"] += 1
                else:
                    res["bad"].append(st)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for th in threads:
        th.start()
    try:
        action()
    finally:
        stop.set()
        for th in threads:
            th.join()
    return res


def split_send_seconds(host, port, chunks, rounds=5, **kw):
    """The median seconds of rounds raw_exchanges of chunks, each on a new
    connection with Nagle on (no TCP_NODELAY, as create_connection makes
    it), so a later small chunk leaves only once the earlier ones are
    acknowledged. Every answer must be a whole response that closes.

    A server whose listener delays ACKs (net_listen_opts.delayed_ack) and
    that does not acknowledge at once while it waits for the rest makes
    each exchange wait for Linux's delayed-ACK timer: 40 ms or more. This
    measures that stall; it says nothing about speed.
    """
    times = []
    for _ in range(rounds):
        t0 = time.monotonic()
        r = raw_exchange(host, port, chunks, **kw)
        times.append(time.monotonic() - t0)
        if not r.closed or r.status() is None:
            raise AssertionError("no whole answer: %r" % (r,))
    return sorted(times)[len(times) // 2]


def _read_all(s, deadline, max_bytes):
    buf = bytearray()
    while len(buf) < max_bytes:
        left = deadline - time.monotonic()
        if left <= 0:
            return RawResult(bytes(buf), False, False, True)
        s.settimeout(left)
        try:
            b = s.recv(min(65536, max_bytes - len(buf)))
        except socket.timeout:
            return RawResult(bytes(buf), False, False, True)
        except ConnectionResetError:
            return RawResult(bytes(buf), True, True, False)
        if not b:
            return RawResult(bytes(buf), True, False, False)
        buf += b
    return RawResult(bytes(buf), False, False, False)


def read_response(f, method="GET"):
    """One response read from f, a socket's binary file (keep-alive: what
    follows stays unread): (status, headers with lower-case names, body).
    The body by Content-Length or chunked; none for a HEAD."""
    status = int(f.readline().split()[1])
    headers = {}
    while True:
        line = f.readline()
        if line in (b"\r\n", b""):
            break
        k, _, v = line.decode("latin-1").partition(":")
        headers[k.strip().lower()] = v.strip()
    if method == "HEAD":
        return status, headers, b""
    if headers.get("transfer-encoding") != "chunked":
        return status, headers, f.read(int(headers.get("content-length",
                                                       0)))
    body = b""
    while True:
        n = int(f.readline().split(b";")[0], 16)
        body += f.read(n)
        f.readline()
        if n == 0:
            return status, headers, body


def parse_response(data):
    """Split raw bytes into (status, reason, headers, rest) or None.

    headers is a list of (name, value) strings; rest is everything after the
    blank line (body and any further pipelined responses).  Meant for
    reading what a server answered to raw input, not for validating it.
    """
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return None
    lines = data[:end].decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") \
            or not parts[1].isdigit():
        return None
    headers = []
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers.append((k.strip(), v.strip()))
    return (int(parts[1]), parts[2] if len(parts) > 2 else "", headers,
            data[end + 4:])


def metric(status_port, name, host="127.0.0.1"):
    """The value of the unlabelled metric name ("triad_lbd_queued_total")
    on a daemon's status port, as an int; AssertionError when absent."""
    text = get("http://%s:%d/metrics" % (host, status_port)).text()
    for line in text.splitlines():
        if line.startswith(name + " "):
            return int(float(line.split()[1]))
    raise AssertionError("%s not in /metrics" % name)


def wait_http(url, timeout=10.0, status=200, alive=None, **kw):
    """Poll GET url until it answers `status`; return the Response.

    alive: optional callable; when it returns False we stop at once (the
    daemon died) with RuntimeError.  Raises TimeoutError after timeout.
    """
    last = {}

    def ready():
        if alive is not None and not alive():
            raise RuntimeError("process exited while waiting for %s" % url)
        try:
            r = get(url, timeout=min(1.0, timeout), **kw)
        except (OSError, http.client.HTTPException) as e:
            last["why"] = repr(e)
            return None
        last["why"] = "status %d" % r.status
        return r if r.status == status else None
    try:
        return proc.poll_until(ready, timeout, url)
    except TimeoutError as e:
        raise TimeoutError("%s (last: %s)" % (e, last.get("why"))) from None


def wait_tcp(host, port, timeout=10.0, alive=None, sock_factory=None):
    """Poll until host:port accepts a TCP connection (then close it)."""
    def ready():
        if alive is not None and not alive():
            raise RuntimeError("process exited while waiting for %s:%d"
                               % (host, port))
        try:
            connect(host, port, 1.0, sock_factory=sock_factory).close()
            return True
        except OSError:
            return False
    return proc.poll_until(ready, timeout, "%s:%d to accept" % (host, port))
