"""The example Dockerfile app: one line per GET, naming the app and $POWERED_BY."""
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = "Hello from a Dockerfile app ({}), powered by {}\n".format(
            os.environ.get("DEIS_APP", "?"), os.environ.get("POWERED_BY", "Docker")).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        print("dockerfile-web: %s %s" % (self.command, self.path), flush=True)


ThreadingHTTPServer(("0.0.0.0", int(os.environ.get("PORT", "5000"))), Handler).serve_forever()
