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
import datetime
import email.parser
import email.policy
import hashlib
import hmac
import json
import os
import re
import ssl
import subprocess
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# ---------------------------------------------------------------- helpers


class Reply:
    """A scripted answer for the next request (status, JSON or raw body,
    headers); slow=N sleeps N seconds first; raw=bytes sends them as is."""

    def __init__(self, status=200, body=None, headers=None, slow=0, raw=None):
        self.status, self.body, self.headers = status, body, headers or {}
        self.slow, self.raw = slow, raw


class Seen:
    """One request as the fake received it."""

    def __init__(self, method, path, query, headers, body):
        self.method, self.path, self.query = method, path, query
        self.headers = headers  # lower-case names
        self.body = body
        self.json = None
        self.parts = None
        self.problem = None  # why the fake rejected it, None when accepted

    def __repr__(self):
        return f"<{self.method} {self.path} problem={self.problem}>"


class Bad(Exception):
    """A request that breaks the documented contract."""

    def __init__(self, why, status=400):
        super().__init__(why)
        self.why, self.status = why, status


def parse_multipart(content_type, body):
    """{name: (value_or_bytes, filename, content_type)} of a form-data body;
    raises Bad on a malformed body or a repeated field."""
    if not content_type.startswith("multipart/form-data"):
        raise Bad(f"Content-Type is {content_type!r}, not multipart/form-data")
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    if not msg.is_multipart():
        raise Bad("malformed multipart body")
    parts = {}
    for part in msg.iter_parts():
        disp = part.get("Content-Disposition", "")
        if not disp.startswith("form-data"):
            raise Bad("a part without form-data disposition")
        name = part.get_param("name", header="content-disposition")
        if name in parts:
            raise Bad(f"field {name!r} given twice")
        fname = part.get_param("filename", header="content-disposition")
        data = part.get_payload(decode=True)
        ctype = part.get_content_type() if part.get("Content-Type") else None
        parts[name] = (data if fname is not None else data.decode(), fname, ctype)
    return parts


def now_iso():
    return datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def is_webp_animated(data):
    return data[:4] == b"RIFF" and data[8:12] == b"WEBP" and b"ANIM" in data[:4096]


# The media types the Cloud API documents (media reference table).
CLOUD_TYPES = {
    "audio": {"audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"},
    "image": {"image/jpeg", "image/png"},
    "video": {"video/mp4", "video/3gpp"},
    "sticker": {"image/webp"},
    "document": None,  # any
}
# The fields a media object may carry, per message type.
MEDIA_FIELDS = {
    "image": {"caption"},
    "video": {"caption"},
    "audio": {"voice"},
    "document": {"caption", "filename"},
    "sticker": set(),
}


def kind_of_mime(mime):
    for kind, types in CLOUD_TYPES.items():
        if types and mime in types:
            return kind
    return "document"


# ------------------------------------------------------------ the server


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):  # quiet
        pass

    def _read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while True:
                n = int(self.rfile.readline().strip().split(b";")[0], 16)
                if n == 0:
                    self.rfile.readline()
                    return out
                out += self.rfile.read(n)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _any(self):
        u = urllib.parse.urlsplit(self.path)
        seen = Seen(self.command, u.path, u.query,
                    {k.lower(): v for k, v in self.headers.items()},
                    self._read_body())
        self.server.fake._dispatch(self, seen)

    do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = _any

    def answer(self, status, body=b"", headers=None, ctype="application/json"):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        hdrs = {"Content-Type": ctype, "Content-Length": str(len(body))}
        hdrs.update(headers or {})
        for k, v in hdrs.items():
            if v is not None:
                self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass


