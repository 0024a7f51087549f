# SPDX-License-Identifier: LGPL-2.1-or-later
"""Long caller strings are never cut: a 4,000-character presigned link
reaches the link-only providers whole (and is checked whole), and a
4,000-character API base is used whole for the upload and the message (the
media-id cache still tells two files apart under it). Both were cut at
1,024 and 512 bytes before."""
import json

from sendlib import (LIPA_KEY, PHONE_ID, QIK_KEY, TO, TOKEN, base_env,
                     document_pdf, expect, image_jpg, read, send, video_mp4)
from fakes import FakeCloud, FakeLipachat, FakeQikchat, LinkServer, TestCA
from wapftest import case, fixture, finish, tmpdir

CA = TestCA(tmpdir())
LONG = 4000


def presigned(srv, path, data, ctype):
    """An S3-style presigned URL of exactly LONG characters: a session
    token makes it long, the signature ends it (a cut loses it)."""
    srv.add(path, data, ctype)
    head = (f"{srv.url}{path}?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=ASIAEXAMPLE%2F20261204%2Fus-east-1%2Fs3%2Faws4_request"
            "&X-Amz-Date=20261204T060000Z&X-Amz-Expires=3600"
            "&X-Amz-Security-Token=")
    tail = "&X-Amz-SignedHeaders=host&X-Amz-Signature=" + "ab" * 32
    token = ("IQoJb3JpZ2luX2VjE" * 300)[:LONG - len(head) - len(tail)]
    url = head + token + tail
    assert len(url) == LONG
    return url


def query_of(url):
    return url.split("?", 1)[1]


@case
def a_4000_character_link_reaches_qikchat_whole():
    with LinkServer(tls=CA) as srv, FakeQikchat(QIK_KEY) as q:
        url = presigned(srv, "/photo.jpg", read(image_jpg()), "image/jpeg")
        p = send("--provider", "qikchat", "--to", TO, "--api-base", q.url,
                 "--cacert", CA.ca, "--link", url, "--json", image_jpg(),
                 env=base_env())
        expect(p, 0)
        out = json.loads(p.stdout)
        assert out["url"] == url, len(out["url"])
        assert len(q.sent) == 1 and q.sent[0]["image"]["link"] == url
        checks = srv.matching(path="/photo.jpg")
        assert checks and all(r.query == query_of(url) for r in checks)


@case
def a_4000_character_link_reaches_lipachat_whole():
    with LinkServer(tls=CA) as srv, FakeLipachat(LIPA_KEY) as f:
        url = presigned(srv, "/clip.mp4", read(video_mp4()), "video/mp4")
        p = send("--provider", "lipachat", "--to", TO, "--from", "254110090747",
                 "--api-base", f.url, "--cacert", CA.ca, "--link", url,
                 video_mp4(), env=base_env())
        expect(p, 0)
        assert len(f.sent) == 1 and f.sent[0]["mediaUrl"] == url
        assert f.sent[0]["mediaType"] == "VIDEO"


class LongBaseQikchat(FakeQikchat):
    """Qikchat mounted under a long path prefix of the API base."""

    def __init__(self, key, prefix):
        super().__init__(key)
        self.prefix = prefix

    def _strip(self, seen):
        if seen.path.startswith(self.prefix):
            seen.path = seen.path[len(self.prefix):]
        else:
            seen.path = "/not-under-the-prefix" + seen.path

    def endpoint(self, seen):
        self._strip(seen)
        return super().endpoint(seen)


class LongBaseCloud(FakeCloud):
    def __init__(self, token, prefix):
        super().__init__(token)
        self.long = prefix

    def _prefix(self):
        return self.long + super()._prefix()


def long_prefix(fake_url):
    pre = "/tenant-" + "x" * (LONG - len(fake_url) - len("/tenant-"))
    assert len(fake_url + pre) == LONG
    return pre


@case
def a_4000_character_api_base_is_used_whole_by_a_link_provider():
    with LinkServer(tls=CA) as srv:
        link = srv.add("/p.jpg", read(image_jpg()), "image/jpeg")
        q = LongBaseQikchat(QIK_KEY, "")
        try:
            q.prefix = long_prefix(q.url)
            p = send("--provider", "qikchat", "--to", TO, "--cacert", CA.ca,
                     "--api-base", q.url + q.prefix, "--link", link,
                     image_jpg(), env=base_env())
            expect(p, 0)
            assert len(q.sent) == 1 and q.problems() == []
        finally:
            q.close()


@case
def a_4000_character_api_base_uploads_and_sends_and_keeps_files_apart():
    """Upload (multipart) and message under the long base; a second file
    is uploaded too (the cache key kept its SHA-256 after the base)."""
    other = fixture("send-long-other.jpg",
                    "ffmpeg -nostdin -v error -y -f lavfi -i "
                    "testsrc2=size=80x48 -frames:v 1 -pix_fmt yuvj420p {out}")
    f = LongBaseCloud(TOKEN, "")
    try:
        f.long = long_prefix(f.url)
        env = base_env()
        for path in (image_jpg(), other):
            p = send("--provider", "meta", "--to", TO, "--api-base",
                     f.url + f.long, path, env=env)
            expect(p, 0)
        assert f.problems() == []
        assert f.count("POST", f.long + f"/v21.0/{PHONE_ID}/media") == 2
        ids = [m["image"]["id"] for m in f.sent]
        assert len(ids) == 2 and ids[0] != ids[1], ids
    finally:
        f.close()


@case
def a_document_name_too_long_to_show_is_refused_not_cut():
    with FakeCloud(TOKEN) as f:
        p = send("--provider", "meta", "--to", TO, "--api-base", f.url,
                 "--filename", "r" * 300 + ".pdf", document_pdf(),
                 env=base_env())
        expect(p, 2)
        assert "name is over" in p.stderr.splitlines()[-1], p.stderr
        assert f.requests == []
        ok = send("--provider", "meta", "--to", TO, "--api-base", f.url,
                  "--filename", "r" * 200 + ".pdf", document_pdf(),
                  env=base_env())
        expect(ok, 0)
        assert f.sent[-1]["document"]["filename"] == "r" * 200 + ".pdf"


finish()
