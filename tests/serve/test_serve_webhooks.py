# SPDX-License-Identifier: LGPL-2.1-or-later
"""The webhook intake of `serve` attacked from outside: Meta's handshake;
a bad, missing or foreign signature is 401 and records nothing; replays
are no-ops; out-of-order statuses merge monotonically; malformed bodies
400, over 1 MiB 413; the gateways' shared secrets (Basic, header, path);
statuses matching no send are kept; 10,000 events in a burst are each
committed once with bounded memory; kill -9 mid-burst loses nothing that
was acknowledged; --forward relays every body, signed, in order, to a
target that is down and then up, also across a restart."""
import base64
import hashlib
import hmac
import http.client
import http.server
import json
import os
import signal
import socket
import sqlite3
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "send"))
from fakewebhooks import (APP_SECRET, FORWARD_SECRET, SHARED, VERIFY_TOKEN,  # noqa: E402
                          cloud_body, error_131053, events, journal_db, post,
                          serve_env, sign, start_serve, status)
from servelib import Server  # noqa: E402
from wapftest import case, finish, run, tmpdir  # noqa: E402


def env0():
    d = tmpdir()
    return {"XDG_CACHE_HOME": os.path.join(d, "cache"),
            "XDG_CONFIG_HOME": os.path.join(d, "config"), "HOME": d}


def jrows(env):
    p = run("journal", "--json", "--failed", env=env)
    assert p.returncode == 0, p.stderr
    return [json.loads(x) for x in p.stdout.splitlines()]


@case
def meta_verification_handshake():
    env = env0()
    with start_serve(env) as srv:
        q = ("/webhooks/meta?hub.mode=subscribe&hub.verify_token=%s"
             "&hub.challenge=1158201444")
        st, _, body = srv.request("GET", q % VERIFY_TOKEN, key=False)
        assert st == 200 and body == b"1158201444", (st, body)
        for bad in (q % "wrong", q % VERIFY_TOKEN[:-1], q % "",
                    "/webhooks/meta?hub.mode=unsubscribe&hub.verify_token="
                    + VERIFY_TOKEN + "&hub.challenge=1", "/webhooks/meta"):
            st, _, body = srv.request("GET", bad, key=False)
            assert st == 403 and b"1158201444" not in body, (bad, st)
    with start_serve(env, WA_WEBHOOK_VERIFY_TOKEN="") as srv:
        st, _, _ = srv.request("GET", q % "", key=False)
        assert st == 403, "no token configured: nothing verifies"


@case
def bad_signature_is_401_and_records_nothing():
    env = env0()
    body = cloud_body([status("wamid.A", "delivered")])
    raw = json.dumps(body).encode()
    with start_serve(env) as srv:
        cases = [
            {},  # missing
            {"X-Hub-Signature-256": "sha256=" + "0" * 64},
            {"X-Hub-Signature-256": sign(raw, "another-secret")},
            {"X-Hub-Signature-256": sign(raw + b" ")},  # another body
            {"X-Hub-Signature-256": sign(raw)[:-2]},  # cut
            {"X-Hub-Signature-256": sign(raw).replace("sha256=", "sha1=")},
        ]
        for h in cases:
            st, ans = post(srv, "/webhooks/meta", raw, headers=h,
                           signed=False)
            assert st == 401, (h, st, ans)
            assert APP_SECRET not in json.dumps(ans)
        # a malformed body with a wrong signature: 401 (checked first)
        st, _ = post(srv, "/webhooks/meta", b"{not json", signed=False,
                     headers={"X-Hub-Signature-256": "sha256=" + "1" * 64})
        assert st == 401
        assert events(env) == []
        st, _ = post(srv, "/webhooks/meta", raw)
        assert st == 200
        assert events(env) == [("meta", "wamid.A", "delivered")]
        log = srv.stop()
        assert APP_SECRET not in log


@case
def replay_and_out_of_order_merge_monotonically():
    env = env0()
    with start_serve(env) as srv:
        seq = ["read", "delivered", "sent", "read", "delivered"]
        for word in seq:
            st, ans = post(srv, "/webhooks/meta",
                           cloud_body([status("wamid.B", word)]))
            assert st == 200
        assert sorted(e[2] for e in events(env)) == ["delivered", "read",
                                                     "sent"]
        # the same body again: acknowledged, nothing new
        body = cloud_body([status("wamid.B", "read")])
        st, ans = post(srv, "/webhooks/meta", body)
        assert st == 200 and ans["recorded"] == 0 and ans["events"] == 1
        assert len(events(env)) == 3
        # failed keeps its errors; a later delivered does not undo it
        errs = error_131053("Downloading media from weblink failed with "
                            "http code 429, status message Too Many Requests")
        post(srv, "/webhooks/meta", cloud_body([status("wamid.C", "failed",
                                                       errors=errs)]))
        post(srv, "/webhooks/meta", cloud_body([status("wamid.C",
                                                       "delivered")]))
        rows = [r for r in jrows(env) if r["message_id"] == "wamid.C"]
        assert len(rows) == 1 and rows[0]["errors"][0]["code"] == 131053
        assert "429" in rows[0]["diagnosis"], rows


