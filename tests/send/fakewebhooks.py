# SPDX-License-Identifier: LGPL-2.1-or-later
"""A fake Meta (and the gateways) on the webhook side: status payloads in
each provider's shape, signed as Meta signs them (X-Hub-Signature-256:
sha256=HMAC-SHA256 of the raw body under the app secret, computed here with
Python's hmac), POSTed to `wa-preflight serve`; and a serve started on the
test's journal."""
import hashlib
import hmac
import http.client
import json
import os
import sqlite3
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "serve"))
from servelib import Server  # noqa: E402

APP_SECRET = "meta-app-secret-9f8e7d6c5b4a"
VERIFY_TOKEN = "verify-token-0a1b2c3d"
SHARED = "shared-webhook-secret-77aa88bb"
FORWARD_SECRET = "forward-secret-1234abcd"
WEBHOOK_SECRETS = [APP_SECRET, VERIFY_TOKEN, SHARED, FORWARD_SECRET]


def serve_env(env, **extra):
    """serve's environment: the send test's journal, the webhook secrets."""
    e = {k: v for k, v in env.items() if k != "TMPDIR"}
    e.update(WA_APP_SECRET=APP_SECRET, WA_WEBHOOK_VERIFY_TOKEN=VERIFY_TOKEN,
             WA_WEBHOOK_SECRET_ONPREM=SHARED, WA_WEBHOOK_SECRET_QIKCHAT=SHARED,
             WA_WEBHOOK_SECRET_LIPACHAT=SHARED,
             WA_WEBHOOK_SECRET_360DIALOG=SHARED)
    e.update(extra)
    return e


def start_serve(env, *args, **extra):
    return Server(*args, key=None, env=serve_env(env, **extra))


def status(wamid, word, to="15551234567", ts=None, callback=None,
           errors=None):
    s = {"id": wamid, "status": word,
         "timestamp": str(int(ts if ts is not None else time.time())),
         "recipient_id": to}
    if callback is not None:
        s["biz_opaque_callback_data"] = callback
    if errors is not None:
        s["errors"] = errors
    return s


def cloud_body(statuses, phone_id="106540352242922"):
    """entry[].changes[].value.statuses[] as the Cloud API sends it."""
    return {"object": "whatsapp_business_account", "entry": [{
        "id": "WHATSAPP-BUSINESS-ACCOUNT-ID", "changes": [{
            "field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "15550001111",
                             "phone_number_id": phone_id},
                "statuses": statuses}}]}]}


def error_131053(details):
    return [{"code": 131053, "title": "Media upload error",
             "message": "Media upload error",
             "error_data": {"details": details}}]


def sign(raw, secret=APP_SECRET):
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def post(srv, path, body, headers=None, signed=True, conn=None):
    """(status, parsed answer). body: dict (dumped) or bytes."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    h = {"Content-Type": "application/json"}
    if signed:
        h["X-Hub-Signature-256"] = sign(raw)
    h.update(headers or {})
    c = conn or http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
    try:
        c.request("POST", path, body=raw, headers=h)
        r = c.getresponse()
        data = r.read()
    finally:
        if conn is None:
            c.close()
    try:
        return r.status, json.loads(data)
    except ValueError:
        return r.status, data


def journal_db(env):
    """The SQLite journal of env: $XDG_STATE_HOME/wa-preflight, else
    $HOME/.local/state/wa-preflight."""
    state = env.get("XDG_STATE_HOME") or os.path.join(env["HOME"], ".local",
                                                      "state")
    return os.path.join(state, "wa-preflight", "send-journal.sqlite")


def events(env):
    """Every kept status (provider, message_id, status) from the journal."""
    path = journal_db(env)
    if not os.path.exists(path):
        return []
    db = sqlite3.connect(path, timeout=30)
    try:
        return db.execute("SELECT provider, message_id, status FROM statuses "
                          "ORDER BY id").fetchall()
    finally:
        db.close()
