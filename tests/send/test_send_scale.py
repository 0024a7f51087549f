# SPDX-License-Identifier: LGPL-2.1-or-later
"""Many senders, one journal. Three `send --to-file` processes at once over
one list of 1,000 recipients against the strict fake Cloud API: one killed
with kill -9 mid-way and started again, or the PostgreSQL server stopped
(pg_ctl stop -m immediate) and started again mid-campaign. Every recipient
is delivered at most once; all but the lost-answer ones (in flight at the
kill or the stop, which read `unknown` in `journal --json`) exactly once;
the media is uploaded once in all. On SQLite the senders share one machine's
journal; on PostgreSQL (tests/pylib/pgserver.py, a private server) each
sender has folders of its own and shares only WA_PREFLIGHT_DB, as on many
hosts. Also: a claim of a process on another host (a UTS and mount
namespace with its own host name and machine id) reads `pending` until
WA_PREFLIGHT_LEASE_S has passed, then `unknown`, and is never sent again;
`journal --json --since` gives the same rows from both stores; a wrong
password, an unreachable server and a read-only database each give one
line without the password, a non-zero status and no request; a status
webhook posted to a `serve` on the same database resolves an `unknown`
written by a sender; on SQLite the journal survives the cache folder.

The PostgreSQL cases skip, saying so, when the wa-preflight under test is
not linked with libpq (WAPF_TEST_PG=1 runs them anyway) or when the
`postgresql` package is missing."""
import json
import os
import random
import shutil
import signal
import subprocess
import time

from sendlib import (PHONE_ID, TO, TOKEN, base_env, expect, image_jpg,
                     no_secret_in, pieces)
from fakes import FakeCloud, Reply, graph_error
from fakewebhooks import cloud_body, post, start_serve, status
from pgserver import PgServer, free_port, require_tool_pg
from wapftest import BIN, Skip, case, finish, run, tmpdir

MSGS = f"/v21.0/{PHONE_ID}/messages"
MEDIA = f"/v21.0/{PHONE_ID}/media"
N = 1000
SENDERS = 3
WAIT_S = 600  # a whole campaign, under ASan on loaded cores

_pg = None


def pg_server():
    """One private server for the script (each case its own database)."""
    global _pg
    require_tool_pg()
    if _pg is None:
        _pg = PgServer()
    if not _pg.running:
        _pg.start()
    return _pg


_dbs = [0]


def pg_env(pg):
    """A fresh database of the server, and a sender's own folders."""
    _dbs[0] += 1
    db = pg.create_db(f"campaign{_dbs[0]}")
    env = base_env(**pg.env(db))
    return env, db


def numbers(n, prefix):
    return [f"{prefix}{i:07d}" for i in range(n)]


def to_file(nums):
    path = os.path.join(tmpdir(), "to.txt")
    with open(path, "w") as fh:
        fh.write("\n".join(nums) + "\n")
    return path


def no_password(text, pg, *more):
    """No run of 8 characters of the test role's password (nor of the
    given wrong ones) in text; nor of the provider token."""
    no_secret_in(text)
    for pw in ([pg.password] if pg else []) + list(more):
        for piece in pieces(pw):
            assert piece not in text, f"password leaked: {piece!r}: {text!r}"


def own_lines_only(err):
    """Nothing but the tool's own lines on stderr (no library's notices)."""
    for line in err.splitlines():
        assert not line.strip() or line.startswith("wa-preflight"), \
            f"a line that is not the tool's on stderr: {line!r}\n{err}"