@case
def malformed_and_oversized_bodies():
    env = env0()
    with start_serve(env) as srv:
        bad = [b"", b"not json", b"[]", b'{"entry": 5}',
               b'{"entry": [{"changes": [{"value": {"statuses": [{"id": 5, '
               b'"status": "read"}]}}]}]}',
               b'{"entry": [{"changes": [{"value": {"statuses": '
               b'"x"}}]}]}', b'{"a": 1, "a": 2}', b"\xff\xfe{}"]
        for raw in bad:
            st, ans = post(srv, "/webhooks/meta", raw)
            assert st == 400, (raw, st, ans)
        big = json.dumps(cloud_body([status("wamid.D", "read")]) |
                         {"pad": "x" * (1 << 20)}).encode()
        # the declared length is over the cap: 413, or the connection cut
        # while the client still writes the body it was told not to send
        try:
            st, _ = post(srv, "/webhooks/meta", big)
        except (BrokenPipeError, ConnectionResetError):
            st = 413
        assert st == 413
        # chunked, no Content-Length, over the cap
        c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
        c.putrequest("POST", "/webhooks/meta")
        c.putheader("Transfer-Encoding", "chunked")
        c.putheader("X-Hub-Signature-256", sign(big))
        c.endheaders()
        try:
            for i in range(0, len(big), 65536):
                part = big[i:i + 65536]
                c.send(b"%x\r\n%s\r\n" % (len(part), part))
            c.send(b"0\r\n\r\n")
            st = c.getresponse().status
        except (BrokenPipeError, ConnectionResetError):
            st = 413
        c.close()
        assert st == 413
        # an inbound message (no statuses): accepted, nothing recorded
        st, ans = post(srv, "/webhooks/meta", {"object": "x", "entry": [{
            "changes": [{"value": {"messages": [{"id": "wamid.in"}]}}]}]})
        assert st == 200 and ans["events"] == 0
        st, _ = post(srv, "/webhooks/nosuch", b"{}")
        assert st == 404
        st, _, _ = srv.request("PUT", "/webhooks/meta", b"{}", key=False)
        assert st == 405
        assert events(env) == []
        srv.alive()


@case
def gateways_shared_secrets_and_unmatched_kept():
    env = env0()
    body = {"statuses": [{"id": "gBEGkYiEB1VXAgIK1ZEqA1YKPrU",
                          "status": "failed", "timestamp": "1700000000",
                          "recipient_id": "15550001",
                          "errors": [{"code": 131047,
                                      "title": "Re-engagement message"}]}]}
    basic = "Basic " + base64.b64encode(b"any:" + SHARED.encode()).decode()
    wrong = "Basic " + base64.b64encode(b"any:nope").decode()
    with start_serve(env) as srv:
        for path, h in (("/webhooks/onprem", {}),
                        ("/webhooks/onprem", {"Authorization": wrong}),
                        ("/webhooks/onprem/nope", {}),
                        ("/webhooks/qikchat", {"X-Webhook-Secret": "no"})):
            st, _ = post(srv, path, body, headers=h, signed=False)
            assert st == 401, (path, h, st)
        st, ans = post(srv, "/webhooks/onprem", body, signed=False,
                       headers={"Authorization": basic})
        assert st == 200 and ans == {"status": "ok", "events": 1,
                                     "recorded": 1, "matched": 0}, ans
        q = {"statuses": {"id": "52JH6WmuSruAVyXvBBYemd0Ia",
                          "status": "delivered", "timestamp": "1700000001"}}
        st, ans = post(srv, "/webhooks/qikchat/" + SHARED, q, signed=False)
        assert st == 200 and ans["recorded"] == 1, ans
        st, ans = post(srv, "/webhooks/360dialog", cloud_body(
            [status("wamid.D3", "read")]), signed=False,
            headers={"X-Webhook-Secret": SHARED})
        assert st == 200 and ans["recorded"] == 1, ans
        rows = jrows(env)
        assert len(rows) == 1 and rows[0]["state"] is None, rows
        assert "template" in rows[0]["diagnosis"], rows
        p = run("journal", "--failed", env=env)
        assert "not sent by wa-preflight" in p.stdout, p.stdout
    with start_serve(env, WA_WEBHOOK_SECRET_ONPREM="") as srv:
        st, _ = post(srv, "/webhooks/onprem", body, signed=False,
                     headers={"Authorization": basic})
        assert st == 503, "no secret configured: nothing accepted"


