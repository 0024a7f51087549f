# SPDX-License-Identifier: LGPL-2.1-or-later
"""A message is delivered at most once: a lost answer (a timeout after the
request was written, a 500 after the fake recorded it) is exit 4 and never
retried; the journal refuses the same send again unless --resend; only
requests that provably did not reach the provider (429, 503 with
Retry-After) are retried. Interrupts (during the conversion, the upload,
between recipients) send nothing after them. The journal command lists it
all."""
import json
import os
import signal
import subprocess
import time

from sendlib import (PHONE_ID, TO, TOKEN, base_env, expect, image_jpg, send,
                     fixture, FF)
from fakes import FakeCloud, Reply, graph_error
from wapftest import BIN, case, finish, run

MSGS = f"/v21.0/{PHONE_ID}/messages"
MEDIA = f"/v21.0/{PHONE_ID}/media"
GRAPH_500 = graph_error(1, "An unknown error occurred")


def meta(f, *args, env):
    return send("--provider", "meta", "--api-base", f.url, *args, env=env)


def journal(env):
    p = run("journal", "--json", env=env)
    expect(p, 0)
    return [json.loads(line) for line in p.stdout.splitlines()]


@case
def answer_after_the_timeout_is_delivered_once_and_exit_4():
    env = base_env()
    with FakeCloud(TOKEN, PHONE_ID) as f:
        # the fake records the message, then answers after the timeout
        f.push(Reply(0, slow=3), endpoint="message")
        p = meta(f, "--to", TO, "--timeout", "1", image_jpg(), env=env)
        expect(p, 4)
        assert "delivery state unknown" in p.stderr
        assert "webhook" in p.stderr
        time.sleep(2.5)  # the late answer has gone out
        assert f.count("POST", MSGS) == 1, "never retried blindly"
        assert f.delivered == {TO: 1}
        rows = journal(env)
        assert [r["state"] for r in rows] == ["unknown"], rows
        # the same send again is refused: the earlier one may have arrived
        p = meta(f, "--to", TO, image_jpg(), env=env)
        expect(p, 1)
        assert "unknown state" in p.stderr and "--resend" in p.stderr
        assert f.count("POST", MSGS) == 1 and f.delivered == {TO: 1}


@case
def a_500_after_the_message_was_recorded_is_exit_4():
    env = base_env()
    with FakeCloud(TOKEN, PHONE_ID) as f:
        f.push(Reply(500, GRAPH_500, record=True), endpoint="message")
        p = meta(f, "--to", TO, "--json", image_jpg(), env=env)
        expect(p, 4)
        out = json.loads(p.stdout)
        assert out["status"] == "unknown"
        assert out["error"]["code"] == "EUNKNOWN"
        assert f.count("POST", MSGS) == 1 and f.delivered == {TO: 1}
        # --resend sends it anyway (the user looked at the webhook)
        p = meta(f, "--to", TO, "--resend", image_jpg(), env=env)
        expect(p, 0)
        assert f.delivered == {TO: 2}
        assert [r["state"] for r in journal(env)] == ["unknown", "sent"]


@case
def a_sent_message_is_refused_again_with_its_id():
    env = base_env()
    with FakeCloud(TOKEN, PHONE_ID) as f:
        p = meta(f, "--to", TO, "--caption", "hi", "--json", image_jpg(),
                 env=env)
        expect(p, 0)
        first = json.loads(p.stdout)["message_id"]
        p = meta(f, "--to", TO, "--caption", "hi", "--json", image_jpg(),
                 env=env)
        expect(p, 1)
        out = json.loads(p.stdout)
        assert out["status"] == "already-sent" and out["message_id"] == first
        assert first in p.stderr
        # another caption is another message
        p = meta(f, "--to", TO, "--caption", "hello", image_jpg(), env=env)
        expect(p, 0)
        assert f.delivered == {TO: 2}
        rows = journal(env)
        assert [r["state"] for r in rows] == ["sent", "sent"]
        assert rows[0]["message_id"] == first and rows[0]["to"] == TO
        assert rows[0]["caption"] == "hi" and rows[0]["kind"] == "image"
        p = run("journal", "--since", "1h", env=env)
        expect(p, 0)
        assert p.stdout.count(TO) == 2 and first in p.stdout
        p = run("journal", "--since", "2999-01-01", "--json", env=env)
        expect(p, 0)
        assert p.stdout == ""


