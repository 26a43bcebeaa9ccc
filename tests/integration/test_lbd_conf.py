"""lbd's configuration at start: the VIP, and warnings.

The VIP, for active-passive pairs.

With `vip` set, lbd listens on the VIP at each of its ports with
IP_FREEBIND: the standby binds an address it does not hold yet, so the
moment keepalived moves the VIP to it, it serves. 127.0.0.2 (on lo) shows
that the VIP listener answers; 192.0.2.10 (TEST-NET-1, on no interface of
this host, never sent a packet) shows that the bind succeeds before the
address arrives. Bad values are refused by `lbd -t` with their position.

Timeouts left to their defaults are named in one warning at start (as
HAProxy warns about missing timeouts); a file that sets them all gets none.

A reload applies a new max_connections to the workers that go on, in
both modes, while accepting is paused at the old one; tcp sessions and
http connections count against the same limit.
"""

import json
import os
import subprocess

import triadtest
from triadtest import http
from triadtest.upstream import HttpServer

LBD = triadtest.build_path("lbd", "lbd")

LBD_KEYS = triadtest.lbd_keys(mode=None)


class LbdConfTest(triadtest.TestCase):

    def setUp(self):
        self.assertTrue(os.access(LBD, os.X_OK), LBD + " is not built")
        self.dir = triadtest.tempdir("lbd-vip")
        self.port, self.status, self.p1 = triadtest.free_ports(3)
        self.web = HttpServer(self.p1, "w1")

    def tearDown(self):
        self.web.kill()

    def write(self, extra):
        self.conf = triadtest.write_conf(self.dir, triadtest.one_host(
            [("w1", self.p1)], LBD_KEYS.format(port=self.port,
                                               status=self.status) + extra))

    def start(self):
        d = triadtest.triad_daemon("lbd", self.conf, self.status)
        self.addCleanup(lambda: self.assertEqual(d.stop(), 0, d.log_tail()))
        return d.start()

    def listening(self):
        out = subprocess.run(["ss", "-ltnH"], capture_output=True,
                             text=True, check=True).stdout
        return {line.split()[3] for line in out.splitlines()}

    def test_vip_on_lo_serves(self):
        self.write("  vip: 127.0.0.2/8\n  vip_interface: lo\n  vrid: 7\n")
        self.start()
        for host in ("127.0.0.1", "127.0.0.2"):
            r = http.get("http://%s:%d/" % (host, self.port))
            self.assertEqual(r.status, 200, host)

    def test_vip_not_held_yet_is_bound(self):
        self.write("  vip: 192.0.2.10\n")
        self.start()
        self.assertIn("192.0.2.10:%d" % self.port, self.listening())
        self.assertIn("127.0.0.1:%d" % self.port, self.listening())
        r = http.get("http://127.0.0.1:%d/" % self.port)
        self.assertEqual(r.status, 200)

    def test_no_vip_no_extra_listener(self):
        self.write("")
        self.start()
        mine = {a for a in self.listening()
                if a.endswith(":%d" % self.port)}
        self.assertEqual(mine, {"127.0.0.1:%d" % self.port})

    def test_bad_vip_values(self):
        cases = [
            ("  vip: www.example.com\n", "lbd.vip: "),
            ("  vip: 10.0.0.1/33\n", "lbd.vip: bad prefix length '33'"),
            ("  vip: 10.0.0.1/\n", "lbd.vip: bad prefix length ''"),
            ("  vip: [1, 2]\n", "lbd.vip: expected an IP address"),
            ("  vrid: 256\n", "lbd.vrid"),
            ("  vip_interface: a-name-far-too-long-for-linux\n",
             "lbd.vip_interface"),
        ]
        for extra, want in cases:
            self.write(extra)
            out = subprocess.run([LBD, "-t", "-c", self.conf, "--host", "h1"],
                                 capture_output=True, text=True)
            self.assertEqual(out.returncode, 1, extra)
            self.assertIn("triad.yaml:13:", out.stderr, extra)
            self.assertIn(want, out.stderr, extra)

    def check(self, extra):
        self.write(extra)
        return subprocess.run([LBD, "-t", "-c", self.conf, "--host", "h1"],
                              capture_output=True, text=True, timeout=10)

    def test_reload_adds_servers_under_a_keepalive_client(self):
        # A keep-alive client of the first generation is served from the
        # new pool after a reload that added servers: its settings' table
        # of per-server metrics (indexed by the old group) has no row for
        # them, and must not be read past its end (the ASan build checks).
        self.write("  mode: http\n")
        d = self.start()
        s = http.connect("127.0.0.1", self.port)
        self.addCleanup(s.close)
        f = s.makefile("rb")
        self.addCleanup(f.close)

        def one():
            s.sendall(b"GET /k HTTP/1.1\r\nHost: x\r\n\r\n")
            status, _, body = http.read_response(f)
            self.assertEqual(status, 200)
            return json.loads(body)["server"]

        self.assertEqual(one(), "w1")
        p2, p3 = triadtest.free_ports(2)
        more = [HttpServer(p2, "w2"), HttpServer(p3, "w3")]
        for w in more:
            self.addCleanup(w.kill)
        with open(self.conf) as f_:
            text = f_.read()
        with open(self.conf, "w") as f_:
            f_.write(text.replace(
                "    - { host: h1, name: w1, listen: %d }\n" % self.p1,
                "".join("    - { host: h1, name: w%d, listen: %d }\n"
                        % (i + 1, p) for i, p in
                        enumerate((self.p1, p2, p3)))))
        mark = d.log_mark()
        d.reload()
        d.wait_log("generation 2 in service", since=mark)
        self.assertEqual({one() for _ in range(6)}, {"w1", "w2", "w3"})

    def max_connections_reload(self, mode):
        # Paused at max_connections 2, a reload to 3 (same addresses: the
        # workers keep their sockets) resumes accepting at once.
        self.write("  mode: %s\n  max_connections: 2\n" % mode)
        d = self.start()

        def raise_limit():
            self.write("  mode: %s\n  max_connections: 3\n" % mode)
            mark = d.log_mark()
            d.reload()
            d.wait_log("generation 2 in service", since=mark)
        http.check_limit_raised(self, self.port, raise_limit)

    def test_max_connections_follows_a_reload_http(self):
        self.max_connections_reload("http")

    def test_max_connections_follows_a_reload_tcp(self):
        self.max_connections_reload("tcp")

    def test_max_connections_holds_across_a_mode_switch(self):
        # A tcp session of the old generation and an http connection of
        # the new one count against one max_connections.
        self.write("  mode: tcp\n  max_connections: 2\n")
        d = self.start()
        held = http.hold(self.port, 1)
        try:
            self.write("  mode: http\n  max_connections: 2\n")
            mark = d.log_mark()
            d.reload()
            d.wait_log("generation 2 in service", since=mark)
            held += http.hold(self.port, 1)
            extra = http.paused_request(self, self.port)
            held.append(extra)
            held[0].close()     # the tcp session ends: room for one
            self.assertIn(b"200 OK", extra.recv(4096))
        finally:
            for s in held:
                s.close()

    def test_unset_timeouts_warned(self):
        out = self.check("  mode: http\n  connect_timeout: 2s\n")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("timeouts not set, using defaults: client_timeout 30s,"
                      " server_timeout 30s, tunnel_timeout 1h, queue_timeout"
                      " 5s, http_request_timeout 10s, keepalive_timeout 60s",
                      out.stderr)
        # tcp mode has no request heads and no keep-alive.
        out = self.check("  mode: tcp\n")
        self.assertIn("using defaults: connect_timeout 5s, client_timeout",
                      out.stderr)
        self.assertNotIn("http_request_timeout", out.stderr)
        every = "".join("  %s: 5s\n" % k for k in (
            "connect_timeout", "client_timeout", "server_timeout",
            "tunnel_timeout", "queue_timeout", "http_request_timeout",
            "keepalive_timeout"))
        out = self.check("  mode: http\n" + every)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertNotIn("timeouts not set", out.stderr)


if __name__ == "__main__":
    triadtest.main()
