"""MariaDB fixture: a primary and N replicas with GTID replication.

Why: dbproxyd, appd's demo app and the 3-host test need a real primary and
real replicas that tests can stop, lag, break and restart, started in a
temporary folder on free ports with no system service, fast enough to use
in every test file.

    with MariaDBCluster(replicas=2) as db:
        db.sql(db.primary, "INSERT INTO triadtest.t VALUES (1)")
        db.wait_replicated(0)
        db.sql(db.replicas[0], "SELECT * FROM triadtest.t")   # [('1',)]

How it is fast: mariadb-install-db runs once into a template data folder,
cached in /tmp by mariadbd version and setup script (and guarded by a lock
file); the template already holds the users and the test database, created
with the binary log off, so every server starts with the same data and an
empty GTID state.  Each server gets a copy of the template, all servers
start at once with small buffers, and readiness is read from the server's
greeting on its Unix socket.

Accounts (all servers):
  triad / triadpw           every privilege except READ_ONLY ADMIN, so
                            replicas refuse its writes like an app user's
  triadadmin / triadadminpw every privilege (the fixture's own account)
  repl / replpw             REPLICATION SLAVE
Database: triadtest.  max_allowed_packet is 64M (blobs over 20 MB fit).

Results come from the mariadb CLI (--batch): rows are tuples of str, NULL
is None.  A server error raises MariaDBError with .code (e.g. 1290).
"""

import fcntl
import hashlib
import os
import re
import shutil
import socket
import subprocess
import time
import unittest

from . import cleanup, logs, ports, proc

USER, PASSWORD = "triad", "triadpw"
ADMIN_USER, ADMIN_PASSWORD = "triadadmin", "triadadminpw"
REPL_USER, REPL_PASSWORD = "repl", "replpw"
DATABASE = "triadtest"

SETUP_SQL = """
FLUSH PRIVILEGES;
CREATE DATABASE triadtest CHARACTER SET utf8mb4;
CREATE USER 'triad'@'%' IDENTIFIED BY 'triadpw';
GRANT ALL PRIVILEGES ON *.* TO 'triad'@'%';
REVOKE READ_ONLY ADMIN ON *.* FROM 'triad'@'%';
CREATE USER 'triadadmin'@'%' IDENTIFIED BY 'triadadminpw';
GRANT ALL PRIVILEGES ON *.* TO 'triadadmin'@'%' WITH GRANT OPTION;
CREATE USER 'repl'@'%' IDENTIFIED BY 'replpw';
GRANT REPLICATION SLAVE ON *.* TO 'repl'@'%';
"""

SMALL = ["--innodb-buffer-pool-size=16M", "--innodb-log-file-size=4M"]

SERVER_ARGS = SMALL + [
    "--innodb-flush-log-at-trx-commit=2", "--sync-binlog=0",
    "--innodb-doublewrite=0", "--skip-name-resolve",
    "--performance-schema=OFF", "--skip-external-locking",
    "--loose-feedback=OFF", "--character-set-server=utf8mb4",
    "--collation-server=utf8mb4_general_ci", "--max-allowed-packet=64M",
    "--max-connections=500",
    "--log-bin=mysql-bin", "--relay-log=relay-bin", "--binlog-format=ROW",
    "--gtid-strict-mode=1", "--log-slave-updates=1",
]


class MariaDBMissing(unittest.SkipTest):
    """mariadbd or its tools are not installed (tests skip)."""


class MariaDBError(RuntimeError):
    """The server (or the CLI) reported an error.  code is the MariaDB
    error number (0 if unknown), sqlstate the SQLSTATE, message the text."""

    def __init__(self, text, code=0, sqlstate=""):
        super().__init__(text)
        self.code = code
        self.sqlstate = sqlstate
        self.message = text


def _program(name):
    for p in (shutil.which(name), "/usr/sbin/" + name, "/usr/bin/" + name):
        if p and os.access(p, os.X_OK):
            return p
    raise MariaDBMissing("%s not found (install mariadb-server and "
                         "mariadb-client)" % name)


