# SPDX-License-Identifier: LGPL-2.1-or-later
"""Strict fake providers on 127.0.0.1, written from the providers' public
documentation (../shared/docs/whatsapp-media.md: endpoints, headers, bodies
and answers). Each checks method, path, headers, auth and every body field
exactly as documented and rejects anything else in the provider's own error
shape; each records what it saw and can be told to answer with an error.

A fake runs in a thread of the test process on a free port:

    with FakeCloud(token="T", phone_id="123") as f:
        f.push(Reply(429, GRAPH_RATE, {"Retry-After": "1"}))
        run("send", ..., "--api-base", f.url)
        assert f.count("POST", "/v21.0/123/messages") == 2
"""
import re
import time
import uuid

from fakebase import (Bad, Fake, Reply, Seen, check_caption, exact_keys,  # noqa: F401
                      is_webp_animated, kind_of_mime, now_iso, parse_multipart,
                      CLOUD_TYPES, MEDIA_FIELDS)
from fake_storage import (FakeS3, LinkServer, TestCA,  # noqa: F401
                          canonical_request, sigv4_signature)

# ------------------------------------------------- Cloud API and 360dialog



def graph_error(code, message, details=None, subcode=None, etype="OAuthException"):
    e = {"message": message, "type": etype, "code": code,
         "fbtrace_id": "AbCdEf" + uuid.uuid4().hex[:10]}
    if subcode is not None:
        e["error_subcode"] = subcode
    if details is not None:
        e["error_data"] = {"messaging_product": "whatsapp", "details": details}
    return {"error": e}


GRAPH_131047 = graph_error(
    131047, "(#131047) Re-engagement message",
    "Message failed to send because more than 24 hours have passed since the "
    "customer last replied to this number.")
GRAPH_RATE = graph_error(130429, "(#130429) Rate limit hit",
                         "Cloud API message throughput has been reached.")
GRAPH_500 = graph_error(1, "An unknown error occurred", etype="OAuthException")
GRAPH_190 = graph_error(190, "Invalid OAuth access token - Cannot parse access token")


