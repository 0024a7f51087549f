# SPDX-License-Identifier: LGPL-2.1-or-later
"""One media, many recipients: uploaded once, each recipient delivered
once (also after a kill -9 and a rerun, and with two runs at once); a
131056 delays only its recipient; templates with an image, a video and a
document header (and none) as meta, 360dialog and onprem document them;
voice notes through onprem, qikchat and lipachat as audio; the temporary
folders of a killed run are removed by the next one, and only those."""
import json
import os
import random
import signal
import subprocess
import time

from sendlib import (D360_KEY, LIPA_KEY, ONPREM_TOKEN, PHONE_ID, QIK_KEY, TO,
                     TOKEN, base_env, document_pdf, expect, image_jpg,
                     image_png_alpha, send, video_mp4, voice_ogg)
from fakes import (FakeCloud, FakeLipachat, FakeOnPrem, FakeQikchat,
                   LinkServer, Reply, TestCA, graph_error)
from wapftest import BIN, case, finish, run, tmpdir

MSGS = f"/v21.0/{PHONE_ID}/messages"
MEDIA = f"/v21.0/{PHONE_ID}/media"


def numbers(n, prefix="1555"):
    return [f"{prefix}{i:07d}" for i in range(n)]


def to_file(env, nums, name="to.txt"):
    path = os.path.join(env["HOME"], name)
    with open(path, "w") as fh:
        fh.write("\n".join(nums) + "\n")
    return path


def journal_states(env):
    p = run("journal", "--json", env=env)
    expect(p, 0)
    out = {}
    for line in p.stdout.splitlines():
        r = json.loads(line)
        out.setdefault(r["to"], []).append(r["state"])
    return out


def meta_many(f, path, env, *extra):
    return [BIN, "send", "--provider", "meta", "--to-file", path,
            "--api-base", f.url, "--rate", "200", *extra, image_jpg()]


