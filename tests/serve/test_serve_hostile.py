# SPDX-License-Identifier: LGPL-2.1-or-later
"""wa-preflight serve against hostile clients and upstreams: each one a
clean 4xx/5xx (or a dropped connection where HTTP allows no answer), no
crash, nothing left in its temporary folder. Also run under ASan."""
import base64
import os
import re
import socket
import subprocess
import threading
import time

import wapftest as W
from wapftest import case
import servelib as S
from upstream import Upstream

CAP = 1000000
wav = open(S.voice_wav(), "rb").read()
up = Upstream({"/voice.wav": wav})
srv = S.Server("--max-body", CAP, "--timeout", "4", "--client-timeout", "2")


def raw(server, data, linger=10.0):
    """Send bytes on a fresh connection; all that comes back until close."""
    s = socket.create_connection(("127.0.0.1", server.port))
    s.settimeout(linger)
    out = b""
    try:
        s.sendall(data)
        while True:
            d = s.recv(65536)
            if not d:
                break
            out += d
    except (ConnectionResetError, BrokenPipeError):
        pass
    finally:
        s.close()
    return out


def status_of(resp):
    return int(resp.split(b" ", 2)[1]) if resp.startswith(b"HTTP/1.") else None


def form(fields, server=None, path="/process-audio"):
    body, ctype = S.multipart(fields)
    return (server or srv).json("POST", path, body, {"Content-Type": ctype})


def done(what, server=None):
    s = server or srv
    s.alive()
    s.assert_clean(what)


@case
def wrong_key_401():
    st, _, j = srv.json("POST", "/process-audio", b"x",
                        {"apikey": "nope", "Content-Type": "text/plain"},
                        key=False)
    assert st == 401 and j["error"] == "unauthorized", (st, j)
    done("wrong key")


@case
def missing_body_400():
    for path in ("/v1/check", "/v1/convert"):
        st, _, j = srv.json("POST", path, b"")
        assert st == 400 and j["error"] == "missing_body", (path, st, j)
    st, _, j = form([("format", "ogg", None, None)])
    assert st == 400 and j["error"] == "missing_body", (st, j)
    done("missing body")


@case
def truncated_multipart_400():
    body, ctype = S.multipart([("file", wav[:50000], "v.wav", "audio/wav")])
    cut = body[:-len("--wapfBOUNDARY--\r\n") - 1000]  # no closing boundary
    st, _, j = srv.json("POST", "/process-audio", cut, {"Content-Type": ctype})
    assert st == 400 and j["error"] == "bad_multipart", (st, j)
    st, _, j = srv.json("POST", "/process-audio", b"--x\r\ngarbage",
                        {"Content-Type": "multipart/form-data"})
    assert st == 400 and j["error"] == "bad_multipart", (st, j)
    done("truncated multipart")


@case
def bad_base64_400():
    for bad in ("QUJD!", "QUJDR", "QQ==QQ", "data:audio/ogg;base64"):
        st, _, j = form([("base64", bad, None, None)])
        assert st == 400 and j["error"] == "bad_base64", (bad, st, j)
        assert "base64" in j["message"], j
    done("bad base64")


@case
def part_without_a_name_400_and_the_service_lives():
    # Content-Disposition: form-data; filename="e" (no name): libmicrohttpd
    # passes a NULL key; once this took the whole service down.
    for fields in ([(None, "x", "e", None)],
                   [(None, wav[:3000], "e.wav", "audio/wav")],
                   [("format", "ogg", None, None), (None, "x", None, None)]):
        st, _, j = form(fields)
        assert st == 400 and j["error"] == "bad_multipart", (st, j)
        assert "without a name" in j["message"], j
        done("nameless part")
    st, _, j = srv.json("GET", "/healthz")
    assert st == 200, (st, j)


