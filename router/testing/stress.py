#!/usr/bin/env python3
"""Pipelined, mixed requests through a router; every response checked.

usage: stress.py PORT THREADS REQUESTS_PER_THREAD [CA_FILE]

With CA_FILE, connections use TLS (server name myapp.example.test).

Each thread keeps one connection and sends GET, HEAD, Content-Length POST and
chunked POST (random chunk sizes) requests, split at random points and
pipelined in random bursts, to /echo?<tag> on myapp.example.test (backend.py),
then checks each answer is the one for its request: status, path tag, body
echoed byte for byte, no body on HEAD. Exit 1 on any mismatch or error.
"""
import socket, ssl, sys, threading, random, json, time
port = int(sys.argv[1]); nthreads = int(sys.argv[2]); nreq = int(sys.argv[3])
ctx = None
if len(sys.argv) > 4:
    ctx = ssl.create_default_context(cafile=sys.argv[4])
errors = []
def recv_response(f, head=False):
    line = f.readline()
    if not line: raise EOFError("eof")
    status = int(line.split()[1])
    h = {}
    while True:
        l = f.readline()
        if l in (b"\r\n", b""): break
        k, v = l.decode().split(":", 1); h[k.strip().lower()] = v.strip()
    if head:
        body = b""
    elif "content-length" in h:
        body = f.read(int(h["content-length"]))
    elif h.get("transfer-encoding") == "chunked":
        body = b""
        while True:
            n = int(f.readline().split(b";")[0], 16)
            if n == 0:
                while f.readline() not in (b"\r\n", b""): pass
                break
            body += f.read(n); f.read(2)
    else:
        body = f.read()
    return status, h, body
def worker(tid):
    rnd = random.Random(tid)
    s = socket.create_connection(("127.0.0.1", port))
    if ctx:
        s = ctx.wrap_socket(s, server_hostname="myapp.example.test")
    f = s.makefile("rb")
    sent = []
    for i in range(nreq):
        tag = "t%d-%d" % (tid, i)
        kind = rnd.choice(["get", "cl", "chunked", "head"])
        body = (tag * rnd.randint(0, 300)).encode()
        if rnd.random() < 0.05:
            body = body * 100 or b"x" * 100000	# now and then a large body
        if kind == "get":
            req = b"GET /echo?%s HTTP/1.1\r\nHost: myapp.example.test\r\n\r\n" % tag.encode(); body = b""
        elif kind == "head":
            req = b"HEAD /echo?%s HTTP/1.1\r\nHost: myapp.example.test\r\n\r\n" % tag.encode(); body = b""
        elif kind == "cl":
            req = b"POST /echo?%s HTTP/1.1\r\nHost: myapp.example.test\r\nContent-Length: %d\r\n\r\n%s" % (tag.encode(), len(body), body)
        else:
            chunks = b""
            rest = body
            while rest:
                n = rnd.randint(1, 500); chunks += b"%x\r\n%s\r\n" % (len(rest[:n]), rest[:n]); rest = rest[n:]
            req = b"POST /echo?%s HTTP/1.1\r\nHost: myapp.example.test\r\nTransfer-Encoding: chunked\r\n\r\n%s0\r\n\r\n" % (tag.encode(), chunks)
        sent.append((tag, kind, body))
        # pipeline in random bursts, sometimes split the bytes
        cut = rnd.randint(0, len(req))
        s.sendall(req[:cut]);
        if rnd.random() < 0.1: time.sleep(0.001)
        s.sendall(req[cut:])
        if rnd.random() < 0.3 or i == nreq - 1:
            for tag2, kind2, body2 in sent:
                st, h, b = recv_response(f, kind2 == "head")
                if kind2 == "head":
                    if st != 200 or b: errors.append(("head", tag2, st))
                    continue
                d = json.loads(b)
                if st != 200 or not d["path"].endswith(tag2) or d["body"].encode("latin-1") != body2:
                    errors.append((tag2, kind2, st, d["path"]))
            sent = []
    s.close()
def run(tid):
    try:
        worker(tid)
    except Exception as e:
        errors.append(("exception", tid, repr(e)))
ts = [threading.Thread(target=run, args=(t,)) for t in range(nthreads)]
t0 = time.time()
[t.start() for t in ts]; [t.join() for t in ts]
print("errors:", len(errors), errors[:3], "time %.1fs" % (time.time() - t0))
sys.exit(1 if errors else 0)
