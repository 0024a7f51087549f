# SPDX-License-Identifier: LGPL-2.1-or-later
"""send refuses before any request what cannot go, stops with status 2 on
configuration errors, recovers from 429 and 500, gives one clear line for
each provider error, exits 3 when the provider stays unreachable, and never
shows a secret (every run here goes through sendlib.send, which checks the
output for secrets, with -v)."""
import json
import os
import socket

import sendlib  # noqa: E402
from sendlib import (LIPA_KEY, ONPREM_TOKEN, PHONE_ID, QIK_KEY, TO, TOKEN,
                     base_env, document_pdf, expect, image_jpg, send,
                     sticker_animated_webp, sticker_webp, video_mp4, voice_ogg)
from fakes import (GRAPH_131047, GRAPH_500, GRAPH_RATE, LIPA_401,
                   FakeCloud, FakeLipachat, FakeOnPrem, FakeQikchat, Reply,
                   graph_error)
from wapftest import case, finish, tmpdir

MSGS = f"/v21.0/{PHONE_ID}/messages"
MEDIA = f"/v21.0/{PHONE_ID}/media"


def errors(p):
    """The error lines of a run (not the -v/-vv log lines)."""
    logs = ("wa-preflight: info:", "wa-preflight: warning:",
            "wa-preflight: debug:")
    return [ln for ln in p.stderr.splitlines() if ln and not ln.startswith(logs)]


def _link(path, ctype):
    from fakes import LinkServer, TestCA
    ca = TestCA(tmpdir())
    srv = LinkServer(tls=ca)
    with open(path, "rb") as fh:
        url = srv.add("/f/" + os.path.basename(path), fh.read(), ctype)
    return srv, url, ca.ca


def meta(f, *args, env=None, timeout=120):
    return send("--provider", "meta", "--to", TO, "--api-base", f.url,
                "--no-cache", *args, env=env or base_env(), timeout=timeout)


# ------------------------------------------------ refused before any request

@case
def caption_limits_are_counted_in_characters():
    with FakeCloud(TOKEN, PHONE_ID) as f:
        ok = "é" * 1024  # 2048 bytes, 1024 characters: allowed
        expect(meta(f, "--caption", ok, image_jpg()), 0)
        assert f.sent[-1]["image"]["caption"] == ok
        n = len(f.requests)
        p = meta(f, "--caption", "é" * 1025, image_jpg())
        expect(p, 1)
        assert "1025 characters" in p.stderr
        assert len(f.requests) == n, "no request for a refused caption"


@case
def caption_on_audio_voice_or_sticker_is_refused():
    with FakeCloud(TOKEN, PHONE_ID) as f:
        for args in (["--as", "voice", voice_ogg()], ["--as", "audio", voice_ogg()],
                     [sticker_webp()]):
            p = meta(f, "--caption", "hi", *args)
            expect(p, 1)
            assert "takes no caption" in p.stderr, p.stderr
        assert f.requests == []


@case
def onprem_refuses_animated_stickers_before_any_request():
    with FakeOnPrem(ONPREM_TOKEN) as f:
        base = ["--provider", "onprem", "--to", TO, "--api-base", f.url,
                "--no-cache"]
        p = send(*base, sticker_animated_webp(), env=base_env())
        expect(p, 1)
        assert "animated" in p.stderr, p.stderr
        assert f.requests == []


@case
def a_wrong_document_name_is_refused():
    with FakeCloud(TOKEN, PHONE_ID) as f:
        p = meta(f, "--filename", "report.txt", document_pdf())
        expect(p, 1)
        assert ".pdf" in p.stderr and f.requests == []


# ----------------------------------------------------- configuration: exit 2

@case
def missing_credentials_are_a_configuration_error():
    with FakeCloud(TOKEN, PHONE_ID) as f:
        p = meta(f, image_jpg(), env=base_env(WA_TOKEN=""))
        expect(p, 2)
        assert "WA_TOKEN" in p.stderr
        p = meta(f, image_jpg(), env=base_env(WA_PHONE_NUMBER_ID=""))
        expect(p, 2)
        assert f.requests == []


@case
def lipachat_needs_from_and_onprem_needs_a_base():
    env = base_env()
    p = send("--provider", "lipachat", "--to", TO, "--link",
             "https://127.0.0.1:1/a.jpg", image_jpg(), env=env)
    expect(p, 2)
    assert "--from" in p.stderr
    p = send("--provider", "onprem", "--to", TO, image_jpg(), env=env)
    expect(p, 2)
    assert "--api-base" in p.stderr


@case
def link_only_provider_without_a_link_is_a_usage_error():
    p = send("--provider", "qikchat", "--to", TO, image_jpg(), env=base_env())
    expect(p, 2)
    assert "--link" in p.stderr


@case
def plain_http_only_to_loopback():
    p = send("--provider", "meta", "--to", TO, "--api-base",
             "http://graph.example.com", image_jpg(), env=base_env())
    expect(p, 2)
    assert "HTTPS" in p.stderr


