#!/usr/bin/env python3
"""Send raw bytes to a router and describe what came back.

usage: rawsend.py PORT PAYLOAD_EXPR [WAIT_SECONDS]

PAYLOAD_EXPR is a Python expression giving bytes, e.g.
  'b"GET / HTTP/1.1\\r\\nHost: a\\r\\n\\r\\n"'  or  'b"GET /" + b"a" * 9000'.
Prints "<status of the first response or 000> <closed|open> <total bytes>" and
then the raw response on the following lines. "closed" means the router closed
the connection within WAIT_SECONDS (default 3) after answering.
"""
import socket, sys, time

port, expr = int(sys.argv[1]), sys.argv[2]
wait = float(sys.argv[3]) if len(sys.argv) > 3 else 3.0
payload = eval(expr, {"__builtins__": {}}, {"range": range})
s = socket.create_connection(("127.0.0.1", port), timeout=wait)
try:
    s.sendall(payload)
except OSError:
    pass
data, closed = b"", False
deadline = time.time() + wait
while time.time() < deadline:
    try:
        d = s.recv(65536)
    except socket.timeout:
        break
    except ConnectionResetError:
        closed = True
        break
    if not d:
        closed = True
        break
    data += d
status = data[9:12].decode("latin-1") if data.startswith(b"HTTP/1.") else "000"
print(status, "closed" if closed else "open", len(data))
sys.stdout.write(data.decode("latin-1"))