class Fake:
    """Base of every fake: a threaded server, the request log, scripts."""

    def __init__(self, tls=None):
        self.requests = []
        self.script = []
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.fake = self
        scheme = "http"
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(tls.cert, tls.key)
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket,
                                                server_side=True)
            scheme = "https"
        self.port = self.httpd.server_address[1]
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       daemon=True)
        self.thread.start()

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def push(self, *replies):
        with self.lock:
            self.script.extend(replies)

    def count(self, method=None, path=None):
        return len(self.matching(method, path))

    def matching(self, method=None, path=None):
        return [r for r in self.requests
                if (method is None or r.method == method)
                and (path is None or r.path == path)]

    def problems(self):
        return [r.problem for r in self.requests if r.problem]

    def _dispatch(self, h, seen):
        with self.lock:
            self.requests.append(seen)
            reply = self.script.pop(0) if self.script else None
        if reply is not None:
            if reply.slow:
                time.sleep(reply.slow)
            if reply.raw is not None:
                h.answer(reply.status, reply.raw, reply.headers)
                return
            if reply.status:
                h.answer(reply.status, reply.body if reply.body is not None
                         else b"", reply.headers)
                return
        try:
            self.handle(h, seen)
        except Bad as e:
            seen.problem = e.why
            self.reject(h, seen, e)

    def handle(self, h, seen):
        raise NotImplementedError

    def reject(self, h, seen, err):
        h.answer(err.status, {"error": err.why})

    # shared checks
    @staticmethod
    def need(cond, why, status=400):
        if not cond:
            raise Bad(why, status)

    def json_body(self, seen):
        ctype = seen.headers.get("content-type", "")
        self.need(ctype.split(";")[0].strip() == "application/json",
                  f"Content-Type is {ctype!r}, not application/json")
        try:
            seen.json = json.loads(seen.body)
        except ValueError:
            raise Bad("body is not JSON")
        self.need(isinstance(seen.json, dict), "body is not a JSON object")
        return seen.json


def exact_keys(obj, required, optional=(), where="body"):
    keys = set(obj)
    missing = set(required) - keys
    extra = keys - set(required) - set(optional)
    if missing:
        raise Bad(f"{where}: missing {sorted(missing)}")
    if extra:
        raise Bad(f"{where}: unexpected {sorted(extra)}")


def check_caption(obj, where):
    c = obj.get("caption")
    if c is not None:
        if not isinstance(c, str) or not c:
            raise Bad(f"{where}.caption must be a non-empty string")
        if len(c) > 1024:
            raise Bad(f"{where}.caption longer than 1024 characters")


# ------------------------------------------------- Cloud API and 360dialog

GRAPH_VERSION_RE = re.compile(r"^v\d+\.\d+$")


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
        self.need(mtype in MEDIA_FIELDS, f"type {mtype!r} is not a media type")
        exact_keys(b, ["messaging_product", "recipient_type", "to", "type",
                       mtype])
        self.need(b["messaging_product"] == "whatsapp",
                  "messaging_product must be whatsapp")
        self.need(b["recipient_type"] == "individual",
                  "recipient_type must be individual")
        self.need(isinstance(b["to"], str) and b["to"].isdigit(),
                  "to must be a phone number")
        self._media_object(b[mtype], mtype)
        self.sent.append(b)
        self.message_ids.append("wamid.HBgL" + uuid.uuid4().hex)
        h.answer(200, {"messaging_product": "whatsapp",
                       "contacts": [{"input": b["to"], "wa_id": b["to"]}],
                       "messages": [{"id": self.message_ids[-1]}]})


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
        self.need(mtype in MEDIA_FIELDS, f"type {mtype!r} is not a media type")
        exact_keys(b, ["recipient_type", "to", "type", mtype])
        self.need(b["recipient_type"] == "individual",
                  "recipient_type must be individual")
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
        self.sent.append(b)
        self.message_ids.append("gBEGkYiEB1VXAgIK1ZEqA1YKPrU" + uuid.uuid4().hex[:6])
        h.answer(201, {"messages": [{"id": self.message_ids[-1]}],
                       "meta": {"api_status": "stable", "version": "2.45.2"}})


# ------------------------------------------------------------------ Qikchat


