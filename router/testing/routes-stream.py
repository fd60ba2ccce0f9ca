#!/usr/bin/env python3
"""A stand-in for the controller's route stream, for router tests.

usage: routes-stream.py PORT TOKEN TABLE_FILE LOG_FILE [KEEPALIVE_S]

GET /v1/internal/routes with "X-Deis-Internal-Auth: TOKEN" gets 200, chunked
application/x-ndjson: the content of TABLE_FILE as one line, again each time the
file changes, and an empty line every KEEPALIVE_S seconds (default 1; 0: never,
a stream gone silent). Wrong or missing token: 401.
Each request's headers are appended to LOG_FILE.
"""
import os, socketserver, sys, time

PORT, TOKEN, TABLE, LOG = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
KEEPALIVE = float(sys.argv[5]) if len(sys.argv) > 5 else 1.0


class H(socketserver.StreamRequestHandler):
    def handle(self):
        line = self.rfile.readline().decode()
        hdrs = {}
        while True:
            l = self.rfile.readline().decode()
            if l in ("\r\n", "\n", ""):
                break
            k, v = l.split(":", 1)
            hdrs[k.strip().lower()] = v.strip()
        with open(LOG, "a") as f:
            f.write("%s %s\n" % (line.strip(), sorted(hdrs.items())))
        if not line.startswith("GET /v1/internal/routes "):
            self.wfile.write(b"HTTP/1.1 404 NOT FOUND\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        if hdrs.get("x-deis-internal-auth") != TOKEN:
            self.wfile.write(b"HTTP/1.1 401 UNAUTHORIZED\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\n"
                         b"Transfer-Encoding: chunked\r\n\r\n")
        last, quiet = None, 0.0
        while True:
            try:
                st = os.stat(TABLE).st_mtime_ns
            except FileNotFoundError:
                st = None
            if st != last and st is not None:
                last = st
                data = open(TABLE, "rb").read().replace(b"\n", b" ") + b"\n"
            elif KEEPALIVE and quiet >= KEEPALIVE:
                data = b"\n"
            else:
                data = None
            if data:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()
                quiet = 0.0
            time.sleep(0.2)
            quiet += 0.2


class S(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


S(("127.0.0.1", PORT), H).serve_forever()
