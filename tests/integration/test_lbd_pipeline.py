"""lbd's server-side pipelining (server_pipeline).

GETs and HEADs without a body ride a server connection behind a request
whose answer is due. Answers are matched to requests by order alone, so
these tests look for the one thing that must never happen, a client given
another's answer, and for lost requests: a server that closes after an
answer, a rider whose client left, a server killed under load, a reload.
Part one is lbd in front of one small HTTP/1.1 server in this process
(its answers say what request they answer); part two reruns the failover
tests of test_lbd_http (two real webd, one killed; a reload) with
pipelining on.
"""

import json
import os
import signal
import socket
import struct
import time

import triadtest
from triadtest import http
from triadtest.upstream import HttpServer, echo_answer, stop_then_kill

import test_lbd_http

LBD = triadtest.build_path("lbd", "lbd")

LBD_KEYS = triadtest.lbd_keys() + """\
  server_pipeline: 8
  retries: 0
"""

SLOW = 1.0      # seconds the server takes over /slow


def answer(server, req):
    """Echoes the request; /slow takes SLOW seconds; /close answers with
    Connection: close and closes (lingering), dropping what follows, /eof
    the same without saying so; /long answers 256 KiB, chunked, after
    0.3 s; /gone after 0.5 s (its client has left by then); /quick after
    40 ms (within the riders' hold); /die closes
    the connection without an answer."""
    if req.target.startswith("/die"):
        return None
    if req.target.startswith("/slow"):
        time.sleep(SLOW)
    if req.target.startswith("/gone"):
        time.sleep(0.5)
    if req.target.startswith("/quick"):
        time.sleep(0.04)
    got = echo_answer(server, req)
    if req.target.startswith(("/close", "/slow-close")):
        return got + ("close",)
    if req.target.startswith("/eof"):
        time.sleep(0.3)
        return got + ("eof",)
    if req.target.startswith("/long"):
        time.sleep(0.3)
        return 200, b"L" * (256 * 1024), "chunked"
    return got


