"""Small HTTP/1.1 servers for tests of the proxies (lbd, webd's routes).

HttpServer reads requests on keep-alive connections (Content-Length
bodies), asks its answer function what to send, and keeps what it saw, so a
test checks both ends. Servers run on threads in the test process and bind
127.0.0.1 only.

    srv = HttpServer(port, "s1")                  # answers JSON about the request
    srv = HttpServer(port, "s1", answer=fn)       # fn(srv, req) -> (status, body)
    srv.requests    # list of Request seen
    srv.kill()      # stop listening and cut every connection, as a crash
    stop_then_kill(daemon, [srv])   # a tearDown: the proxy, then servers
"""

import http.client
import json
import socket
import socketserver
import threading


class Request:
    def __init__(self, line, headers, body):
        self.line = line                  # "GET /x HTTP/1.1"
        self.method, self.target = line.split(" ")[:2]
        self.headers = headers            # lower-case names
        self.body = body


def echo_answer(server, req):
    """The default answer: who answered and what it received, as JSON."""
    return 200, json.dumps({"server": server.name, "line": req.line,
                            "headers": req.headers,
                            "body": len(req.body)}).encode()


class TestServer(socketserver.ThreadingTCPServer):
    """A threaded TCP server on 127.0.0.1:port for handler, started at
    once. Handlers call self.server.track(self.connection) so that kill()
    can cut their connections too."""
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port, name, handler):
        self.name = name
        self.socks = []
        super().__init__(("127.0.0.1", port), handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def track(self, sock):
        self.socks.append(sock)

    def drop_connections(self):
        """Closes every open connection, as a server whose keep-alive
        timeout passed does; the listener stays."""
        for s in self.socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.socks = []

    def kill(self):
        """Dies as a crashed server does: listener and connections."""
        self.shutdown()
        self.server_close()
        for s in self.socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class HttpServer(TestServer):
    """answer(server, req) -> (status, body), (status, body, "chunked"),
    (status, body, b"Extra: fields\r\n"), (status, body, "close") (the
    connection is closed after the answer, unread requests dropped) or
    (status, body, "eof") (the same without saying so: a keep-alive
    timeout's close), after the body is read; None closes the connection
    without an answer. early(server, req), if given, is asked first,
    with the head only (req.body None): a (status, body) it returns is
    sent at once and the connection closed, the body unread (a server's
    413), which makes the close a reset."""
    def __init__(self, port, name, answer=echo_answer, early=None):
        self.answer = answer
        self.early = early
        self.requests = []
        self.lock = threading.Lock()
        super().__init__(port, name, _Handler)


class _Handler(socketserver.StreamRequestHandler):
    def handle(self):
        self.server.track(self.connection)
        try:
            while self._one():
                pass
        except (OSError, ValueError):
            pass        # a proxy that gave up mid-request

    def _answer(self, status, out, fields=b"", chunked=False, head=False):
        """One response: with Content-Length, or chunked in 64 KiB
        chunks; fields are extra header lines. head: the answer to a
        HEAD, whose body is left out (its length stays)."""
        reason = http.client.responses.get(status, "Unknown").encode()
        if not chunked:
            self.wfile.write(b"HTTP/1.1 %d %s\r\nContent-Length: %d\r\n%s"
                             b"\r\n%s" % (status, reason, len(out), fields,
                                           b"" if head else out))
            return
        self.wfile.write(b"HTTP/1.1 %d %s\r\nTransfer-Encoding: chunked"
                         b"\r\n%s\r\n" % (status, reason, fields))
        for i in range(0, len(out), 65536):
            part = out[i:i + 65536]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
        self.wfile.write(b"0\r\n\r\n")

    def _one(self):
        line = self.rfile.readline()
        if not line:
            return False
        headers = {}
        while True:
            h = self.rfile.readline()
            if h in (b"\r\n", b""):
                break
            k, v = h.decode("latin-1").split(":", 1)
            headers[k.strip().lower()] = v.strip()
        if self.server.early is not None:
            got = self.server.early(self.server, Request(
                line.decode("latin-1").strip(), headers, None))
            if got is not None:
                self._answer(got[0], got[1], b"Connection: close\r\n")
                self.connection.close()
                return False
        body = self.rfile.read(int(headers.get("content-length", "0")))
        req = Request(line.decode("latin-1").strip(), headers, body)
        with self.server.lock:
            self.server.requests.append(req)
        got = self.server.answer(self.server, req)
        if got is None:         # a server that died on this request
            return False
        extra = got[2] if len(got) > 2 else None
        fields = extra if isinstance(extra, bytes) else b""
        if extra == "close":
            fields = b"Connection: close\r\n"
        self._answer(got[0], got[1], chunked=extra == "chunked",
                     fields=fields, head=req.method == "HEAD")
        if extra not in ("close", "eof"):
            return True
        # A lingering close, as nginx's: the answer is not lost to a
        # reset caused by requests left unread.
        self.wfile.flush()
        self.connection.shutdown(socket.SHUT_WR)
        self.connection.settimeout(2.0)
        while self.connection.recv(65536):
            pass
        return False


def stop_then_kill(daemon, servers):
    """A proxy's tests' tearDown: daemon.stop_clean() (AssertionError
    unless it exits 0), then kill() every server of servers, even when the
    stop failed."""
    try:
        daemon.stop_clean()
    finally:
        for s in servers:
            s.kill()
