# SPDX-License-Identifier: LGPL-2.1-or-later
"""Start and stop `wa-preflight serve` for the tests, make fixtures, and
look at its private temporary folder (nothing may stay behind)."""
import glob
import http.client
import json
import os
import re
import signal
import subprocess
import threading
import time

import wapftest as W

KEY = "test-key-0123456789"


class Server:
    """wa-preflight serve on 127.0.0.1:<free port>, TMPDIR private to it
    (or tmp, shared with other servers)."""

    def __init__(self, *args, key=KEY, env=None, tmp=None):
        self.tmp = tmp or W.tmpdir()
        self.own_tmp = tmp is None
        e = dict(os.environ, TMPDIR=self.tmp, XDG_CONFIG_HOME=self.tmp)
        e.pop("WA_PREFLIGHT_API_KEY", None)
        if key:
            e["WA_PREFLIGHT_API_KEY"] = key
        if env:
            e.update(env)
        self.key = key
        self.proc = subprocess.Popen(
            [W.BIN, "serve", "--listen", "127.0.0.1:0", *map(str, args)],
            env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines = []
        m = None
        for _ in range(50):  # lines about stale folders come first
            line = self.proc.stderr.readline()
            self.lines.append(line)
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
            if m or not line:
                break
        if not m:
            rest = self.proc.stderr.read() if self.proc.poll() is not None else ""
            raise AssertionError(f"serve did not start: {line!r} {rest!r}")
        self.port = int(m.group(1))
        self._drain = threading.Thread(target=self._read_rest, daemon=True)
        self._drain.start()

    def _read_rest(self):
        for line in self.proc.stderr:
            self.lines.append(line)

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def request(self, method, path, body=None, headers=None, key=True,
                timeout=120):
        """(status, headers dict lower-case, body bytes) via http.client."""
        h = dict(headers or {})
        if key and self.key:
            h.setdefault("apikey", self.key)
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            c.close()

    def json(self, method, path, body=None, headers=None, **kw):
        st, h, data = self.request(method, path, body, headers, **kw)
        try:
            return st, h, json.loads(data)
        except ValueError:
            raise AssertionError(f"{path}: not JSON ({st}): {data[:300]!r}")

    def root(self):
        """This server's private folder (found by its process's open
        owner marker, so servers sharing a TMPDIR are told apart)."""
        fd_dir = f"/proc/{self.proc.pid}/fd"
        for fd in os.listdir(fd_dir):
            try:
                target = os.readlink(os.path.join(fd_dir, fd))
            except OSError:
                continue
            if target.endswith("/.wapf-serve-owner"):
                return os.path.dirname(target)
        raise AssertionError("serve holds no owner marker")

    def spool_dirs(self):
        """The request folders now on disk (should be none when idle)."""
        root = self.root() if not self.own_tmp else \
            os.path.join(self.tmp, "wa-preflight-serve.*")
        return glob.glob(os.path.join(root, "req.*"))

    def assert_clean(self, what=""):
        """Nothing left in the private temporary folder (the request's
        folder goes when its answer is sent: give it a moment)."""
        for _ in range(100):
            left = self.spool_dirs()
            if not left:
                return
            time.sleep(0.02)
        raise AssertionError(f"{what}: left behind {left}")

    def alive(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"serve exited {self.proc.returncode}: "
                                 f"{''.join(self.lines)}")

    def peak_rss_kb(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        return -1

    def stop(self, sig=signal.SIGTERM, timeout=60):
        """SIGTERM: must exit 0 and remove its temporary folder."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        rc = self.proc.wait(timeout=timeout)
        self._drain.join(timeout=5)
        self.proc.stdout.close()
        self.proc.stderr.close()
        left = glob.glob(os.path.join(self.tmp, "wa-preflight-serve.*")) \
            if self.own_tmp else []
        if rc != 0:
            raise AssertionError(f"serve exited {rc}: {''.join(self.lines)}")
        if left:
            raise AssertionError(f"temporary folder left: {left}")
        return "".join(self.lines)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if exc[0] is None:
            self.stop()
        else:
            self.proc.kill()
            self.proc.wait()
            self.proc.stdout.close()
            self.proc.stderr.close()


def multipart(fields, boundary="wapfBOUNDARY"):
    """(body, content type) for [(name, value bytes|str, filename, ctype)];
    name None: a part without a name."""
    out = []
    for name, value, filename, ctype in fields:
        if isinstance(value, str):
            value = value.encode()
        disp = "form-data" if name is None else f'form-data; name="{name}"'
        if filename:
            disp += f'; filename="{filename}"'
        head = f"--{boundary}\r\nContent-Disposition: {disp}\r\n"
        if ctype:
            head += f"Content-Type: {ctype}\r\n"
        out.append(head.encode() + b"\r\n" + value + b"\r\n")
    body = b"".join(out) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def voice_wav(seconds=3):
    return W.fixture(f"serve-voice-{seconds}.wav",
                     f"ffmpeg -v error -y -f lavfi -i sine=f=330:d={seconds} "
                     "-ac 2 -ar 44100 {out}")


def small_m4a():
    """AAC in M4A, compliant audio: format=mp3 must still give MP3."""
    return W.fixture("serve-voice-5.m4a",
                     "ffmpeg -v error -y -f lavfi -i sine=f=330:d=5 -ac 2 "
                     "-c:a aac {out}")


def small_mp4():
    # No B-frames (Android's rule): a moov-at-end clip that is a remux.
    return W.fixture("serve-small-nob.mp4",
                     "ffmpeg -v error -y -f lavfi -i testsrc=s=320x240:d=2:r=25 "
                     "-f lavfi -i sine=d=2 -c:v libx264 -bf 0 -pix_fmt yuv420p "
                     "-c:a aac -shortest {out}")


def small_png():
    return W.fixture("serve-small.png",
                     "ffmpeg -v error -y -f lavfi -i testsrc=s=200x150:d=1 "
                     "-frames:v 1 {out}")


def audio_facts(path):
    """(format_name, codec, channels, duration) of a file, by ffprobe."""
    out = W.sh(f"ffprobe -v error -show_entries format=format_name,duration:"
             f"stream=codec_name,channels -of json '{path}'")
    j = json.loads(out)
    s = j["streams"][0]
    return (j["format"]["format_name"], s["codec_name"], s.get("channels"),
            float(j["format"]["duration"]))
