"""Site: a whole topology started on the hosts of a netns Lab, the way an
operator would: `triadctl check`, `triadctl render` for each host, then each
instance started with the command line of its rendered systemd unit, the
rendered nftables ruleset applied on each host and, for a VIP, keepalived
started with its rendered configuration.  MariaDB comes from the
MariaDBCluster fixture placed on the topology's primary and replica hosts,
each server started with the MariaDB fragment rendered for its host
(server_id, binary log, GTID, semi-sync, read_only) as its option file.

    lab = Lab(hosts=3, admin=True).start()
    site = Site(lab, "etc/topologies/three-host-active-active.yaml")
    site.prepare()                  # copy, check, render
    site.start_mariadb()
    site.start()                    # dbproxyd, appd, webd, lbd
    site.firewall()
    site.keepalived()               # when lbd has a VIP
    site.status("lb1")              # lbd's /status as a dict

The topology file is copied into a temporary folder with what it names
beside it (www/, mime.types, a self-signed tls/site.pem) and the foobar
module path of the package replaced by the build's.  Stdlib only.
"""

import json
import os
import re
import shutil
import subprocess

from . import cleanup, http, proc
from .mariadb import MariaDBCluster, Server

# What the rendered MariaDB fragment decides; the fixture's own values of
# these are dropped so that the fragment's count.
FRAGMENT_KEYS = ("--server-id=", "--log-bin", "--relay-log",
                 "--binlog-format", "--gtid-strict-mode",
                 "--log-slave-updates", "--read-only")

ORDER = ("dbproxyd", "appd", "webd", "lbd")
PACKAGE_MODULE = "/usr/lib/triad/apps/foobar.so"


def _source_dir():
    from . import source_dir
    return source_dir()


def _build_path(*parts):
    from . import build_path
    return build_path(*parts)


def _fragment_argv(server, cnf):
    """The fixture's mariadbd command line with the rendered fragment as
    its option file (--defaults-file must come first) in place of
    --no-defaults."""
    argv = []
    for a in Server.argv(server):
        if a == "--no-defaults":
            a = "--defaults-file=" + cnf
        elif a.startswith(FRAGMENT_KEYS):
            continue
        argv.append(a)
    return argv


class Instance:
    """One daemon instance of the site: where it runs and how."""

    def __init__(self, site, host, daemon, name, argv, status):
        self.site, self.host, self.daemon, self.name = (site, host, daemon,
                                                        name)
        self.argv = argv
        self.status = status            # "10.231.0.11:9081"
        self.proc = None

    def start(self, timeout=30.0):
        if self.proc is None:
            self.proc = self.host.daemon(
                self.argv, name=self.name,
                health_url="http://%s/health" % self.status)
        self.proc.start(timeout)
        return self

    def stop(self, timeout=15.0):
        if self.proc is not None and self.proc.running():
            self.proc.stop(timeout)

    def kill(self):
        if self.proc is not None:
            self.proc.kill()

    def __repr__(self):
        return "<%s %s on %s>" % (self.daemon, self.name, self.host.name)