class FakeCloud(Fake):
    """Meta's Cloud API (dialect "meta": /{version}/{phone-id}/media|messages
    with Authorization: Bearer) or 360dialog (/media, /messages with
    D360-API-KEY): the same bodies."""

    def __init__(self, token, phone_id="106540352242922", dialect="meta",
                 version="v21.0", tls=None):
        super().__init__(tls)
        self.token, self.phone_id = token, phone_id
        self.dialect, self.version = dialect, version
        self.media = {}  # id -> {"mime", "data", "filename"}
        self.sent = []  # accepted message bodies
        self.message_ids = []  # the ids answered

    def _prefix(self):
        if self.dialect == "meta":
            return f"/{self.version}/{self.phone_id}"
        return ""

    def reject(self, h, seen, err):
        if err.status == 401:
            h.answer(401, GRAPH_190)
        else:
            h.answer(err.status, graph_error(100, "(#100) Invalid parameter",
                                             err.why))

    def _auth(self, seen):
        if self.dialect == "meta":
            self.need(seen.headers.get("authorization") == f"Bearer {self.token}",
                      "bad or missing Authorization: Bearer", 401)
        else:
            self.need(seen.headers.get("d360-api-key") == self.token,
                      "bad or missing D360-API-KEY", 401)

    def endpoint(self, seen):
        if seen.path == self._prefix() + "/media":
            return "upload"
        if seen.path == self._prefix() + "/messages":
            return "message"
        return None

    def handle(self, h, seen):
        self._auth(seen)
        self.need(seen.method == "POST", f"method {seen.method}", 400)
        if seen.path == self._prefix() + "/media":
            return self._upload(h, seen)
        if seen.path == self._prefix() + "/messages":
            return self._message(h, seen)
        raise Bad(f"unknown path {seen.path}", 404)

    def _upload(self, h, seen):
        seen.parts = parse_multipart(seen.headers.get("content-type", ""),
                                     seen.body)
        exact_keys(seen.parts, ["messaging_product", "type", "file"],
                   where="multipart")
        self.need(seen.parts["messaging_product"][0] == "whatsapp",
                  "messaging_product must be whatsapp")
        mime = seen.parts["type"][0]
        data, fname, ftype = seen.parts["file"]
        self.need(fname, "file part has no filename")
        self.need(ftype == mime, f"file part type {ftype} != type {mime}")
        self.need(mime != "audio/opus", "audio/opus is not a supported type; "
                  "upload Ogg/Opus as audio/ogg")
        kind = kind_of_mime(mime)
        self.need(kind == "document" or mime in CLOUD_TYPES[kind],
                  f"unsupported type {mime}")
        self.need(len(data) > 0, "empty file")
        mid = str(int(time.time() * 1000)) + str(len(self.media))
        self.media[mid] = {"mime": mime, "data": data, "filename": fname}
        h.answer(200, {"id": mid})

    def _media_object(self, obj, mtype):
        where = mtype
        self.need(isinstance(obj, dict), f"{where} must be an object")
        self.need(("id" in obj) != ("link" in obj),
                  f"{where}: exactly one of id and link")
        exact_keys(obj, [], ["id", "link"] + sorted(MEDIA_FIELDS[mtype]),
                   where=where)
        check_caption(obj, where)
        if "id" in obj:
            self.need(obj["id"] in self.media,
                      f"{where}.id {obj['id']} is not an uploaded media id")
            m = self.media[obj["id"]]
            types = CLOUD_TYPES[mtype]
            self.need(types is None or m["mime"] in types,
                      f"media {obj['id']} is {m['mime']}, not a {mtype}")
        else:
            self.need(obj["link"].startswith(("https://", "http://127.0.0.1")),
                      f"{where}.link must be https")
        if "voice" in obj:
            self.need(obj["voice"] is True, "voice must be true when given")
            if "id" in obj:
                self.need(self.media[obj["id"]]["mime"] == "audio/ogg",
                          "a voice note must be uploaded as audio/ogg")
        if "filename" in obj:
            self.need(isinstance(obj["filename"], str) and obj["filename"],
                      "filename must be a non-empty string")

    def _message(self, h, seen):
        b = self.json_body(seen)
        mtype = b.get("type")
        self.need(mtype in MEDIA_FIELDS or mtype == "template",
                  f"type {mtype!r} is not a media type nor template")
        exact_keys(b, ["messaging_product", "recipient_type", "to", "type",
                       mtype], ["biz_opaque_callback_data"])
        cb = b.get("biz_opaque_callback_data")
        self.need(cb is None or (isinstance(cb, str) and 0 < len(cb) <= 512),
                  "biz_opaque_callback_data must be a string of 1..512")
        self.need(b["messaging_product"] == "whatsapp",
                  "messaging_product must be whatsapp")
        self.need(b["recipient_type"] == "individual",
                  "recipient_type must be individual")
        self.need(isinstance(b["to"], str) and b["to"].isdigit(),
                  "to must be a phone number")
        if mtype == "template":
            check_template(self, b["template"], onprem=False)
        else:
            self._media_object(b[mtype], mtype)
        self.sent.append(b)
        self.deliver(b["to"])
        self.message_ids.append("wamid.HBgL" + uuid.uuid4().hex)
        h.answer(200, {"messaging_product": "whatsapp",
                       "contacts": [{"input": b["to"], "wa_id": b["to"]}],
                       "messages": [{"id": self.message_ids[-1]}]})


def check_template(fake, t, onprem):
    """A template object as documented: name, language {code} (On-Premises:
    namespace and language.policy = deterministic), components: at most one
    header with one image/video/document parameter (id or link, never both;
    filename only on a document) and a body of text parameters."""
    need = fake.need
    need(isinstance(t, dict), "template must be an object")
    exact_keys(t, ["name", "language"] + (["namespace"] if onprem else []),
               ["components"], where="template")
    need(isinstance(t["name"], str) and t["name"], "template.name")
    lang = t["language"]
    need(isinstance(lang, dict), "template.language must be an object")
    if onprem:
        exact_keys(lang, ["policy", "code"], where="template.language")
        need(lang["policy"] == "deterministic", "language.policy")
        need(isinstance(t["namespace"], str) and t["namespace"],
             "template.namespace")
    else:
        exact_keys(lang, ["code"], where="template.language")
    need(isinstance(lang["code"], str) and lang["code"], "language.code")
    comps = t.get("components", [])
    need(isinstance(comps, list) and ("components" not in t or comps),
         "template.components must be a non-empty list")
    kinds = [c.get("type") for c in comps if isinstance(c, dict)]
    need(len(kinds) == len(comps) and len(set(kinds)) == len(kinds)
         and set(kinds) <= {"header", "body"}, f"components {kinds}")
    for c in comps:
        exact_keys(c, ["type", "parameters"], where=f"component {c['type']}")
        ps = c["parameters"]
        need(isinstance(ps, list) and ps, f"{c['type']}.parameters")
        if c["type"] == "header":
            need(len(ps) == 1, "a header has one parameter")
            p = ps[0]
            kind = p.get("type")
            need(kind in ("image", "video", "document"), f"header type {kind}")
            exact_keys(p, ["type", kind], where="header parameter")
            m = p[kind]
            need(isinstance(m, dict) and (("id" in m) != ("link" in m)),
                 "header media: exactly one of id and link")
            exact_keys(m, [], ["id", "link"] + (["filename"] if kind ==
                                                "document" else []),
                       where=f"header {kind}")
            if "id" in m:
                need(m["id"] in fake.media, f"header id {m['id']} unknown")
                mime = fake.media[m["id"]]["mime"]
                types = CLOUD_TYPES[kind]
                need(types is None or mime in types, f"header {kind} is {mime}")
        else:
            for q in ps:
                need(isinstance(q, dict), "body parameter must be an object")
                exact_keys(q, ["type", "text"], where="body parameter")
                need(q["type"] == "text" and isinstance(q["text"], str)
                     and q["text"], "body parameter: non-empty text")


