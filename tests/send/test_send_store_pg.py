# SPDX-License-Identifier: LGPL-2.1-or-later
"""The store on a real PostgreSQL server (Debian's package, started by
tests/pylib/pgserver.py in a private folder as an unprivileged user;
skipped with the reason when it is missing):
the store layer's unit cases; send, journal, the webhook intake (serve)
and send --to-file through WA_PREFLIGHT_DB (the send suite's own scripts,
each case on a fresh database); the claims (storecases.py); the
password, from the URL or the PGPASSFILE, never in any output; a
read-only database is one clear line and nothing is sent; the server
restarted in the middle of a campaign: every recipient delivered at most
once, each sent or unknown, the run goes on after it."""
import json
import os
import subprocess
import sys
import time

from pgserver import PgServer
from sendlib import (PHONE_ID, TOKEN, base_env, expect, image_jpg, send)
from storecases import CASES, pg_sql
from fakes import FakeCloud
from wapftest import BIN, BUILD, Skip, case, finish, run, tmpdir

HERE = os.path.dirname(os.path.abspath(__file__))
MSGS = f"/v21.0/{PHONE_ID}/messages"

try:
    server = PgServer()
except Skip as e:
    print(f"SKIP: {e}")
    sys.exit(77)
# the test role makes a fresh database for each case of the send scripts
# (sendlib.fresh_database), through the pgpass file of its password
server.sql("ALTER ROLE wapf CREATEDB", db="postgres")
os.environ["PGPASSFILE"] = server.passfile
os.environ["WAPF_TEST_PG_ADMIN"] = server.url()
PASSWORD = server.password


def count_test_databases():
    return int(server.sql("SELECT count(*) FROM pg_database WHERE "
                          "datname LIKE 'wapf_t%'", db="postgres")[0][0])


def no_password(text):
    assert PASSWORD not in text and PASSWORD[:8] not in text, \
        "the database password leaked"


@case
def the_store_layer_on_postgresql():
    exe = os.path.join(BUILD, "tests", "send", "test_store")
    p = subprocess.run([exe], capture_output=True, text=True, timeout=300,
                       env=dict(os.environ, WAPF_TEST_PG_URL=server.url()))
    assert p.returncode == 0, p.stderr
    assert "-- PostgreSQL\nok   values_round_trip" in p.stderr, p.stderr
    assert "0 failed" in p.stderr


@case
def the_send_suite_runs_on_postgresql():
    before = count_test_databases()
    for name in ("once", "many", "webhooks"):
        p = subprocess.run([sys.executable,
                            os.path.join(HERE, f"test_send_{name}.py")],
                           capture_output=True, text=True, timeout=900,
                           env=dict(os.environ))
        assert p.returncode == 0, f"{name}:\n{p.stdout}\n{p.stderr}"
        assert " 0 failed" in p.stdout, p.stdout
        no_password(p.stdout + p.stderr)
    after = count_test_databases()
    assert after - before >= 10, "each case had a database of its own"


for fn in CASES:
    def on_pg(fn=fn):
        fn(pg_sql)
    on_pg.__name__ = fn.__name__ + "_on_postgresql"
    case(on_pg)


@case
def the_password_never_shows():
    env = base_env()
    url = env["WA_PREFLIGHT_DB"].replace("wapf@", f"wapf:{PASSWORD}@")
    env.update(WA_PREFLIGHT_DB=url, PGPASSFILE="/nonexistent")
    with FakeCloud(TOKEN, PHONE_ID) as f:
        p = send("--provider", "meta", "--api-base", f.url, "--to",
                 "15550001111", image_jpg(), env=env)
        expect(p, 0)
        no_password(p.stdout + p.stderr)
    p = run("journal", "-v", env=env)
    expect(p, 0)
    no_password(p.stdout + p.stderr)
    # a wrong password: one line naming the host and database only
    bad = url.replace(PASSWORD, PASSWORD[::-1])
    p = run("journal", env=dict(env, WA_PREFLIGHT_DB=bad))
    assert p.returncode != 0 and len(p.stderr.splitlines()) == 1, p.stderr
    assert "password authentication failed" in p.stderr, p.stderr
    no_password(p.stderr)
    assert PASSWORD[::-1][:8] not in p.stderr
    # a server that is not there: one line, no wait for a first connection
    dead = url.replace(f":{server.port}/", ":1/")
    p = run("journal", env=dict(env, WA_PREFLIGHT_DB=dead), timeout=60)
    assert p.returncode != 0 and len(p.stderr.splitlines()) == 1, p.stderr
    assert "127.0.0.1:1/" in p.stderr, p.stderr
    no_password(p.stderr)


@case
def a_read_only_database_is_one_clear_line_and_nothing_is_sent():
    env = base_env()
    name = env["WA_PREFLIGHT_DB"].rsplit("/", 1)[1]
    with FakeCloud(TOKEN, PHONE_ID) as f:
        expect(send("--provider", "meta", "--api-base", f.url, "--to",
                    "15550001111", image_jpg(), env=env), 0)
        server.sql(f"ALTER DATABASE {name} SET "
                   "default_transaction_read_only = on", db="postgres")
        p = send("--provider", "meta", "--api-base", f.url, "--to",
                 "15550002222", image_jpg(), env=env)
        assert p.returncode == 1, (p.returncode, p.stderr)
        last = p.stderr.strip().splitlines()[-1]
        assert "read-only" in last and "WA_PREFLIGHT_DB" in last, last
        assert f.count("POST", MSGS) == 1, "nothing sent without a claim"
        p = run("journal", "--json", env=env)  # reading still works
        expect(p, 0)
        assert len(p.stdout.splitlines()) == 1


