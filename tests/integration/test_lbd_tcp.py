"""lbd in tcp mode in front of three small TCP servers in this process.

Each server answers a line with "<name>:<line>" (or echoes a large
payload back), so the order of balancing, backup takeover and giveback,
retries past a dead server, admin drain and weights, reload, and relaying
megabytes both ways are all seen from the client.
"""

import os
import socket
import socketserver
import threading
import time

import triadtest
from triadtest import http
from triadtest.upstream import TestServer, stop_then_kill

LBD = triadtest.build_path("lbd", "lbd")

LBD_KEYS = triadtest.lbd_keys("tcp") + """\
  backup: [{backup}]
  balance: {balance}
  retries: 3
  max_fails: 1
  fail_timeout: 500ms
  connect_timeout: 1s
  access_log: access.log
"""


def Server(port, name):
    """A line server on port (see Handler), killable as a crash."""
    return TestServer(port, name, Handler)


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        self.server.track(self.connection)
        try:
            line = self.rfile.readline()
            if line.startswith(b"BULK "):
                n = int(line.split()[1])
                data = self.rfile.read(n)
                self.wfile.write(data)
                return
            self.wfile.write(self.server.name.encode() + b":" + line)
        except OSError:
            pass


class LbdTcpTest(triadtest.TestCase):

    def setUp(self):
        self.assertTrue(os.access(LBD, os.X_OK), LBD + " is not built")
        self.dir = triadtest.tempdir("lbd-tcp")
        ports = triadtest.free_ports(5)
        self.port, self.status = ports[0], ports[1]
        self.sp = ports[2:]
        self.servers = [Server(p, "s%d" % (i + 1))
                        for i, p in enumerate(self.sp)]
        self.write(backup="s3")
        self.d = triadtest.triad_daemon("lbd", self.conf, self.status).start()

    def tearDown(self):
        stop_then_kill(self.d, self.servers)

    def write(self, backup, balance="roundrobin"):
        self.conf = triadtest.write_conf(self.dir, triadtest.one_host(
            [("s%d" % (i + 1), p) for i, p in enumerate(self.sp[:3])],
            LBD_KEYS.format(port=self.port, status=self.status,
                            backup=backup, balance=balance)))

    def ask(self, line=b"hi"):
        with socket.create_connection(("127.0.0.1", self.port), 5) as s:
            s.settimeout(5)
            s.sendall(line + b"\n")
            return s.makefile("rb").readline().decode().split(":")[0]

    def admin(self, args):
        return http.post("http://127.0.0.1:%d/admin/server" % self.status,
                         body=args.encode(),
                         content_type="application/x-www-form-urlencoded")

    def status_servers(self):
        st = http.get("http://127.0.0.1:%d/status" % self.status).json()
        return {s["name"]: s for s in st["servers"]}

    def test_roundrobin_order_and_backup(self):
        self.assertEqual([self.ask() for _ in range(6)],
                         ["s1", "s2", "s1", "s2", "s1", "s2"])
        # Both actives down: the backup takes over, with no failed session.
        self.servers[0].kill()
        self.servers[1].kill()
        self.assertEqual([self.ask() for _ in range(4)], ["s3"] * 4)
        # One returns: the backup gives it back once fail_timeout passes.
        self.servers[0] = Server(self.sp[0], "s1")
        time.sleep(0.6)
        self.assertEqual([self.ask() for _ in range(3)], ["s1"] * 3)
        st = http.get("http://127.0.0.1:%d/metrics" % self.status).text()
        self.assertRegex(st, r"triad_lbd_redispatches_total [1-9]")

    def test_dead_server_loses_nothing(self):
        self.servers[1].kill()
        answers = [self.ask() for _ in range(40)]
        self.assertEqual(set(answers), {"s1"})
        st = self.status_servers()
        self.assertEqual(st["s2"]["state"], "down")
        # The session that found s2 dead went to s1: one retry away
        # from s2, a redispatch; none away from s1.
        self.assertGreaterEqual(st["s2"]["redispatches"], 1)
        self.assertEqual(st["s2"]["retries"], st["s2"]["redispatches"])
        self.assertEqual(st["s1"]["retries"], 0)

    def test_admin_drain_weight_and_health(self):
        r = self.admin("name=s1&state=drain")
        self.assertEqual(r.status, 200, r.text())
        self.assertEqual([self.ask() for _ in range(4)], ["s2"] * 4)
        self.assertEqual(self.status_servers()["s1"]["admin"], "drain")
        self.assertEqual(self.admin("name=s1&state=ready").status, 200)
        self.assertEqual(self.admin("name=s1&weight=3").status, 200)
        got = [self.ask() for _ in range(8)]
        self.assertEqual(got.count("s1"), 6)
        self.assertEqual(self.admin("name=nope&state=drain").status, 404)
        self.assertEqual(self.admin("name=s1&state=sleepy").status, 400)
        self.assertEqual(self.admin("name=s1&weight=0").status, 400)
        # Every server out: /health says so (keepalived tracks it).
        for name in ("s1", "s2", "s3"):
            self.admin("name=%s&state=maint" % name)
        h = http.get("http://127.0.0.1:%d/health" % self.status)
        self.assertEqual((h.status, h.text().strip()),
                         (503, "no usable server"))

    def test_reload_keeps_admin_state(self):
        self.admin("name=s2&state=drain")
        self.write(backup="s1")
        mark = self.d.log_mark()
        self.d.reload()
        self.d.wait_log("generation 2 in service", since=mark)
        srv = self.status_servers()
        self.assertEqual(srv["s2"]["admin"], "drain")
        self.assertTrue(srv["s1"]["backup"])
        self.assertEqual([self.ask() for _ in range(3)], ["s3"] * 3)

    def test_source_hash_sticks(self):
        self.write(backup="s3", balance="source")
        mark = self.d.log_mark()
        self.d.reload()
        self.d.wait_log("generation 2 in service", since=mark)
        got = [self.ask() for _ in range(10)]
        self.assertEqual(len(set(got)), 1, got)
        # Its server drained: the client moves, and only then.
        first = got[0]
        self.admin("name=%s&state=drain" % first)
        moved = [self.ask() for _ in range(5)]
        self.assertEqual(len(set(moved)), 1)
        self.assertNotEqual(moved[0], first)

    def test_bulk_relay(self):
        payload = os.urandom(5 * 1024 * 1024)
        with socket.create_connection(("127.0.0.1", self.port), 5) as s:
            s.settimeout(20)
            out = b"BULK %d\n" % len(payload) + payload
            sender = threading.Thread(target=s.sendall, args=(out,))
            sender.start()
            got = b""
            while len(got) < len(payload):
                chunk = s.recv(1 << 16)
                if not chunk:
                    break
                got += chunk
            sender.join(20)
        self.assertEqual(got, payload)
        time.sleep(0.7)
        log = open(os.path.join(self.dir, "access.log")).read()
        self.assertRegex(log, r"127\.0\.0\.1:\d+ h1 webd/s[12] \d+/\d+ "
                         r"%d %d --" % (len(payload) + 13, len(payload)))


if __name__ == "__main__":
    triadtest.main()
