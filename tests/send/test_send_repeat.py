# SPDX-License-Identifier: LGPL-2.1-or-later
"""One request is one message, for every kind: the journal knows a send by
what was asked for (the source file's digest, the kind and the options that
change the output), so the same command twice, two runs at once, and a
rerun after kill -9 deliver each recipient at most once, also for the kinds
whose conversion used to give other bytes every time (audio and voice:
the Ogg serial number was random). Conversions are reproducible: one WAV
gives the same bytes twice. Rows written before request digests existed
(keyed on the bytes sent) still refuse what they recorded."""
import hashlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import time

import sendlib  # noqa: E402
from sendlib import (FF, PHONE_ID, TOKEN, base_env, document_pdf, expect,
                     image_png_alpha, send)
from fakes import FakeCloud
from wapftest import BIN, SOURCE, case, finish, fixture, run, tmpdir

MEDIA = f"/v21.0/{PHONE_ID}/media"


def wav():
    return fixture("repeat-tone.wav",
                   FF + " -f lavfi -i sine=frequency=330:sample_rate=44100 "
                   "-t 1 -c:a pcm_s16le {out}")


def video_bframes():
    """B-frames: the rules refuse them, so send transcodes it."""
    return fixture("repeat-bframes.mp4",
                   FF + " -f lavfi -i testsrc=size=160x120:rate=10 -t 1 "
                   "-c:v libx264 -bf 2 -pix_fmt yuv420p {out}")


def sticker_png():
    return fixture("repeat-sticker.png",
                   FF + " -f lavfi -i testsrc=size=300x200 -frames:v 1 {out}")


# every kind, from a source that send must convert (a document goes as is)
KINDS = {
    "image": lambda: ["--as", "image", image_png_alpha()],
    "video": lambda: ["--as", "video", video_bframes()],
    "audio": lambda: ["--as", "audio", wav()],
    "voice": lambda: ["--as", "voice", wav()],
    "sticker": lambda: ["--as", "sticker", sticker_png()],
    "document": lambda: ["--as", "document", document_pdf()],
}


def numbers(n, prefix):
    return [f"{prefix}{i:06d}" for i in range(n)]


def to_file(env, nums, name):
    path = os.path.join(env["HOME"], name)
    with open(path, "w") as fh:
        fh.write("\n".join(nums) + "\n")
    return path


def journal(env):
    p = run("journal", "--json", env=env)
    expect(p, 0)
    return [json.loads(line) for line in p.stdout.splitlines()]


