# SPDX-License-Identifier: LGPL-2.1-or-later
"""The base of the fake servers: a threaded HTTP(S) server on 127.0.0.1 that
records every request, scripted replies, and the shared checks."""
import datetime
import email.parser
import email.policy
import json
import ssl
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# ---------------------------------------------------------------- helpers


class Reply:
    """A scripted answer for the next request (status, JSON or raw body,
    headers); slow=N sleeps N seconds first; raw=bytes sends them as is.
    status 0 = the fake's own answer (after slow); wire=bytes writes them
    to the socket instead of any HTTP answer and closes it (a server that
    does not speak HTTP). The request is checked
    first like any other (a bad one gets the fake's rejection, not the
    script); record=True keeps what it did (an accepted message counts as
    delivered) although the scripted answer says otherwise: "answered 500
    after it was recorded". With status 0 it is always recorded."""

    def __init__(self, status=200, body=None, headers=None, slow=0, raw=None,
                 record=False, wire=None):
        self.status, self.body, self.headers = status, body, headers or {}
        self.slow, self.raw, self.record = slow, raw, record or status == 0
        self.wire = wire


class _Capture:
    """Stands in for the handler while a scripted request is checked."""

    def __init__(self, command):
        self.command = command
        self.answered = None

    def answer(self, status, body=b"", headers=None, ctype="application/json"):
        self.answered = (status, body, headers, ctype)


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
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


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
    # the answer's headers and body are two writes: without TCP_NODELAY the
    # second waits for the client's delayed ACK (40 ms a keep-alive request)
    disable_nagle_algorithm = True

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


class _Server(ThreadingHTTPServer):
    # many senders connect at once (tests/send/test_send_scale.py, up to 16
    # processes in bench/store): the default backlog of 5 would drop SYNs
    request_queue_size = 128


class Fake:
    """Base of every fake: a threaded server, the request log, scripts."""

    def __init__(self, tls=None):
        self.requests = []
        self.script = []
        self.scripts = {}  # endpoint ("upload", "message") -> [Reply]
        self.delivered = {}  # recipient -> messages accepted
        self.deliveries = []  # every accepted message's recipient, in order
        self.lock = threading.Lock()
        self.httpd = _Server(("127.0.0.1", 0), _Handler)
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

    def push(self, *replies, endpoint=None):
        """Script the next answers: of any request, or only of one
        endpoint's ("upload", "message")."""
        with self.lock:
            if endpoint:
                self.scripts.setdefault(endpoint, []).extend(replies)
            else:
                self.script.extend(replies)

    def endpoint(self, seen):
        """"upload", "message" or None, from the path (subclasses)."""
        return None

    def deliver(self, to):
        """Record one accepted message (called under self.lock)."""
        self.delivered[to] = self.delivered.get(to, 0) + 1
        self.deliveries.append(to)

    def _snapshot(self):
        return {k: (list(v) if isinstance(v, list) else dict(v))
                for k, v in vars(self).items()
                if k in ("sent", "message_ids", "media", "delivered", "ids",
                         "deliveries")}

    def _restore(self, snap):
        for k, v in snap.items():
            setattr(self, k, v)

    def count(self, method=None, path=None):
        return len(self.matching(method, path))

    def matching(self, method=None, path=None):
        return [r for r in self.requests
                if (method is None or r.method == method)
                and (path is None or r.path == path)]

    def problems(self):
        return [r.problem for r in self.requests if r.problem]

    def _dispatch(self, h, seen):
        ep = self.endpoint(seen)
        with self.lock:
            self.requests.append(seen)
            queue = self.scripts.get(ep) or self.script
            reply = queue.pop(0) if queue else None
        if reply is None:
            return self._handle(h, seen)
        cap = _Capture(h.command)
        with self.lock:
            snap = self._snapshot()
            try:
                self.handle(cap, seen)
            except Bad as e:  # checked like any request: no script for it
                seen.problem = e.why
                queue.insert(0, reply)  # kept for the next valid request
                self.reject(h, seen, e)
                return
            if not reply.record:
                self._restore(snap)
        if reply.slow:
            time.sleep(reply.slow)
        if reply.wire is not None:
            h.close_connection = True
            try:
                h.wfile.write(reply.wire)
                h.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                pass
        elif reply.raw is not None:
            h.answer(reply.status, reply.raw, reply.headers)
        elif reply.status:
            h.answer(reply.status, reply.body if reply.body is not None
                     else b"", reply.headers)
        elif cap.answered:
            h.answer(*cap.answered)

    def _handle(self, h, seen):
        try:
            with self.lock:
                cap = _Capture(h.command)
                self.handle(cap, seen)
        except Bad as e:
            seen.problem = e.why
            self.reject(h, seen, e)
            return
        if cap.answered:
            h.answer(*cap.answered)

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