# --------------------------------------------------------- On-Premises API


def onprem_error(code, title, details=""):
    return {"errors": [{"code": code, "title": title, "details": details}],
            "meta": {"api_status": "stable", "version": "2.45.2"}}


class FakeOnPrem(Fake):
    """The On-Premises API: POST /v1/media with the raw file and its type;
    POST /v1/messages without messaging_product. No animated stickers."""

    def __init__(self, token, tls=None):
        super().__init__(tls)
        self.token = token
        self.media = {}
        self.sent = []
        self.message_ids = []

    def reject(self, h, seen, err):
        if err.status == 401:
            h.answer(401, onprem_error(1005, "Access denied", err.why))
        else:
            h.answer(err.status, onprem_error(1009, "Parameter value is not "
                                              "valid", err.why))

    def endpoint(self, seen):
        return {"/v1/media": "upload", "/v1/messages": "message"}.get(seen.path)

    def handle(self, h, seen):
        self.need(seen.headers.get("authorization") == f"Bearer {self.token}",
                  "bad or missing Authorization: Bearer", 401)
        self.need(seen.method == "POST", f"method {seen.method}")
        if seen.path == "/v1/media":
            return self._upload(h, seen)
        if seen.path == "/v1/messages":
            return self._message(h, seen)
        raise Bad(f"unknown path {seen.path}", 404)

    def _upload(self, h, seen):
        mime = seen.headers.get("content-type", "")
        self.need(not mime.startswith("multipart/"),
                  "the file is the raw body, not multipart")
        kind = kind_of_mime(mime)
        self.need(mime and (kind == "document" or mime in CLOUD_TYPES[kind]),
                  f"unsupported Content-Type {mime!r}")
        self.need(len(seen.body) > 0, "empty body")
        mid = str(uuid.uuid4())
        self.media[mid] = {"mime": mime, "data": seen.body}
        h.answer(201, {"media": [{"id": mid}],
                       "meta": {"api_status": "stable", "version": "2.45.2"}})

    def _message(self, h, seen):
        b = self.json_body(seen)
        mtype = b.get("type")
        self.need(mtype in MEDIA_FIELDS or mtype == "template",
                  f"type {mtype!r} is not a media type nor template")
        exact_keys(b, ["recipient_type", "to", "type", mtype])
        self.need(b["recipient_type"] == "individual",
                  "recipient_type must be individual")
        if mtype == "template":
            check_template(self, b["template"], onprem=True)
            return self._accept(h, b)
        obj = b[mtype]
        self.need(isinstance(obj, dict), f"{mtype} must be an object")
        allowed = sorted(MEDIA_FIELDS[mtype] - {"voice"})
        exact_keys(obj, [], ["id", "link", "provider"] + allowed, where=mtype)
        self.need(("id" in obj) != ("link" in obj), "exactly one of id and link")
        check_caption(obj, mtype)
        if "id" in obj:
            m = self.media.get(obj["id"])
            self.need(m is not None, f"unknown media id {obj['id']}")
            if mtype == "sticker":
                self.need(not is_webp_animated(m["data"]),
                          "animated stickers are not supported")
        return self._accept(h, b)

    def _accept(self, h, b):
        self.sent.append(b)
        self.deliver(b["to"])
        self.message_ids.append("gBEGkYiEB1VXAgIK1ZEqA1YKPrU" + uuid.uuid4().hex[:6])
        h.answer(201, {"messages": [{"id": self.message_ids[-1]}],
                       "meta": {"api_status": "stable", "version": "2.45.2"}})


# ------------------------------------------------------------------ Qikchat


