# SPDX-License-Identifier: LGPL-2.1-or-later
"""A strict fake upstream on 127.0.0.1 for `url` inputs: a file, redirects
(to itself, to loopback, to the metadata address), a server that never
answers, an endless response, and slow files (/slow/NAME: the file NAME
in pieces over about `slow_seconds`) whose downloads at once are counted
(`active`, `peak`)."""
import http.server
import threading
import time

SLOW_PIECES = 10


class Upstream:
    def __init__(self, files, slow_seconds=1.0):
        self.files = dict(files)  # path -> bytes
        self.hits = []
        self.slow_seconds = slow_seconds
        self.active = self.peak = 0
        self.lock = threading.Lock()
        up = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                up.hits.append(self.path)
                p = self.path
                if p in up.files:
                    data = up.files[p]
                    self.send_response(200)
                    self.send_header("Content-Type", "application/octet-stream")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                elif p.startswith("/redirect?to="):
                    self.send_response(302)
                    self.send_header("Location", p[len("/redirect?to="):])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif p.startswith("/slow/") and p[5:] in up.files:
                    up.slow(self, up.files[p[5:]])
                elif p == "/loop":
                    self.send_response(302)
                    self.send_header("Location", "/loop")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif p == "/never":
                    time.sleep(30)
                elif p == "/endless":
                    self.send_response(200)
                    self.send_header("Content-Type", "audio/wav")
                    self.end_headers()  # no length: until the client stops
                    try:
                        while True:
                            self.wfile.write(b"\0" * 65536)
                    except OSError:
                        pass
                else:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def slow(self, handler, data):
        with self.lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
        try:
            handler.send_response(200)
            handler.send_header("Content-Type", "application/octet-stream")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            step = -(-len(data) // SLOW_PIECES)
            for i in range(0, len(data), step):
                handler.wfile.write(data[i:i + step])
                handler.wfile.flush()
                time.sleep(self.slow_seconds / SLOW_PIECES)
        except OSError:
            pass
        finally:
            with self.lock:
                self.active -= 1

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
