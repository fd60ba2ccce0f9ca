#!/usr/bin/env python3
"""Test backend for deis-router tests: a small HTTP/1.1 server on loopback.

usage: backend.py PORT RECORD_FILE [NAME]

Every byte received is appended to RECORD_FILE (so a test can assert that a
rejected request reached nobody). Keep-alive, Content-Length and chunked
request bodies. The path selects the behaviour:
  /echo (default)   200 JSON {name, method, path, headers, body}
  /chunked          chunked response "hello " "world"
  /eof              response without length, connection closed after
  /big?n=N          N bytes of 'x'
  /slow?ms=N        wait N ms, then /echo
  /hang             never answer
  /reset            close without answering
  /bad-clte         response with Content-Length and Transfer-Encoding
  /bad-twocl        two Content-Length headers
  /bad-cr           a bare CR inside a header
  /ws               answers an Upgrade with 101, then echoes bytes back
  /status/N         status N, empty body
  /text?n=N&type=T  N bytes of repetitive text with Content-Type T (text/plain),
                    Content-Length; &etag=E adds ETag "E"; &enc=E Content-Encoding E;
                    &nolen=1 sends it chunked instead
  /stream?parts=K&ms=M&size=S  chunked text/plain: K parts of S bytes, M ms apart
"""
import json, socket, socketserver, sys, threading, time

PORT, RECORD = int(sys.argv[1]), sys.argv[2]
NAME = sys.argv[3] if len(sys.argv) > 3 else "backend"
lock = threading.Lock()


def record(data):
    with lock, open(RECORD, "ab") as f:
        f.write(data)


class Conn:
    def __init__(self, sock):
        self.s, self.buf = sock, b""

    def fill(self):
        d = self.s.recv(65536)
        if not d:
            raise EOFError
        record(d)
        self.buf += d

    def line(self):
        while b"\r\n" not in self.buf:
            self.fill()
        l, self.buf = self.buf.split(b"\r\n", 1)
        return l

    def exact(self, n):
        while len(self.buf) < n:
            self.fill()
        d, self.buf = self.buf[:n], self.buf[n:]
        return d


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        c = Conn(self.request)
        try:
            while self.one(c):
                pass
        except (EOFError, ConnectionError, OSError):
            pass

    def one(self, c):
        reqline = c.line()
        while reqline == b"":
            reqline = c.line()
        method, target, version = reqline.decode("latin-1").split(" ")
        headers = []
        while True:
            l = c.line()
            if not l:
                break
            k, v = l.decode("latin-1").split(":", 1)
            headers.append([k, v.strip()])
        h = {k.lower(): v for k, v in headers}
        body = b""
        if h.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size = int(c.line().split(b";")[0], 16)
                if size == 0:
                    while c.line():
                        pass
                    break
                body += c.exact(size)
                c.exact(2)
        elif "content-length" in h:
            body = c.exact(int(h["content-length"]))
        path, _, query = target.partition("?")
        q = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
        close = h.get("connection", "").lower() == "close" or version == "HTTP/1.0"
        s = self.request

        def send(status, hdrs, payload=b""):
            out = "HTTP/1.1 %s\r\n" % status
            for k, v in hdrs:
                out += "%s: %s\r\n" % (k, v)
            s.sendall(out.encode("latin-1") + b"\r\n" + payload)

        if path == "/hang":
            time.sleep(3600)
        if path == "/reset":
            return False
        if path.startswith("/slow"):
            time.sleep(int(q.get("ms", "1000")) / 1000)
        if path == "/chunked":
            send("200 OK", [("Transfer-Encoding", "chunked"), ("Content-Type", "text/plain")],
                 b"6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n")
        elif path == "/eof":
            send("200 OK", [("Content-Type", "text/plain"), ("Connection", "close")], b"until eof")
            return False
        elif path == "/big":
            n = int(q.get("n", "1048576"))
            send("200 OK", [("Content-Length", str(n))], b"x" * n)
        elif path == "/bad-clte":
            send("200 OK", [("Content-Length", "3"), ("Transfer-Encoding", "chunked")], b"0\r\n\r\n")
            return False
        elif path == "/bad-twocl":
            send("200 OK", [("Content-Length", "3"), ("Content-Length", "4")], b"abcd")
            return False
        elif path == "/bad-cr":
            s.sendall(b"HTTP/1.1 200 OK\r\nX: a\rSet-Cookie: p\r\nContent-Length: 0\r\n\r\n")
            return False
        elif path == "/text":
            n = int(q.get("n", "1000"))
            line = b"The quick brown fox jumps over the lazy dog. 0123456789\n"
            payload = (line * (n // len(line) + 1))[:n]
            hdrs = [("Content-Type", q.get("type", "text/plain").replace("%20", " ").replace("%3B", ";"))]
            if "etag" in q:
                hdrs.append(("ETag", '"%s"' % q["etag"]))
            if "enc" in q:
                hdrs.append(("Content-Encoding", q["enc"]))
            if q.get("nolen"):
                hdrs.append(("Transfer-Encoding", "chunked"))
                payload = b"%x\r\n%s\r\n0\r\n\r\n" % (len(payload), payload) if payload else b"0\r\n\r\n"
            else:
                hdrs.append(("Content-Length", str(n)))
            send("200 OK", hdrs, b"" if method == "HEAD" else payload)
        elif path == "/stream":
            parts, ms, size = int(q.get("parts", "5")), int(q.get("ms", "200")), int(q.get("size", "1000"))
            send("200 OK", [("Content-Type", "text/plain"), ("Transfer-Encoding", "chunked")])
            for i in range(parts):
                piece = (("part %d " % i).encode() * size)[:size]
                s.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
                time.sleep(ms / 1000)
            s.sendall(b"0\r\n\r\n")
        elif path.startswith("/status/"):
            send(path[8:] + " X", [("Content-Length", "0")])
        elif path == "/ws":
            send("101 Switching Protocols", [("Upgrade", "websocket"), ("Connection", "Upgrade")])
            data = c.buf
            c.buf = b""
            while True:
                if data:
                    s.sendall(data)
                data = s.recv(65536)
                if not data:
                    return False
        else:
            payload = json.dumps({"name": NAME, "method": method, "path": target,
                                  "version": version, "headers": headers,
                                  "body": body.decode("latin-1")}).encode()
            send("200 OK", [("Content-Type", "application/json"),
                            ("Content-Length", str(len(payload)))]
                 + ([("Connection", "close")] if close else []), payload)
        return not close


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


Server(("127.0.0.1", PORT), Handler).serve_forever()