class FakeQikchat(Fake):
    """Qikchat: POST /v1/messages, QIKCHAT-API-KEY, links only."""

    def endpoint(self, seen):
        return "message" if seen.path == "/v1/messages" else None

    def __init__(self, key, tls=None):
        super().__init__(tls)
        self.key = key
        self.sent = []
        self.message_ids = []

    def reject(self, h, seen, err):
        h.answer(err.status, {"status": False, "message": err.why})

    def handle(self, h, seen):
        self.need(seen.headers.get("qikchat-api-key") == self.key,
                  "Invalid API key", 401)
        self.need(seen.method == "POST" and seen.path == "/v1/messages",
                  f"unknown endpoint {seen.method} {seen.path}", 404)
        b = self.json_body(seen)
        mtype = b.get("type")
        self.need(mtype in MEDIA_FIELDS, f"type {mtype!r} is not a media type")
        exact_keys(b, ["to_contact", "type", mtype])
        self.need(isinstance(b["to_contact"], str) and b["to_contact"].isdigit(),
                  "to_contact must be a phone number")
        obj = b[mtype]
        self.need(isinstance(obj, dict), f"{mtype} must be an object")
        allowed = sorted(MEDIA_FIELDS[mtype] - {"voice"})
        exact_keys(obj, ["link"], allowed, where=mtype)
        self.need(obj["link"].startswith("https://"), "link must be https")
        check_caption(obj, mtype)
        self.sent.append(b)
        self.deliver(b["to_contact"])
        self.message_ids.append(uuid.uuid4().hex[:25])
        h.answer(200, {"status": True, "message": "Messages queued successfully",
                       "data": [{"id": self.message_ids[-1],
                                 "channel": "whatsapp",
                                 "from": "919099999916",
                                 "recipient": "+" + b["to_contact"],
                                 "created_at": now_iso(),
                                 "status": "queued"}]})


# ----------------------------------------------------------------- Lipachat

LIPA_401 = {"timestamp": None, "data": None, "status": "success",
            "message": "Invalid credentials", "errors": None}
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}"
                     r"-[0-9a-f]{12}$")


class FakeLipachat(Fake):
    """Lipachat: POST /api/v1/whatsapp/media with apiKey; links only; a bad
    key answers 401 with "status":"success" and "data":null."""

    PATH = "/api/v1/whatsapp/media"

    def endpoint(self, seen):
        return "message" if seen.path == self.PATH else None

    def __init__(self, key, tls=None):
        super().__init__(tls)
        self.key = key
        self.sent = []
        self.ids = {}  # client messageId -> our messageId (de-duplication)

    def reject(self, h, seen, err):
        if err.status == 401:
            body = dict(LIPA_401, timestamp=now_iso())
            h.answer(401, body)
        else:
            h.answer(err.status, {"timestamp": now_iso(), "status": err.status,
                                  "error": "Bad Request", "path": seen.path,
                                  "detail": err.why})

    def handle(self, h, seen):
        self.need(seen.headers.get("apikey") == self.key, "bad apiKey", 401)
        self.need(seen.method == "POST" and seen.path == self.PATH,
                  f"unknown endpoint {seen.method} {seen.path}", 404)
        b = self.json_body(seen)
        exact_keys(b, ["messageId", "from", "to", "mediaType", "mediaUrl"],
                   ["caption", "filename"])
        self.need(isinstance(b["messageId"], str) and UUID_RE.match(b["messageId"]),
                  "messageId must be a UUID")
        self.need(b["mediaType"] in ("IMAGE", "VIDEO", "AUDIO", "DOCUMENT",
                                     "STICKER"), "bad mediaType")
        self.need(b["mediaUrl"].startswith("https://"), "mediaUrl must be https")
        for k in ("from", "to"):
            self.need(isinstance(b[k], str) and b[k].isdigit(), f"bad {k}")
        if "caption" in b:
            self.need(b["mediaType"] in ("IMAGE", "VIDEO", "DOCUMENT"),
                      "caption on a type that takes none")
            check_caption(b, "body")
        if "filename" in b:
            self.need(b["mediaType"] == "DOCUMENT", "filename on a non-document")
        if b["messageId"] not in self.ids:  # de-duplicated on messageId
            self.deliver(b["to"])
        ours = self.ids.setdefault(b["messageId"], str(uuid.uuid4()))
        self.sent.append(b)
        h.answer(200, {"timestamp": now_iso(),
                       "data": {"messageId": ours, "waId": "wamid.HBgM" +
                                uuid.uuid4().hex, "status": "SENT",
                                "statusDesc": "Media sent successfully"},
                       "status": "success", "message": "", "errors": None})
