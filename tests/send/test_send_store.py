# SPDX-License-Identifier: LGPL-2.1-or-later
"""The journal on SQLite: a journal left by an older version (in the cache
folder, without schema_versions, in the shape of 1.0: sends with the
delivery columns, statuses, outbox; or the first shape, without them)
opens with all its rows, is migrated and moved once to
$XDG_STATE_HOME/wa-preflight (also with its WAL still holding rows); two
first runs at once move it once and both see every row. Then the claims
(storecases.py) on SQLite."""
import json
import os
import sqlite3
import subprocess
import time

from sendlib import base_env, expect, journal_db
from storecases import CASES, sqlite_sql
from wapftest import BIN, case, finish, run

# The journal as 1.0 wrote it (lib/send/journal.c and status.c of 1.0).
SHAPE_1 = """
CREATE TABLE sends(
 id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL,
 at REAL NOT NULL, updated REAL NOT NULL, provider TEXT NOT NULL,
 sender TEXT, recipient TEXT NOT NULL, media TEXT, kind TEXT,
 caption TEXT, template TEXT, state TEXT NOT NULL, message_id TEXT,
 detail TEXT, pid INTEGER, pstart INTEGER);
CREATE INDEX sends_key ON sends(key, id);
CREATE INDEX sends_at ON sends(at);
"""
SHAPE_1_0 = SHAPE_1 + """
ALTER TABLE sends ADD COLUMN ref TEXT;
ALTER TABLE sends ADD COLUMN status TEXT;
ALTER TABLE sends ADD COLUMN status_at REAL;
ALTER TABLE sends ADD COLUMN errors TEXT;
ALTER TABLE sends ADD COLUMN path TEXT;
CREATE INDEX sends_ref ON sends(ref);
CREATE INDEX sends_mid ON sends(message_id);
CREATE TABLE statuses(
 id INTEGER PRIMARY KEY AUTOINCREMENT, provider TEXT NOT NULL,
 message_id TEXT NOT NULL, status TEXT NOT NULL, ref TEXT,
 recipient TEXT, ts REAL, errors TEXT, received REAL NOT NULL,
 send_id INTEGER, UNIQUE(provider, message_id, status));
CREATE INDEX statuses_ref ON statuses(ref);
CREATE TABLE outbox(
 id INTEGER PRIMARY KEY AUTOINCREMENT, provider TEXT NOT NULL,
 body BLOB NOT NULL, received REAL NOT NULL, attempts INTEGER NOT NULL
 DEFAULT 0, next_at REAL NOT NULL DEFAULT 0);
"""
COLS = ("key, at, updated, provider, sender, recipient, media, kind, "
        "caption, template, state, message_id, detail, pid, pstart")


def dead_pid():
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def old_journal(env, shape, n=3, keep_open=False):
    """An old journal in the cache folder with n rows: sent, failed,
    pending of a dead run, then sent ones. Returns (rows, connection or
    None)."""
    d = os.path.join(env["XDG_CACHE_HOME"], "wa-preflight")
    os.makedirs(d, exist_ok=True)
    con = sqlite3.connect(os.path.join(d, "send-journal.sqlite"))
    con.execute("PRAGMA journal_mode=WAL")
    con.executescript(shape)
    states = ["sent", "failed", "pending"] + ["sent"] * max(0, n - 3)
    rows = []
    for i, st in enumerate(states[:n]):
        rows.append((f"k{i:064d}"[-64:], 1764835200.25 + i, 1764835201.5 + i,
                     "meta", "106540352242922", f"1555000{i:04d}",
                     "ab" * 32, "image", f"caption {i}", None, st,
                     f"wamid.OLD{i}" if st == "sent" else None,
                     "HTTP 400" if st == "failed" else None,
                     dead_pid(), 1))
    con.executemany(f"INSERT INTO sends({COLS}) VALUES({','.join('?' * 15)})",
                    rows)
    con.commit()
    if keep_open:
        con.execute("PRAGMA wal_autocheckpoint=0")
        return rows, con
    con.close()
    return rows, None


def listing(env):
    p = run("journal", "--json", env=env)
    expect(p, 0)
    assert p.stderr == "", p.stderr
    return [json.loads(x) for x in p.stdout.splitlines()]


def check_moved(env, rows, listed):
    old = os.path.join(env["XDG_CACHE_HOME"], "wa-preflight",
                       "send-journal.sqlite")
    assert not os.path.exists(old), "moved, not copied"
    assert os.path.exists(journal_db(env))
    assert [r["to"] for r in listed] == [r[5] for r in rows]
    assert [r["state"] for r in listed] == \
        [("unknown" if r[10] == "pending" else r[10]) for r in rows]
    assert [r["message_id"] for r in listed] == [r[11] for r in rows]
    con = sqlite3.connect(journal_db(env))
    got = con.execute(f"SELECT {COLS} FROM sends ORDER BY id").fetchall()
    versions = con.execute("SELECT version FROM schema_versions WHERE "
                           "component='journal' ORDER BY version").fetchall()
    cols = [c[1] for c in con.execute("PRAGMA table_info(sends)")]
    con.close()
    assert got == rows, "every row kept, every value unchanged"
    assert versions == [(1,), (2,), (3,)], versions
    assert {"ref", "status", "path", "host", "lease"} <= set(cols), cols


