# SPDX-License-Identifier: LGPL-2.1-or-later
"""--link is verified before sending (HTTPS with a test CA given by --cacert
or CURL_CA_BUNDLE, HTTP 200, the kind's Content-Type, not HTML, size within
the limit) and its caching headers are reported; --publish PUTs the file to
an S3-compatible fake that verifies AWS SigV4 signatures itself, and the
message carries the public URL."""
import hashlib
import json
import os
import ssl
import urllib.error
import urllib.request

from sendlib import (AWS_ID, AWS_SECRET, PHONE_ID, QIK_KEY, LIPA_KEY, TO,
                     TOKEN, base_env, document_pdf, expect, image_jpg, read,
                     send, sticker_webp, video_mp4, voice_ogg)
from fakes import (FakeCloud, FakeLipachat, FakeQikchat, FakeS3, LinkServer,
                   TestCA, canonical_request, sigv4_signature)
from wapftest import case, finish, tmpdir

CA = TestCA(tmpdir())


def qik(q, url, path, *extra, env=None):
    return send("--provider", "qikchat", "--to", TO, "--api-base", q.url,
                "--link", url, *extra, path, env=env or base_env())


@case
def link_is_verified_and_caching_headers_reported():
    with LinkServer(tls=CA) as srv, FakeQikchat(QIK_KEY) as q:
        url = srv.add("/p.jpg", read(image_jpg()), "image/jpeg",
                      {"Cache-Control": "public, max-age=600",
                       "Last-Modified": "Wed, 21 Oct 2026 07:28:00 GMT",
                       "ETag": '"v1"'})
        p = qik(q, url, image_jpg(), "--cacert", CA.ca, "--json")
        expect(p, 0)
        out = json.loads(p.stdout)
        assert out["url"] == url and q.sent[-1]["image"]["link"] == url
        lc = out["link_caching"]
        assert "max-age=600" in lc and "ETag" in lc and "Last-Modified" in lc
        assert srv.count("HEAD", "/p.jpg") == 1


@case
def a_redirecting_link_is_warned_about_with_its_final_url():
    with LinkServer(tls=CA) as srv, FakeQikchat(QIK_KEY) as q:
        final = srv.add("/store/p.jpg", read(image_jpg()), "image/jpeg",
                        {"ETag": '"v1"'})
        url = srv.redirect("/short/p", "/store/p.jpg")
        p = qik(q, url, image_jpg(), "--cacert", CA.ca)
        expect(p, 0)
        assert "redirects" in p.stderr and final in p.stderr, p.stderr
        assert "final URL" in p.stderr
        # a redirect that ends at a login page is refused, naming it
        srv.add("/login", b"<html>sign in</html>", "text/html")
        url = srv.redirect("/signed/q.jpg", "/login")
        p = qik(q, url, image_jpg(), "--cacert", CA.ca)
        expect(p, 1)
        assert "HTML" in p.stderr and srv.url + "/login" in p.stderr
        assert len(q.sent) == 1


@case
def link_without_caching_headers_is_reported_as_such():
    with LinkServer(tls=CA) as srv, FakeQikchat(QIK_KEY) as q:
        url = srv.add("/p.jpg", read(image_jpg()), "image/jpeg")
        p = qik(q, url, image_jpg(), "--cacert", CA.ca)
        expect(p, 0)
        assert "none" in p.stdout and "Meta will not cache" in p.stdout


@case
def ca_from_curl_ca_bundle():
    with LinkServer(tls=CA) as srv, FakeQikchat(QIK_KEY) as q:
        url = srv.add("/p.jpg", read(image_jpg()), "image/jpeg")
        expect(qik(q, url, image_jpg(), env=base_env(CURL_CA_BUNDLE=CA.ca)), 0)


@case
def unverified_certificate_is_refused():
    with LinkServer(tls=CA) as srv, FakeQikchat(QIK_KEY) as q:
        url = srv.add("/p.jpg", read(image_jpg()), "image/jpeg")
        p = qik(q, url, image_jpg())  # no --cacert: the system store
        expect(p, 1)
        assert "certificate" in p.stderr.lower() or "ssl" in p.stderr.lower()
        assert q.requests == []


@case
def bad_links_are_refused_before_the_message():
    big = b"\xff\xd8\xff" + b"\0" * 5_000_001
    with LinkServer(tls=CA) as srv, FakeQikchat(QIK_KEY) as q:
        cases = [
            (srv.add("/page", b"<html></html>", "text/html"), "HTML"),
            (srv.add("/w.webp", b"RIFF....WEBP", "image/webp"), "image/webp"),
            (srv.url + "/missing.jpg", "404"),
            (srv.add("/big.jpg", big, "image/jpeg"), "limit"),
            ("http://example.com/p.jpg", "https"),
        ]
        for url, word in cases:
            p = qik(q, url, image_jpg(), "--cacert", CA.ca)
            expect(p, 1)
            assert word in p.stderr, (word, p.stderr)
        assert q.requests == [], "no message for a bad link"


