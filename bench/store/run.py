# SPDX-License-Identifier: LGPL-2.1-or-later
"""bench/store: messages per second claimed and recorded by 1, 4 and 16
`wa-preflight send --to-file` processes over one list, against the strict
fake Cloud API of the tests (tests/send/fakes.py, on 127.0.0.1), with the
journal on SQLite (one machine, one file) and on PostgreSQL (a private
server from tests/pylib/pgserver.py; each sender with folders of its own),
side by side, in one run. Each cell is a fresh journal and a fresh list;
the rate is the list's length over the wall time from the first start to
the last exit (every recipient claimed, sent and recorded once). Also the
fake alone (one client, no tool), as the ceiling of the set-up.
Writes RESULTS.md beside it.

Usage: python3 bench/store/run.py [build/tools/wa-preflight] [RECIPIENTS]
"""
import datetime
import http.client
import json
import os
import platform
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    ROOT, "build", "tools", "wa-preflight"))
RECIPIENTS = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
SENDERS = (1, 4, 16)
os.environ["WAPF_BIN"] = BIN
os.environ.setdefault("WAPF_BUILD_DIR", os.path.dirname(os.path.dirname(BIN)))
sys.path[:0] = [os.path.join(ROOT, "tests", "pylib"),
                os.path.join(ROOT, "tests", "send")]

from fakes import FakeCloud  # noqa: E402
from pgserver import PgServer, tool_has_pg  # noqa: E402
from sendlib import PHONE_ID, TOKEN, base_env, image_jpg  # noqa: E402
from wapftest import Skip, tmpdir  # noqa: E402


def campaign(env_of, n_senders, prefix):
    """Seconds for n_senders over one list of RECIPIENTS; checks that each
    recipient was delivered once and the media uploaded once."""
    nums = [f"{prefix}{i:07d}" for i in range(RECIPIENTS)]
    path = os.path.join(tmpdir(), "to.txt")
    with open(path, "w") as fh:
        fh.write("\n".join(nums) + "\n")
    with FakeCloud(TOKEN, PHONE_ID) as f:
        cmd = [BIN, "send", "-q", "--provider", "meta", "--api-base", f.url,
               "--to-file", path, "--rate", "1000", image_jpg()]
        t0 = time.monotonic()
        procs = [subprocess.Popen(cmd, env=dict(os.environ, **env_of(i)),
                                  stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True)
                 for i in range(n_senders)]
        errs = [p.communicate()[1] for p in procs]
        secs = time.monotonic() - t0
        bad = [(p.returncode, e[-500:]) for p, e in zip(procs, errs)
               if p.returncode != 0]
        if bad:
            raise SystemExit(f"a sender failed: {bad}")
        if f.delivered != {n: 1 for n in nums}:
            raise SystemExit("not every recipient exactly once")
        uploads = f.count("POST", f"/v21.0/{PHONE_ID}/media")
        if uploads != 1:
            raise SystemExit(f"{uploads} uploads, not 1")
    return secs


def fake_ceiling(n=2000):
    """Messages per second the fake takes from one keep-alive client."""
    with FakeCloud(TOKEN, PHONE_ID) as f:
        c = http.client.HTTPConnection("127.0.0.1", f.port)
        path = f"/v21.0/{PHONE_ID}/messages"
        hdr = {"Authorization": f"Bearer {TOKEN}",
               "Content-Type": "application/json"}
        f.media["1"] = {"mime": "image/jpeg", "data": b"x", "filename": "a"}
        t0 = time.monotonic()
        for i in range(n):
            body = {"messaging_product": "whatsapp",
                    "recipient_type": "individual", "to": f"1999{i:07d}",
                    "type": "image", "image": {"id": "1"}}
            c.request("POST", path, json.dumps(body), hdr)
            c.getresponse().read()
        return n / (time.monotonic() - t0)


def machine():
    model = "?"
    with open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    up = subprocess.run(["uptime"], capture_output=True, text=True).stdout
    return model, os.cpu_count(), up.strip()


def main():
    model, cpus, up_before = machine()
    rows = {}
    pg_note = None
    pg = None
    if tool_has_pg():
        try:
            pg = PgServer()
        except Skip as e:
            pg_note = f"not measured: {e}"
    else:
        pg_note = ("not measured: this wa-preflight has no PostgreSQL store "
                   "(not linked with libpq)")
    image_jpg()  # the fixture, made before the clock runs
    k = 0
    for n in SENDERS:
        k += 1
        env = base_env()
        secs = campaign(lambda i: env, n, f"15{k}0")
        rows[("sqlite", n)] = RECIPIENTS / secs
        print(f"sqlite      {n:2} senders: {RECIPIENTS / secs:8.1f} msg/s",
              flush=True)
        if pg:
            db = pg.create_db(f"bench{n}")
            envs = [base_env(**pg.env(db)) for _ in range(n)]
            secs = campaign(lambda i: envs[i], n, f"16{k}0")
            rows[("postgresql", n)] = RECIPIENTS / secs
            print(f"postgresql  {n:2} senders: {RECIPIENTS / secs:8.1f} "
                  f"msg/s", flush=True)
    ceiling = fake_ceiling()
    print(f"fake alone: {ceiling:.0f} msg/s", flush=True)
    _, _, up_after = machine()
    write(rows, pg_note, ceiling, model, cpus, up_before, up_after)


def cell(rows, store, n):
    v = rows.get((store, n))
    return f"{v:.0f}" if v is not None else "—"


def write(rows, pg_note, ceiling, model, cpus, up_before, up_after):
    ver = subprocess.run([BIN, "--version"], capture_output=True,
                         text=True).stdout.strip()
    lines = [
        "# bench/store: many senders, one journal",
        "",
        f"`python3 bench/store/run.py` ({datetime.date.today()}), "
        f"{RECIPIENTS} recipients a campaign, `send --to-file -q --rate 1000`"
        f" against the fake Cloud API on 127.0.0.1; messages per second "
        f"(list length / wall time until the last sender exits; each "
        f"recipient delivered once, the media uploaded once, checked).",
        "",
        "| senders | SQLite (one file) | PostgreSQL (one server) |",
        "|---:|---:|---:|",
    ]
    for n in SENDERS:
        lines.append(f"| {n} | {cell(rows, 'sqlite', n)} | "
                     f"{cell(rows, 'postgresql', n)} |")
    lines += ["",
              f"The fake alone takes {ceiling:.0f} messages/s from one "
              f"keep-alive client (Python's threaded HTTP server): the "
              f"ceiling of this set-up, not of a provider.", ""]
    if pg_note:
        lines += [f"PostgreSQL: {pg_note}.", ""]
    lines += ["## Machine", "",
              f"- {model}, {cpus} CPUs, {platform.system()} "
              f"{platform.release()}",
              f"- {ver or BIN}",
              f"- load before: `{up_before}`",
              f"- load after: `{up_after}`", ""]
    with open(os.path.join(HERE, "RESULTS.md"), "w") as fh:
        fh.write("\n".join(lines))


if __name__ == "__main__":
    main()