class Site:

    def __init__(self, lab, topology, triadctl=None):
        self.lab = lab
        self.source = os.path.abspath(topology)
        self.triadctl = triadctl or _build_path("ctl", "triadctl")
        self.dir = None
        self.conf = None
        self.hosts = {}         # topology host name -> netns Host
        self.instances = []     # in ORDER, then `on` order
        self.db = None
        self.keepalived_procs = []

    # -- preparation ------------------------------------------------------

    def _ctl(self, *args):
        r = subprocess.run([self.triadctl] + list(args), capture_output=True,
                           text=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError("triadctl %s: %s" % (" ".join(args),
                                                   r.stdout + r.stderr))
        return r.stdout

    def _copy(self):
        self.dir = cleanup.tempdir("site")
        with open(self.source) as f:
            text = f.read()
        text = text.replace(PACKAGE_MODULE, _build_path("appd", "foobar.so"))
        self.conf = os.path.join(self.dir, "triad.yaml")
        with open(self.conf, "w") as f:
            f.write(text)
        src = _source_dir()
        os.symlink(os.path.join(src, "www"), os.path.join(self.dir, "www"))
        shutil.copy(os.path.join(src, "etc", "mime.types"), self.dir)
        tls = os.path.join(self.dir, "tls")
        os.mkdir(tls)
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:prime256v1", "-nodes", "-days", "30",
             "-subj", "/CN=www.foobar.com", "-keyout",
             os.path.join(tls, "site.key"), "-out",
             os.path.join(tls, "site.pem")], check=True,
            capture_output=True, timeout=60)

    def prepare(self):
        """Copy, check and render every host; map topology hosts to the
        lab's by address."""
        self._copy()
        self._ctl("check", self.conf)
        rows = self._status_rows()
        by_addr = {h.addr: h for h in self.lab.hosts}
        for name in sorted({r["host"] for r in rows} | self._db_hosts()):
            addr = self._host_addr(name)
            if addr not in by_addr:
                raise RuntimeError("topology host %s (%s) is not a host of "
                                   "the lab" % (name, addr))
            self.hosts[name] = by_addr[addr]
            self._ctl("render", self.conf, name, "--out", self.render_dir(
                name), "--conf", self.conf, "--sbindir", "/usr/sbin")
        for daemon in ORDER:
            for r in rows:
                if r["daemon"] == daemon:
                    self.instances.append(Instance(
                        self, self.hosts[r["host"]], daemon, r["instance"],
                        self._unit_argv(r), r["status"]))
        return self

    def _status_rows(self):
        """Every instance and its status address, from `triadctl status
        --json` (nothing runs yet: every row says down, which is the point:
        only the addresses are wanted)."""
        r = subprocess.run([self.triadctl, "status", self.conf, "--json"],
                           capture_output=True, text=True, timeout=120)
        return json.loads(r.stdout)

    def _yaml_hosts(self):
        with open(self.conf) as f:
            return dict(re.findall(r"(?m)^  (\w+): \{ address: ([0-9.]+) \}",
                                   f.read()))

    def _host_addr(self, name):
        return self._yaml_hosts()[name]

    def _db_hosts(self):
        out = set()
        with open(self.conf) as f:
            text = f.read()
        m = re.search(r"(?m)^  primary: (\w+)$", text)
        if m:
            out.add(m.group(1))
        m = re.search(r"(?m)^  replicas: \[([^\]]*)\]", text)
        if m:
            out |= {x.strip() for x in m.group(1).split(",") if x.strip()}
        return out

    def render_dir(self, host):
        return os.path.join(self.dir, "render", host)

    def _unit_argv(self, row):
        unit = os.path.join(self.render_dir(row["host"]), "systemd",
                            "triad-%s-%s.service" % (row["daemon"],
                                                     row["instance"]))
        with open(unit) as f:
            line = re.search(r"(?m)^ExecStart=(.*)$", f.read()).group(1)
        argv = line.split()
        argv[0] = _build_path(row["daemon"], row["daemon"])
        return argv

    # -- running ------------------------------------------------------------

    def built(self, daemon):
        return os.access(_build_path(daemon, daemon), os.X_OK)

    def start_mariadb(self):
        """The primary and replicas of the topology's mariadb section, on
        their hosts (port 3306), with the app's database."""
        with open(self.conf) as f:
            text = f.read()
        primary = re.search(r"(?m)^  primary: (\w+)$", text).group(1)
        replicas = [x.strip() for x in re.search(
            r"(?m)^  replicas: \[([^\]]*)\]", text).group(1).split(",")]
        self.db = MariaDBCluster(
            replicas=len(replicas),
            placement=[self.hosts[h] for h in [primary] + replicas])
        for server, host in zip(self.db.servers, [primary] + replicas):
            cnf = os.path.join(self.render_dir(host), "mariadb",
                               "60-triad.cnf")
            server.argv = (lambda srv=server, f=cnf: _fragment_argv(srv, f))
        self.db.start()
        self.db.sql(self.db.primary, "CREATE DATABASE IF NOT EXISTS foobar "
                    "CHARACTER SET utf8mb4", admin=True)
        self.db.wait_all_replicated()
        return self.db

    def start(self, daemons=ORDER):
        """Every instance of daemons whose binary is built, in order."""
        for inst in self.instances:
            if inst.daemon in daemons and self.built(inst.daemon):
                inst.start()
        return self

    def instance(self, name):
        for i in self.instances:
            if i.name == name:
                return i
        raise KeyError(name)

    def of(self, daemon):
        return [i for i in self.instances if i.daemon == daemon]

    def status(self, name, timeout=5.0):
        """/status of an instance, asked from its own host."""
        inst = self.instance(name)
        r = http.get("http://%s/status" % inst.status, timeout=timeout,
                     sock_factory=inst.host.sock_factory)
        return r.json()

    def firewall(self):
        """The rendered nftables ruleset on every host."""
        for name, host in self.hosts.items():
            path = os.path.join(self.render_dir(name), "nftables",
                                "triad.nft")
            host.run(["nft", "-f", path])

    def keepalived(self):
        """keepalived on each host with a rendered keepalived.conf (the
        VIP pair). Returns the hosts it runs on."""
        started = []
        for name, host in sorted(self.hosts.items()):
            conf = os.path.join(self.render_dir(name), "keepalived",
                                "keepalived.conf")
            if not os.path.exists(conf):
                continue
            d = os.path.join(self.dir, "keepalived-" + name)
            os.mkdir(d)
            self.keepalived_procs.append(host.spawn(
                ["keepalived", "-n", "-l", "-D", "--vrrp", "-f", conf,
                 "-p", os.path.join(d, "keepalived.pid"),
                 "-r", os.path.join(d, "vrrp.pid"),
                 "-c", os.path.join(d, "checkers.pid")],
                name="keepalived"))
            started.append(host)
        return started

    def vip_holder(self, vip):
        """The lab host that has vip on an interface, or None."""
        for host in self.hosts.values():
            out = host.run(["ip", "-o", "addr"]).stdout
            if " %s/" % vip in out:
                return host
        return None

    def close(self):
        for inst in reversed(self.instances):
            try:
                inst.stop(5.0)
            except Exception:       # noqa: BLE001 - best effort at cleanup
                inst.kill()
        if self.db is not None:
            self.db.close()
            self.db = None

    def wait(self, cond, timeout, what):
        return proc.poll_until(cond, timeout, what, interval=0.1,
                               max_interval=0.5)