@case
def bad_options_are_usage_errors():
    for args in (["--provider", "telegram", "--to", TO],
                 ["--provider", "meta"],
                 ["--provider", "meta", "--to", TO, "--timeout", "0"]):
        p = send(*args, image_jpg(), env=base_env())
        expect(p, 2)


@case
def config_file_is_read_and_must_be_private():
    env = base_env(WA_TOKEN="", WA_PHONE_NUMBER_ID="")
    cfg_dir = os.path.join(env["XDG_CONFIG_HOME"], "wa-preflight")
    os.makedirs(cfg_dir)
    cfg = os.path.join(cfg_dir, "config")
    with open(cfg, "w") as fh:
        fh.write(f"# test\nWA_TOKEN={TOKEN}\nWA_PHONE_NUMBER_ID = {PHONE_ID}\n")
    with FakeCloud(TOKEN, PHONE_ID) as f:
        os.chmod(cfg, 0o644)
        p = meta(f, image_jpg(), env=env)
        expect(p, 2)
        assert "group or others" in p.stderr and f.requests == []
        os.chmod(cfg, 0o600)
        expect(meta(f, image_jpg(), env=env), 0)
        assert f.problems() == []


# --------------------------------------------------- the provider says no

@case
def rejected_token_is_refused_with_advice():
    with FakeCloud("another-token", PHONE_ID) as f:
        p = meta(f, image_jpg())
        expect(p, 1)
        assert "190" in p.stderr and "token" in p.stderr, p.stderr
        assert f.count() == 1, "a 401 is never retried"


@case
def outside_the_24_hour_window():
    with FakeCloud(TOKEN, PHONE_ID) as f:
        f.push(Reply(0), Reply(400, GRAPH_131047))  # upload fine, send refused
        p = meta(f, "--json", image_jpg())
        expect(p, 1)
        err = errors(p)
        assert len(err) == 1, "one clear line"
        line = err[0]
        assert "131047" in line and "24 hours" in line and "template" in line
        out = json.loads(p.stdout)
        assert out["error"]["provider_code"] == 131047
        assert f.count("POST", MSGS) == 1, "a 400 is never retried"


@case
def rate_limit_429_then_success():
    with FakeCloud(TOKEN, PHONE_ID) as f:
        f.push(Reply(0), Reply(429, GRAPH_RATE, {"Retry-After": "1"}))
        p = meta(f, image_jpg())
        expect(p, 0)
        assert f.count("POST", MSGS) == 2 and f.problems() == []
        assert "429" in p.stderr  # the retry is said under -v


@case
def server_error_500_then_success():
    with FakeCloud(TOKEN, PHONE_ID) as f:
        f.push(Reply(500, GRAPH_500))  # the upload fails once
        p = meta(f, video_mp4())
        expect(p, 0)
        assert f.count("POST", MEDIA) == 2 and f.count("POST", MSGS) == 1


@case
def server_error_that_persists_is_exit_3():
    with FakeCloud(TOKEN, PHONE_ID) as f:
        f.push(*[Reply(503, GRAPH_500)] * 10)
        p = meta(f, image_jpg())
        expect(p, 3)
        assert f.count("POST", MEDIA) == 4, "bounded: 4 tries"
        assert f.count("POST", MSGS) == 0


@case
def slow_answer_past_the_timeout_is_exit_3():
    with FakeCloud(TOKEN, PHONE_ID) as f:
        f.push(*[Reply(200, {"id": "x"}, slow=3)] * 4)
        p = meta(f, "--timeout", "1", image_jpg())
        expect(p, 3)
        assert "timed out" in p.stderr.lower() or "timeout" in p.stderr.lower()
        assert f.count("POST", MSGS) == 0


@case
def malformed_json_is_a_clear_failure():
    with FakeCloud(TOKEN, PHONE_ID) as f:
        f.push(Reply(200, raw=b"{\"id\": \"12"))
        p = meta(f, image_jpg())
        expect(p, 1)
        assert "not a JSON" in p.stderr
        assert f.count("POST", MSGS) == 0


@case
def unreachable_provider_is_exit_3():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    p = send("--provider", "meta", "--to", TO, "--api-base",
             f"http://127.0.0.1:{port}", "--no-cache", image_jpg(),
             env=base_env())
    expect(p, 3)
    assert f"127.0.0.1:{port}" in p.stderr


@case
def secret_echoed_by_a_provider_is_redacted():
    with FakeCloud(TOKEN, PHONE_ID) as f:
        f.push(Reply(400, graph_error(100, f"bad request from {TOKEN}",
                                      f"Authorization: Bearer {TOKEN}")))
        p = meta(f, "--json", image_jpg())  # send() asserts no secret
        expect(p, 1)
        assert "[redacted]" in p.stderr


