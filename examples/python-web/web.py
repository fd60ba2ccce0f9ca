"""The example buildpack app: a Python standard-library web server.

It answers every GET with one line naming itself, the release that runs it and
$POWERED_BY (set it with `deis config:set POWERED_BY=...` to see a new release
serve the new value), and logs one line per request on stdout, which reaches
`deis logs`.
"""
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = "Powered by {} (app {}, release {}, process {})\n".format(
            os.environ.get("POWERED_BY", "Deis"),
            os.environ.get("DEIS_APP", "?"),
            os.environ.get("DEIS_RELEASE", "?"),
            os.environ.get("HOSTNAME", "?"),
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        sys.stdout.write("example-web: %s %s\n" % (self.command, self.path))
        sys.stdout.flush()


def main():
    port = int(os.environ.get("PORT", "5000"))
    print("example-web: listening on port %d" % port, flush=True)
    ThreadingHTTPServer(("0.0.0.0", port), Handler).serve_forever()


if __name__ == "__main__":
    main()