class Sender:
    """One `send --to-file --json` process; output to files (a full pipe
    would stop it)."""

    def __init__(self, f, path, env, pre=()):
        self.f, self.path, self.env, self.pre = f, path, env, list(pre)
        self.dir = tmpdir()
        self.runs = 0
        self.outs = []
        self.start()

    def start(self):
        self.runs += 1
        out = os.path.join(self.dir, f"out{self.runs}")
        err = os.path.join(self.dir, f"err{self.runs}")
        self.outs.append((out, err))
        cmd = [BIN, "send", "--provider", "meta", "--api-base", self.f.url,
               "--to-file", self.path, "--rate", "500", "--json",
               image_jpg()]
        with open(out, "w") as o, open(err, "w") as e:
            self.proc = subprocess.Popen(self.pre + cmd,
                                         env=dict(os.environ, **self.env),
                                         stdout=o, stderr=e)

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def wait(self):
        return self.proc.wait(timeout=WAIT_S)

    def text(self, i):
        with open(self.outs[i][0]) as o, open(self.outs[i][1]) as e:
            return o.read(), e.read()

    def records(self):
        """Every --json line of every run: (run index, object)."""
        recs = []
        for i in range(self.runs):
            out, _ = self.text(i)
            for line in out.splitlines():
                if line.strip():
                    recs.append((i, json.loads(line)))
        return recs


def wait_deliveries(f, n, procs, why):
    deadline = time.time() + WAIT_S
    while len(f.deliveries) < n:
        assert time.time() < deadline, f"no {n} deliveries in time ({why})"
        if all(p.proc.poll() is not None for p in procs):
            raise AssertionError(f"every sender ended before {n} deliveries "
                                 f"({len(f.deliveries)}; {why})")
        time.sleep(0.005)


def journal_rows(env, *extra):
    p = run("journal", "--json", *extra, env=env, timeout=300)
    expect(p, 0)
    own_lines_only(p.stderr)
    return [json.loads(line) for line in p.stdout.splitlines()]


def last_states(env):
    out = {}
    for r in journal_rows(env):
        out[r["to"]] = r["state"]
    return out


def check_campaign(f, nums, senders, env, lost_at_most, pg=None, kills=0):
    """The guarantees of a finished campaign; returns the unknown ones.
    A run killed between writing "sent" and printing its line is allowed
    one missing line per kill."""
    for s in senders:
        rc = s.wait()
        out, err = s.text(s.runs - 1)
        assert rc in (0, 4), (rc, err[-3000:])
        for i in range(s.runs):
            o, e = s.text(i)
            no_password(o + e, pg)
            own_lines_only(e)
    assert f.problems() == [], f.problems()[:5]
    assert max(f.delivered.values()) == 1, \
        [n for n, c in f.delivered.items() if c > 1][:10]
    assert set(f.delivered) <= set(nums)
    states = last_states(env)
    assert set(states) == set(nums), "every recipient has its journal row"
    missing = [n for n in nums if n not in f.delivered]
    unknown = [n for n in nums if states[n] == "unknown"]
    assert set(missing) <= set(unknown), (missing, unknown)
    assert len(unknown) <= lost_at_most, unknown
    for n in nums:  # delivered = sent, except a lost answer
        assert states[n] in ("sent", "unknown"), (n, states[n])
        if states[n] == "sent":
            assert f.delivered.get(n) == 1, n
    # one sender said "sent" for each sent recipient, no two the same
    said = {}
    for s in senders:
        for _, r in s.records():
            if r["status"] == "sent":
                assert r["to"] not in said, f"{r['to']} sent twice"
                said[r["to"]] = r["message_id"]
    sent = {n for n in nums if states[n] == "sent"}
    assert set(said) <= sent and len(sent - set(said)) <= kills, \
        ("a \"sent\" line for each row sent", sorted(sent - set(said))[:5])
    assert set(said.values()) <= set(f.message_ids)
    assert f.count("POST", MEDIA) == 1, "the media uploaded once in all"
    return unknown


def no_sqlite_store(env):
    """A process pointed at PostgreSQL keeps no SQLite journal or cache."""
    found = [os.path.join(d, x) for d, _, xs in os.walk(env["HOME"])
             for x in xs if x.endswith((".sqlite", ".db"))]
    assert found == [], f"SQLite files beside a PostgreSQL store: {found}"


