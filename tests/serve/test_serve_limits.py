# SPDX-License-Identifier: LGPL-2.1-or-later
"""What one client may hold of `wa-preflight serve`: clients that trickle
their request heads one byte at a time are dropped at --header-timeout
and one address holds at most --max-per-ip connections, so /healthz still
answers; a slow body, and a slow reader of the answer, are bounded by
--timeout; `url` downloads wait for a
worker (--workers 1 --queue 0: one download at a time, the others 503
without being fetched). Every loop is bounded; the bounds are generous
(they must hold under ASan on a loaded machine)."""
import collections
import http.client
import os
import socket
import subprocess
import threading
import time

import wapftest as W
from wapftest import case
import servelib as S
from upstream import Upstream

wav = open(S.voice_wav(), "rb").read()
BOUND = 90  # seconds any expected event may take, at most


class Tricklers:
    """Connections from the given source addresses that each send a
    request head one byte every `every` seconds, from one thread."""
    HEAD = (b"POST /v1/check HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100000)

    def __init__(self, port, sources, every=1.0):
        self.socks, self.closed = [], {}
        self.every, self.stop_flag = every, threading.Event()
        self.lock = threading.Lock()
        self.t0 = time.monotonic()
        for i, src in enumerate(sources):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((src, 0))
            s.settimeout(BOUND)
            try:
                s.connect(("127.0.0.1", port))
            except OSError:
                self.closed[i] = 0.0
            s.setblocking(False)
            self.socks.append(s)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _gone(self, s):
        try:
            return s.recv(1, socket.MSG_DONTWAIT) is not None  # b"" or data
        except BlockingIOError:
            return False
        except OSError:
            return True

    def _run(self):
        for pos in range(len(self.HEAD)):
            if self.stop_flag.wait(self.every if pos else 0):
                return
            for i, s in enumerate(self.socks):
                with self.lock:
                    if i in self.closed:
                        continue
                    gone = self._gone(s)
                    if not gone:
                        try:
                            s.send(self.HEAD[pos:pos + 1])
                        except BlockingIOError:
                            pass
                        except OSError:
                            gone = True
                    if gone:
                        self.closed[i] = time.monotonic() - self.t0

    def open_count(self):
        with self.lock:
            for i, s in enumerate(self.socks):
                if i not in self.closed and self._gone(s):
                    self.closed[i] = time.monotonic() - self.t0
            return len(self.socks) - len(self.closed)

    def close(self):
        self.stop_flag.set()
        self.thread.join(BOUND)
        for s in self.socks:
            s.close()


def wait_for(what, cond, bound=BOUND):
    end = time.monotonic() + bound
    while time.monotonic() < end:
        v = cond()
        if v:
            return v
        time.sleep(0.2)
    raise AssertionError(f"not within {bound} s: {what}")


def healthz(srv, source, timeout=BOUND):
    """The status of GET /healthz from a source address, or the error."""
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=timeout,
                                   source_address=(source, 0))
    try:
        c.request("GET", "/healthz")
        r = c.getresponse()
        r.read()
        return r.status
    except (OSError, http.client.HTTPException) as e:
        return e
    finally:
        c.close()


def metric(srv, name, source="127.0.0.1"):
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=BOUND,
                                   source_address=(source, 0))
    try:
        c.request("GET", "/metrics", headers={"apikey": srv.key})
        data = c.getresponse().read()
    finally:
        c.close()
    for line in data.decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"no {name} in /metrics")


@case
def bad_limits_are_usage_errors():
    for args in (["--header-timeout", "0"], ["--header-timeout", "x"],
                 ["--max-per-ip", "0"], ["--max-per-ip", "70000"]):
        p = subprocess.run([W.BIN, "serve", "--listen", "127.0.0.1:0", *args],
                           capture_output=True, text=True, timeout=BOUND)
        assert p.returncode == 2, (args, p.returncode, p.stderr)
        assert args[0] in p.stderr and len(p.stderr.splitlines()) == 1, \
            p.stderr


@case
def one_address_cannot_take_every_slot():
    # 65 connection slots, 32 per address by default; tricklers on
    # 127.0.0.1 that the head deadline does not reach during the test
    srv = S.Server("--workers", "1", "--queue", "0", "--header-timeout", "600",
                   "--client-timeout", "600")
    t = Tricklers(srv.port, ["127.0.0.1"] * 100)
    try:
        wait_for("the connections over 32 refused", lambda: t.open_count() <= 32)
        held = t.open_count()
        assert held >= 16, f"only {held} of 100 connections were taken"
        for src in ("127.0.0.2", "127.0.0.3", "127.0.0.77"):
            st = healthz(srv, src)
            assert st == 200, (src, st)
        assert healthz(srv, "127.0.0.1") != 200, "over the per-address limit"
        assert t.open_count() == held, "tricklers dropped before the deadline"
    finally:
        t.close()
    wait_for("127.0.0.1 served again", lambda: healthz(srv, "127.0.0.1") == 200)
    srv.alive()
    srv.stop()


@case
def trickled_heads_are_dropped_and_healthz_answers():
    # every slot (65) taken by one address trickling a byte a second,
    # under the 300 s client timeout: only the head deadline frees them
    srv = S.Server("--workers", "1", "--queue", "0", "--header-timeout", "3",
                   "--client-timeout", "300", "--max-per-ip", "1000")
    t = Tricklers(srv.port, ["127.0.0.1"] * 100)
    try:
        st = wait_for("/healthz answered",
                      lambda: healthz(srv, "127.0.0.1", timeout=5) == 200)
        assert st
        wait_for("every trickler dropped", lambda: t.open_count() == 0)
        # the server was full (65 slots, 100 tricklers): each trickler it
        # took was shut down by the deadline, not by a limit
        dropped = metric(srv, "wapf_connections_dropped_total")
        assert dropped >= 50, f"{dropped} connections dropped"
    finally:
        t.close()
    srv.alive()
    srv.stop()