@case
def only_what_did_not_reach_the_provider_is_retried():
    env = base_env()
    with FakeCloud(TOKEN, PHONE_ID) as f:
        f.push(Reply(503, GRAPH_500, {"Retry-After": "1"}),
               Reply(429, graph_error(130429, "(#130429) Rate limit hit"),
                     {"Retry-After": "1"}), endpoint="message")
        p = meta(f, "--to", TO, image_jpg(), env=env)
        expect(p, 0)
        assert f.count("POST", MSGS) == 3 and f.delivered == {TO: 1}
        assert f.problems() == []
    with FakeCloud(TOKEN, PHONE_ID) as f:  # 502 without a record: unknown
        f.push(Reply(502, b""), endpoint="message")
        p = meta(f, "--to", "15550001111", image_jpg(), env=env)
        expect(p, 4)
        assert f.count("POST", MSGS) == 1


@case
def a_scripted_reply_never_hides_a_bad_request():
    import urllib.error
    import urllib.request
    with FakeCloud(TOKEN, PHONE_ID) as f:
        f.push(Reply(500, GRAPH_500, record=True), endpoint="message")
        bad = json.dumps({"messaging_product": "whatsapp", "to": TO,
                          "type": "image", "image": {"id": "nope"}}).encode()
        rq = urllib.request.Request(
            f.url + MSGS, data=bad, method="POST",
            headers={"Authorization": f"Bearer {TOKEN}",
                     "Content-Type": "application/json"})
        try:
            urllib.request.urlopen(rq, timeout=10)
            raise AssertionError("the fake accepted a bad request")
        except urllib.error.HTTPError as e:
            assert e.code == 400, e.code  # its rejection, not the script
        assert f.problems() and "recipient_type" in f.problems()[0]
        assert f.delivered == {}
        # the upload endpoint has no script: a message script is not used
        # for it (per endpoint), and stays for the message
        p = meta(f, "--to", TO, image_jpg(), env=base_env())
        expect(p, 4)
        assert f.count("POST", MEDIA) == 1 and f.delivered == {TO: 1}


def _popen(args, env):
    return subprocess.Popen([BIN, *args], env=dict(os.environ, **env),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def slow_video():
    """A clip send must convert (VP9 in Matroska -> H.264 in MP4)."""
    return fixture("send-once-long.mkv",
                   FF + " -f lavfi -i testsrc=size=640x360:rate=25 -t 20 "
                   "-c:v libvpx-vp9 -deadline realtime -cpu-used 8 -b:v 300k "
                   "{out}")


@case
def sigint_during_the_conversion_sends_nothing():
    env = base_env()
    src = slow_video()
    with FakeCloud(TOKEN, PHONE_ID) as f:
        proc = _popen(["send", "-v", "--provider", "meta", "--to", TO,
                       "--api-base", f.url, src], env)
        seen = ""
        for line in proc.stderr:
            seen += line
            if "converting" in line:
                break
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, (proc.returncode, seen + err)
        time.sleep(0.5)
        assert f.count("POST", MSGS) == 0 and f.delivered == {}
        assert os.listdir(env["TMPDIR"]) == []


@case
def sigint_between_recipients_sends_nothing_after_it():
    env = base_env()
    path = os.path.join(env["HOME"], "to.txt")
    with open(path, "w") as fh:
        fh.write("\n".join(f"1555100{i:04d}" for i in range(40)) + "\n")
    with FakeCloud(TOKEN, PHONE_ID) as f:
        proc = _popen(["send", "--provider", "meta", "--to-file", path,
                       "--rate", "10", "--api-base", f.url, "--json",
                       image_jpg()], env)
        while len(f.delivered) < 3 and proc.poll() is None:
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 130, (proc.returncode, err)
        at_exit = dict(f.delivered)
        time.sleep(0.5)
        assert f.delivered == at_exit, "nothing after the interrupt"
        assert 3 <= len(at_exit) < 40 and set(at_exit.values()) == {1}
        lines = [json.loads(x) for x in out.splitlines()]
        sent = {x["to"] for x in lines if x["status"] == "sent"}
        # a request in flight when SIGINT lands is aborted: "unknown" (it
        # may have been delivered), never "sent" without a delivery
        unknown = {x["to"] for x in lines if x["status"] == "unknown"}
        assert sent <= set(at_exit) <= sent | unknown, (sent, unknown, at_exit)
        assert len(unknown) <= 1, unknown
        # the rerun sends the others once, skips the ones sent
        p = send("--provider", "meta", "--to-file", path, "--rate", "80",
                 "--api-base", f.url, image_jpg(), env=env)
        expect(p, 0)
        assert len(f.delivered) == 40 and set(f.delivered.values()) == {1}
        assert f"already sent" in p.stdout
        assert f.count("POST", MEDIA) == 1, "uploaded once, then the cache"


finish()
