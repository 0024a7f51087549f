# SPDX-License-Identifier: LGPL-2.1-or-later
"""Status webhooks close the loop of a send: a message whose answer was
lost (exit 4) is resolved by a signed webhook carrying its callback data;
a delivered one is then refused again even with --resend; a failed one
(131053) is listed by `journal --failed` with the provider's words and a
diagnosis, and may be sent again without --resend; `send --wait` exits 0,
1 or 4; Lipachat correlates by its messageId, the On-Premises API by the
answer's message id."""
import json
import subprocess
import time

from sendlib import (ONPREM_TOKEN, PHONE_ID, TO, TOKEN, LIPA_KEY, base_env,
                     expect, image_jpg, read, send, voice_ogg)
from fakes import (FakeCloud, FakeLipachat, FakeOnPrem, LinkServer, Reply,
                   TestCA)
from fakewebhooks import (SHARED, WEBHOOK_SECRETS, cloud_body, error_131053,
                          post, start_serve, status)
from wapftest import BIN, case, finish, run, tmpdir

MSGS = f"/v21.0/{PHONE_ID}/messages"


def meta(f, *args, env):
    return send("--provider", "meta", "--api-base", f.url, *args, env=env)


def journal(env, *extra):
    p = run("journal", "--json", *extra, env=env)
    expect(p, 0)
    for s in WEBHOOK_SECRETS:
        assert s not in p.stdout + p.stderr
    return [json.loads(line) for line in p.stdout.splitlines()]


@case
def lost_answer_resolved_by_a_signed_webhook_and_resend_refused():
    env = base_env()
    with FakeCloud(TOKEN, PHONE_ID) as f, start_serve(env) as srv:
        f.push(Reply(0, slow=3), endpoint="message")
        p = meta(f, "--to", TO, "--timeout", "1", image_jpg(), env=env)
        expect(p, 4)
        time.sleep(2.5)  # the late answer went out; the message was taken
        assert f.count("POST", MSGS) == 1
        cb = f.sent[-1].get("biz_opaque_callback_data")
        assert cb, "the message carries the journal's reference"
        wamid = f.message_ids[-1]
        assert [r["state"] for r in journal(env)] == ["unknown"]
        # Meta's webhooks, signed with the app secret
        for word in ("sent", "delivered"):
            st, ans = post(srv, "/webhooks/meta",
                           cloud_body([status(wamid, word, callback=cb)]))
            assert st == 200 and ans["matched"] == 1, (st, ans)
        rows = journal(env)
        assert len(rows) == 1, rows
        r = rows[0]
        assert r["state"] == "sent" and r["status"] == "delivered", r
        assert r["message_id"] == wamid and r["status_at"], r
        p = run("journal", env=env)
        assert "delivered" in p.stdout, p.stdout
        # no resend needed: refused even with --resend, saying why
        p = meta(f, "--to", TO, "--resend", image_jpg(), env=env)
        expect(p, 1)
        assert "already delivered" in p.stderr and wamid in p.stderr, p.stderr
        assert f.count("POST", MSGS) == 1 and f.delivered == {TO: 1}


@case
def failed_131053_is_diagnosed_and_may_be_sent_again():
    env = base_env()
    with FakeCloud(TOKEN, PHONE_ID) as f, start_serve(env) as srv:
        p = meta(f, "--to", TO, "--as", "voice", voice_ogg(), env=env)
        expect(p, 0)
        cb = f.sent[-1]["biz_opaque_callback_data"]
        wamid = f.message_ids[-1]
        errs = error_131053("Unsupported Audio mime type audio/opus. Please "
                            "use one of audio/aac, audio/mp4, audio/mpeg, "
                            "audio/amr, audio/ogg.")
        body = cloud_body([status(wamid, "sent", callback=cb),
                           status(wamid, "failed", callback=cb, errors=errs)])
        st, ans = post(srv, "/webhooks/meta", body)
        assert st == 200 and ans["recorded"] == 2, ans
        p = run("journal", "--failed", env=env)
        expect(p, 0)
        assert "Unsupported Audio mime type audio/opus" in p.stdout, p.stdout
        assert "131053" in p.stdout
        assert "audio/ogg" in p.stdout.split("diagnosis:")[1], p.stdout
        assert "checked again" in p.stdout, p.stdout  # the file is at hand
        rows = journal(env, "--failed")
        assert rows[0]["status"] == "failed"
        assert rows[0]["errors"][0]["code"] == 131053
        assert "audio/opus" in rows[0]["diagnosis"]
        # a later "delivered" (out of order) does not undo the failure
        post(srv, "/webhooks/meta",
             cloud_body([status(wamid, "delivered", callback=cb)]))
        assert journal(env)[0]["status"] == "failed"
        # failed by the provider's word: sent again without --resend
        p = meta(f, "--to", TO, "--as", "voice", voice_ogg(), env=env)
        expect(p, 0)
        assert f.count("POST", MSGS) == 2
        assert f.sent[-1]["biz_opaque_callback_data"] != cb, "one per attempt"


