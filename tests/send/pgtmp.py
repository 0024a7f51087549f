# SPDX-License-Identifier: LGPL-2.1-or-later
"""A private PostgreSQL server for one test script: Debian's initdb and
pg_ctl, a data folder and socket folder under a temporary folder,
127.0.0.1 on a free port, a role with a password (given to libpq through
a 0600 PGPASSFILE, never in the URL). Run as an unprivileged user when
the test runs as root (the server refuses root). Missing package: the
caller skips with the reason (exit 77)."""
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time

ROLE = "wapf"
PASSWORD = "pg-Secret-7f3Kq9ZrW2"
DB = "wapf"


def bindir():
    """The newest /usr/lib/postgresql/N/bin with initdb, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(p.split("/")[4]) if
                   p.split("/")[4].isdigit() else 0)
    return os.path.dirname(found[-1]) if found else None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """start() / stop() / restart(); url, env (PGPASSFILE)."""

    def __init__(self):
        self.bin = bindir()
        self.dir = tempfile.mkdtemp(prefix="wapf-pg-")
        os.chmod(self.dir, 0o755)
        self.data = os.path.join(self.dir, "data")
        self.sock = os.path.join(self.dir, "sock")
        self.port = free_port()
        self.user = None
        if os.geteuid() == 0:
            self.user = "nobody"
        self.passfile = os.path.join(self.dir, "pgpass")
        with open(self.passfile, "w") as f:
            f.write(f"127.0.0.1:{self.port}:*:{ROLE}:{PASSWORD}\n")
        os.chmod(self.passfile, 0o600)
        self.url = f"postgresql://{ROLE}@127.0.0.1:{self.port}/{DB}"
        self.env = {"PGPASSFILE": self.passfile, "PGPASSWORD": "",
                    "PGCONNECT_TIMEOUT": "5"}

    def _as(self, *cmd, **kw):
        if self.user:
            cmd = ("runuser", "-u", self.user, "--") + cmd
        return subprocess.run(cmd, capture_output=True, text=True,
                              timeout=120, **kw)

    def _check(self, p, what):
        if p.returncode != 0:
            raise RuntimeError(f"{what}: {p.stdout}{p.stderr}")

    def init(self):
        os.makedirs(self.sock)
        if self.user:
            pw = pwd.getpwnam(self.user)
            os.chown(self.sock, pw.pw_uid, pw.pw_gid)
            os.makedirs(self.data)
            os.chown(self.data, pw.pw_uid, pw.pw_gid)
        pwfile = os.path.join(self.dir, "initpw")
        with open(pwfile, "w") as f:
            f.write(PASSWORD + "\n")
        os.chmod(pwfile, 0o644)
        p = self._as(os.path.join(self.bin, "initdb"), "-D", self.data,
                     "-U", ROLE, "--pwfile", pwfile, "-A", "scram-sha-256",
                     "--no-sync", "-E", "UTF8")
        os.unlink(pwfile)
        self._check(p, "initdb")
        self.start()
        p = subprocess.run([os.path.join(self.bin, "createdb"), "-h",
                            "127.0.0.1", "-p", str(self.port), "-U", ROLE,
                            DB], capture_output=True, text=True,
                           env={**os.environ, **self.env}, timeout=60)
        self._check(p, "createdb")
        return self

    def start(self):
        opts = (f"-k {self.sock} -p {self.port} -c listen_addresses=127.0.0.1"
                " -c fsync=off -c max_connections=60")
        p = self._as(os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-o",
                     opts, "-l", os.path.join(self.sock, "log"), "-w",
                     "start")
        self._check(p, "pg_ctl start")

    def stop(self, mode="fast"):
        self._as(os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-m",
                 mode, "-w", "stop")

    def restart(self, pause=0):
        self.stop()
        time.sleep(pause)
        self.start()

    def psql(self, sql):
        p = subprocess.run([os.path.join(self.bin, "psql"), "-X", "-A", "-t",
                            "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p",
                            str(self.port), "-U", ROLE, "-d", DB, "-c", sql],
                           capture_output=True, text=True,
                           env={**os.environ, **self.env}, timeout=60)
        self._check(p, "psql")
        return p.stdout

    def close(self):
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


def start_or_skip():
    """A running server, or (None, reason)."""
    if not bindir():
        return None, "PostgreSQL is not installed (no initdb under " \
                     "/usr/lib/postgresql/*/bin; Debian: postgresql)"
    if os.geteuid() == 0 and not shutil.which("runuser"):
        return None, "running as root without runuser"
    s = Server()
    try:
        return s.init(), None
    except Exception:
        s.close()
        raise