@case
def an_outcome_recorded_is_reported_even_if_early_statuses_cannot_merge():
    """After the outcome is written, the status events that came before the
    answer are merged; when that merge fails (here: no right to read them),
    the run still says "sent", as the journal does, with a warning."""
    env = base_env()
    name = env["WA_PREFLIGHT_DB"].rsplit("/", 1)[1]
    with FakeCloud(TOKEN, PHONE_ID) as f:
        expect(send("--provider", "meta", "--api-base", f.url, "--to",
                    "15550001111", image_jpg(), env=env), 0)
        server.sql("REVOKE SELECT ON statuses FROM wapf", db=name)
        p = send("--provider", "meta", "--api-base", f.url, "--to",
                 "15550002222", image_jpg(), env=env)
        assert p.returncode == 0, (p.returncode, p.stderr)
        assert "status events that came before it are not merged" in \
            p.stderr, p.stderr
        assert f.count("POST", MSGS) == 2
        server.sql("GRANT SELECT ON statuses TO wapf", db=name)
        p = run("journal", "--json", env=env)
        expect(p, 0)
        states = {r["to"]: r["state"] for r in map(json.loads, p.stdout.splitlines())}
        assert states == {"15550001111": "sent", "15550002222": "sent"}, states


def start_campaign(fake, env, prefix, n, started):
    """`send --to-file` to n numbers (prefix + 7 digits) at 10 a second,
    running, once `started` messages have reached the fake: (nums, proc)."""
    nums = [f"{prefix}{i:07d}" for i in range(n)]
    lst = os.path.join(tmpdir(), "to.txt")
    with open(lst, "w") as fh:
        fh.write("\n".join(nums) + "\n")
    proc = subprocess.Popen(
        [BIN, "send", "--provider", "meta", "--api-base", fake.url,
         "--to-file", lst, "--rate", "10", "--json", image_jpg()],
        env=dict(os.environ, **env), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while fake.count("POST", MSGS) < started and time.time() < deadline:
        time.sleep(0.05)
    assert fake.count("POST", MSGS) >= started, "the campaign started"
    return nums, proc


@case
def the_server_restarted_mid_campaign():
    env = base_env(WA_PREFLIGHT_DB_WAIT_S="120")
    with FakeCloud(TOKEN, PHONE_ID) as f:
        nums, proc = start_campaign(f, env, "1555", 60, 10)
        server.restart(pause=2)
        out, err = proc.communicate(timeout=600)
        assert proc.returncode in (0, 4), (proc.returncode, err)
        no_password(out + err)
        delivered = [m["to"] for m in f.sent if "to" in m]
        assert len(delivered) == len(set(delivered)), "at most once"
        outcome = {}
        for line in out.splitlines():
            r = json.loads(line)
            outcome[r["to"]] = r["status"]
        assert sorted(outcome) == sorted(nums), "every recipient has one"
        for to, st in outcome.items():
            assert st in ("sent", "unknown"), (to, st, err)
            if st == "sent":
                assert to in delivered
        assert set(delivered) <= set(nums)
        assert sum(st == "sent" for st in outcome.values()) >= 50
    rows = run("journal", "--json", env=env)
    expect(rows, 0)
    states = {}
    for r in map(json.loads, rows.stdout.splitlines()):
        states.setdefault(r["to"], []).append(r["state"])
    assert all(len(v) == 1 for v in states.values()), "one claim each"
    for to, st in outcome.items():
        assert states[to][0] == st, (to, states[to], st)


@case
def a_server_gone_for_good_ends_the_run():
    env = base_env(WA_PREFLIGHT_DB_WAIT_S="3")
    with FakeCloud(TOKEN, PHONE_ID) as f:
        nums, proc = start_campaign(f, env, "1556", 30, 5)
        server.stop()
        try:
            # a wait of 3 s once, then one try per message: it ends
            out, err = proc.communicate(timeout=600)
        finally:
            server.start()
        assert proc.returncode in (1, 4), (proc.returncode, err)
        no_password(out + err)
        delivered = [m["to"] for m in f.sent if "to" in m]
        assert len(delivered) == len(set(delivered)), "at most once"
        outcome = {json.loads(x)["to"]: json.loads(x)["status"]
                   for x in out.splitlines()}
        assert sorted(outcome) == sorted(nums)
        for to, st in outcome.items():
            assert st in ("sent", "unknown", "refused"), (to, st)
            if st == "refused":  # not claimed: never sent
                assert to not in delivered, to
        assert "did not answer for 3 s" in out + err, (out, err)
    # the journal agrees once the server is back: no row was sent twice
    p = run("journal", "--json", env=env)
    expect(p, 0)
    rows = [json.loads(x) for x in p.stdout.splitlines()]
    assert len({r["to"] for r in rows}) == len(rows)
    for r in rows:
        if r["state"] == "sent":
            assert r["to"] in delivered


try:
    finish()
finally:
    server.close()
