# SPDX-License-Identifier: LGPL-2.1-or-later
"""bench/serve: requests/s and p50/p99 latency of `wa-preflight serve`
against the one-ffmpeg-process-per-request peer (peer_server.py), same
run, same machine: /v1/check on a small MP4, /process-audio on a 30 s
voice note, with 1 and 8 concurrent clients. Also the CPU time (user+sys)
each server used, children included. Writes RESULTS.md beside it.
Usage: python3 bench/serve/bench.py [build/tools/wa-preflight]"""
import base64
import http.client
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    HERE, "..", "..", "build", "tools", "wa-preflight")
WORK = tempfile.mkdtemp(prefix="wapf-bench-serve-")
TICK = os.sysconf("SC_CLK_TCK")


def sh(cmd):
    subprocess.run(cmd, shell=True, check=True)


def fixtures():
    mp4 = os.path.join(WORK, "small.mp4")
    note = os.path.join(WORK, "note30.mp3")
    sh(f"ffmpeg -v error -y -f lavfi -i testsrc=s=640x360:d=5:r=30 -f lavfi "
       f"-i sine=d=5 -c:v libx264 -bf 0 -pix_fmt yuv420p -c:a aac -shortest {mp4}")
    sh(f"ffmpeg -v error -y -f lavfi -i 'sine=f=220:d=30' -f lavfi "
       f"-i 'anoisesrc=d=30:a=0.05' -filter_complex amix=inputs=2 -ac 2 "
       f"-ar 44100 -c:a libmp3lame -b:a 128k {note}")
    return open(mp4, "rb").read(), open(note, "rb").read()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_up(port):
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port)).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("server did not start")


def cpu_seconds(pid):
    """user+sys of pid and its waited-for children, seconds."""
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in f[11:15]) / TICK


def multipart(data):
    b = "benchBOUNDARY"
    body = (f"--{b}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"note.mp3\"\r\nContent-Type: audio/mpeg\r\n\r\n").encode()
    body += data + (f"\r\n--{b}\r\nContent-Disposition: form-data; "
                    f"name=\"format\"\r\n\r\nogg\r\n--{b}--\r\n").encode()
    return body, f"multipart/form-data; boundary={b}"


def one(port, path, body, ctype):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    t = time.perf_counter()
    c.request("POST", path, body, {"Content-Type": ctype, "apikey": "bench"})
    r = c.getresponse()
    data = r.read()
    dt = time.perf_counter() - t
    c.close()
    if r.status != 200:
        raise SystemExit(f"{path}: {r.status} {data[:300]!r}")
    if path == "/process-audio":
        assert json.loads(data)["format"] == "ogg"
    return dt


def load(port, path, body, ctype, clients, n):
    lat, lock = [], threading.Lock()
    left = [n]

    def worker():
        while True:
            with lock:
                if left[0] == 0:
                    return
                left[0] -= 1
            dt = one(port, path, body, ctype)
            with lock:
                lat.append(dt)

    ts = [threading.Thread(target=worker) for _ in range(clients)]
    t = time.perf_counter()
    for x in ts:
        x.start()
    for x in ts:
        x.join()
    wall = time.perf_counter() - t
    lat.sort()
    p99 = lat[min(len(lat) - 1, int(round(0.99 * (len(lat) - 1))))]
    return n / wall, statistics.median(lat), p99, wall


def main():
    mp4, note = fixtures()
    form, fctype = multipart(note)
    up_before = subprocess.run(["uptime"], capture_output=True,
                               text=True).stdout.strip()
    servers = []
    p1 = free_port()
    env = dict(os.environ, WA_PREFLIGHT_API_KEY="bench", TMPDIR=WORK)
    servers.append(("wa-preflight serve --workers 8", p1, subprocess.Popen(
        [BIN, "serve", "--listen", f"127.0.0.1:{p1}", "--workers", "8",
         "--queue", "64", "--quiet"], env=env, stderr=subprocess.DEVNULL)))
    p2 = free_port()
    servers.append(("peer: ffmpeg per request (Python)", p2, subprocess.Popen(
        [sys.executable, os.path.join(HERE, "peer_server.py"), str(p2)])))
    for _, port, _ in servers:
        wait_up(port)
    rows = []
    cases = [("/v1/check", mp4, "application/octet-stream", 60),
             ("/process-audio", form, fctype, 24)]
    for path, body, ctype, n in cases:
        for clients in (1, 8):
            for name, port, proc in servers:
                one(port, path, body, ctype)  # warm up
                c0 = cpu_seconds(proc.pid)
                rps, p50, p99, wall = load(port, path, body, ctype, clients, n)
                cpu = cpu_seconds(proc.pid) - c0
                rows.append((path, clients, name, n, rps, p50 * 1000,
                             p99 * 1000, wall, cpu))
                print(rows[-1], flush=True)
    up_after = subprocess.run(["uptime"], capture_output=True,
                              text=True).stdout.strip()
    for _, _, proc in servers:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
    cpu_model = [l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                 if l.startswith("model name")][0]
    lines = ["# bench/serve results", "",
             f"Machine: {os.cpu_count()} cores ({platform.machine()}), "
             f"{cpu_model}.", f"Load before: `{up_before}`",
             f"Load after: `{up_after}`", "",
             "Inputs: a 5 s 640x360 H.264/AAC MP4 (moov at the end, so check "
             "finds a fail and plans a remux); a 30 s 128 kb/s stereo MP3 "
             "voice note, made an Ogg/Opus mono voice note by both servers. "
             "CPU = user+sys seconds of the server process and its "
             "children during that row.", "",
             "| endpoint | clients | server | requests | req/s | p50 ms | "
             "p99 ms | wall s | CPU s |", "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[4]:.1f} | "
                     f"{r[5]:.0f} | {r[6]:.0f} | {r[7]:.1f} | {r[8]:.1f} |")
    text = "\n".join(lines) + "\n"
    open(os.path.join(HERE, "RESULTS.md"), "w").write(text)
    print(text)
    sh(f"rm -rf {WORK}")


if __name__ == "__main__":
    main()
