# SPDX-License-Identifier: LGPL-2.1-or-later
"""An answer to a message request that cannot be read is not a refusal: the
request reached the provider, so the outcome is unknown (exit 4, journaled
"unknown", never sent again by a rerun without --resend). Each fake here
records the message (it was delivered) and then misbehaves: a 200 with
malformed JSON, an HTML page, an empty body, no messages[0].id, a 202
without an id, a body over the 1 MiB cap, a reply that is not HTTP, a 3xx.
Only an answer that says it refused the message (a 4xx, an "error" object)
is a failure, which a rerun may send again."""
import json
import os

from sendlib import (LIPA_KEY, ONPREM_TOKEN, PHONE_ID, QIK_KEY, TO, TOKEN,
                     base_env, expect, image_jpg, send)
from fakes import (FakeCloud, FakeLipachat, FakeOnPrem, FakeQikchat,
                   LinkServer, Reply, TestCA, graph_error)
from wapftest import case, finish, run, tmpdir

MSGS = f"/v21.0/{PHONE_ID}/messages"
HTML = (b"<!DOCTYPE html><html><head><title>Service Unavailable</title>"
        b"</head><body><h1>Oops</h1></body></html>")
BIG = b'{"messages":[{"id":"wamid.' + b"A" * (1 << 20) + b'"}]}'