def send(port, method, path, body=None):
    """A connected socket that sent one request (it reads nothing)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    head = "%s %s HTTP/1.1\r\nHost: x\r\n" % (method, path)
    if body is not None:
        head += "Content-Length: %d\r\n" % len(body)
    s.sendall(head.encode() + b"\r\n" + (body or b""))
    return s


def read_answer(s, method="GET"):
    """(status, headers dict, body) of one answer on s; the socket closes."""
    f = s.makefile("rb")
    try:
        return http.read_response(f, method)
    finally:
        f.close()
        s.close()


def reset(s):
    """Closes s with a reset, as a client that gave up."""
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def echoed_line(body):
    return json.loads(body)["line"]


def start(obj, tag, extra=""):
    """Sets obj's dir, port, status, srv (the server) and d (lbd, with the
    extra lbd keys)."""
    assert os.access(LBD, os.X_OK), LBD + " is not built"
    obj.dir = triadtest.tempdir(tag)
    obj.port, obj.status, p1 = triadtest.free_ports(3)
    obj.srv = HttpServer(p1, "s1", answer=answer)
    conf = triadtest.write_conf(obj.dir, triadtest.one_host(
        [("s1", p1)], LBD_KEYS.format(port=obj.port, status=obj.status) +
        extra))
    obj.d = triadtest.triad_daemon("lbd", conf, obj.status).start()


class LbdPipelineTest(triadtest.TestCase):

    @classmethod
    def setUpClass(cls):
        start(cls, "lbd-pipeline")

    @classmethod
    def tearDownClass(cls):
        stop_then_kill(cls.d, [cls.srv])

    def metric(self, name):
        return http.metric(self.status, "triad_lbd_" + name)

    def burst(self, requests):
        """Sends every (method, path) at once, each on its own connection,
        then reads the answers: [(method, path, status, headers, body)]."""
        socks = [(m, p, send(self.port, m, p)) for m, p in requests]
        return [(m, p) + read_answer(s, m) for m, p, s in socks]

    def check_burst(self, answers):
        for method, path, status, headers, body in answers:
            self.assertEqual(status, 200, (method, path))
            if method == "HEAD":
                self.assertEqual(body, b"")
                self.assertGreater(int(headers["content-length"]), 0)
            else:
                self.assertEqual(echoed_line(body),
                                 "%s %s HTTP/1.1" % (method, path))

    def test_each_answer_reaches_its_client(self):
        before = self.metric("upstream_pipelined_total")
        for i in range(20):
            self.check_burst(self.burst(
                [("GET", "/r%d-%d" % (i, j)) for j in range(8)]))
        # Requests did ride: the answers above were pipelined ones.
        self.assertGreater(self.metric("upstream_pipelined_total"), before)

    def test_head_answers_have_no_body_in_a_train(self):
        # A HEAD's answer has a length and no body: read as a GET's, it
        # would eat the next answer of the train.
        before = self.metric("upstream_pipelined_total")
        for i in range(10):
            self.check_burst(self.burst(
                [("HEAD" if j % 2 == 0 else "GET", "/h%d-%d" % (i, j))
                 for j in range(8)]))
        self.assertGreater(self.metric("upstream_pipelined_total"), before)

    def test_server_close_after_an_answer_sends_riders_again(self):
        # The server answers /close with Connection: close and drops the
        # requests behind it. Those that rode behind it are sent again,
        # with retries: 0, as they failed nothing.
        before = self.metric("upstream_retries_total")
        for i in range(10):
            self.check_burst(self.burst(
                [("GET", "/close%d" % i)] +
                [("GET", "/after%d-%d" % (i, j)) for j in range(6)]))
            if self.metric("upstream_retries_total") > before:
                break
        self.assertGreater(self.metric("upstream_retries_total"), before,
                           "no request rode behind /close")

    def test_a_keepalive_close_sends_riders_again(self):
        # /eof is answered, then the connection closed without a word: the
        # rider next in line sees the close before any byte of its answer.
        # It and those behind it are sent again (retries: 0).
        self.check_burst(self.burst([("GET", "/warm")]))
        before = self.metric("upstream_retries_total")
        self.check_burst(self.burst(
            [("GET", "/eof")] + [("GET", "/e%d" % j) for j in range(5)]))
        self.assertGreater(self.metric("upstream_retries_total"), before)

    def test_riders_behind_a_long_answer_go_elsewhere(self):
        # A chunked answer could stream for ever: the riders behind it are
        # sent again on other connections as soon as its head shows it.
        self.check_burst(self.burst([("GET", "/warm")]))
        before = self.metric("upstream_retries_total")
        got = self.burst([("GET", "/long")] +
                         [("GET", "/l%d" % j) for j in range(5)])
        self.assertEqual(got[0][4], b"L" * (256 * 1024))
        self.check_burst(got[1:])
        self.assertGreater(self.metric("upstream_retries_total"), before)

    def test_a_request_the_server_dies_on_is_not_sent_for_ever(self):
        # /die rides behind /quick; the server answers that, then closes
        # on /die, and on every connection /die comes on. It is sent
        # again once for free (the close may have been a keep-alive one),
        # then as any request (retries: 0): a 502, not a loop.
        seen = []

        def attempt():
            seen.append(self.seen("GET /die HTTP/1.1"))
            a = send(self.port, "GET", "/quick")
            b = send(self.port, "GET", "/die")
            self.assertEqual(read_answer(a)[0], 200)
            self.assertEqual(read_answer(b)[0], 502)

        self.assertGreater(self.until_rode(attempt), 0)
        time.sleep(0.3)
        self.assertEqual(self.seen("GET /die HTTP/1.1") - seen[-1], 2)

    def test_riders_wait_a_slow_head_no_longer_than_the_hold(self):
        # /slow takes a second; the requests that rode behind it go to
        # other connections after the hold (100 ms), answered at once.
        self.check_burst(self.burst([("GET", "/warm")]))
        before = self.metric("upstream_pipelined_total")
        a = send(self.port, "GET", "/slow")
        t0 = time.monotonic()
        self.check_burst(self.burst([("GET", "/h%d" % i) for i in range(3)]))
        self.assertLess(time.monotonic() - t0, SLOW / 2)
        self.assertGreater(self.metric("upstream_pipelined_total"), before)
        self.assertEqual(echoed_line(read_answer(a)[2]), "GET /slow HTTP/1.1")

    def ride_behind_slow(self, second):
        """GET /slow, then at once the request second() sends; returns
        (slow socket, second socket, whether second rode). A pooled
        connection is made first, so that /slow heads a train at once."""
        self.check_burst(self.burst([("GET", "/warm")]))
        before = self.metric("upstream_pipelined_total")
        a = send(self.port, "GET", "/slow")
        b = second()
        time.sleep(0.2)
        return a, b, self.metric("upstream_pipelined_total") > before

    def until_rode(self, attempt, want=1):
        """Runs attempt(), after a warm-up request, until want requests
        rode during it (at most 5 times: when lbd reads each request is
        the machine's doing); returns how many rode the last time."""
        for _ in range(5):
            self.check_burst(self.burst([("GET", "/warm")]))
            before = self.metric("upstream_pipelined_total")
            attempt()
            rode = self.metric("upstream_pipelined_total") - before
            if rode >= want:
                break
        return rode

    def seen(self, line):
        return [r.line for r in self.srv.requests].count(line)

    def test_rider_whose_client_left_gives_its_answer_to_no_one(self):
        # /quick heads (answered in 40 ms, within the hold), /zomb and
        # /live ride behind it; /zomb's client leaves at once. Its answer
        # is read and dropped in its turn: /live gets its own, and /quick
        # is not sent again.
        def attempt():
            quick = self.seen("GET /quick HTTP/1.1")
            a = send(self.port, "GET", "/quick")
            b = send(self.port, "GET", "/zomb")
            c = send(self.port, "GET", "/live")
            time.sleep(0.01)
            reset(b)        # its answer will come, to nobody
            self.assertEqual(echoed_line(read_answer(a)[2]),
                             "GET /quick HTTP/1.1")
            self.assertEqual(echoed_line(read_answer(c)[2]),
                             "GET /live HTTP/1.1")
            self.assertEqual(self.seen("GET /quick HTTP/1.1"), quick + 1)

        self.assertEqual(self.until_rode(attempt, 2), 2,
                         "/zomb and /live did not both ride")
        # The connection goes on: the next requests get their own answers.
        for i in range(4):
            self.check_burst(self.burst([("GET", "/next%d" % i)]))
        self.assertIn("GET /zomb HTTP/1.1",
                      [r.line for r in self.srv.requests])

    def test_a_late_head_takes_no_riders(self):
        # /slow has waited far longer than the stall bound when /fast
        # comes: /fast goes on a connection of its own, answered at once.
        self.check_burst(self.burst([("GET", "/warm")]))
        a = send(self.port, "GET", "/slow")
        time.sleep(0.1)
        before = self.metric("upstream_pipelined_total")
        t0 = time.monotonic()
        self.check_burst(self.burst([("GET", "/fast")]))
        self.assertLess(time.monotonic() - t0, SLOW / 2)
        self.assertEqual(self.metric("upstream_pipelined_total"), before)
        self.assertEqual(echoed_line(read_answer(a)[2]),
                         "GET /slow HTTP/1.1")

    def test_a_request_with_a_body_never_rides(self):
        # Nor does a POST, even without one: only what is safe to send
        # twice rides.
        for method, sent in (("POST", b"hello"), ("GET", b"hello"),
                             ("POST", None)):
            a, b, rode = self.ride_behind_slow(
                lambda: send(self.port, method, "/body", sent))
            t0 = time.monotonic()
            status, _, body = read_answer(b)
            self.assertFalse(rode, method)
            self.assertEqual(status, 200)
            self.assertEqual(json.loads(body)["body"], len(sent or b""))
            self.assertLess(time.monotonic() - t0, SLOW / 2)
            read_answer(a)


class PipelineCase(triadtest.TestCase):
    """An lbd of its own per test (start's TAG and EXTRA keys), stopped
    cleanly after it unless the test stopped it."""
    TAG = "lbd-pipeline-own"
    EXTRA = ""

    def setUp(self):
        start(self, self.TAG, self.EXTRA)

    def tearDown(self):
        try:
            if self.d.running():
                self.d.stop_clean()
        finally:
            self.srv.kill()


class LbdPipelineMaxconnTest(PipelineCase):
    """Riders count as their server's load (server_maxconn), and give it
    back when they leave a train."""
    TAG = "lbd-pipeline-maxconn"
    EXTRA = "  server_maxconn: 4\n  queue_timeout: 500ms\n"

    def test_riders_sent_elsewhere_do_not_queue_behind_their_ghosts(self):
        # /slow and three riders fill the server's four slots. After the
        # hold the riders go to other connections, leaving ghosts to drop
        # their answers on /slow's: the ghosts hold no slot, so the
        # riders get theirs at once rather than a 503 from the queue.
        read_answer(send(self.port, "GET", "/warm"))
        queued = http.metric(self.status, "triad_lbd_queued_total")
        a = send(self.port, "GET", "/slow")
        socks = [send(self.port, "GET", "/q%d" % i) for i in range(3)]
        t0 = time.monotonic()
        got = [read_answer(s) for s in socks]
        self.assertEqual([g[0] for g in got], [200] * 3, got)
        self.assertLess(time.monotonic() - t0, SLOW / 2)
        self.assertEqual(http.metric(self.status, "triad_lbd_queued_total"),
                         queued)
        self.assertEqual(read_answer(a)[0], 200)


class LbdPipelineLifecycleTest(PipelineCase):
    """Reload and stop with riders on a train."""
    TAG = "lbd-pipeline-life"

    def test_reload_then_close_sends_riders_again(self):
        # The train began before a reload retired its pool; the server
        # closes it after its first answer. The riders are sent again all
        # the same (the train's connection keeps the old pool alive).
        read_answer(send(self.port, "GET", "/warm"))
        socks = [send(self.port, "GET", "/slow-close")]
        socks += [send(self.port, "GET", "/c%d" % i) for i in range(3)]
        time.sleep(0.2)
        mark = self.d.log_mark()
        self.d.reload()
        self.d.wait_log("generation 2 in service", since=mark)
        got = [read_answer(s) for s in socks]
        self.assertEqual([g[0] for g in got], [200] * 4, got)
        self.assertEqual([echoed_line(g[2]) for g in got[1:]],
                         ["GET /c%d HTTP/1.1" % i for i in range(3)])
        self.assertGreater(http.metric(
            self.status, "triad_lbd_upstream_pipelined_total"), 0)

    def test_zombie_outlives_its_generation(self):
        # A rider's client leaves, then a reload, then the head's client
        # (the last of the old generation) goes before the rider's answer
        # is read and dropped: the settings it reads must still be there
        # (the ASan build checks it).
        read_answer(send(self.port, "GET", "/warm"))
        before = http.metric(self.status, "triad_lbd_upstream_pipelined_total")
        a = send(self.port, "GET", "/slow")
        b = send(self.port, "GET", "/gone")
        time.sleep(0.1)
        self.assertGreater(http.metric(
            self.status, "triad_lbd_upstream_pipelined_total"), before)
        reset(b)
        mark = self.d.log_mark()
        self.d.reload()
        self.d.wait_log("generation 2 in service", since=mark)
        self.assertEqual(echoed_line(read_answer(a)[2]), "GET /slow HTTP/1.1")
        time.sleep(0.8)     # a's session ends; then /gone's answer comes
        for i in range(3):
            self.assertEqual(echoed_line(read_answer(send(
                self.port, "GET", "/after%d" % i))[2]),
                "GET /after%d HTTP/1.1" % i)

    def test_stop_now_with_riders_queued(self):
        # The clients' sessions close in some order, riders before their
        # head or after it, and each request's state goes exactly once
        # (the ASan build checks it).
        read_answer(send(self.port, "GET", "/warm"))
        before = http.metric(self.status, "triad_lbd_upstream_pipelined_total")
        socks = [send(self.port, "GET", "/slow")]
        socks += [send(self.port, "GET", "/r%d" % i) for i in range(4)]
        time.sleep(0.2)
        self.assertGreater(http.metric(
            self.status, "triad_lbd_upstream_pipelined_total"), before)
        self.d.signal(signal.SIGTERM)
        time.sleep(0.1)
        self.d.signal(signal.SIGTERM)      # the second: stop now
        rc = self.d.wait_exit(10)
        self.assertEqual(rc, 0, self.d.log_tail(80))
        for s in socks:
            s.close()


class LbdPipelineFailoverTest(test_lbd_http.LbdHttpFailoverTest):
    """Kill one of two webd under load, and reload lbd under load, with
    requests pipelined: no request may fail."""
    LBD_EXTRA = "  server_pipeline: 8\n"
    CLIENTS = 8

    def tearDown(self):
        # The load did ride trains: otherwise these tests proved nothing
        # new.
        try:
            self.assertGreater(http.metric(
                self.status, "triad_lbd_upstream_pipelined_total"), 0)
        finally:
            super().tearDown()


if __name__ == "__main__":
    triadtest.main()
