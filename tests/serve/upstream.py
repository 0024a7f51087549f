"""A strict fake upstream on 127.0.0.1 for `url` inputs: a file, redirects
(to itself, to loopback, to the metadata address), a server that never
answers and an endless response."""
import http.server
import threading
import time


class Upstream:
    def __init__(self, files):
        self.files = dict(files)  # path -> bytes
        self.hits = []
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

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