@case
def a_journal_of_1_0_opens_with_its_rows_and_moves_to_the_state_folder():
    for shape in (SHAPE_1_0, SHAPE_1):
        env = base_env()
        rows, _ = old_journal(env, shape)
        check_moved(env, rows, listing(env))
        # the failures listing reads the migrated columns
        p = run("journal", "--json", "--failed", env=env)
        expect(p, 0)
        assert [json.loads(x)["to"] for x in p.stdout.splitlines()] == \
            [rows[1][5]]
        assert listing(env)[0]["to"] == rows[0][5]  # opens again as is


@case
def rows_still_in_the_wal_move_with_it():
    env = base_env()
    rows, con = old_journal(env, SHAPE_1_0, keep_open=True)
    wal = os.path.join(env["XDG_CACHE_HOME"], "wa-preflight",
                       "send-journal.sqlite-wal")
    assert os.path.getsize(wal) > 0, "the rows are in the WAL"
    listed = listing(env)
    con.close()
    check_moved(env, rows, listed)


@case
def two_first_runs_at_once_move_it_once():
    env = base_env()
    rows, _ = old_journal(env, SHAPE_1_0, n=40)
    full = dict(os.environ, **env)
    procs = [subprocess.Popen([BIN, "journal", "--json"], env=full,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(4)]
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0 and err == "", err
        assert len(out.splitlines()) == 40, "every run saw every row"
    check_moved(env, rows, listing(env))


@case
def an_explicit_state_home_is_used():
    env = base_env()
    env["XDG_STATE_HOME"] = os.path.join(env["HOME"], "elsewhere")
    rows, _ = old_journal(env, SHAPE_1_0)
    listing(env)
    assert os.path.exists(os.path.join(env["XDG_STATE_HOME"], "wa-preflight",
                                       "send-journal.sqlite"))


@case
def a_setting_that_is_no_store_is_one_line():
    env = base_env(WA_PREFLIGHT_DB="mysql://x@y/z")
    p = run("journal", env=env)
    assert p.returncode == 2 or p.returncode == 1, p.returncode
    assert "WA_PREFLIGHT_DB" in p.stderr and len(p.stderr.splitlines()) == 1
    expect(run("journal", env=base_env(WA_PREFLIGHT_DB="sqlite")), 0)


@case
def a_config_file_open_to_others_and_the_store():
    """WA_PREFLIGHT_DB in the environment: the store does not read the
    config file (one readable by others does not stop journal or send).
    Without it the file is refused (it holds secrets), in one line that
    names the file and says why."""
    from fakes import FakeCloud
    from sendlib import PHONE_ID, TO, TOKEN, image_jpg
    env = base_env()
    cfg = os.path.join(env["XDG_CONFIG_HOME"], "wa-preflight", "config")
    os.makedirs(os.path.dirname(cfg))
    with open(cfg, "w") as fh:
        fh.write("db = sqlite\n")
    os.chmod(cfg, 0o644)
    with FakeCloud(TOKEN, PHONE_ID) as f:
        args = ["send", "--provider", "meta", "--api-base", f.url, "--to",
                TO, image_jpg()]
        p = run(*args, env=dict(env, WA_PREFLIGHT_DB="sqlite"))
        expect(p, 0)
        assert f.delivered == {TO: 1}
        p = run("journal", "--json", env=dict(env, WA_PREFLIGHT_DB="sqlite"))
        expect(p, 0)
        assert [json.loads(x)["state"] for x in p.stdout.splitlines()] == \
            ["sent"], p.stdout
        for cmd in (["journal"], args):
            p = run(*cmd, env=env)
            assert p.returncode != 0, (cmd, p.stdout)
            lines = p.stderr.splitlines()
            assert len(lines) == 1, p.stderr
            assert cfg in lines[0] and "readable by group or others" in \
                lines[0] and "WA_PREFLIGHT_DB" in lines[0], lines[0]
        assert f.delivered == {TO: 1}, "nothing sent past the refusal"
        assert f.count("POST", f"/v21.0/{PHONE_ID}/media") == 1
    with open(cfg) as fh:
        assert fh.read() == "db = sqlite\n", "the file is left as it was"
    assert os.stat(cfg).st_mode & 0o777 == 0o644


for fn in CASES:
    def on_sqlite(fn=fn):
        fn(sqlite_sql)
    on_sqlite.__name__ = fn.__name__
    case(on_sqlite)

finish()