@case
def deadlines_follow_the_request_phases():
    # a head deadline of 2 s: kept-alive requests, a body sent in pieces
    # over 5 s within --timeout and work that takes 5 s are not cut by it
    srv = S.Server("--header-timeout", "2", "--timeout", "60",
                   "--client-timeout", "30", "--allow-private-urls")
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=BOUND)
    for _ in range(3):
        c.request("GET", "/healthz")
        r = c.getresponse()
        assert r.status == 200 and r.read() == b'{"status":"ok"}', r.status
        time.sleep(0.3)
    c.close()
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=BOUND)
    body, ctype = S.multipart([("file", wav, "v.wav", "audio/wav")])
    s.sendall(f"POST /process-audio HTTP/1.1\r\nHost: x\r\napikey: {S.KEY}\r\n"
              f"Content-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
              "Connection: close\r\n\r\n".encode())
    step = -(-len(body) // 10)
    for i in range(0, len(body), step):  # about 5 s for the body
        s.sendall(body[i:i + step])
        time.sleep(0.5)
    resp = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        resp += d
    s.close()
    assert resp.startswith(b"HTTP/1.1 200"), resp[:300]
    # the work phase: a url fetched in 5 s (the fake upstream is slow)
    up = Upstream({"/voice.wav": wav}, slow_seconds=5.0)
    try:
        body, ctype = S.multipart([("url", up.base + "/slow/voice.wav", None,
                                    None)])
        st, _, j = srv.json("POST", "/process-audio", body,
                            {"Content-Type": ctype})
        assert st == 200 and j["format"] == "ogg", (st, j.get("message"))
    finally:
        up.close()
    srv.alive()
    srv.stop()


@case
def slow_body_dropped_at_the_request_timeout():
    srv = S.Server("--header-timeout", "2", "--timeout", "3",
                   "--client-timeout", "300")
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=BOUND)
    s.sendall(f"POST /v1/check HTTP/1.1\r\nHost: x\r\napikey: {S.KEY}\r\n"
              "Content-Length: 100000\r\n\r\n".encode())
    t = time.monotonic()
    gone = False
    while time.monotonic() - t < BOUND and not gone:
        try:
            s.send(b"x")
            time.sleep(0.5)
        except OSError:
            gone = True
            break
        try:
            gone = s.recv(1000, socket.MSG_DONTWAIT) == b""
        except BlockingIOError:
            pass
        except OSError:
            gone = True
    s.close()
    assert gone, "a body trickled past --timeout was never cut"
    srv.assert_clean("slow body")
    srv.alive()
    srv.stop()


@case
def slow_reader_dropped_at_the_request_timeout():
    # a 12 MB answer (a document is sent back unchanged; more than the
    # kernel's buffers hold) read 100 bytes at a time through a 4 KB window:
    # without a bound it would hold its connection (the one its address
    # may have) and its folder for hours
    srv = S.Server("--timeout", "30", "--client-timeout", "300",
                   "--max-body", 64 << 20, "--max-per-ip", "1")
    data = os.urandom(12 << 20)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(BOUND)
    s.bind(("127.0.0.1", 0))
    s.connect(("127.0.0.1", srv.port))
    s.sendall(f"POST /v1/convert?as=document HTTP/1.1\r\nHost: x\r\n"
              f"apikey: {S.KEY}\r\nContent-Length: {len(data)}\r\n\r\n"
              .encode() + data)
    got = s.recv(100)
    assert got.startswith(b"HTTP/1.1 200"), got

    def dropped():
        try:
            got_more = s.recv(100)  # keep reading, slowly
        except OSError:
            got_more = b""
        assert len(got_more) < len(data)
        return metric(srv, "wapf_connections_dropped_total",
                      "127.0.0.2") >= 1

    wait_for("the slow reader dropped", dropped)
    srv.assert_clean("slow reader")
    # libmicrohttpd frees the address's slot once the connection's thread
    # has ended, a moment after the request's end
    wait_for("its address's slot free",
             lambda: healthz(srv, "127.0.0.1", timeout=5) == 200)
    s.close()
    srv.alive()
    srv.stop()


@case
def url_downloads_wait_for_a_worker():
    up = Upstream({"/voice.wav": wav}, slow_seconds=2.0)
    srv = S.Server("--workers", "1", "--queue", "0", "--allow-private-urls",
                   "--timeout", "120")
    n = 20
    go = threading.Barrier(n)
    out = [None] * n
    body, ctype = S.multipart([("url", up.base + "/slow/voice.wav", None,
                                None)])

    def run(i):
        go.wait(BOUND)
        out[i] = srv.json("POST", "/process-audio", body,
                          {"Content-Type": ctype})

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(4 * BOUND)
    try:
        assert all(out), "a request got no answer"
        codes = collections.Counter(st for st, _, _ in out)
        assert set(codes) <= {200, 503}, [(st, j) for st, _, j in out]
        for st, h, j in out:
            if st == 503:
                assert j["error"] == "queue_full" and int(h["retry-after"]) > 0
            else:
                assert j["format"] == "ogg", j
        fetched = up.hits.count("/slow/voice.wav")
        assert up.peak == 1, f"{up.peak} downloads at once with --workers 1"
        assert fetched == codes[200], (fetched, codes)
        assert codes[503] >= 1, codes
        srv.assert_clean("url gate")
    finally:
        srv.stop()
        up.close()
    print(f"{n} url requests: {dict(codes)}, downloads at once at most "
          f"{up.peak}")


W.finish()