@case
def server_refusing_head_gets_a_ranged_get():
    with LinkServer(tls=CA, head_allowed=False) as srv, FakeQikchat(QIK_KEY) as q:
        url = srv.add("/c.mp4", read(video_mp4()), "video/mp4")
        expect(qik(q, url, video_mp4(), "--cacert", CA.ca), 0)
        gets = srv.matching("GET", "/c.mp4")
        assert len(gets) == 1 and gets[0].headers["range"] == "bytes=0-0"


@case
def meta_can_send_by_link_too():
    with LinkServer(tls=CA) as srv, FakeCloud(TOKEN, PHONE_ID) as f:
        url = srv.add("/r.pdf", read(document_pdf()), "application/pdf")
        p = send("--provider", "meta", "--to", TO, "--api-base", f.url,
                 "--link", url, "--cacert", CA.ca, document_pdf(),
                 env=base_env())
        expect(p, 0)
        assert f.count("POST", f"/v21.0/{PHONE_ID}/media") == 0
        assert f.sent[-1]["document"]["link"] == url


# ------------------------------------------------------------- S3 publish

def test_vector_of_the_verifier():
    """AWS's published example (S3 API reference, "GET Object" SigV4
    example): the fake's canonical request and signature code gives the
    documented signature."""
    headers = {"host": "examplebucket.s3.amazonaws.com", "range": "bytes=0-9",
               "x-amz-content-sha256": hashlib.sha256(b"").hexdigest(),
               "x-amz-date": "20130524T000000Z"}
    signed = ["host", "range", "x-amz-content-sha256", "x-amz-date"]
    creq = canonical_request("GET", "/test.txt", "", headers, signed,
                             headers["x-amz-content-sha256"])
    sts = "\n".join(["AWS4-HMAC-SHA256", "20130524T000000Z",
                     "20130524/us-east-1/s3/aws4_request",
                     hashlib.sha256(creq.encode()).hexdigest()])
    return sigv4_signature("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                           "20130524", "us-east-1", "s3", sts)


@case
def s3_verifier_matches_aws_published_example():
    assert test_vector_of_the_verifier() == (
        "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")


@case
def s3_fake_rejects_unsigned_and_wrongly_signed_puts():
    with FakeS3(AWS_ID, AWS_SECRET) as s3:
        req = urllib.request.Request(s3.url + "/media/x.jpg", data=b"abc",
                                     method="PUT",
                                     headers={"Content-Type": "image/jpeg"})
        try:
            urllib.request.urlopen(req)
            raise AssertionError("an unsigned PUT was accepted")
        except urllib.error.HTTPError as e:
            assert e.code == 403 and b"AccessDenied" in e.read()
        # a well-formed signature made with another secret
        date = "20260101T000000Z"
        h = {"host": f"127.0.0.1:{s3.port}", "x-amz-date": date,
             "x-amz-content-sha256": hashlib.sha256(b"abc").hexdigest()}
        signed = sorted(h)
        creq = canonical_request("PUT", "/media/x.jpg", "", h, signed,
                                 h["x-amz-content-sha256"])
        sts = "\n".join(["AWS4-HMAC-SHA256", date,
                         "20260101/us-east-1/s3/aws4_request",
                         hashlib.sha256(creq.encode()).hexdigest()])
        good = sigv4_signature(AWS_SECRET, "20260101", "us-east-1", "s3", sts)
        bad = sigv4_signature("not-the-secret", "20260101", "us-east-1", "s3",
                              sts)
        codes = []
        for sig in (bad, good):
            auth = (f"AWS4-HMAC-SHA256 Credential={AWS_ID}/20260101/us-east-1/"
                    f"s3/aws4_request, SignedHeaders={';'.join(signed)}, "
                    f"Signature={sig}")
            req = urllib.request.Request(
                s3.url + "/media/x.jpg", data=b"abc", method="PUT",
                headers={"Content-Type": "image/jpeg", "Authorization": auth,
                         "x-amz-date": date,
                         "x-amz-content-sha256": h["x-amz-content-sha256"]})
            try:
                with urllib.request.urlopen(req) as r:
                    codes.append(r.status)
            except urllib.error.HTTPError as e:
                codes.append((e.code, b"SignatureDoesNotMatch" in e.read()))
        assert codes == [(403, True), 200], codes
        assert list(s3.objects) == ["x.jpg"]


def publish_args(s3, prefix="wa/out"):
    return ["--publish", f"s3://media/{prefix}", "--public-base-url",
            f"{s3.url}/media/{prefix}", "--cacert", CA.ca]


@case
def publish_signs_puts_and_sends_the_public_url():
    env = base_env(AWS_ENDPOINT_URL="", AWS_REGION="eu-west-1")
    with FakeS3(AWS_ID, AWS_SECRET, region="eu-west-1", tls=CA) as s3, \
            FakeQikchat(QIK_KEY) as q:
        p = send("--provider", "qikchat", "--to", TO, "--api-base", q.url,
                 "--s3-endpoint", s3.url, "--json", *publish_args(s3),
                 image_jpg(), env=env)
        expect(p, 0)
        assert s3.problems() == [], s3.problems()
        (key, (data, hdrs)), = s3.objects.items()
        assert key.startswith("wa/out/") and key.endswith(".jpg")
        assert data == read(image_jpg())
        assert hdrs["Content-Type"] == "image/jpeg"
        assert "max-age" in (hdrs["Cache-Control"] or "")
        put = s3.matching("PUT")[0]
        assert put.headers["x-amz-content-sha256"] == hashlib.sha256(data).hexdigest()
        link = q.sent[-1]["image"]["link"]
        assert link == f"{s3.url}/media/{key}" == json.loads(p.stdout)["url"]
        ctx = ssl.create_default_context(cafile=CA.ca)
        with urllib.request.urlopen(link, context=ctx) as r:
            assert r.read() == data, "the public URL serves the file"


@case
def publish_with_a_wrong_secret_is_refused_by_the_storage():
    env = base_env(AWS_SECRET_ACCESS_KEY=AWS_SECRET + "x")
    with FakeS3(AWS_ID, AWS_SECRET, tls=CA) as s3, FakeLipachat(LIPA_KEY) as f:
        p = send("--provider", "lipachat", "--to", TO, "--from", "254110090747",
                 "--api-base", f.url, *publish_args(s3), image_jpg(),
                 env=dict(env, AWS_ENDPOINT_URL=s3.url))
        expect(p, 1)
        assert "SignatureDoesNotMatch" in p.stderr
        assert s3.objects == {} and f.requests == []


@case
def publish_then_lipachat_over_https():
    env = base_env()
    with FakeS3(AWS_ID, AWS_SECRET, tls=CA) as s3, FakeLipachat(LIPA_KEY) as f:
        p = send("--provider", "lipachat", "--to", TO, "--from", "254110090747",
                 "--api-base", f.url, "--caption", "report",
                 *publish_args(s3, "docs"), document_pdf(),
                 env=dict(env, AWS_ENDPOINT_URL=s3.url))
        expect(p, 0)
        body = f.sent[-1]
        assert body["mediaType"] == "DOCUMENT" and body["caption"] == "report"
        assert body["filename"] == "send-report.pdf"
        assert body["mediaUrl"].startswith(s3.url + "/media/docs/")
        assert s3.problems() == [] and f.problems() == []


@case
def link_without_a_length_is_read_with_a_cap():
    nolen = {"Content-Length": None, "Connection": "close"}
    with LinkServer(tls=CA) as srv, FakeQikchat(QIK_KEY) as q:
        url = srv.add("/p.jpg", read(image_jpg()), "image/jpeg", nolen)
        p = qik(q, url, image_jpg(), "--cacert", CA.ca)
        expect(p, 0)
        assert srv.count("GET", "/p.jpg") == 1, "read, since no size was given"
        assert "no Content-Length" in p.stderr
        # a sticker link of 300 KB with no size: over the 100 KB limit
        big = srv.add("/s.webp", b"RIFF" + b"\0" * 300000, "image/webp", nolen)
        p = qik(q, big, sticker_webp(), "--cacert", CA.ca)
        expect(p, 1)
        assert "over the" in p.stderr and "limit" in p.stderr
        assert q.sent[-1]["type"] == "image", "the sticker was not sent"


@case
def publishing_opus_says_its_codec():
    env = base_env()
    with FakeS3(AWS_ID, AWS_SECRET, tls=CA) as s3, FakeQikchat(QIK_KEY) as q:
        p = send("--provider", "qikchat", "--to", TO, "--api-base", q.url,
                 "--s3-endpoint", s3.url, "--as", "voice", *publish_args(s3),
                 voice_ogg(), env=env)
        expect(p, 0)
        (key, (data, hdrs)), = s3.objects.items()
        assert hdrs["Content-Type"] == "audio/ogg; codecs=opus", hdrs
        assert q.sent[-1]["type"] == "audio" and q.problems() == []


@case
def publish_without_keys_is_a_configuration_error():
    with FakeS3(AWS_ID, AWS_SECRET, tls=CA) as s3, FakeQikchat(QIK_KEY) as q:
        p = send("--provider", "qikchat", "--to", TO, "--api-base", q.url,
                 "--s3-endpoint", s3.url, *publish_args(s3), image_jpg(),
                 env=base_env(AWS_SECRET_ACCESS_KEY=""))
        expect(p, 2)
        assert "AWS_SECRET_ACCESS_KEY" in p.stderr
        assert s3.requests == [] and q.requests == []


finish()
