# SPDX-License-Identifier: LGPL-2.1-or-later
"""wa-preflight serve: every endpoint with real clients (curl and Python's
http.client), the key, the JSON shapes, the files it answers (checked
with ffprobe / vipsheader and `wa-preflight check`), and SIGTERM."""
import base64
import json
import os
import subprocess
import sys

import wapftest as W
from wapftest import case, Skip
import servelib as S

if not W.have("curl"):
    print("SKIP: curl is not installed")
    sys.exit(77)

srv = S.Server("--workers", "2")
BASE = f"http://127.0.0.1:{srv.port}"


def curl(*args):
    """curl -s, returns (status, body bytes, headers text)."""
    hdr = os.path.join(W.tmpdir(), "h")
    p = subprocess.run(["curl", "-sS", "-D", hdr, "-o", "-",
                        "-w", "", *args], capture_output=True, timeout=120)
    if p.returncode != 0:
        raise AssertionError(f"curl {args}: {p.returncode} {p.stderr!r}")
    headers = open(hdr, encoding="latin-1", newline="").read()
    status = int(headers.split("\r\n")[0].split()[1])
    return status, p.stdout, headers


@case
def healthz_needs_no_key():
    st, body, _ = curl(f"{BASE}/healthz")
    assert st == 200 and json.loads(body) == {"status": "ok"}, (st, body)


@case
def wrong_or_missing_key_is_401():
    for extra in ([], ["-H", "apikey: wrong"], ["-H", f"apikey: {S.KEY}x"]):
        st, body, _ = curl(*extra, "--data-binary", "x", f"{BASE}/v1/check")
        j = json.loads(body)
        assert st == 401 and j["error"] == "unauthorized", (st, j)
    st, _, _ = curl(f"{BASE}/metrics")
    assert st == 401, st
    srv.assert_clean("401")


@case
def check_raw_body_with_curl():
    st, body, _ = curl("-H", f"apikey: {S.KEY}", "--data-binary",
                       "@" + S.small_mp4(), f"{BASE}/v1/check?as=video")
    j = json.loads(body)
    assert st == 200, (st, j)
    # the same object as one entry of check --json (but the path)
    p, doc = W.run_json("check", "--json", "--as", "video", S.small_mp4())
    ref = doc["files"][0]
    ref["path"] = "upload"
    assert j == ref, (j, ref)
    srv.assert_clean("check")


@case
def check_multipart_file_with_http_client():
    data = open(S.small_png(), "rb").read()
    body, ctype = S.multipart([("file", data, "pic.png", "image/png")])
    st, _, j = srv.json("POST", "/v1/check", body, {"Content-Type": ctype})
    assert st == 200, (st, j)
    assert j["path"] == "pic.png" and j["kind"] == "image", j
    assert j["error"] is None and isinstance(j["findings"], list), j


@case
def check_not_media_is_unfixable():
    st, _, j = srv.json("POST", "/v1/check?as=video", b"\0" * 100)
    assert st == 200 and j["error"] is None, (st, j)
    assert j["compliant"] is False and j["plan"] == "unfixable", j


@case
def check_bad_query_is_400():
    for q in ("as=film", "start=3", "stereo=maybe"):
        st, _, j = srv.json("POST", "/v1/check?" + q, b"abc")
        assert st == 400 and j["error"] == "bad_query", (q, st, j)
        assert j["message"], j


