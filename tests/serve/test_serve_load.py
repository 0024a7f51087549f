# SPDX-License-Identifier: LGPL-2.1-or-later
"""50 requests of mixed media at once against `serve --workers 2`: every
one answered correctly (checked independently), the queue drained, peak
memory of the server measured (VmHWM) and bounded."""
import base64
import json
import os
import threading

import wapftest as W
from wapftest import case
import servelib as S

N = 50
ASAN = "asan" in os.path.basename(os.path.abspath(W.BUILD))
mp4 = open(S.small_mp4(), "rb").read()
png = open(S.small_png(), "rb").read()
wav = open(S.voice_wav(), "rb").read()
srv = S.Server("--workers", "2", "--queue", str(N), "--timeout", "300")


def job(i):
    """One request by its number: (what, check function)."""
    k = i % 4
    if k == 0:
        st, _, j = srv.json("POST", "/v1/check?as=video", mp4)
        assert st == 200 and j["kind"] == "video" and j["plan"] == "remux", j
    elif k == 1:
        body, ctype = S.multipart([("file", wav, "v.wav", "audio/wav")])
        st, _, j = srv.json("POST", "/process-audio", body,
                            {"Content-Type": ctype})
        assert st == 200, (st, j)
        p = os.path.join(W.tmpdir(), f"a{i}.ogg")
        open(p, "wb").write(base64.b64decode(j["audio"]))
        fmt, codec, ch, dur = S.audio_facts(p)
        assert (fmt, codec, ch) == ("ogg", "opus", 1) and abs(dur - 3) < 0.1
    elif k == 2:
        st, h, data = srv.request("POST", "/v1/convert?as=sticker", png)
        assert st == 200 and h["content-type"] == "image/webp", (st, data[:200])
        p = os.path.join(W.tmpdir(), f"s{i}.webp")
        open(p, "wb").write(data)
        assert W.vipsheader(p, "width") == "512"
    else:
        st, h, data = srv.request("POST", "/v1/convert?as=video", mp4,
                                  {"Accept": "application/json"})
        j = json.loads(data)
        assert st == 200 and j["report"]["action"] == "remux", (st, j)
        p = os.path.join(W.tmpdir(), f"v{i}.mp4")
        open(p, "wb").write(base64.b64decode(j["file"]))
        boxes = [b[0] for b in W.mp4_boxes(p)]
        assert boxes.index("moov") < boxes.index("mdat"), boxes


@case
def fifty_at_once_all_right():
    errors = []

    def run(i):
        try:
            job(i)
        except Exception as e:  # noqa: BLE001 - collect every failure
            errors.append((i, repr(e)[:300]))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(N)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(600)
    assert not errors, errors
    st, _, data = srv.request("GET", "/metrics")
    text = data.decode()
    assert "wapf_queue_depth 0" in text and "wapf_jobs_running 0" in text
    total = sum(int(line.split()[-1]) for line in text.splitlines()
                if line.startswith("wapf_requests_total") and 'status="200"' in line
                and "/metrics" not in line)
    assert total == N, (total, text)
    srv.assert_clean("load")
    kb = srv.peak_rss_kb()
    print(f"peak memory of the server (VmHWM) for {N} requests, --workers 2: "
          f"{kb / 1024:.0f} MiB{' (ASan build)' if ASAN else ''}")
    assert 0 < kb < (3 if ASAN else 1) * 1024 * 1024, kb


srv.stop()
W.finish()
