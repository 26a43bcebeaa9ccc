"""Admin actions come only from the machine itself.

lbd's status port listens on its host's address (as in the three-host
topologies, where it is on the admin network). A POST /admin/server from
that same host, to that address, is local and accepted (the kernel gives
the connection the host's own address as its source); the same POST from
another host of the lab is refused with 403, while GET /status still
answers it. Root only (namespaces); 77 otherwise.
"""

import os

import triadtest
from triadtest import http
from triadtest.netns import Lab

LBD = triadtest.build_path("lbd", "lbd")

TOPOLOGY = """\
site: test.example
hosts:
  h1: {{ address: {h1} }}
  h2: {{ address: {h2} }}
webd:
  on: [ {{ host: h2, name: w2, listen: 8080 }} ]
lbd:
  on: [h1]
  listen: 8000
  status: "{h1}:9000"
  workers: 1
  servers: webd
"""


class AdminLocalTest(triadtest.TestCase):

    @classmethod
    def setUpClass(cls):
        triadtest.require_root()
        assert os.access(LBD, os.X_OK), LBD + " is not built"
        cls.lab = Lab(hosts=2).start()
        h1, h2 = cls.lab.hosts
        conf = os.path.join(cls.lab.dir, "triad.yaml")
        with open(conf, "w") as f:
            f.write(TOPOLOGY.format(h1=h1.addr, h2=h2.addr))
        cls.lbd = h1.daemon([LBD, "-f", "-c", conf, "--host", "h1"],
                            health_url="http://%s:9000/health" % h1.addr)
        cls.lbd.start()

    @classmethod
    def tearDownClass(cls):
        cls.lbd.stop()
        cls.lab.close()

    def post(self, host, args):
        h1 = self.lab.hosts[0]
        return http.post("http://%s:9000/admin/server" % h1.addr,
                         body=args.encode(),
                         content_type="application/x-www-form-urlencoded",
                         sock_factory=host.sock_factory)

    def test_same_host_on_its_own_address_is_local(self):
        h1 = self.lab.hosts[0]
        r = self.post(h1, "name=w2&state=drain")
        self.assertEqual(r.status, 200, r.text())
        st = http.get("http://%s:9000/status" % h1.addr,
                      sock_factory=h1.sock_factory).json()
        self.assertEqual(st["servers"][0]["admin"], "drain")
        self.assertEqual(self.post(h1, "name=w2&state=ready").status, 200)

    def test_other_host_is_refused(self):
        h1, h2 = self.lab.hosts
        r = self.post(h2, "name=w2&state=drain")
        self.assertEqual(r.status, 403, r.text())
        self.assertIn("only from this host", r.text())
        st = http.get("http://%s:9000/status" % h1.addr,
                      sock_factory=h2.sock_factory).json()
        self.assertEqual(st["servers"][0]["admin"], "ready")


if __name__ == "__main__":
    triadtest.main()
