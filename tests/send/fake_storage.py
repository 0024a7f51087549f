# SPDX-License-Identifier: LGPL-2.1-or-later
"""S3-compatible storage that verifies AWS SigV4 itself, an HTTPS link
server, and a test CA made with the openssl command."""
import hashlib
import hmac
import os
import re
import subprocess
import urllib.parse

from fakebase import Bad, Fake

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
        self.moved = {}
        self.head_allowed = head_allowed

    def add(self, path, data, ctype, headers=None):
        self.files[path] = (data, ctype, headers or {})
        return self.url + path

    def redirect(self, path, to):
        """path answers 302 to the path to (a signed URL's usual trip)."""
        self.moved[path] = to
        return self.url + path

    def handle(self, h, seen):
        if seen.path in self.moved:
            h.answer(302, b"", {"Location": self.url + self.moved[seen.path]})
            return
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