@case
def convert_file_body_with_report_header():
    out = os.path.join(W.tmpdir(), "out.bin")
    hdr = os.path.join(W.tmpdir(), "h")
    subprocess.run(["curl", "-sS", "-D", hdr, "-o", out, "-H",
                    f"apikey: {S.KEY}", "--data-binary", "@" + S.voice_wav(),
                    f"{BASE}/v1/convert?as=voice"], check=True, timeout=120)
    text = open(hdr, encoding="latin-1", newline="").read()
    headers = {}
    for line in open(hdr, encoding="latin-1", newline="").read().split("\r\n")[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    assert headers.get("content-type") == "audio/ogg", text
    rep = json.loads(headers["x-preflight-report"])
    assert rep["action"] == "encode-audio" and rep["kind"] == "voice", rep
    assert rep["bytes_out"] == os.path.getsize(out), rep
    fmt, codec, ch, dur = S.audio_facts(out)
    assert (fmt, codec, ch) == ("ogg", "opus", 1), (fmt, codec, ch)
    assert abs(dur - 3.0) < 0.1, dur
    W.run("check", "--as", "voice", out, check_rc=0)
    srv.assert_clean("convert")


@case
def convert_json_with_options():
    data = open(S.small_mp4(), "rb").read()
    st, _, j = srv.json("POST", "/v1/convert?as=video&start=0.5&duration=1",
                        data, {"Accept": "application/json"})
    assert st == 200, (st, j)
    assert j["report"]["kind"] == "video" and j["report"]["error"] is None, j
    out = os.path.join(W.tmpdir(), "v.mp4")
    open(out, "wb").write(base64.b64decode(j["file"]))
    d = float(W.ffprobe(out)["format"]["duration"])
    assert abs(d - 1.0) < 0.15, d
    W.run("check", "--as", "video", out, check_rc=0)


@case
def convert_image_as_sticker():
    st, h, data = srv.request("POST", "/v1/convert?as=sticker&fit=cover",
                              open(S.small_png(), "rb").read())
    assert st == 200 and h["content-type"] == "image/webp", (st, h)
    p = os.path.join(W.tmpdir(), "s.webp")
    open(p, "wb").write(data)
    assert W.vipsheader(p, "width") == "512", W.vipsheader(p)


@case
def process_audio_three_sources_and_formats():
    wav = open(S.voice_wav(), "rb").read()
    for fields, want in (
        ([("file", wav, "v.wav", "audio/wav")], ("ogg", "opus", 1)),
        ([("base64", base64.b64encode(wav), None, None),
          ("format", "opus", None, None)], ("ogg", "opus", 1)),
        ([("file", wav, "v.wav", "audio/wav"),
          ("format", "mp4", None, None)], ("mov,mp4,m4a,3gp,3g2,mj2", "aac", 2)),
    ):
        body, ctype = S.multipart(fields)
        st, _, j = srv.json("POST", "/process-audio", body,
                            {"Content-Type": ctype})
        assert st == 200, (st, j)
        assert set(j) == {"duration", "audio", "format", "size"}, j.keys()
        raw = base64.b64decode(j["audio"])
        assert len(raw) == j["size"], (len(raw), j["size"])
        p = os.path.join(W.tmpdir(), "a")
        open(p, "wb").write(raw)
        fmt, codec, ch, dur = S.audio_facts(p)
        assert (fmt, codec, ch) == want, (fmt, codec, ch, want)
        assert abs(dur - 3.0) < 0.1 and abs(j["duration"] - 3.0) < 0.1, dur
    srv.assert_clean("process-audio")


@case
def process_audio_mp3_stays_mp3_when_compliant():
    mp3 = W.fixture("serve-voice.mp3", "ffmpeg -v error -y -f lavfi -i "
                    "sine=d=2 -c:a libmp3lame -b:a 64k {out}")
    body, ctype = S.multipart([("file", open(mp3, "rb").read(), "a.mp3",
                                "audio/mpeg"), ("format", "mp3", None, None)])
    st, _, j = srv.json("POST", "/process-audio", body, {"Content-Type": ctype})
    assert st == 200 and j["format"] == "mp3", (st, j.get("format"))
    assert base64.b64decode(j["audio"]) == open(mp3, "rb").read()


@case
def process_audio_errors_are_error_message():
    for fields, status, err in (
        ([("format", "ogg", None, None)], 400, "missing_body"),
        ([("base64", "abc!def", None, None)], 400, "bad_base64"),
        ([("base64", "QUJD", None, None), ("format", "flac", None, None)],
         400, "bad_format"),
        ([("file", b"not audio at all" * 10, "x.wav", "audio/wav")], 422,
         "unfixable"),
        ([("file", b"a", "x", None), ("base64", "QUJD", None, None)], 400,
         "bad_request"),
    ):
        body, ctype = S.multipart(fields)
        st, _, j = srv.json("POST", "/process-audio", body,
                            {"Content-Type": ctype})
        assert (st, j.get("error")) == (status, err), (fields[0][0], st, j)
        assert set(j) == {"error", "message"} and j["message"], j
    st, _, j = srv.json("POST", "/process-audio", b"raw",
                        {"Content-Type": "audio/wav"})
    assert st == 415 and j["error"] == "bad_request", (st, j)
    srv.assert_clean("process-audio errors")


@case
def unknown_paths_and_methods():
    st, _, j = srv.json("GET", "/nope")
    assert st == 404 and j["error"] == "not_found", (st, j)
    st, _, j = srv.json("GET", "/v1/check")
    assert st == 405 and j["error"] == "method_not_allowed", (st, j)


@case
def metrics_prometheus_text():
    st, h, data = srv.request("GET", "/metrics")
    text = data.decode()
    assert st == 200 and h["content-type"].startswith("text/plain"), (st, h)
    for want in ('wapf_requests_total{endpoint="/v1/check",status="200"}',
                 'wapf_failures_total{endpoint="/v1/check",reason="unauthorized"}',
                 'wapf_request_duration_seconds_bucket{endpoint="/process-audio",le="+Inf"}',
                 "wapf_bytes_in_total", "wapf_bytes_out_total",
                 "wapf_queue_depth 0"):
        assert want in text, (want, text[:2000])
    n = [int(line.split()[-1]) for line in text.splitlines()
         if line.startswith("wapf_bytes_in_total")][0]
    assert n > 100000, n


@case
def sigterm_exits_0_and_cleans_up():
    log = srv.stop()
    assert "stopped" in log, log


@case
def no_key_means_loopback_only():
    p = W.run("serve", "--listen", "0.0.0.0:0",
              env={"WA_PREFLIGHT_API_KEY": "", "XDG_CONFIG_HOME": W.tmpdir()},
              timeout=30)
    assert p.returncode == 2 and "loopback only" in p.stderr, p.stderr
    with S.Server(key=None) as s:
        st, _, j = s.json("POST", "/v1/check", open(S.small_png(), "rb").read())
        assert st == 200, (st, j)


@case
def usage_errors_exit_2():
    for args in (["--listen", "nonsense"], ["--listen", "127.0.0.1:99999"],
                 ["--workers", "0"], ["--queue", "-1"], ["--max-body", "x"],
                 ["--timeout", "0"], ["a-file"], ["--api-key", "k"]):
        p = W.run("serve", *args, timeout=30)
        assert p.returncode == 2 and p.stderr and not p.stdout, (args, p)


@case
def key_from_the_config_file_only_when_private():
    cfg = W.tmpdir()
    os.makedirs(os.path.join(cfg, "wa-preflight"))
    path = os.path.join(cfg, "wa-preflight", "config")
    with open(path, "w") as f:
        f.write("# the service key\nWA_PREFLIGHT_API_KEY = from-file\n")
    os.chmod(path, 0o644)
    p = W.run("serve", "--listen", "0.0.0.0:0",
              env={"WA_PREFLIGHT_API_KEY": "", "XDG_CONFIG_HOME": cfg},
              timeout=30)
    assert p.returncode == 2 and "group or others" in p.stderr, p.stderr
    os.chmod(path, 0o600)
    with S.Server(key=None, env={"XDG_CONFIG_HOME": cfg}) as s:
        st, _, _ = s.request("POST", "/v1/check", b"x", key=False)
        assert st == 401, st
        st, _, _ = s.request("POST", "/v1/check", open(S.small_png(), "rb").read(),
                             {"apikey": "from-file"}, key=False)
        assert st == 200, st


W.finish()
