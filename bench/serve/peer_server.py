# SPDX-License-Identifier: LGPL-2.1-or-later
"""The peer of the benchmark: a minimal converter service the way today's
Evolution API converters are built, one ffmpeg (or ffprobe) process per
request. Python standard library only.
  POST /process-audio  multipart `file`|`base64`, `format` -> ffmpeg to
                       Ogg/Opus mono, {"duration","audio","format","size"}
  POST /v1/check       raw body -> ffprobe JSON of it
Usage: python3 peer_server.py PORT"""
import base64
import email.parser
import email.policy
import http.server
import json
import os
import subprocess
import sys
import tempfile


def form_fields(ctype, body):
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body)
    out = {}
    for part in msg.iter_parts():
        out[part.get_param("name", header="content-disposition")] = \
            part.get_payload(decode=True)
    return out


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def answer(self, status, obj):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with tempfile.TemporaryDirectory() as d:
            src = os.path.join(d, "in")
            if self.path.startswith("/v1/check"):
                open(src, "wb").write(body)
                p = subprocess.run(["ffprobe", "-v", "error", "-show_format",
                                    "-show_streams", "-of", "json", src],
                                   capture_output=True)
                return self.answer(200 if p.returncode == 0 else 422,
                                   json.loads(p.stdout or b"{}"))
            f = form_fields(self.headers["Content-Type"], body)
            data = f.get("file") or base64.b64decode(f.get("base64") or b"")
            open(src, "wb").write(data)
            out = os.path.join(d, "out.ogg")
            p = subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", src,
                                "-vn", "-ac", "1", "-ar", "48000", "-c:a",
                                "libopus", "-b:a", "32k", "-application",
                                "voip", out], capture_output=True)
            if p.returncode != 0:
                return self.answer(400, {"error": "ffmpeg",
                                         "message": p.stderr.decode()[-300:]})
            q = subprocess.run(["ffprobe", "-v", "error", "-show_entries",
                                "format=duration", "-of", "csv=p=0", out],
                               capture_output=True, text=True)
            audio = open(out, "rb").read()
            self.answer(200, {"duration": float(q.stdout or 0),
                              "audio": base64.b64encode(audio).decode(),
                              "format": "ogg", "size": len(audio)})


if __name__ == "__main__":
    s = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H)
    s.daemon_threads = True
    s.serve_forever()
