"""PROXY protocol between lbd and webd: lbd (tcp mode with v1, http mode
with v2) tells webd who the client is, webd believes it only from
proxy_from, and its access log shows the client's own address."""

import os
import socket
import time

import triadtest
from triadtest import http

LBD = triadtest.build_path("lbd", "lbd")
WEBD = triadtest.build_path("webd", "webd")

TOPOLOGY = """\
site: test.example
hosts:
  h1: {{ address: 127.0.0.1 }}
webd:
  on: [ {{ host: h1, name: w1, listen: {w1}, status: {ws} }} ]
  workers: 1
  root: www
  mime_types: {mime}
  access_log: webd-access.log
  proxy_from: [127.0.0.1/32]
lbd:
  on:
    - {{ host: h1, name: tcp1, listen: "0.0.0.0:{l1}", status: {s1} }}
    - {{ host: h1, name: http1, listen: "0.0.0.0:{l2}", status: {s2} }}
  workers: 1
  servers: webd
  mode: {mode}
  send_proxy: {version}
"""


class ProxyProtocolTest(triadtest.TestCase):

    def start(self, mode, version, instance):
        conf = os.path.join(self.dir, instance + ".yaml")
        with open(conf, "w") as f:
            f.write(TOPOLOGY.format(mode=mode, version=version, **self.p))
        status = self.p["s1"] if instance == "tcp1" else self.p["s2"]
        return triadtest.Daemon(
            [LBD, "-f", "-c", conf, "--host", "h1", "--instance", instance],
            name="lbd-" + instance,
            health_url="http://127.0.0.1:%d/health" % status).start()

    def setUp(self):
        for prog in (LBD, WEBD):
            self.assertTrue(os.access(prog, os.X_OK), prog + " is not built")
        self.dir = triadtest.tempdir("proxyproto")
        os.makedirs(os.path.join(self.dir, "www"))
        with open(os.path.join(self.dir, "www", "index.html"), "w") as f:
            f.write("hi\n")
        ports = triadtest.free_ports(6)
        self.p = dict(w1=ports[0], ws=ports[1], l1=ports[2], s1=ports[3],
                      l2=ports[4], s2=ports[5],
                      mime=os.path.join(triadtest.source_dir(), "etc",
                                        "mime.types"))
        conf = os.path.join(self.dir, "webd.yaml")
        with open(conf, "w") as f:
            f.write(TOPOLOGY.format(mode="tcp", version="none", **self.p))
        self.webd = triadtest.Daemon(
            [WEBD, "-f", "-c", conf, "--host", "h1"],
            health_url="http://127.0.0.1:%d/health" % self.p["ws"]).start()
        self.daemons = [self.webd,
                        self.start("tcp", "v1", "tcp1"),
                        self.start("http", "v2", "http1")]

    def tearDown(self):
        rcs = [d.stop() for d in self.daemons]
        self.assertEqual(rcs, [0, 0, 0])

    def get_from(self, source, port):
        s = socket.socket()
        s.settimeout(5)
        s.bind((source, 0))
        s.connect(("127.0.0.1", port))
        s.sendall(b"GET /?from=%s HTTP/1.1\r\nHost: a\r\nConnection: close"
                  b"\r\n\r\n" % source.encode())
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        s.close()
        return data

    def log_line(self, marker):
        log = os.path.join(self.dir, "webd-access.log")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if os.path.exists(log):
                for line in open(log).read().splitlines():
                    if marker in line:
                        return line
            time.sleep(0.1)
        self.fail("no log line with %s" % marker)

    def test_client_address_reaches_webd(self):
        self.assertIn(b"200 OK", self.get_from("127.0.0.21", self.p["l1"]))
        self.assertTrue(self.log_line("from=127.0.0.21").startswith(
            "127.0.0.21:"))
        self.assertIn(b"200 OK", self.get_from("127.0.0.22", self.p["l2"]))
        self.assertTrue(self.log_line("from=127.0.0.22").startswith(
            "127.0.0.22:"))

    def test_only_trusted_peers_may_send_it(self):
        # 127.0.0.1 is trusted: a bad header closes the connection.
        res = http.raw_exchange("127.0.0.1", self.p["w1"],
                                b"PROXY TCP4 1.2.3.4 nonsense\r\n")
        self.assertEqual(res.data, b"")
        # From an untrusted peer, a PROXY line is just a bad request.
        s = socket.socket()
        s.settimeout(5)
        s.bind(("127.0.0.30", 0))
        s.connect(("127.0.0.1", self.p["w1"]))
        s.sendall(b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\nGET / HTTP/1.1\r\n"
                  b"Host: a\r\n\r\n")
        self.assertIn(b"400", s.recv(4096))
        s.close()


if __name__ == "__main__":
    triadtest.main()