def popen(args, env):
    return subprocess.Popen([BIN, "send", *args], env=dict(os.environ, **env),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


@case
def every_kind_same_command_twice_is_delivered_once():
    env = base_env()
    with FakeCloud(TOKEN, PHONE_ID) as f:
        for i, (kind, src) in enumerate(KINDS.items()):
            to = f"1555200{i:04d}"
            args = ["--provider", "meta", "--api-base", f.url, "--to", to,
                    *src()]
            expect(send(*args, env=env), 0)
            p = send(*args, env=env)
            expect(p, 1)
            assert "already sent" in p.stderr, (kind, p.stderr)
            assert f.delivered.get(to) == 1, (kind, f.delivered)
        assert f.problems() == []
        rows = journal(env)
        assert [r["state"] for r in rows] == ["sent"] * len(KINDS), rows
        assert [r["kind"] for r in rows] == list(KINDS), rows


@case
def every_kind_two_runs_at_once_deliver_each_recipient_once():
    env = base_env()
    with FakeCloud(TOKEN, PHONE_ID) as f:
        for i, (kind, src) in enumerate(KINDS.items()):
            nums = numbers(6, f"1666{i}")
            path = to_file(env, nums, f"to-{kind}.txt")
            one = f"1666900{i:04d}"
            # two campaigns (upload once, a message each) and two single
            # sends (convert, upload, message) at the same time
            procs = [popen(["--provider", "meta", "--api-base", f.url,
                            "--rate", "100", "--to-file", path, *src()], env)
                     for _ in range(2)]
            procs += [popen(["--provider", "meta", "--api-base", f.url,
                             "--to", one, *src()], env) for _ in range(2)]
            outs = [p.communicate(timeout=300) for p in procs]
            codes = [p.returncode for p in procs]
            assert codes[:2] == [0, 0], (kind, codes, outs)
            assert sorted(codes[2:]) == [0, 1], (kind, codes, outs)
            got = {n: f.delivered.get(n) for n in nums + [one]}
            assert got == {n: 1 for n in nums + [one]}, (kind, got)
        assert f.problems() == []


@case
def every_kind_kill_9_then_rerun_delivers_each_recipient_once():
    env = base_env()
    with FakeCloud(TOKEN, PHONE_ID) as f:
        for i, (kind, src) in enumerate(KINDS.items()):
            nums = numbers(30, f"1777{i}")
            path = to_file(env, nums, f"to-{kind}.txt")
            args = ["--provider", "meta", "--api-base", f.url, "--rate",
                    "20", "-q", "--to-file", path, *src()]
            proc = popen(args, env)
            stop_at = random.randint(2, 20)
            deadline = time.time() + 120
            while sum(f.delivered.get(n, 0) for n in nums) < stop_at and \
                    proc.poll() is None and time.time() < deadline:
                time.sleep(0.005)
            proc.send_signal(signal.SIGKILL)
            proc.communicate()
            killed_at = sum(f.delivered.get(n, 0) for n in nums)
            assert 0 < killed_at < 30, (kind, killed_at)
            p = subprocess.run([BIN, "send", *args],
                               env=dict(os.environ, **env),
                               capture_output=True, text=True, timeout=300)
            # at most one recipient was claimed but not answered: unknown
            assert p.returncode in (0, 4), (kind, p.returncode, p.stderr)
            got = [f.delivered.get(n, 0) for n in nums]
            assert max(got) == 1, (kind, got)
            missing = [n for n in nums if not f.delivered.get(n)]
            assert len(missing) <= 1, (kind, missing)
            if missing:
                last = [r for r in journal(env) if r["to"] == missing[0]]
                assert last[-1]["state"] == "unknown", (kind, last)
        assert f.problems() == []


def _sha(path):
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


@case
def two_conversions_of_one_wav_give_the_same_bytes():
    d = tmpdir()
    sources = [wav(), os.path.join(SOURCE, "samples", "tone_adpcm.wav")]
    for n, src in enumerate(sources):
        for extra in (["--as", "voice"], ["--as", "audio"],
                      ["--as", "audio", "--stereo"]):
            outs = []
            for k in range(2):
                out = os.path.join(d, f"{n}-{'-'.join(extra)}-{k}")
                expect(run("convert", *extra, src, "-o", out), 0)
                outs.append(out)
            assert _sha(outs[0]) == _sha(outs[1]), (src, extra)
    # the Ogg serial number comes from the input: two inputs, two serials
    a = os.path.join(d, "0---as-voice-0")
    b = os.path.join(d, "1---as-voice-0")
    with open(a, "rb") as fa, open(b, "rb") as fb:
        ha, hb = fa.read(27), fb.read(27)
    assert ha[:4] == hb[:4] == b"OggS"
    assert ha[14:18] != hb[14:18], "serials differ between inputs"


def _legacy_key(parts):
    h = hashlib.sha256()
    for p in parts:
        h.update((p or "").encode() + b"\x1f")
    return h.hexdigest()


@case
def a_row_from_before_request_digests_still_refuses_what_it_recorded():
    env = base_env()
    src = document_pdf()
    to = "15553000001"
    with FakeCloud(TOKEN, PHONE_ID) as f:
        # a journal as the tool wrote it before: the key hashed provider,
        # sender, recipient, the SHA-256 of the bytes sent, kind, caption
        # and template text
        expect(send("--provider", "meta", "--api-base", f.url, "--to",
                    "15553000000", src, env=env), 0)
        db = sendlib.journal_db(env)
        con = sqlite3.connect(db)
        sender = con.execute("SELECT sender FROM sends").fetchone()[0]
        key = _legacy_key(["meta", sender, to, _sha(src), "document", "", ""])
        con.execute("INSERT INTO sends(key, at, updated, provider, sender, "
                    "recipient, media, kind, state, message_id) VALUES(?, "
                    "1.7e9, 1.7e9, 'meta', ?, ?, ?, 'document', 'sent', "
                    "'wamid.OLD')", (key, sender, to, _sha(src)))
        con.commit()
        con.close()
        p = send("--provider", "meta", "--api-base", f.url, "--to", to, src,
                 env=env)
        expect(p, 1)
        assert "already sent" in p.stderr and "wamid.OLD" in p.stderr
        assert to not in f.delivered
        # another caption is another message, old row or not
        p = send("--provider", "meta", "--api-base", f.url, "--to", to,
                 "--caption", "new", src, env=env)
        expect(p, 0)
        assert f.delivered[to] == 1


finish()