@case
def send_wait_reached_failed_and_timeout():
    env = base_env()
    with FakeCloud(TOKEN, PHONE_ID) as f, start_serve(env) as srv:
        def waiting(*extra):
            caption = f"wait {f.count('POST', MSGS)}"  # a new message
            return subprocess.Popen(
                [BIN, "send", "--provider", "meta", "--api-base", f.url,
                 "--to", TO, "--caption", caption, *extra, image_jpg()],
                env=env,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

        def sent_count(n):
            for _ in range(600):
                if f.count("POST", MSGS) >= n:
                    return
                time.sleep(0.1)
            raise AssertionError("the message was not sent")

        w = waiting("--wait", "delivered", "--wait-timeout", "120")
        sent_count(1)
        cb, wamid = f.sent[-1]["biz_opaque_callback_data"], f.message_ids[-1]
        post(srv, "/webhooks/meta", cloud_body([status(wamid, "sent",
                                                       callback=cb)]))
        time.sleep(0.5)
        assert w.poll() is None, "sent is not delivered: still waiting"
        post(srv, "/webhooks/meta", cloud_body([status(wamid, "read",
                                                       callback=cb)]))
        out, err = w.communicate(timeout=120)
        assert w.returncode == 0, (out, err)
        assert "read" in out

        w = waiting("--wait", "read", "--json")
        sent_count(2)
        cb, wamid = f.sent[-1]["biz_opaque_callback_data"], f.message_ids[-1]
        post(srv, "/webhooks/meta", cloud_body([status(
            wamid, "failed", callback=cb, errors=error_131053(
                "Unsupported Image mime type text/html"))]))
        out, err = w.communicate(timeout=120)
        assert w.returncode == 1, (out, err)
        j = json.loads(out)
        assert j["wait"]["outcome"] == "failed"
        assert "HTML" in j["wait"]["diagnosis"], j
        assert "text/html" in err

        w = waiting("--wait", "sent", "--wait-timeout", "2")
        out, err = w.communicate(timeout=120)
        assert w.returncode == 4, (out, err)
        assert "no 'sent' status" in err


@case
def lipachat_correlates_by_its_message_id():
    env = base_env()
    ca = TestCA(tmpdir())
    with LinkServer(tls=ca) as links, FakeLipachat(LIPA_KEY) as f, \
            start_serve(env) as srv:
        url = links.add("/files/photo.jpg", read(image_jpg()), "image/jpeg",
                        {"Cache-Control": "public, max-age=600"})
        p = send("--provider", "lipachat", "--api-base", f.url, "--from",
                 "254110090747", "--to", TO, "--link", url, "--cacert",
                 ca.ca, image_jpg(), env=env)
        expect(p, 0)
        mid = f.sent[-1]["messageId"]  # ours, as Lipachat documents it
        hook = {"messageId": mid, "status": "DELIVERED",
                "timestamp": int(time.time() * 1000)}
        st, _ = post(srv, "/webhooks/lipachat", hook, signed=False,
                     headers={"X-Webhook-Secret": "wrong"})
        assert st == 401
        st, ans = post(srv, "/webhooks/lipachat", hook, signed=False,
                       headers={"X-Webhook-Secret": SHARED})
        assert st == 200 and ans["matched"] == 1, (st, ans)
        rows = journal(env)
        assert rows[-1]["status"] == "delivered", rows


@case
def onprem_correlates_by_the_answer_message_id():
    env = base_env()
    with FakeOnPrem(ONPREM_TOKEN) as f, start_serve(env) as srv:
        env["WA_ONPREM_BASE"] = f.url
        p = send("--provider", "onprem", "--to", TO, image_jpg(), env=env)
        expect(p, 0)
        mid = journal(env)[0]["message_id"]
        body = {"statuses": [{"id": mid, "status": "read",
                              "timestamp": str(int(time.time())),
                              "recipient_id": TO}]}
        st, ans = post(srv, "/webhooks/onprem/" + SHARED, body, signed=False)
        assert st == 200 and ans["matched"] == 1, (st, ans)
        assert journal(env)[0]["status"] == "read"


finish()