class FakeQikchat(Fake):
    """Qikchat: POST /v1/messages, QIKCHAT-API-KEY, links only."""

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
        ours = self.ids.setdefault(b["messageId"], str(uuid.uuid4()))
        self.sent.append(b)
        h.answer(200, {"timestamp": now_iso(),
                       "data": {"messageId": ours, "waId": "wamid.HBgM" +
                                uuid.uuid4().hex, "status": "SENT",
                                "statusDesc": "Media sent successfully"},
                       "status": "success", "message": "", "errors": None})


# ------------------------------------------------ S3-compatible, with SigV4


def _sha(b):
    return hashlib.sha256(b).hexdigest()


def _hmac(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def sigv4_signature(secret, date, region, service, string_to_sign):
    k = _hmac(("AWS4" + secret).encode(), date)
    k = _hmac(k, region)
    k = _hmac(k, service)
    k = _hmac(k, "aws4_request")
    return hmac.new(k, string_to_sign.encode(), hashlib.sha256).hexdigest()


def canonical_request(method, path, query, headers, signed, payload_hash):
    """AWS SigV4 canonical request (S3: the path is not encoded again)."""
    q = urllib.parse.parse_qsl(query, keep_blank_values=True)
    cq = "&".join(f"{urllib.parse.quote(k, safe='-_.~')}="
                  f"{urllib.parse.quote(v, safe='-_.~')}" for k, v in sorted(q))
    ch = "".join(f"{n}:{' '.join(headers.get(n, '').split())}\n" for n in signed)
    return "\n".join([method, path or "/", cq, ch, ";".join(signed),
                      payload_hash])


AUTH_RE = re.compile(r"^AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/"
                     r"([^/]+)/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?"
                     r"Signature=([0-9a-f]{64})$")


def s3_error(code, message):
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
            f"<Message>{message}</Message></Error>")


class FakeS3(Fake):
    """Path-style S3: PUT /BUCKET/KEY must be signed with AWS SigV4 (the
    signature is recomputed here from AWS's published algorithm); GET/HEAD
    of a stored object is public (the --public-base-url side)."""

    def __init__(self, key_id, secret, region="us-east-1", bucket="media",
                 tls=None):
        super().__init__(tls)
        self.key_id, self.secret, self.region = key_id, secret, region
        self.bucket = bucket
        self.objects = {}  # key -> (bytes, headers)

    def reject(self, h, seen, err):
        code = {403: "SignatureDoesNotMatch", 400: "InvalidRequest",
                404: "NoSuchKey"}.get(err.status, "InvalidRequest")
        if err.why.startswith("AccessDenied"):
            code = "AccessDenied"
        if err.why.startswith("XAmzContentSHA256Mismatch"):
            code = "XAmzContentSHA256Mismatch"
        h.answer(err.status, s3_error(code, err.why), ctype="application/xml")

    def verify(self, seen):
        auth = seen.headers.get("authorization")
        self.need(auth, "AccessDenied: request is not signed", 403)
        m = AUTH_RE.match(auth)
        self.need(m, "AccessDenied: malformed Authorization", 403)
        akid, date, region, service, signed, sig = m.groups()
        self.need(akid == self.key_id, "AccessDenied: unknown access key", 403)
        self.need(region == self.region and service == "s3",
                  f"AccessDenied: scope {region}/{service}", 403)
        amz_date = seen.headers.get("x-amz-date", "")
        self.need(amz_date.startswith(date), "AccessDenied: x-amz-date", 403)
        signed = signed.split(";")
        for must in ("host", "x-amz-date", "x-amz-content-sha256"):
            self.need(must in signed, f"AccessDenied: {must} not signed", 403)
        for name in seen.headers:
            if name.startswith("x-amz-"):
                self.need(name in signed, f"AccessDenied: {name} not signed",
                          403)
        payload = seen.headers.get("x-amz-content-sha256", "")
        self.need(payload == _sha(seen.body),
                  "XAmzContentSHA256Mismatch: payload hash", 400)
        creq = canonical_request(seen.method, seen.path, seen.query,
                                 seen.headers, signed, payload)
        sts = "\n".join(["AWS4-HMAC-SHA256", amz_date,
                         f"{date}/{region}/s3/aws4_request", _sha(creq.encode())])
        want = sigv4_signature(self.secret, date, region, "s3", sts)
        self.need(hmac.compare_digest(want, sig),
                  "SignatureDoesNotMatch: the signature is wrong", 403)

    def handle(self, h, seen):
        parts = seen.path.lstrip("/").split("/", 1)
        self.need(len(parts) == 2 and parts[0] == self.bucket and parts[1],
                  "NoSuchKey", 404)
        key = urllib.parse.unquote(parts[1])
        if seen.method == "PUT":
            self.verify(seen)
            self.need(seen.headers.get("content-type"), "no Content-Type")
            etag = '"' + hashlib.md5(seen.body).hexdigest() + '"'
            self.objects[key] = (seen.body, {
                "Content-Type": seen.headers["content-type"],
                "Cache-Control": seen.headers.get("cache-control"),
                "ETag": etag})
            h.answer(200, b"", {"ETag": etag}, ctype=None)
            return
        self.need(seen.method in ("GET", "HEAD"), "method not allowed", 405)
        self.need(key in self.objects, "NoSuchKey", 404)
        data, hdrs = self.objects[key]
        h.answer(200, data, {k: v for k, v in hdrs.items() if k != "Content-Type"},
                 ctype=hdrs["Content-Type"])


