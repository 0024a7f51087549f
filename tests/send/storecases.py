# SPDX-License-Identifier: LGPL-2.1-or-later
"""Claims in the journal, the same on both stores (test_send_store.py on
SQLite, test_send_store_pg.py on PostgreSQL): a pending row of another
host is "being sent right now by another run" until its lease ends, then
"unknown"; neither is ever sent again without --resend; send --to-file
counts such a recipient as left to other runs; WA_PREFLIGHT_LEASE_S sets
the lease a claim gets. sql(env, statement) runs SQL on env's journal."""
import json
import os
import sqlite3
import subprocess
import time

from sendlib import (PHONE_ID, TO, TOKEN, base_env, expect, image_jpg,
                     journal_db, send)
from fakes import FakeCloud
from wapftest import BIN, run, tmpdir

MSGS = f"/v21.0/{PHONE_ID}/messages"
OTHER = "15557654321"


def sqlite_sql(env, statement):
    con = sqlite3.connect(journal_db(env))
    try:
        rows = con.execute(statement).fetchall()
        con.commit()
        return rows
    finally:
        con.close()


def pg_sql(env, statement):
    p = subprocess.run(["psql", "-X", "-A", "-t", "-q", "-v",
                        "ON_ERROR_STOP=1", env["WA_PREFLIGHT_DB"], "-c",
                        statement], capture_output=True, text=True,
                       timeout=60, env={**os.environ, **env})
    assert p.returncode == 0, p.stderr
    return [tuple(line.split("|")) for line in p.stdout.splitlines()
            if line]


def states(env):
    p = run("journal", "--json", env=env)
    expect(p, 0)
    return [(r["to"], r["state"]) for r in
            map(json.loads, p.stdout.splitlines())]


def meta(f, *args, env):
    return send("--provider", "meta", "--api-base", f.url, *args, env=env)


def claim_of_another_host_waits_for_its_lease(sql):
    env = base_env()
    with FakeCloud(TOKEN, PHONE_ID) as f:
        expect(meta(f, "--to", TO, image_jpg(), env=env), 0)
        now = time.time()
        # the row becomes a claim of a run on another host, still leased
        sql(env, "UPDATE sends SET state='pending', message_id=NULL, "
                 "host='elsewhere/0d3c', pid=1, pstart=1, "
                 f"lease={now + 600}")
        p = meta(f, "--to", TO, image_jpg(), env=env)
        assert p.returncode != 0, p.stdout
        assert "being sent right now by another run (pid 1 on elsewhere)" \
            in p.stderr, p.stderr
        assert states(env) == [(TO, "pending")]
        # --to-file: that recipient is left to the other run, OTHER sent
        lst = os.path.join(tmpdir(), "to.txt")
        with open(lst, "w") as fh:
            fh.write(f"{TO}\n{OTHER}\n")
        p = meta(f, "--to-file", lst, image_jpg(), env=env)
        expect(p, 0)
        assert "sent 1 of 2 (0 already sent, 1 left to other runs," \
            in p.stdout, p.stdout
        assert f.count("POST", MSGS) == 2  # the first send and OTHER
        # --json tells the two skips apart: held by another run, or sent
        p = meta(f, "--to-file", lst, "--json", image_jpg(), env=env)
        expect(p, 0)
        words = {r["to"]: r["status"] for r in map(json.loads,
                                                   p.stdout.splitlines())}
        assert words == {TO: "claimed-elsewhere", OTHER: "already-sent"}, \
            p.stdout
        assert f.count("POST", MSGS) == 2
        # the lease has ended: the outcome is unknown, never sent blindly
        sql(env, f"UPDATE sends SET lease={now - 1} WHERE state='pending'")
        assert (TO, "unknown") in states(env)
        p = meta(f, "--to", TO, image_jpg(), env=env)
        assert p.returncode != 0
        assert "ended in an unknown state" in p.stderr, p.stderr
        assert f.count("POST", MSGS) == 2
        expect(meta(f, "--to", TO, "--resend", image_jpg(), env=env), 0)
        assert f.count("POST", MSGS) == 3


def claim_of_this_host_dead_process_is_unknown_at_once(sql):
    env = base_env()
    with FakeCloud(TOKEN, PHONE_ID) as f:
        expect(meta(f, "--to", TO, image_jpg(), env=env), 0)
        dead = subprocess.Popen(["true"])
        dead.wait()
        host = sql(env, "SELECT host FROM sends")[0][0]
        assert host and "/" in host, host  # hostname/boot id
        sql(env, "UPDATE sends SET state='pending', message_id=NULL, "
                 f"pid={dead.pid}, lease={time.time() + 600}")
        assert states(env) == [(TO, "unknown")]
        p = meta(f, "--to", TO, image_jpg(), env=env)
        assert "ended in an unknown state" in p.stderr, p.stderr
        assert f.count("POST", MSGS) == 1


def lease_comes_from_the_environment(sql):
    for lease, lo, hi in (("30", 29, 40), (None, 599, 610)):
        extra = {"WA_PREFLIGHT_LEASE_S": lease} if lease else {}
        env = base_env(**extra)
        with FakeCloud(TOKEN, PHONE_ID) as f:
            expect(meta(f, "--to", TO, image_jpg(), env=env), 0)
        (at, end), = sql(env, "SELECT at, lease FROM sends")
        assert lo <= float(end) - float(at) <= hi, (lease, at, end)


def three_runs_over_one_list_each_recipient_once_one_upload(sql):
    import re
    env = base_env()
    nums = [f"1577{n:07d}" for n in range(200)]
    lst = os.path.join(tmpdir(), "to.txt")
    with open(lst, "w") as fh:
        fh.write("\n".join(nums) + "\n")
    with FakeCloud(TOKEN, PHONE_ID) as f:
        procs = [subprocess.Popen(
            [BIN, "send", "--provider", "meta", "--api-base", f.url,
             "--to-file", lst, "--rate", "200", image_jpg()],
            env=dict(os.environ, **env), stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True) for _ in range(3)]
        outs = [p.communicate(timeout=600) for p in procs]
        sent = 0
        for p, (out, err) in zip(procs, outs):
            assert p.returncode == 0, (p.returncode, err)
            m = re.search(r"sent (\d+) of 200 \((\d+) already sent, (\d+) "
                          r"left to other runs, 0 failed", out)
            assert m, out[-400:]
            assert sum(map(int, m.groups())) == 200, m.group(0)
            sent += int(m.group(1))
        assert sent == 200
        assert f.delivered == {n: 1 for n in nums}, "each exactly once"
        assert f.count("POST", f"/v21.0/{PHONE_ID}/media") == 1, \
            "uploaded once for the three"
    assert sorted(states(env)) == sorted((n, "sent") for n in nums)


CASES = [three_runs_over_one_list_each_recipient_once_one_upload,
         claim_of_another_host_waits_for_its_lease,
         claim_of_this_host_dead_process_is_unknown_at_once,
         lease_comes_from_the_environment]