def burst(srv, bodies, threads=8, acked=None):
    """POST each body (keep-alive connections); acked: list of indexes."""
    lock = threading.Lock()
    it = iter(range(len(bodies)))
    fails = []

    def worker():
        c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=120)
        while True:
            with lock:
                i = next(it, None)
            if i is None:
                break
            raw = bodies[i]
            try:
                c.request("POST", "/webhooks/meta", body=raw, headers={
                    "X-Hub-Signature-256": sign(raw)})
                r = c.getresponse()
                r.read()
                if r.status == 200 and acked is not None:
                    with lock:
                        acked.append(i)
                elif r.status != 200:
                    fails.append(r.status)
            except (OSError, http.client.HTTPException) as e:
                fails.append(repr(e))
                c.close()
                if acked is not None:
                    return
                c = http.client.HTTPConnection("127.0.0.1", srv.port,
                                               timeout=120)
        c.close()

    ts = [threading.Thread(target=worker) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return fails


def make_bodies(n_bodies, per, tag):
    return [json.dumps(cloud_body([
        status(f"wamid.{tag}.{i}.{k}", "delivered") for k in range(per)]))
        .encode() for i in range(n_bodies)]


@case
def ten_thousand_events_in_a_burst():
    env = env0()
    with start_serve(env) as srv:
        post(srv, "/webhooks/meta", cloud_body([status("wamid.warm", "sent")]))
        bodies = make_bodies(2500, 4, "burst")
        # memory is bounded: the second half of the burst does not raise
        # the peak the first half reached (a sanitizer's quarantine fills
        # during the first; a leak or a growing buffer would go on)
        fails = burst(srv, bodies[:1250])
        assert fails == [], fails[:5]
        half = srv.peak_rss_kb()
        fails = burst(srv, bodies[1250:])
        assert fails == [], fails[:5]
        # replayed in full: nothing doubles
        fails = burst(srv, bodies[:500])
        assert fails == []
        got = [e for e in events(env) if e[1].startswith("wamid.burst.")]
        assert len(got) == 10000 and len(set(got)) == 10000, len(got)
        grew = srv.peak_rss_kb() - half
        assert grew < 64 * 1024, f"peak RSS grew by {grew} kB"
        srv.alive()


@case
def kill_9_mid_burst_loses_nothing_acknowledged():
    env = env0()
    bodies = make_bodies(3000, 2, "kill")
    srv = start_serve(env)
    acked = []
    t = threading.Thread(target=burst, args=(srv, bodies),
                         kwargs={"acked": acked})
    t.start()
    while len(acked) < 300 and t.is_alive():
        time.sleep(0.01)
    os.kill(srv.proc.pid, signal.SIGKILL)
    srv.proc.wait()
    t.join()
    srv.proc.stdout.close()
    srv.proc.stderr.close()
    assert 300 <= len(acked) < len(bodies), len(acked)
    kept = set(e[1] for e in events(env))
    for i in acked:
        for k in range(2):
            assert f"wamid.kill.{i}.{k}" in kept, f"acknowledged {i} lost"
    # the provider retries what was not acknowledged: all once, after
    with start_serve(env) as srv2:
        missing = [bodies[i] for i in range(len(bodies)) if i not in
                   set(acked)]
        assert burst(srv2, missing) == []
        got = [e for e in events(env) if e[1].startswith("wamid.kill.")]
        assert len(got) == 6000 and len(set(got)) == 6000, len(got)


class Target(http.server.BaseHTTPRequestHandler):
    got = []
    bad = []

    def do_POST(self):
        raw = self.rfile.read(int(self.headers["Content-Length"]))
        want = "sha256=" + hmac.new(FORWARD_SECRET.encode(), raw,
                                    hashlib.sha256).hexdigest()
        if self.headers.get("X-Preflight-Signature-256") != want:
            Target.bad.append(raw)
            self.send_response(400)
        else:
            Target.got.append(raw)
            self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *a):
        pass


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@case
def forwarding_to_a_target_down_then_up_in_order_across_a_restart():
    env = env0()
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    Target.got, Target.bad = [], []
    raws = [json.dumps(cloud_body([status("wamid.F", w)])).encode()
            for w in ("sent", "delivered", "read")]
    with start_serve(env, "--forward", url,
                     WA_FORWARD_SECRET=FORWARD_SECRET) as srv:
        for raw in raws[:2]:
            st, _ = post(srv, "/webhooks/meta", raw)
            assert st == 200
        time.sleep(1.5)  # tried while the target is down
    with start_serve(env, "--forward", url,
                     WA_FORWARD_SECRET=FORWARD_SECRET) as srv:
        st, _ = post(srv, "/webhooks/meta", raws[2])
        assert st == 200
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Target)
        th = threading.Thread(target=httpd.serve_forever, daemon=True)
        th.start()
        try:
            for _ in range(1200):
                if len(Target.got) >= 3:
                    break
                time.sleep(0.1)
            time.sleep(1)
        finally:
            httpd.shutdown()
            httpd.server_close()
    assert Target.bad == []
    assert Target.got == raws, Target.got  # unchanged, each once, in order
    db = sqlite3.connect(journal_db(env))
    assert db.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0
    db.close()
    p = run("serve", "--listen", "127.0.0.1:0", "--forward", url,
            env=dict(serve_env(env), WA_FORWARD_SECRET=""), timeout=30)
    assert p.returncode == 2 and "WA_FORWARD_SECRET" in p.stderr


finish()
