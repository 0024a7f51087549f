# SPDX-License-Identifier: LGPL-2.1-or-later
"""A real, private PostgreSQL server for one test script.

Debian's `postgresql` package (/usr/lib/postgresql/*/bin/initdb and pg_ctl)
makes a cluster in a folder under the test's temporary folder; the server
listens on 127.0.0.1 on a free port and on a unix socket in a private
folder (0700), with fsync off (commits are still written to the kernel
before they are acknowledged, so an immediate stop loses none). It runs as an unprivileged user: as root (CI)
the `postgres` user of the package, else a system user made with
`useradd --system`, else `nobody`; each owns the folder it is given.

Two roles: the cluster's owner (trust on the private socket only, for set-up
through psql) and the test role, which needs its password over TCP
(scram-sha-256). The password is never put in a URL the tool is given: a
pgpass file (mode 0600) is, through PGPASSFILE.

    with PgServer() as pg:
        env = pg.env()                 # WA_PREFLIGHT_DB + PGPASSFILE
        pg.stop()                      # pg_ctl stop -m immediate
        pg.start()                     # same port, same data
        pg.sql("SELECT count(*) FROM pg_tables")

Missing package: PgServer() raises wapftest.Skip with the reason (a test
script whose cases all skip exits 77). Run as a script it starts a server,
prints its URL and waits for Ctrl-C (exit 77 with the reason when the
package is missing).
"""
import atexit
import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import time

from wapftest import BIN, Skip, tmpdir

# libpq reads these: a test never inherits the caller's server, user or
# password, only what the test gives the tool.
for _k in [k for k in os.environ if k.startswith("PG")]:
    del os.environ[_k]

ROLE = "wapf"
DBNAME = "wapf"
ADMIN = "wapf_admin"
RUN_AS_CANDIDATES = ("postgres", "wapf-pgtest", "nobody")


