# SPDX-License-Identifier: LGPL-2.1-or-later
"""kill -9 of `wa-preflight serve` in the middle of requests, then a new
server in the same TMPDIR: the killed server's folders (and the request
folders in them) are removed at start; the folders of a server that still
runs, folders of our naming without the owner marker, and links are not
touched."""
import glob
import os
import socket
import time

import wapftest as W
from wapftest import case
import servelib as S

wav = open(S.voice_wav(), "rb").read()
BOUND = 90


def half_upload(srv):
    """A /v1/check whose body is half sent (its request folder exists)."""
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=BOUND)
    s.sendall(f"POST /v1/check HTTP/1.1\r\nHost: x\r\napikey: {S.KEY}\r\n"
              f"Content-Length: {len(wav)}\r\nConnection: close\r\n\r\n"
              .encode() + wav[:len(wav) // 2])
    return s


def wait_for(what, cond):
    end = time.monotonic() + BOUND
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError(f"not within {BOUND} s: {what}")


def kill9(srv):
    srv.proc.kill()
    srv.proc.wait()
    srv._drain.join(timeout=5)
    srv.proc.stdout.close()
    srv.proc.stderr.close()


def foreign(tmp):
    """A folder of our naming without a marker, and a link of our naming to
    a folder with a marker nobody holds: neither may be touched."""
    plain = os.path.join(tmp, "wa-preflight-serve.plain")
    os.makedirs(os.path.join(plain, "req.keep"))
    open(os.path.join(plain, "req.keep", "in"), "wb").write(b"x")
    target = os.path.join(tmp, "elsewhere")
    os.makedirs(os.path.join(target, "req.keep"))
    open(os.path.join(target, ".wapf-serve-owner"), "w").write("")
    os.symlink(target, os.path.join(tmp, "wa-preflight-serve.link"))
    return [os.path.join(plain, "req.keep", "in"),
            os.path.join(target, ".wapf-serve-owner"),
            os.path.join(target, "req.keep"),
            os.path.join(tmp, "wa-preflight-serve.link")]


@case
def kill9_then_restart_removes_what_the_killed_server_left():
    tmp = W.tmpdir()
    keep = foreign(tmp)
    a = S.Server(tmp=tmp)
    b = S.Server(tmp=tmp)  # runs through the whole test
    ca, cb = half_upload(a), half_upload(b)
    wait_for("both uploads spooled", lambda: a.spool_dirs() and b.spool_dirs())
    a_root, b_reqs = a.root(), b.spool_dirs()
    kill9(a)
    ca.close()
    left = glob.glob(os.path.join(a_root, "req.*"))
    assert left, "kill -9 left nothing: the test proves nothing"
    c = S.Server(tmp=tmp)
    try:
        assert not os.path.exists(a_root), f"{a_root} left after a restart"
        log = "".join(c.lines)
        assert f"removed {a_root}" in log, log
        assert b.spool_dirs() == b_reqs, "a live server's folder was touched"
        for p in keep:
            assert os.path.lexists(p), f"{p} was removed"
        b.alive()
        # b's request still completes
        cb.sendall(wav[len(wav) // 2:])
        resp = b""
        while True:
            d = cb.recv(65536)
            if not d:
                break
            resp += d
        assert resp.startswith(b"HTTP/1.1 200"), resp[:300]
        b.assert_clean("b after its request")
    finally:
        cb.close()
        b_root = b.root()
        c_root = c.root()
        b.stop()
        c.stop()
    assert not os.path.exists(b_root) and not os.path.exists(c_root)
    for p in keep:
        assert os.path.lexists(p), f"{p} was removed"


@case
def kill9_during_a_conversion():
    tmp = W.tmpdir()
    a = S.Server("--workers", "1", tmp=tmp)
    video = W.fixture("serve-long.avi",
                      "ffmpeg -v error -y -f lavfi -i testsrc=s=1280x720:d=30:"
                      "r=30 -f lavfi -i sine=d=30 -c:v mpeg4 -q:v 5 "
                      "-c:a pcm_s16le {out}")
    s = socket.create_connection(("127.0.0.1", a.port), timeout=BOUND)
    data = open(video, "rb").read()
    s.sendall(f"POST /v1/convert?as=video HTTP/1.1\r\nHost: x\r\n"
              f"apikey: {S.KEY}\r\nContent-Length: {len(data)}\r\n\r\n"
              .encode() + data)

    def running():
        st, _, m = a.request("GET", "/metrics")
        return b"wapf_jobs_running 1" in m

    wait_for("the conversion running", running)
    root = a.root()
    kill9(a)
    s.close()
    assert glob.glob(os.path.join(root, "req.*", "in")), "nothing left"
    c = S.Server(tmp=tmp)
    try:
        assert not os.path.exists(root), f"{root} left after a restart"
        st, _, j = c.json("GET", "/healthz")
        assert st == 200, (st, j)
    finally:
        c.stop()
    assert not glob.glob(os.path.join(tmp, "wa-preflight-serve.*"))


@case
def sigterm_the_moment_it_listens():
    """A stop sent as soon as the server says it listens (its helper
    threads already running) is a clean stop: exit 0, folder removed."""
    for _ in range(25):
        S.Server().stop()


W.finish()