@case
def pieces_of_a_token_echoed_by_a_provider_are_redacted_everywhere():
    import sqlite3
    from sendlib import no_secret_in
    from wapftest import run
    prefix, middle, suffix = TOKEN[:20], TOKEN[9:19], TOKEN[-9:]
    echo = (f"Malformed access token {prefix}\u2026 (near \"{middle}\", "
            f"ending {suffix})")
    answers = {  # a refusal, a 5xx (unknown), an answer that is not JSON
        "failed": Reply(400, graph_error(190, echo, details=echo)),
        "unknown": Reply(500, graph_error(1, echo, details=echo),
                         record=True),
        "unknown ": Reply(200, raw=echo.encode(), record=True),
    }
    for state, reply in answers.items():
        env = base_env()
        with FakeCloud(TOKEN, PHONE_ID) as f:
            f.push(reply, endpoint="message")
            p = send("--provider", "meta", "--to", TO, "--api-base", f.url,
                     "--json", image_jpg(), env=env)  # -vv: every log line
            expect(p, 1 if state == "failed" else 4)
            assert "[redacted]" in p.stderr, p.stderr
            assert "Malformed access token" in p.stderr
            for args in (["journal"], ["journal", "--json"]):
                j = run(*args, env=env)
                expect(j, 0)
                assert state.strip() in j.stdout, j.stdout
                no_secret_in(j.stdout + j.stderr, "journal")
            db = sendlib.journal_db(env)
            con = sqlite3.connect(db)
            rows = con.execute("SELECT * FROM sends").fetchall()
            con.close()
            assert len(rows) == 1 and "[redacted]" in repr(rows), rows
            no_secret_in(repr(rows), "the journal file")


@case
def lipachat_401_with_status_success_is_a_failure():
    srv, url, ca = _link(document_pdf(), "application/pdf")
    args = ["--provider", "lipachat", "--to", TO, "--from", "254110090747",
            "--link", url, "--cacert", ca, "--json", document_pdf()]
    with srv, FakeLipachat(LIPA_KEY) as f:
        f.push(Reply(401, LIPA_401))
        p = send("--api-base", f.url, *args, env=base_env())
        expect(p, 1)
        assert "Invalid credentials" in p.stderr
        assert json.loads(p.stdout)["message_id"] is None
        assert f.count() == 1, "a 401 is never retried"
        # the same body with HTTP 200: no data.messageId, still a failure
        f.push(Reply(200, LIPA_401))
        p = send("--api-base", f.url, *args, env=base_env())
        expect(p, 1)
        assert "data.messageId" in p.stderr and "Invalid credentials" in p.stderr


@case
def lipachat_keeps_its_message_id_across_retries():
    with FakeLipachat(LIPA_KEY) as f:
        f.push(Reply(500, {"status": 500, "error": "Internal Server Error"}),
               Reply(502, b""))
        srv, url, ca = _link(image_jpg(), "image/jpeg")
        with srv:
            p = send("--provider", "lipachat", "--to", TO, "--from",
                     "254110090747", "--api-base", f.url, "--link", url,
                     "--cacert", ca, image_jpg(), env=base_env())
        expect(p, 0)
        ids = [json.loads(r.body)["messageId"] for r in f.requests]
        assert len(ids) == 3 and len(set(ids)) == 1, ids
        assert f.problems() == []


@case
def qikchat_status_false_is_a_failure():
    with FakeQikchat(QIK_KEY) as q:
        q.push(Reply(200, {"status": False, "message": "Template not approved",
                           "data": []}))
        srv, url, ca = _link(image_jpg(), "image/jpeg")
        with srv:
            p = send("--provider", "qikchat", "--to", TO, "--api-base", q.url,
                     "--link", url, "--cacert", ca, image_jpg(), env=base_env())
        expect(p, 1)
        assert "Template not approved" in p.stderr


@case
def onprem_errors_are_one_line():
    with FakeOnPrem("another-token") as f:
        p = send("--provider", "onprem", "--to", TO, "--api-base", f.url,
                 "--no-cache", image_jpg(), env=base_env())
        expect(p, 1)
        assert len(errors(p)) == 1 and "Access denied" in errors(p)[0]


@case
def interrupt_during_a_request_stops_and_cleans_up():
    import signal
    import subprocess
    import time
    from wapftest import BIN
    env = dict(os.environ, **base_env())
    with FakeCloud(TOKEN, PHONE_ID) as f:
        f.push(Reply(200, {"id": "x"}, slow=8))
        proc = subprocess.Popen(
            [BIN, "send", "--provider", "meta", "--to", TO, "--api-base",
             f.url, "--no-cache", image_jpg()], env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        while f.count() == 0 and proc.poll() is None:
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 130, (proc.returncode, err)
        assert "cancelled" in err
        time.sleep(0.5)  # nothing may follow the interrupted upload
        assert f.count("POST", MSGS) == 0
        assert os.listdir(env["TMPDIR"]) == []
        for s in (TOKEN,):
            assert s not in out + err


finish()