def three_senders_one_killed(envs, shared_env, prefix, pg=None):
    nums = numbers(N, prefix)
    path = to_file(nums)
    with FakeCloud(TOKEN, PHONE_ID) as f:
        senders = [Sender(f, path, e) for e in envs]
        stop_at = random.randint(100, 600)
        wait_deliveries(f, stop_at, senders, "before the kill")
        victim = senders[1]
        victim.kill()
        victim.start()  # the same command again, after kill -9
        unknown = check_campaign(f, nums, senders, shared_env, 1, pg,
                                 kills=1)
        print(f"  killed after {stop_at}+ deliveries; unknown: {unknown}",
              flush=True)


# ---------------------------------------------------------------- SQLite


@case
def sqlite_three_senders_one_killed_each_recipient_at_most_once():
    env = base_env()
    three_senders_one_killed([env] * SENDERS, env, "1555")


@case
def sqlite_the_journal_is_state_not_cache():
    """A cache cleaner removes $XDG_CACHE_HOME: the journal (state) stays,
    the same send is still refused (the store of issue 20: skipped with the
    PostgreSQL cases on a wa-preflight without it)."""
    require_tool_pg()
    env = base_env()
    with FakeCloud(TOKEN, PHONE_ID) as f:
        args = ["send", "--provider", "meta", "--api-base", f.url, "--to",
                TO, image_jpg()]
        expect(run(*args, env=env), 0)
        shutil.rmtree(env["XDG_CACHE_HOME"])
        p = run(*args, env=env)
        assert f.delivered == {TO: 1}, (f.delivered, p.stderr)
        assert "already sent" in p.stdout + p.stderr, p.stderr
        assert [r["state"] for r in journal_rows(env)] == ["sent"]


# ------------------------------------------------------------ PostgreSQL


@case
def pg_three_senders_on_three_hosts_one_killed():
    pg = pg_server()
    env, db = pg_env(pg)
    envs = [env] + [base_env(**pg.env(db)) for _ in range(SENDERS - 1)]
    three_senders_one_killed(envs, envs[2], "1556", pg)
    assert pg.tables(db), "the store's tables are in the database"
    for e in envs:
        no_sqlite_store(e)


@case
def pg_server_stopped_and_started_mid_campaign():
    pg = pg_server()
    env, db = pg_env(pg)
    envs = [env] + [base_env(**pg.env(db)) for _ in range(SENDERS - 1)]
    nums = numbers(N, "1557")
    path = to_file(nums)
    with FakeCloud(TOKEN, PHONE_ID) as f:
        senders = [Sender(f, path, e) for e in envs]
        wait_deliveries(f, random.randint(150, 500), senders, "before stop")
        pg.stop()  # pg_ctl stop -m immediate: a crash of the server
        stopped_at = len(f.deliveries)
        time.sleep(3)
        during = len(f.deliveries) - stopped_at
        pg.start()
        # the messages in flight at the stop (one a sender) may be lost
        unknown = check_campaign(f, nums, senders, envs[0], SENDERS, pg)
        # nothing is sent without its claim: at most the in-flight ones
        assert during <= SENDERS, during
        print(f"  stopped at {stopped_at}; unknown: {unknown}", flush=True)