def bindir():
    """The newest /usr/lib/postgresql/N/bin holding initdb and pg_ctl, or
    raise Skip saying what is missing."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(p.split("/")[4]) if
                   p.split("/")[4].isdigit() else 0)
    for initdb in reversed(found):
        d = os.path.dirname(initdb)
        if os.access(os.path.join(d, "pg_ctl"), os.X_OK):
            return d
    raise Skip("PostgreSQL's initdb/pg_ctl not found under "
               "/usr/lib/postgresql/*/bin (Debian package `postgresql`)")


def _psql():
    p = shutil.which("psql")
    if not p:
        raise Skip("psql not found (Debian package `postgresql-client`)")
    return p


def _run_as_user():
    """(uid, gid) the server runs as: the caller when not root; as root an
    unprivileged user (postgres, else a new system user, else nobody)."""
    if os.geteuid() != 0:
        return os.getuid(), os.getgid()
    for name in RUN_AS_CANDIDATES:
        try:
            pw = pwd.getpwnam(name)
            return pw.pw_uid, pw.pw_gid
        except KeyError:
            if name == "wapf-pgtest" and shutil.which("useradd"):
                subprocess.run(["useradd", "--system", "--no-create-home",
                                "--shell", "/usr/sbin/nologin", name],
                               capture_output=True)
                try:
                    pw = pwd.getpwnam(name)
                    return pw.pw_uid, pw.pw_gid
                except KeyError:
                    pass
    raise Skip("running as root and no unprivileged user for PostgreSQL "
               "(postgres, wapf-pgtest, nobody)")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def tool_has_pg():
    """True when the wa-preflight under test links libpq (its PostgreSQL
    store); WAPF_TEST_PG=1 runs the PostgreSQL cases on any build (to see
    them fail on one without the store)."""
    if os.environ.get("WAPF_TEST_PG") == "1":
        return True
    try:
        out = subprocess.run(["ldd", BIN], capture_output=True, text=True,
                             timeout=60).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
    return "libpq.so" in out


def require_tool_pg():
    if not tool_has_pg():
        raise Skip("this wa-preflight has no PostgreSQL store (not linked "
                   "with libpq); WAPF_TEST_PG=1 runs the case anyway")


class PgServer:
    """One private cluster; started on creation, stopped at exit."""

    def __init__(self, start=True):
        self.bin = bindir()
        self.psql = _psql()
        self.uid, self.gid = _run_as_user()
        base = tmpdir()
        os.chmod(base, 0o711)  # the server's user passes through, no more
        self.dir = os.path.join(base, "pg")
        self.data = os.path.join(self.dir, "data")
        self.sock = os.path.join(self.dir, "sock")
        self.log = os.path.join(self.dir, "server.log")
        for d in (self.dir, self.sock):
            os.mkdir(d, 0o700)
            os.chown(d, self.uid, self.gid)
        self.password = "pg-secret-" + secrets.token_hex(12)
        self.port = None
        self.running = False
        self._initdb()
        self.passfile = self.write_passfile(self.password)
        if start:
            self.start()
            self._create_role()
        atexit.register(self._atexit)

    # ------------------------------------------------------------ running

    def _as_server(self, args, timeout=120, check=True):
        p = subprocess.run(args, capture_output=True, text=True,
                           timeout=timeout, cwd=self.dir,
                           user=self.uid, group=self.gid,
                           extra_groups=[] if os.geteuid() == 0 else None,
                           env={"PATH": "/usr/bin:/bin", "LC_ALL": "C",
                                "HOME": self.dir})
        if check and p.returncode != 0:
            raise AssertionError(f"{args[0]} failed ({p.returncode}):\n"
                                 f"{p.stdout}\n{p.stderr}\n{self.server_log()}")
        return p

    def _initdb(self):
        self._as_server([os.path.join(self.bin, "initdb"), "-D", self.data,
                         "-U", ADMIN, "--auth-local=trust",
                         "--auth-host=scram-sha-256", "-E", "UTF8",
                         "--locale=C", "--no-sync"], timeout=300)

    def _configure(self, port):
        conf = os.path.join(self.data, "postgresql.conf")
        with open(conf, "a") as fh:
            fh.write(f"\n# private test server\n"
                     f"listen_addresses = '127.0.0.1'\n"
                     f"port = {port}\n"
                     f"unix_socket_directories = '{self.sock}'\n"
                     # fsync off: a commit still reaches the kernel, which
                     # outlives `pg_ctl stop -m immediate`; synchronous_commit
                     # stays on (off would lose acknowledged commits then)
                     f"fsync = off\nfull_page_writes = off\n"
                     f"max_connections = 200\n"
                     f"shared_buffers = 32MB\n"
                     f"password_encryption = 'scram-sha-256'\n")

    def start(self):
        """Start the server (again): pg_ctl start -w; the first start picks
        a free port (a few tries when another process takes it first)."""
        ctl = os.path.join(self.bin, "pg_ctl")
        tries = 1 if self.port else 5
        for _ in range(tries):
            if not self.port:
                port = free_port()
                self._configure(port)
            p = self._as_server([ctl, "start", "-w", "-t", "120", "-D",
                                 self.data, "-l", self.log], check=False,
                                timeout=180)
            if p.returncode == 0:
                if not self.port:
                    self.port = port
                self.running = True
                return self
            if self.port:
                break
        raise AssertionError(f"pg_ctl start failed:\n{p.stdout}\n{p.stderr}\n"
                             f"{self.server_log()}")

    def stop(self, mode="immediate"):
        """pg_ctl stop -m MODE (immediate: as a crash; the next start
        recovers)."""
        self._as_server([os.path.join(self.bin, "pg_ctl"), "stop", "-w",
                         "-m", mode, "-D", self.data], timeout=180)
        self.running = False

    def restart(self, pause=0.0):
        self.stop()
        if pause:
            time.sleep(pause)
        return self.start()

    def _atexit(self):
        if self.running:
            self._as_server([os.path.join(self.bin, "pg_ctl"), "stop", "-m",
                             "immediate", "-D", self.data], check=False)
            self.running = False

    def close(self):
        self._atexit()

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()

    def server_log(self):
        try:
            with open(self.log) as fh:
                return fh.read()[-4000:]
        except OSError:
            return ""

    # ------------------------------------------------------------- access

    def sql(self, statement, db=DBNAME, user=ADMIN):
        """Run SQL through the private socket as the cluster owner; the
        rows as lists of strings (tab-separated output of psql -At)."""
        p = subprocess.run([self.psql, "-X", "-q", "-At", "-F", "\t",
                            "-v", "ON_ERROR_STOP=1", "-h", self.sock,
                            "-p", str(self.port), "-U", user, "-d", db,
                            "-c", statement],
                           capture_output=True, text=True, timeout=120)
        if p.returncode != 0:
            raise AssertionError(f"psql: {statement}: {p.stderr}")
        return [line.split("\t") for line in p.stdout.splitlines()]

    def _create_role(self):
        pw = self.password.replace("'", "''")
        self.sql(f"CREATE ROLE {ROLE} LOGIN PASSWORD '{pw}'", db="postgres")
        self.create_db(DBNAME)

    def create_db(self, name, read_only=False):
        """A database owned by the test role (read_only: every transaction
        of it defaults to read only, as on a hot standby)."""
        self.sql(f"CREATE DATABASE {name} OWNER {ROLE}", db="postgres")
        if read_only:
            self.sql(f"ALTER DATABASE {name} SET "
                     f"default_transaction_read_only = on", db="postgres")
        return name

    def write_passfile(self, password, name="pgpass"):
        """A pgpass file (0600, the caller's) for the test role."""
        path = os.path.join(os.path.dirname(self.dir), name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(f"127.0.0.1:*:*:{ROLE}:{password}\n")
        return path

    def url(self, db=DBNAME, port=None, password=None):
        """postgresql://wapf@127.0.0.1:PORT/DB (the password only when
        given: the tests pass it through PGPASSFILE)."""
        who = ROLE if password is None else f"{ROLE}:{password}"
        return f"postgresql://{who}@127.0.0.1:{port or self.port}/{db}"

    def env(self, db=DBNAME, passfile=None):
        """The environment that points wa-preflight at this server."""
        return {"WA_PREFLIGHT_DB": self.url(db),
                "PGPASSFILE": passfile or self.passfile}

    def tables(self, db=DBNAME):
        return sorted(r[0] for r in self.sql(
            "SELECT tablename FROM pg_tables WHERE schemaname NOT IN "
            "('pg_catalog', 'information_schema')", db=db))


def main():
    try:
        pg = PgServer()
    except Skip as e:
        print(f"skipped: {e}", file=sys.stderr)
        sys.exit(77)
    print(f"WA_PREFLIGHT_DB={pg.url()} PGPASSFILE={pg.passfile}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pg.close()


if __name__ == "__main__":
    main()