# -- the CLI client --------------------------------------------------------

_ESC = {"0": "\0", "n": "\n", "t": "\t", "b": "\b", "\\": "\\"}


def _unescape(field):
    if field == "NULL":
        return None
    return re.sub(r"\\(.)", lambda m: _ESC.get(m.group(1), m.group(1)), field)


def _parse_error(stderr):
    m = re.search(r"ERROR (\d+) \(([0-9A-Z]+)\)(?: at line \d+)?: (.*)",
                  stderr)
    if m:
        return MariaDBError(m.group(3), int(m.group(1)), m.group(2))
    return MariaDBError(stderr.strip() or "mariadb client failed")


def client_sql(query, host="127.0.0.1", port=3306, unix=None, user=USER,
               password=PASSWORD, database=None, timeout=30.0,
               column_names=False, netns=None):
    """Run query (one or more statements) with the mariadb CLI.

    Connects to unix (a socket path) or host:port (TCP; e.g. through
    dbproxyd), optionally from inside netns (a netns.Host).  Returns the
    rows of the last result as tuples of str (None for NULL); with
    column_names=True the first tuple holds the names.  Raises MariaDBError
    on an SQL or connection error, TimeoutError after timeout seconds.
    """
    argv = [_program("mariadb"), "--no-defaults", "--batch",
            "--default-character-set=utf8mb4",
            "--user=" + user]
    if unix:
        argv += ["--protocol=socket", "--socket=" + unix]
    else:
        argv += ["--protocol=tcp", "--host=" + host, "--port=%d" % port]
    if not column_names:
        argv.append("--skip-column-names")
    argv += ["-e", query]
    if database:
        argv.append(database)
    if netns is not None:
        argv = netns.exec_prefix() + argv
    env = proc.merged_env({"MYSQL_PWD": password})
    try:
        r = subprocess.run(argv, capture_output=True, env=env,
                           timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise TimeoutError("mariadb client: %.0fs timeout on %r"
                           % (timeout, query[:200])) from None
    if r.returncode != 0:
        raise _parse_error(r.stderr.decode("utf-8", "replace"))
    lines = r.stdout.decode("utf-8", "replace").split("\n")
    if lines[-1] == "":
        lines.pop()               # the final newline, not an empty row
    return [tuple(_unescape(f) for f in line.split("\t")) for line in lines]


def client_dicts(query, **kw):
    """Like client_sql but returns a list of dicts keyed by column name."""
    rows = client_sql(query, column_names=True, **kw)
    if not rows:
        return []
    names = rows[0]
    return [dict(zip(names, r)) for r in rows[1:]]


def greeting_ok(unix=None, host=None, port=None, timeout=1.0):
    """True when the server sends a protocol-10 handshake (it serves).

    Why raw: spawning the CLI in a tight poll loop costs more than the
    server's own start.  An ERR greeting (0xff, e.g. too many connections)
    counts as not ready.
    """
    fam = socket.AF_UNIX if unix else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(unix if unix else (host, port))
        hdr = s.recv(5)
        return len(hdr) == 5 and hdr[4] == 10
    except OSError:
        return False
    finally:
        s.close()


# -- template data folder -----------------------------------------------------

def _version():
    r = subprocess.run([_program("mariadbd"), "--version"],
                       capture_output=True, timeout=30)
    return r.stdout.decode().strip()


def template_dir():
    """Path of the cached template data folder, built once under a lock.

    Keyed by the mariadbd version and the setup script, so an upgrade or a
    change of accounts builds a fresh one.  TRIAD_MARIADB_CACHE overrides
    the cache folder (default /tmp/triad-mariadb-template-<uid>).
    """
    key = hashlib.sha1((_version() + SETUP_SQL + " ".join(SMALL)).encode())
    base = os.environ.get("TRIAD_MARIADB_CACHE") or \
        "/tmp/triad-mariadb-template-%d" % os.getuid()
    os.makedirs(base, exist_ok=True)
    path = os.path.join(base, key.hexdigest()[:16])
    if os.path.isdir(path):
        return path
    with open(os.path.join(base, "lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.isdir(path):
            _build_template(path)
    return path


def _build_template(path):
    work = "%s.tmp-%d" % (path, os.getpid())
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    data = os.path.join(work, "data")
    log = os.path.join(work, "install.log")
    user = ["--user=root"] if os.geteuid() == 0 else []
    try:
        _run_logged([_program("mariadb-install-db"), "--no-defaults",
                     "--datadir=" + data, "--skip-test-db",
                     "--auth-root-authentication-method=socket"] + user +
                    SMALL, log, None)
        _run_logged([_program("mariadbd"), "--no-defaults", "--bootstrap",
                     "--datadir=" + data, "--log-error=" + log] + user +
                    SMALL, log, SETUP_SQL)
        for junk in ("ibtmp1", "ib_buffer_pool", "mysql_upgrade_info"):
            if os.path.exists(os.path.join(data, junk)):
                os.unlink(os.path.join(data, junk))
        os.rename(data, path)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run_logged(argv, log, stdin_text):
    with open(log, "ab") as f:
        r = subprocess.run(argv, stdout=f, stderr=subprocess.STDOUT,
                           input=stdin_text.encode() if stdin_text else None,
                           stdin=None if stdin_text else subprocess.DEVNULL,
                           timeout=120)
    if r.returncode != 0:
        raise RuntimeError("%s failed (%d):\n%s" % (argv[0], r.returncode,
                                                    proc.tail(log, 40)))


# -- one server ---------------------------------------------------------------

class Server:
    """One mariadbd: name, role ("primary"/"replica"), server_id, host,
    port, socket, datadir, log_path.  sql() runs a query on it as `triad`
    (admin=True: as triadadmin)."""

    def __init__(self, root, index, role, host, port, netns=None,
                 extra_args=()):
        self.index = index
        self.role = role
        self.name = "mariadb-%s%s" % (role, "" if role == "primary"
                                      else index)
        self.server_id = 100 + index
        self.host = host
        self.port = port
        self.netns = netns
        self.dir = os.path.join(root, "s%d" % index)
        self.datadir = os.path.join(self.dir, "data")
        self.socket = os.path.join(self.dir, "mysqld.sock")
        self.log_path = os.path.join(self.dir, "error.log")
        self.extra_args = list(extra_args)
        self.popen = None
        self.stopped_at = None
        logs.add_source(self)

    def argv(self):
        a = [_program("mariadbd"), "--no-defaults",
             "--datadir=" + self.datadir, "--socket=" + self.socket,
             "--port=%d" % self.port, "--bind-address=" + self.host,
             "--pid-file=" + os.path.join(self.dir, "mysqld.pid"),
             "--log-error=" + self.log_path,
             "--tmpdir=" + os.path.join(self.dir, "tmp"),
             "--server-id=%d" % self.server_id] + SERVER_ARGS
        if self.role == "replica":
            a.append("--read-only=1")
        if os.geteuid() == 0:
            a.append("--user=root")
        a = a + self.extra_args
        return self.netns.exec_prefix() + a if self.netns else a

    def spawn(self):
        """Start mariadbd (not waiting); see ready()."""
        os.makedirs(os.path.join(self.dir, "tmp"), exist_ok=True)
        self.stopped_at = None
        self.popen = proc.spawn(self.argv(), os.path.join(self.dir,
                                                          "stdout.log"))

    def running(self):
        return self.popen is not None and self.popen.poll() is None

    def ready(self):
        """True once it serves; raises RuntimeError if it exited."""
        if not self.running():
            raise RuntimeError("%s exited (status %s):\n%s" % (
                self.name, self.popen.poll() if self.popen else None,
                proc.tail(self.log_path, 30)))
        return greeting_ok(unix=self.socket)

    def stop(self, timeout=30.0):
        """Clean shutdown (SIGTERM), SIGKILL after timeout; data kept."""
        if self.popen is not None:
            proc.stop(self.popen, timeout)
            self.stopped_at = time.monotonic()

    def kill(self):
        """SIGKILL (a crash); InnoDB recovers at the next start."""
        if self.popen is not None:
            proc.kill(self.popen)
            self.stopped_at = time.monotonic()

    def sql(self, query, admin=False, **kw):
        """Run query over the Unix socket; see client_sql()."""
        if admin:
            kw.setdefault("user", ADMIN_USER)
            kw.setdefault("password", ADMIN_PASSWORD)
        return client_sql(query, unix=self.socket, **kw)

    def dicts(self, query, admin=False, **kw):
        """Run query; rows as dicts (see client_dicts())."""
        if admin:
            kw.setdefault("user", ADMIN_USER)
            kw.setdefault("password", ADMIN_PASSWORD)
        return client_dicts(query, unix=self.socket, **kw)

    def value(self, query, **kw):
        """The first column of the first row (None if no row)."""
        rows = self.sql(query, **kw)
        return rows[0][0] if rows else None

    def __repr__(self):
        return "<%s id=%d %s:%d>" % (self.name, self.server_id, self.host,
                                     self.port)


# -- the cluster --------------------------------------------------------------

class MariaDBCluster:
    """A primary (servers[0]) and `replicas` replicas replicating from it.

    placement: optional list of netns.Host, one per server (primary first);
    each server then runs in that host's namespace on its address, port
    3306.  Without it, all run on 127.0.0.1 on free ports.
    extra_args: more mariadbd options for every server.
    start() returns self; startup_seconds says how long it took.
    """

    def __init__(self, replicas=2, placement=None, extra_args=()):
        self.root = cleanup.tempdir("mariadb")
        n = replicas + 1
        if placement is not None and len(placement) != n:
            raise ValueError("placement needs %d hosts" % n)
        free = ports.free_ports(n) if placement is None else [3306] * n
        self.servers = []
        for i in range(n):
            host = placement[i] if placement else None
            self.servers.append(Server(
                self.root, i, "primary" if i == 0 else "replica",
                host.addr if host else "127.0.0.1", free[i], host,
                extra_args))
        self.primary = self.servers[0]
        self.replicas = self.servers[1:]
        self.startup_seconds = None
        self._cleanup = cleanup.register(self.close, "MariaDB " + self.root)

    def start(self, timeout=60.0):
        """Copy the template, start every server at once, set up
        replication and wait until every replica's IO and SQL threads run."""
        t0 = time.monotonic()
        tmpl = template_dir()
        for s in self.servers:
            os.makedirs(s.dir)
            shutil.copytree(tmpl, s.datadir, symlinks=True)
            s.spawn()
        deadline = t0 + timeout
        for s in self.servers:
            proc.poll_until(s.ready, max(1.0, deadline - time.monotonic()),
                            s.name + " to accept connections")
        for s in self.replicas:
            self._change_master(s)
        for s in self.replicas:
            self._wait_threads(s, max(1.0, deadline - time.monotonic()))
        self.startup_seconds = time.monotonic() - t0
        return self

    def _change_master(self, s, delay=0):
        s.sql("CHANGE MASTER TO MASTER_HOST='%s', MASTER_PORT=%d, "
              "MASTER_USER='%s', MASTER_PASSWORD='%s', "
              "MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1, "
              "MASTER_DELAY=%d; START SLAVE"
              % (self.primary.host, self.primary.port, REPL_USER,
                 REPL_PASSWORD, delay), admin=True)

    def _wait_threads(self, s, timeout):
        last = {}

        def running():
            st = s.dicts("SHOW SLAVE STATUS", admin=True)
            last["st"] = st[0] if st else {}
            return st and st[0]["Slave_IO_Running"] == "Yes" and \
                st[0]["Slave_SQL_Running"] == "Yes"
        try:
            proc.poll_until(running, timeout, s.name + " replication")
        except TimeoutError as e:
            st = last.get("st", {})
            raise TimeoutError("%s: IO=%s SQL=%s io_error=%r sql_error=%r" % (
                e, st.get("Slave_IO_Running"), st.get("Slave_SQL_Running"),
                st.get("Last_IO_Error"), st.get("Last_SQL_Error"))) from None

    # -- queries -----------------------------------------------------------

    def sql(self, server, query, **kw):
        """Run query on server (a Server, e.g. db.primary, db.replicas[1])."""
        return server.sql(query, **kw)

    def replica_status(self, i):
        """SHOW SLAVE STATUS of replica i as a dict ({} if not a replica)."""
        st = self.replicas[i].dicts("SHOW SLAVE STATUS", admin=True)
        return st[0] if st else {}

    def wait_replicated(self, i, timeout=30.0):
        """Wait until replica i applied everything the primary has logged.

        Uses MASTER_GTID_WAIT on the primary's @@gtid_binlog_pos, so the
        wait is bounded by the server.  Raises TimeoutError.
        """
        pos = self.primary.value("SELECT @@gtid_binlog_pos")
        if not pos:
            return
        r = self.replicas[i].value("SELECT MASTER_GTID_WAIT('%s', %f)"
                                   % (pos, timeout), timeout=timeout + 30)
        if r != "0":
            raise TimeoutError("%s did not reach %s in %.1fs (got %s)"
                               % (self.replicas[i].name, pos, timeout, r))

    def wait_all_replicated(self, timeout=30.0):
        for i in range(len(self.replicas)):
            self.wait_replicated(i, timeout)

    # -- faults ------------------------------------------------------------

    def stop_replica(self, i, timeout=30.0):
        """Shut replica i's mariadbd down cleanly; its data is kept."""
        self.replicas[i].stop(timeout)

    def start_replica(self, i, timeout=30.0):
        """Start replica i again; wait until it serves and replicates."""
        self._restart(self.replicas[i], timeout)
        self._wait_threads(self.replicas[i], timeout)

    def kill_primary(self):
        """SIGKILL the primary (a crash).  start_primary() brings it back."""
        self.primary.kill()

    def start_primary(self, timeout=30.0):
        """Start the primary again (InnoDB crash recovery if it was killed)."""
        self._restart(self.primary, timeout)

    def _restart(self, s, timeout):
        if s.running():
            return
        s.spawn()
        proc.poll_until(s.ready, timeout, s.name + " to accept connections")

    def stop_sql_thread(self, i):
        """STOP SLAVE SQL_THREAD on replica i: events arrive, none apply."""
        self.replicas[i].sql("STOP SLAVE SQL_THREAD", admin=True)

    def start_sql_thread(self, i):
        self.replicas[i].sql("START SLAVE SQL_THREAD", admin=True)

    def lag_replica(self, i, seconds):
        """Make replica i apply each event `seconds` after the primary
        wrote it (MASTER_DELAY); 0 removes the lag."""
        s = self.replicas[i]
        s.sql("STOP SLAVE", admin=True)
        s.sql("CHANGE MASTER TO MASTER_DELAY=%d; START SLAVE" % int(seconds),
              admin=True)
        self._wait_threads(s, 30.0)

    def unlag_replica(self, i):
        self.lag_replica(i, 0)

    # -- teardown ----------------------------------------------------------

    def close(self):
        """Kill every server and remove the folder (idempotent)."""
        for s in self.servers:
            s.kill()
            s.final_log = proc.tail(s.log_path, logs.default_lines())
        cleanup.unregister(self._cleanup)
        cleanup.remove_tempdir(self.root)

    def __enter__(self):
        if self.startup_seconds is None:
            try:
                self.start()
            except BaseException:
                logs.dump_logs(sources=self.servers)
                self.close()
                raise
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            logs.dump_logs(sources=self.servers)
        self.close()
        return False