# ------------------------------------------------------- HTTPS link server


class LinkServer(Fake):
    """Serves files at paths: add(path, data, ctype, headers). Answers HEAD
    and GET (with Range: bytes=a-b) unless told to refuse HEAD."""

    def __init__(self, tls=None, head_allowed=True):
        super().__init__(tls)
        self.files = {}
        self.head_allowed = head_allowed

    def add(self, path, data, ctype, headers=None):
        self.files[path] = (data, ctype, headers or {})
        return self.url + path

    def handle(self, h, seen):
        if seen.path not in self.files:
            raise Bad("not found", 404)
        data, ctype, extra = self.files[seen.path]
        if seen.method == "HEAD" and not self.head_allowed:
            raise Bad("HEAD not allowed", 405)
        self.need(seen.method in ("GET", "HEAD"), "method", 405)
        rng = seen.headers.get("range")
        if rng and seen.method == "GET":
            m = re.match(r"bytes=(\d+)-(\d+)$", rng)
            a, b = int(m.group(1)), min(int(m.group(2)), len(data) - 1)
            hdrs = dict(extra, **{"Content-Range": f"bytes {a}-{b}/{len(data)}"})
            h.answer(206, data[a:b + 1], hdrs, ctype=ctype)
            return
        h.answer(200, data, extra, ctype=ctype)

    def reject(self, h, seen, err):
        h.answer(err.status, "<html><body>nope</body></html>", ctype="text/html")


# ---------------------------------------------------------------- test CA


class TestCA:
    """A CA and a server certificate for 127.0.0.1/localhost, made with the
    openssl command in dir."""

    def __init__(self, d):
        self.ca = os.path.join(d, "ca.pem")
        self.cert = os.path.join(d, "server.pem")
        self.key = os.path.join(d, "server.key")
        cakey = os.path.join(d, "ca.key")
        csr = os.path.join(d, "server.csr")
        ext = os.path.join(d, "ext.cnf")
        with open(ext, "w") as f:
            f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                    "basicConstraints=CA:FALSE\n"
                    "keyUsage=digitalSignature,keyEncipherment\n"
                    "extendedKeyUsage=serverAuth\n")
        run = lambda *a: subprocess.run(a, check=True, capture_output=True)
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
            "-keyout", cakey, "-out", self.ca, "-days", "2",
            "-subj", "/CN=wa-preflight test CA")
        run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout",
            self.key, "-out", csr, "-subj", "/CN=127.0.0.1")
        run("openssl", "x509", "-req", "-in", csr, "-CA", self.ca, "-CAkey",
            cakey, "-CAcreateserial", "-out", self.cert, "-days", "2",
            "-extfile", ext)
