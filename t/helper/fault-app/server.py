"""The fault suite's app: an HTTP/1.1 server (keep-alive, so the router pools its
connections) whose paths misbehave on purpose. Every request but GET / is logged
to stdout as "fault-app: <METHOD> <path>" before it is handled, so a test counts
what the app saw with `docker logs` and finds markers in `deis logs`.

  GET /               200, the app's name
  /hang...            never answers (the connection stays open)
  /close...           reads the request, then closes without answering
  GET /flood?s=N      200 at once; a thread writes lines to stdout as fast as it
                      can for N seconds, then logs how many ("flood: N lines in S s")
  anything else       200, the path (a marker line in the log)
"""
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

APP = os.environ.get("DEIS_APP", "?")


def flood(seconds):
    line = ("flood %s " % APP).encode() + b"x" * 90 + b"\n"
    block = line * 512
    n = 0
    t0 = time.monotonic()
    end = t0 + seconds
    while time.monotonic() < end:
        os.write(1, block)
        n += 512
    print("flood: %d lines in %.1f s" % (n, time.monotonic() - t0), flush=True)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # the head and the body are two writes: without this, Nagle holds the body
    # until the router's delayed ACK (40 ms a request)
    disable_nagle_algorithm = True

    def answer(self, body):
        body = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        if self.path == "/":
            self.answer("ok %s\n" % APP)
            return
        print("fault-app: %s %s" % (self.command, self.path), flush=True)
        if self.path.startswith("/hang"):
            time.sleep(3600)
        elif self.path.startswith("/close"):
            self.close_connection = True
        elif self.path.startswith("/flood"):
            s = float(self.path.partition("s=")[2] or 10)
            threading.Thread(target=flood, args=(s,), daemon=True).start()
            self.answer("flooding for %g s\n" % s)
        else:
            self.answer("%s %s\n" % (APP, self.path))

    do_GET = do_POST = do_PUT = do_DELETE = handle_any

    def log_message(self, fmt, *args):
        pass


ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer.request_queue_size = 1024
ThreadingHTTPServer(("0.0.0.0", int(os.environ.get("PORT", "5000"))), Handler).serve_forever()