@case
def a_thousand_recipients_each_once_also_after_kill_9():
    env = base_env()
    nums = numbers(1000)
    path = to_file(env, nums)
    with FakeCloud(TOKEN, PHONE_ID) as f:
        proc = subprocess.Popen(meta_many(f, path, env, "-q"),
                                env=dict(os.environ, **env),
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        deadline = time.time() + 60
        stop_at = random.randint(50, 900)  # a random moment of the run
        while len(f.delivered) < stop_at and time.time() < deadline \
                and proc.poll() is None:
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        killed_at = len(f.delivered)
        p = subprocess.run(meta_many(f, path, env, "-q"),
                           env=dict(os.environ, **env), capture_output=True,
                           text=True, timeout=120)
        assert p.returncode == 0, (p.returncode, p.stderr[-2000:])
        assert max(f.delivered.values()) == 1, "nobody twice"
        missing = [n for n in nums if n not in f.delivered]
        states = journal_states(env)
        # a recipient not delivered was claimed by the killed run just
        # before the kill: the journal says unknown, never a silent loss
        assert all(states[n][-1] == "unknown" for n in missing), missing
        assert len(missing) <= 1, missing
        assert f.count("POST", MEDIA) == 1, "one upload for all"
        assert f.problems() == []
        assert 0 < killed_at < 1000


@case
def two_runs_at_once_never_send_one_recipient_twice():
    env = base_env()
    nums = numbers(100, "1666")
    path = to_file(env, nums)
    with FakeCloud(TOKEN, PHONE_ID) as f:
        procs = [subprocess.Popen(meta_many(f, path, env, "--json"),
                                  env=dict(os.environ, **env),
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
        outs = [p.communicate(timeout=120) for p in procs]
        for p, (out, err) in zip(procs, outs):
            assert p.returncode == 0, (p.returncode, err)
        assert f.delivered == {n: 1 for n in nums}
        sent = [json.loads(x) for out, _ in outs for x in out.splitlines()]
        assert sum(x["status"] == "sent" for x in sent) == 100
        # the other run's: sent already, or held by the run sending it now
        assert sum(x["status"] in ("already-sent", "claimed-elsewhere")
                   for x in sent) == 100, [x["status"] for x in sent]
        for n in nums:  # each recipient: one "sent", and one of the others
            words = sorted(x["status"] for x in sent if x["to"] == n)
            assert len(words) == 2 and words[1] == "sent", (n, words)


GRAPH_131056 = graph_error(131056, "(#131056) (Business Account, Consumer "
                           "Account) pair rate limit hit",
                           "Too many messages sent from the sender phone "
                           "number to the same recipient phone number in a "
                           "short period of time.")


@case
def a_131056_delays_only_that_recipient():
    env = base_env()
    nums = numbers(6, "1777")
    with FakeCloud(TOKEN, PHONE_ID) as f:
        # the first message (to nums[0]) hits the pair rate limit
        f.push(Reply(400, GRAPH_131056), endpoint="message")
        args = ["--provider", "meta", "--api-base", f.url, "--rate", "50"]
        for n in nums:
            args += ["--to", n]
        p = send(*args, "--json", image_jpg(), env=env)
        expect(p, 0)
        order = [b["to"] for b in f.sent]
        assert order == nums[1:] + nums[:1], order
        assert f.delivered == {n: 1 for n in nums}
        assert f.count("POST", MSGS) == 7


@case
def duplicates_and_bad_numbers_in_the_list():
    env = base_env()
    with FakeCloud(TOKEN, PHONE_ID) as f:
        path = to_file(env, ["+1 555 000 0001", "15550000001", "# comment",
                             "", "15550000002"])
        p = send("--provider", "meta", "--api-base", f.url, "--to-file", path,
                 image_jpg(), env=env)
        expect(p, 0)
        assert "given twice" in p.stderr
        assert f.delivered == {"15550000001": 1, "15550000002": 1}
        bad = to_file(env, ["15550000001", "call me"], "bad.txt")
        p = send("--provider", "meta", "--api-base", f.url, "--to-file", bad,
                 image_jpg(), env=env)
        expect(p, 2)
        assert "line 2" in p.stderr
        p = run("send", "--provider", "meta", "--api-base", f.url,
                "--to-file", "-", "--resend", image_jpg(),
                input="15550000009\n", env=env)
        expect(p, 0)
        assert f.delivered["15550000009"] == 1


@case
def a_stale_cached_id_is_uploaded_again_for_the_list():
    env = base_env()
    with FakeCloud(TOKEN, PHONE_ID) as f:
        expect(send("--provider", "meta", "--to", "15558880000", "--api-base",
                    f.url, image_jpg(), env=env), 0)
        f.media.clear()  # the provider forgot it; our cache did not
        p = send("--provider", "meta", "--to", "15558880001", "--to",
                 "15558880002", "--api-base", f.url, image_jpg(), env=env)
        expect(p, 0)
        assert f.count("POST", MEDIA) == 2
        assert f.delivered == {"15558880000": 1, "15558880001": 1,
                               "15558880002": 1}


# ------------------------------------------------------------- templates

def _template(f, provider, env, *extra):
    return send("--provider", provider, "--to", TO, "--api-base", f.url,
                "--template", "order_update", "--language", "en_US",
                "--param", "Ana", "--param", "#1234", *extra, env=env)


@case
def templates_with_each_header_kind_are_accepted():
    files = {"image": image_jpg(), "video": video_mp4(),
             "document": document_pdf()}
    fakes = [("meta", FakeCloud(TOKEN, PHONE_ID), []),
             ("360dialog", FakeCloud(D360_KEY, dialect="360dialog"), []),
             ("onprem", FakeOnPrem(ONPREM_TOKEN), ["--namespace", "ns-1"])]
    for provider, fake, extra in fakes:
        env = base_env()
        with fake as f:
            for kind, path in files.items():
                p = _template(f, provider, env, *extra, path)
                expect(p, 0)
                assert f.problems() == []
                t = f.sent[-1]["template"]
                assert f.sent[-1]["type"] == "template"
                head, body = t["components"]
                assert head["parameters"][0]["type"] == kind
                assert head["parameters"][0][kind]["id"] in f.media
                assert [x["text"] for x in body["parameters"]] == ["Ana",
                                                                  "#1234"]
                if provider == "onprem":
                    assert t["namespace"] == "ns-1"
                    assert t["language"] == {"policy": "deterministic",
                                             "code": "en_US"}
                else:
                    assert t["language"] == {"code": "en_US"}
            p = _template(f, provider, env, *extra)  # no header
            expect(p, 0)
            assert [c["type"] for c in f.sent[-1]["template"]["components"]] \
                == ["body"]
            assert f.problems() == []


@case
def templates_are_refused_for_qikchat_and_lipachat_before_any_request():
    env = base_env()
    with FakeQikchat(QIK_KEY) as q, FakeLipachat(LIPA_KEY) as lc:
        p = _template(q, "qikchat", env, "--link", "https://127.0.0.1:1/a.jpg",
                      image_jpg())
        expect(p, 1)
        assert "template" in p.stderr
        p = _template(lc, "lipachat", env, "--from", "254110090747")
        expect(p, 1)
        assert q.requests == [] and lc.requests == []
    with FakeCloud(TOKEN, PHONE_ID) as f:  # a sticker is no header
        p = _template(f, "meta", env, voice_ogg())
        expect(p, 1)
        assert "header" in p.stderr and f.requests == []


# ---------------------------------------------------------------- voice

def _link(path, ctype):
    ca = TestCA(tmpdir())
    srv = LinkServer(tls=ca)
    with open(path, "rb") as fh:
        url = srv.add("/v/voice.ogg", fh.read(), ctype)
    return srv, url, ca.ca


@case
def voice_notes_go_as_audio_where_there_is_no_voice_flag():
    env = base_env()
    with FakeOnPrem(ONPREM_TOKEN) as f:
        p = send("--provider", "onprem", "--to", TO, "--api-base", f.url,
                 "--as", "voice", voice_ogg(), env=env)
        expect(p, 0)
        assert "no voice flag" in p.stderr
        assert f.sent[-1]["type"] == "audio" and "voice" not in f.sent[-1]["audio"]
        assert f.media[f.sent[-1]["audio"]["id"]]["mime"] == "audio/ogg"
    srv, url, ca = _link(voice_ogg(), "audio/ogg; codecs=opus")
    with srv, FakeQikchat(QIK_KEY) as q, FakeLipachat(LIPA_KEY) as lc:
        p = send("--provider", "qikchat", "--to", TO, "--api-base", q.url,
                 "--as", "voice", "--link", url, "--cacert", ca, voice_ogg(),
                 env=env)
        expect(p, 0)
        assert q.sent[-1]["type"] == "audio" and q.problems() == []
        p = send("--provider", "lipachat", "--to", TO, "--from",
                 "254110090747", "--api-base", lc.url, "--as", "voice",
                 "--link", url, "--cacert", ca, voice_ogg(), env=env)
        expect(p, 0)
        assert lc.sent[-1]["mediaType"] == "AUDIO" and lc.problems() == []


# ------------------------------------------------ temporary folders (#13)

def _marker(d, pid, start):
    os.makedirs(d)
    with open(os.path.join(d, ".wapf-send-owner"), "w") as fh:
        fh.write(f"{pid} {start}\n")
    with open(os.path.join(d, "left.jpg"), "wb") as fh:
        fh.write(b"x" * 100)


def _start_time(pid):
    with open(f"/proc/{pid}/stat") as fh:
        return fh.read().rsplit(")", 1)[1].split()[19]


@case
def folders_of_a_killed_run_are_removed_and_only_those():
    env = base_env()
    tmp = env["TMPDIR"]
    dead = subprocess.Popen(["sleep", "0"])
    dead_start = _start_time(dead.pid)
    dead.wait()
    _marker(os.path.join(tmp, "wapf-send-dead01"), dead.pid, dead_start)
    live = os.path.join(tmp, "wapf-send-live01")
    _marker(live, os.getpid(), _start_time(os.getpid()))
    theirs = os.path.join(tmp, "wapf-send-user01")  # no marker: not ours
    os.makedirs(theirs)
    with FakeCloud(TOKEN, PHONE_ID) as f:
        p = send("--provider", "meta", "--to", TO, "--api-base", f.url,
                 image_png_alpha(), env=env)  # converts: sweeps first
        expect(p, 0)
    assert sorted(os.listdir(tmp)) == ["wapf-send-live01", "wapf-send-user01"]
    assert os.listdir(live) != []


finish()