def other_host(sender_dir):
    """The prefix that runs a command as on another host: its own host
    name, machine id and boot id (util-linux unshare, root); Skip when not
    allowed."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        raise Skip("another host needs root and unshare (util-linux)")
    mid = os.path.join(sender_dir, "machine-id")
    bid = os.path.join(sender_dir, "boot_id")
    with open(mid, "w") as fh:
        fh.write("0123456789abcdef0123456789abcdef\n")
    with open(bid, "w") as fh:
        fh.write("01234567-89ab-cdef-0123-456789abcdef\n")
    script = (f"hostname wapf-other-host && mount --bind {mid} "
              f"/etc/machine-id && mount --bind {bid} "
              f"/proc/sys/kernel/random/boot_id && exec \"$@\"")
    pre = ["unshare", "--uts", "--mount", "sh", "-c", script, "sh"]
    p = subprocess.run(pre + ["hostname"], capture_output=True, text=True)
    if p.returncode != 0 or p.stdout.strip() != "wapf-other-host":
        raise Skip(f"unshare --uts --mount not permitted: {p.stderr!r}")
    return pre


@case
def pg_claim_of_a_dead_process_on_another_host_is_unknown_after_the_lease():
    pg = pg_server()
    lease = 20
    env, db = pg_env(pg)
    env["WA_PREFLIGHT_LEASE_S"] = str(lease)
    here = base_env(WA_PREFLIGHT_LEASE_S=str(lease), **pg.env(db))
    nums = numbers(20, "1558")
    path = to_file(nums)
    d = tmpdir()
    with FakeCloud(TOKEN, PHONE_ID) as f:
        # the first message hangs in the provider: the other host dies
        # with its claim written and its request sent
        f.push(Reply(0, slow=60), endpoint="message")
        there = Sender(f, path, env, pre=other_host(d))
        wait_deliveries(f, 1, [there], "the other host's first message")
        claimed_at = time.time()
        there.kill()
        first = f.deliveries[0]
        # within the lease this host cannot tell it died: still pending
        rows = {r["to"]: r["state"] for r in journal_rows(here)}
        assert time.time() - claimed_at < lease, "the machine is too slow"
        assert rows == {first: "pending"}, rows
        p = run("send", "--provider", "meta", "--api-base", f.url,
                "--to-file", path, "--json", image_jpg(), env=here,
                timeout=WAIT_S)
        assert p.returncode in (0, 4), p.stderr
        assert f.delivered == {n: 1 for n in nums}, "the claim was skipped"
        # after the lease: unknown (the answer was lost), never sent again
        deadline = claimed_at + lease + 300
        while last_states(here)[first] == "pending":
            assert time.time() < deadline, "still pending long after lease"
            time.sleep(2)
        assert last_states(here)[first] == "unknown"
        p = run("send", "--provider", "meta", "--api-base", f.url,
                "--to-file", path, "--json", image_jpg(), env=here,
                timeout=WAIT_S)
        assert p.returncode in (0, 4), p.stderr
        assert f.delivered == {n: 1 for n in nums}, "not sent blindly"
        assert f.count("POST", MEDIA) == 1
        assert f.problems() == []


def dead_claim_on_this_host(env, prefix):
    """A sender killed while its request hangs: on its own host the claim
    reads unknown at once (the lease is 600 s), and is not sent again."""
    env["WA_PREFLIGHT_LEASE_S"] = "600"
    nums = numbers(10, prefix)
    path = to_file(nums)
    with FakeCloud(TOKEN, PHONE_ID) as f:
        f.push(Reply(0, slow=60), endpoint="message")
        s = Sender(f, path, env)
        wait_deliveries(f, 1, [s], "the first message")
        s.kill()
        first = f.deliveries[0]
        assert {r["to"]: r["state"] for r in journal_rows(env)} == \
            {first: "unknown"}
        s.start()
        assert s.wait() in (0, 4)
        assert f.delivered == {n: 1 for n in nums}
        assert last_states(env)[first] == "unknown"
        assert f.problems() == []


@case
def sqlite_claim_of_a_dead_process_on_this_host_is_unknown_at_once():
    dead_claim_on_this_host(base_env(), "1559")


@case
def pg_claim_of_a_dead_process_on_this_host_is_unknown_at_once():
    env, _ = pg_env(pg_server())
    dead_claim_on_this_host(env, "1560")
    no_sqlite_store(env)


GRAPH_131047 = graph_error(131047, "(#131047) Re-engagement message",
                           "Message failed to send because more than 24 "
                           "hours have passed since the customer last "
                           "replied to this number.")
VOLATILE = ("at", "updated", "status_at", "message_id")


def _three_outcomes(f, env):
    """sent to ...01, then (after a second) failed to ...02 and unknown to
    ...03; returns the time between them."""
    base = ["send", "--provider", "meta", "--api-base", f.url]
    expect(run(*base, "--to", "15559990001", image_jpg(), env=env), 0)
    time.sleep(1.2)
    mid = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
    time.sleep(1.2)
    f.push(Reply(400, GRAPH_131047), endpoint="message")
    expect(run(*base, "--to", "15559990002", image_jpg(), env=env), 1)
    f.push(Reply(500, graph_error(1, "An unknown error occurred")),
           endpoint="message")
    expect(run(*base, "--to", "15559990003", image_jpg(), env=env), 4)
    return mid


def _shape(rows):
    return [{k: (bool(v) if k in VOLATILE else v) for k, v in r.items()}
            for r in rows]


@case
def pg_journal_json_since_reads_both_stores_the_same_way():
    pg = pg_server()
    lite = base_env()
    env, _ = pg_env(pg)
    shapes = []
    with FakeCloud(TOKEN, PHONE_ID) as f:
        for e in (lite, env):
            mid = _three_outcomes(f, e)
            every = journal_rows(e)
            assert [r["state"] for r in every] == ["sent", "failed",
                                                  "unknown"], every
            since = journal_rows(e, "--since", mid)
            assert [r["to"] for r in since] == ["15559990002",
                                               "15559990003"], since
            assert journal_rows(e, "--since", "1h") == every
            p = run("journal", env=e)
            expect(p, 0)
            assert len(p.stdout.splitlines()) == 3, p.stdout
            shapes.append(_shape(every))
    assert shapes[0] == shapes[1], shapes
    no_sqlite_store(env)
    assert pg.tables(env["WA_PREFLIGHT_DB"].rsplit("/", 1)[1])


def _refused(pg, env, f, *wrong):
    """One line, non-zero, no password, nothing uploaded, no message:
    send and journal. The line of send is returned."""
    before = len(f.requests)
    p = run("send", "--provider", "meta", "--api-base", f.url, "--to", TO,
            image_jpg(), env=env, timeout=300)
    assert p.returncode != 0, p.stdout
    no_password(p.stdout + p.stderr, pg, *wrong)
    own_lines_only(p.stderr)
    lines = [x for x in p.stderr.splitlines() if x.strip()]
    assert len(lines) == 1, p.stderr
    assert f.requests[before:] == [], \
        f"a request before the store was found usable: {f.requests[before:]}"
    # a list: the upload made once for all of them waits for the store too
    p = run("send", "--provider", "meta", "--api-base", f.url, "--to", TO,
            "--to", "15550009999", image_jpg(), env=env, timeout=300)
    assert p.returncode != 0, p.stdout
    no_password(p.stdout + p.stderr, pg, *wrong)
    own_lines_only(p.stderr)
    assert len([x for x in p.stderr.splitlines() if x.strip()]) == 1, \
        p.stderr
    assert f.requests[before:] == [], \
        f"a request before the store was found usable: {f.requests[before:]}"
    j = run("journal", "--json", env=env, timeout=300)
    assert j.returncode != 0 and j.stdout == "", j.stdout
    no_password(j.stdout + j.stderr, pg, *wrong)
    jl = [x for x in j.stderr.splitlines() if x.strip()]
    assert len(jl) == 1 and jl[0].startswith("wa-preflight"), j.stderr
    return lines[0]


@case
def sqlite_unusable_store_one_line_nothing_uploaded():
    """A journal folder that cannot be made or written, a journal that is
    not a database, a WA_PREFLIGHT_DB that names no store: one line,
    nothing uploaded or sent."""
    def blocked():
        env = base_env()
        block = os.path.join(env["HOME"], "a-file")
        open(block, "w").close()
        env["XDG_STATE_HOME"] = os.path.join(block, "state")
        return env

    def garbage():
        env = base_env()
        d = os.path.join(env["HOME"], "state", "wa-preflight")
        os.makedirs(d)
        with open(os.path.join(d, "send-journal.sqlite"), "wb") as fh:
            fh.write(b"not a database at all\n" * 400)
        env["XDG_STATE_HOME"] = os.path.dirname(d)
        return env

    cases = {
        "journal folder under a file": blocked(),
        "journal not a database": garbage(),
        "WA_PREFLIGHT_DB names no store": base_env(
            WA_PREFLIGHT_DB="mysql://somewhere/db"),
    }
    if os.geteuid() != 0:  # root writes through any mode bits
        env = base_env()
        d = os.path.join(env["HOME"], "ro")
        os.makedirs(d)
        os.chmod(d, 0o500)
        env["XDG_STATE_HOME"] = d
        cases["journal folder not writable"] = env
    else:
        print("  (root: the mode-bits case is left out; root writes "
              "through them)", flush=True)
    with FakeCloud(TOKEN, PHONE_ID) as f:
        for what, env in cases.items():
            line = _refused(None, env, f)
            print(f"  {what}: {line}", flush=True)
        assert f.requests == [], f.requests


@case
def pg_wrong_password_unreachable_read_only_one_clear_line():
    pg = pg_server()
    _, db = pg_env(pg)
    wrong = "Wr0ng-pg-Passw0rd-77"
    bad_pass = pg.write_passfile(wrong, "pgpass-wrong")
    ro = pg.create_db(f"readonly{_dbs[0]}", read_only=True)
    cases = {
        "wrong password (pgpass)": base_env(**pg.env(db, passfile=bad_pass)),
        "wrong password (URL)": base_env(
            WA_PREFLIGHT_DB=pg.url(db, password=wrong)),
        "no password": base_env(WA_PREFLIGHT_DB=pg.url(db),
                                PGPASSFILE="/nonexistent/pgpass"),
        "unreachable": base_env(**dict(pg.env(db),
                                       WA_PREFLIGHT_DB=pg.url(
                                           db, port=free_port()))),
        "read-only": base_env(**pg.env(ro)),
    }
    with FakeCloud(TOKEN, PHONE_ID) as f:
        for what, env in cases.items():
            env["WA_PREFLIGHT_DB_WAIT_S"] = "5"  # a server that never comes
            line = _refused(pg, env, f, wrong)
            print(f"  {what}: {line}", flush=True)
        assert f.requests == [], f.requests
    assert pg.tables(ro) == [], "nothing written to the read-only database"


@case
def pg_webhook_to_serve_on_the_same_database_resolves_an_unknown():
    pg = pg_server()
    env, db = pg_env(pg)
    serve_env = base_env(**pg.env(db))  # another host: shares only the DB
    with FakeCloud(TOKEN, PHONE_ID) as f, start_serve(serve_env) as srv:
        f.push(Reply(0, slow=3), endpoint="message")
        p = run("send", "--provider", "meta", "--api-base", f.url, "--to",
                TO, "--timeout", "1", image_jpg(), env=env, timeout=300)
        expect(p, 4)
        time.sleep(2.5)  # the late answer went out; the message was taken
        cb = f.sent[-1].get("biz_opaque_callback_data")
        wamid = f.message_ids[-1]
        assert cb, "the message carries the journal's reference"
        assert [r["state"] for r in journal_rows(env)] == ["unknown"]
        for word in ("sent", "delivered"):
            st, ans = post(srv, "/webhooks/meta",
                           cloud_body([status(wamid, word, callback=cb)]))
            assert st == 200 and ans["matched"] == 1, (st, ans)
        for e in (env, serve_env):
            rows = journal_rows(e)
            assert len(rows) == 1, rows
            r = rows[0]
            assert r["state"] == "sent" and r["status"] == "delivered", r
            assert r["message_id"] == wamid, r
        p = run("send", "--provider", "meta", "--api-base", f.url, "--to",
                TO, "--resend", image_jpg(), env=env)
        expect(p, 1)
        assert "already delivered" in p.stderr, p.stderr
        assert f.delivered == {TO: 1}


finish()