@case
def parts_with_missing_attributes_are_read():
    # no filename, no Content-Type, a transfer encoding, a nested
    # multipart/mixed: each a NULL or an odd argument to the field callback
    st, _, j = form([("file", wav, None, None)])
    assert st == 200 and j["format"] == "ogg", (st, j.get("message"))
    b = "wapfBOUNDARY"
    body = (f"--{b}\r\nContent-Disposition: form-data; name=\"file\"\r\n"
            "Content-Transfer-Encoding: binary\r\n\r\n").encode() + wav + \
        f"\r\n--{b}--\r\n".encode()
    st, _, j = srv.json("POST", "/process-audio", body,
                        {"Content-Type": f"multipart/form-data; boundary={b}"})
    assert st == 200 and j["format"] == "ogg", (st, j.get("message"))
    inner = (b"--in\r\nContent-Disposition: file; filename=\"v.wav\"\r\n"
             b"Content-Type: audio/wav\r\n\r\n" + wav + b"\r\n--in--")
    st, _, j = form([("file", inner, None, "multipart/mixed; boundary=in")])
    assert st in (200, 400), (st, j)  # read, or refused with a reason
    assert j.get("format") == "ogg" or j["message"], j
    done("odd parts")


@case
def one_source_once():
    for fields in ([("file", "abc", "a", None), ("file", "def", "b", None)],
                   [("file", "abc", "a", None), ("url", "http://x/", None, None)],
                   [("url", "http://a/", None, None), ("url", "x", None, None)]):
        st, _, j = form(fields)
        assert st == 400 and j["error"] == "bad_request", (fields, st, j)
        assert "once" in j["message"], j
    st, _, j = form([("url", "http://x/\0y", None, None)])
    assert st == 400 and "control character" in j["message"], (st, j)
    done("one source")


@case
def empty_upload_says_so_without_server_paths():
    for fields in ([("file", b"", "e.wav", "audio/wav")],
                   [("file", b"", None, None), ("format", "mp3", None, None)]):
        st, _, j = form(fields)
        assert st == 400 and j["error"] == "empty", (st, j)
        assert j["message"] == "the upload is empty", j
    for path in ("/v1/check", "/v1/convert"):
        body, ctype = S.multipart([("file", b"", "e.png", "image/png")])
        st, _, j = srv.json("POST", path, body, {"Content-Type": ctype})
        assert st == 400 and j["message"] == "the upload is empty", (st, j)
    done("empty upload")