# name -> the scripted answer to the message (recorded: it was delivered)
UNREADABLE = {
    "200 malformed JSON": Reply(200, raw=b'{"messages": [{"id": "wamid.',
                                record=True),
    "200 HTML page": Reply(200, raw=HTML, headers={"Content-Type":
                                                   "text/html"}, record=True),
    "200 empty body": Reply(200, raw=b"", record=True),
    "200 without messages[0].id": Reply(200, {"messaging_product": "whatsapp",
                                              "contacts": [{"input": TO}]},
                                        record=True),
    "202 without an id": Reply(202, {"messaging_product": "whatsapp"},
                               record=True),
    "202 empty": Reply(202, raw=b"", record=True),
    "200 over the 1 MiB cap": Reply(200, raw=BIG, record=True),
    "not HTTP": Reply(wire=b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", record=True),
    "not HTTP, binary": Reply(wire=bytes(range(256)) * 4, record=True),
    "302 redirect": Reply(302, raw=b"", headers={
        "Location": "https://127.0.0.1:9/elsewhere"}, record=True),
    "307 redirect": Reply(307, raw=b"", headers={"Location": MSGS},
                          record=True),
    "100 alone": Reply(wire=b"HTTP/1.1 100 Continue\r\n\r\n", record=True),
}


def journal(env):
    p = run("journal", "--json", env=env)
    expect(p, 0)
    return [json.loads(line) for line in p.stdout.splitlines()]


def meta(f, *args, env):
    return send("--provider", "meta", "--api-base", f.url, "--to", TO,
                *args, env=env)


@case
def every_unreadable_answer_is_unknown_and_never_sent_again():
    for name, reply in UNREADABLE.items():
        env = base_env()
        with FakeCloud(TOKEN, PHONE_ID) as f:
            f.push(reply, endpoint="message")
            p = meta(f, "--json", image_jpg(), env=env)
            expect(p, 4)
            out = json.loads(p.stdout)
            assert out["status"] == "unknown", (name, out)
            assert "webhook" in p.stderr, (name, p.stderr)
            assert "refused" not in p.stderr, (name, p.stderr)
            assert f.delivered == {TO: 1}, (name, f.delivered)
            assert f.count("POST", MSGS) == 1, (name, "never retried")
            rows = journal(env)
            assert [r["state"] for r in rows] == ["unknown"], (name, rows)
            # the rerun refuses: the first may have been delivered
            p = meta(f, image_jpg(), env=env)
            expect(p, 1)
            assert "unknown state" in p.stderr, (name, p.stderr)
            assert f.delivered == {TO: 1}, (name, f.delivered)
            assert f.count("POST", MSGS) == 1, name
            assert f.problems() == [], (name, f.problems())


@case
def a_readable_refusal_is_a_failure_that_a_rerun_may_send():
    cases = {
        "400 Graph error": Reply(400, graph_error(100, "(#100) Invalid "
                                                  "parameter")),
        "200 with an error object": Reply(200, graph_error(
            131026, "(#131026) Message undeliverable")),
        "403 HTML from a gateway": Reply(403, raw=HTML, headers={
            "Content-Type": "text/html"}),
    }
    for name, reply in cases.items():
        env = base_env()
        with FakeCloud(TOKEN, PHONE_ID) as f:
            f.push(reply, endpoint="message")
            p = meta(f, image_jpg(), env=env)
            expect(p, 1)
            assert f.delivered == {}, name
            assert [r["state"] for r in journal(env)] == ["failed"], name
            expect(meta(f, image_jpg(), env=env), 0)
            assert f.delivered == {TO: 1}, name


@case
def onprem_201_without_an_id_is_unknown():
    env = base_env()
    with FakeOnPrem(ONPREM_TOKEN) as f:
        f.push(Reply(201, {"meta": {"api_status": "stable"}}, record=True),
               endpoint="message")
        args = ["--provider", "onprem", "--api-base", f.url, "--to", TO,
                image_jpg()]
        p = send(*args, env=env)
        expect(p, 4)
        assert "messages[0].id" in p.stderr
        expect(send(*args, env=env), 1)
        assert f.delivered == {TO: 1}
        assert [r["state"] for r in journal(env)] == ["unknown"]


def _link():
    ca = TestCA(tmpdir())
    srv = LinkServer(tls=ca)
    with open(image_jpg(), "rb") as fh:
        url = srv.add("/f/photo.jpg", fh.read(), "image/jpeg")
    return srv, url, ca.ca


@case
def qikchat_and_lipachat_answers_without_an_id_are_unknown():
    srv, url, ca = _link()
    with srv:
        link = ["--to", TO, "--link", url, "--cacert", ca, image_jpg()]
        with FakeQikchat(QIK_KEY) as q:
            env = base_env()
            q.push(Reply(200, {"status": True, "message": "Messages queued "
                               "successfully", "data": []}, record=True))
            args = ["--provider", "qikchat", "--api-base", q.url, *link]
            expect(send(*args, env=env), 4)
            expect(send(*args, env=env), 1)
            assert q.delivered == {TO: 1}
            assert [r["state"] for r in journal(env)] == ["unknown"]
        with FakeLipachat(LIPA_KEY) as f:
            env = base_env()
            f.push(Reply(200, {"status": "success", "data": {}}, record=True))
            args = ["--provider", "lipachat", "--from", "254110090747",
                    "--api-base", f.url, *link]
            expect(send(*args, env=env), 4)
            expect(send(*args, env=env), 1)
            assert f.delivered == {TO: 1}
            assert [r["state"] for r in journal(env)] == ["unknown"]


@case
def a_campaign_counts_unreadable_answers_as_unknown():
    env = base_env()
    nums = [f"1555400{i:04d}" for i in range(4)]
    path = os.path.join(env["HOME"], "to.txt")
    with open(path, "w") as fh:
        fh.write("\n".join(nums) + "\n")
    with FakeCloud(TOKEN, PHONE_ID) as f:
        f.push(Reply(200, raw=HTML, record=True), endpoint="message")
        args = ["--provider", "meta", "--api-base", f.url, "--to-file", path,
                image_jpg()]
        p = send(*args, env=env)
        expect(p, 4)
        assert "1 unknown" in p.stdout, p.stdout
        p = send(*args, env=env)
        expect(p, 0)  # the others were sent; the unknown one is skipped
        assert f.delivered == {n: 1 for n in nums}


finish()