@case
def library_failures_never_name_the_spool():
    # a cut WAV and a cut MP4: the library's detail names its input; the
    # answer must give the client's name for it, never the server's path
    mp4 = open(S.small_mp4(), "rb").read()
    answers = [form([("file", wav[:60], "cut.wav", "audio/wav")]),
               srv.json("POST", "/v1/convert?as=video&name=cut.mp4",
                        mp4[:len(mp4) // 3]),
               srv.json("POST", "/v1/check?as=video", mp4[:2000]),
               srv.json("POST", "/v1/convert?as=sticker", b"\x89PNG\r\n\x1a\n" +
                        b"\0" * 64)]
    for st, _, j in answers:
        text = str(j)
        assert srv.tmp not in text and "req." not in text, text
        assert "wa-preflight-serve" not in text, text
    done("paths")


@case
def content_length_10gb_413_before_the_body():
    t = time.monotonic()
    resp = raw(srv, f"POST /v1/check HTTP/1.1\r\nHost: x\r\napikey: {S.KEY}\r\n"
               "Content-Length: 10737418240\r\n\r\nabc".encode())
    assert status_of(resp) == 413, resp[:200]
    assert b'"too_large"' in resp, resp
    assert time.monotonic() - t < 10
    done("10 GB")


def curl_status(*args):
    p = subprocess.run(["curl", "-sS", "-o", "-", "-w", "\n%{http_code}",
                        "-H", f"apikey: {S.KEY}", "-H", "Expect: 100-continue",
                        *args], capture_output=True, timeout=60)
    body, _, code = p.stdout.rpartition(b"\n")
    return int(code), body


@case
def body_over_the_cap_413():
    # A client that waits for 100-continue (curl) gets the 413 without
    # sending the body; one that does not gets it after the first bytes.
    big = os.path.join(W.tmpdir(), "big")
    with open(big, "wb") as f:
        f.write(b"\0" * (CAP + 1))
    st, body = curl_status("--data-binary", "@" + big, srv.url("/v1/check"))
    assert st == 413 and b'"too_large"' in body, (st, body)
    b64 = os.path.join(W.tmpdir(), "big.b64")
    with open(b64, "wb") as f:
        f.write(base64.b64encode(b"\0" * CAP))
    st, body = curl_status("-F", "base64=<" + b64, srv.url("/process-audio"))
    assert st == 413 and b'"too_large"' in body, (st, body)
    resp = raw(srv, f"POST /v1/convert HTTP/1.1\r\nHost: x\r\napikey: {S.KEY}"
               f"\r\nContent-Length: {CAP + 1}\r\n\r\n".encode() + b"\0" * 65536)
    assert status_of(resp) == 413, resp[:200]
    done("over the cap")


@case
def chunked_body_over_the_cap_is_cut_off():
    # No Content-Length: libmicrohttpd cannot answer while a body arrives,
    # so the service closes the connection once the cap is passed.
    head = (f"POST /v1/check HTTP/1.1\r\nHost: x\r\napikey: {S.KEY}\r\n"
            "Transfer-Encoding: chunked\r\n\r\n").encode()
    chunk = b"10000\r\n" + b"x" * 0x10000 + b"\r\n"
    s = socket.create_connection(("127.0.0.1", srv.port))
    s.settimeout(10)
    sent = 0
    try:
        s.sendall(head)
        for _ in range(200):  # 13 MB if it never stops us
            s.sendall(chunk)
            sent += len(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass
    try:
        rest = s.recv(1000)
    except (ConnectionResetError, socket.timeout):
        rest = b""
    s.close()
    assert sent < 200 * len(chunk), "the whole body was taken"
    assert status_of(rest) in (None, 413), rest[:200]
    done("chunked over cap")


@case
def url_to_loopback_and_metadata_refused():
    for url in (up.base + "/voice.wav", "http://169.254.169.254/latest/meta-data",
                "http://[::1]:9/x", "http://[::ffff:127.0.0.1]:9/x",
                "http://10.0.0.1/x", "file:///etc/passwd",
                "gopher://127.0.0.1/x"):
        st, _, j = form([("url", url, None, None)])
        assert st == 400 and j["error"] == "url_refused", (url, st, j)
    assert not up.hits, up.hits
    done("url refused")


@case
def url_not_http_or_malformed_refused():
    # parsed by libcurl's URL API before any connection: a reason, no fetch
    for url in ("ftp://example.com/x", "example.com/voice.wav", "http://",
                "http://exa mple.com/x", "//example.com/x",
                "javascript:alert(1)", "http://[::1/x"):
        st, _, j = form([("url", url, None, None)])
        assert st == 400 and j["error"] == "url_refused", (url, st, j)
        assert j["message"].startswith("url: "), (url, j)
        assert "\n" not in j["message"], (url, j)
    assert not up.hits, up.hits
    done("url not http refused")


srv.stop()
priv = S.Server("--allow-private-urls", "--max-body", CAP, "--timeout", "3")


@case
def url_to_a_local_server_when_allowed():
    st, _, j = form([("url", up.base + "/voice.wav", None, None)], priv)
    assert st == 200 and j["format"] == "ogg", (st, j.get("message"))
    # the scheme is case-insensitive (RFC 3986 3.1)
    loud = "HTTP" + up.base[len("http"):] + "/voice.wav"
    st, _, j = form([("url", loud, None, None)], priv)
    assert st == 200 and j["format"] == "ogg", (loud, st, j.get("message"))
    done("url ok", priv)


@case
def redirect_to_metadata_refused_even_when_allowed():
    target = "http://169.254.169.254/latest/meta-data/"
    st, _, j = form([("url", f"{up.base}/redirect?to={target}", None, None)],
                    priv)
    assert st == 400 and j["error"] == "url_refused", (st, j)
    assert "169.254.169.254" in j["message"], j
    st, _, j = form([("url", up.base + "/loop", None, None)], priv)
    assert st == 400 and "redirects" in j["message"], (st, j)
    done("redirects", priv)


@case
def upstream_that_never_answers_504():
    t = time.monotonic()
    st, _, j = form([("url", up.base + "/never", None, None)], priv)
    assert st == 504 and j["error"] == "url_timeout", (st, j)
    assert time.monotonic() - t < 20
    done("never", priv)


@case
def endless_response_413():
    st, _, j = form([("url", up.base + "/endless", None, None)], priv)
    assert st == 413 and j["error"] == "too_large", (st, j)
    done("endless", priv)


@case
def slowloris_dropped():
    srv2 = S.Server("--client-timeout", "1")
    try:
        s = socket.create_connection(("127.0.0.1", srv2.port))
        s.settimeout(15)
        s.sendall(b"POST /v1/check HTTP/1.1\r\nHost: x\r\n")  # never ends
        t = time.monotonic()
        try:
            got = s.recv(100)
        except ConnectionResetError:
            got = b""
        s.close()
        assert got == b"" or status_of(got) in (400, 408), got
        assert time.monotonic() - t < 10, "not dropped"
        srv2.alive()
    finally:
        srv2.stop()


priv.stop()
up.close()


def long_video():
    return W.fixture("serve-long.avi",
                     "ffmpeg -v error -y -f lavfi -i testsrc=s=1280x720:d=30:r=30 "
                     "-f lavfi -i sine=d=30 -c:v mpeg4 -q:v 5 -c:a pcm_s16le {out}")


def wait_running(server, n=1):
    for _ in range(500):
        st, _, data = server.request("GET", "/metrics")
        if f"wapf_jobs_running {n}".encode() in data:
            return
        time.sleep(0.02)
    raise AssertionError("the job never started")


@case
def timeout_504_and_queue_full_503():
    s = S.Server("--workers", "1", "--queue", "0", "--timeout", "2")
    try:
        data = open(long_video(), "rb").read()
        out = {}
        t = threading.Thread(target=lambda: out.update(
            r=s.json("POST", "/v1/convert?as=video", data)))
        t.start()
        wait_running(s)
        st, h, j = s.json("POST", "/v1/check", open(S.small_mp4(), "rb").read())
        assert st == 503 and j["error"] == "queue_full", (st, j)
        assert int(h["retry-after"]) > 0, h
        t.join(120)
        st, _, j = out["r"]
        assert st == 504 and j["error"] == "timeout", (st, j)
        done("timeout", s)
    finally:
        s.stop()


@case
def sigterm_finishes_the_running_request():
    s = S.Server("--workers", "1", "--timeout", "300")
    data = open(long_video(), "rb").read()
    out = {}
    t = threading.Thread(target=lambda: out.update(
        r=s.request("POST", "/v1/convert?as=video&duration=4", data)))
    t.start()
    wait_running(s)
    log = s.stop()  # SIGTERM while it runs: must answer, then exit 0
    t.join(120)
    st, h, body = out["r"]
    assert st == 200 and h["content-type"] == "video/mp4", (st, body[:300])
    p = os.path.join(W.tmpdir(), "v.mp4")
    open(p, "wb").write(body)
    d = float(W.ffprobe(p)["format"]["duration"])
    assert abs(d - 4) < 0.2, d
    # the job, and maybe the last /metrics poll whose answer is just out
    assert re.search(r"finishing [12] request", log), log


W.finish()
