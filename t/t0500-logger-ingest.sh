#!/bin/sh
# deis-logger: syslog over TCP (octet counting, newlines) and UDP in, the HTTP
# API out; 64 KiB lines; malformed frames; follow; restart; rotation; delete.
. "$(dirname "$0")/test-lib.sh"
cd "$TRASH" || exit 1

cat >"$TRASH/send.py" <<'EOF'
# send.py MODE PORT APP FIRST COUNT [SIZE]: numbered RFC 5424 lines "APP line N".
# MODE: octet | newline | udp | raw (stdin bytes as they are, over TCP)
# $SEND_KEY: a TCP connection opens with the key frame "deis-key $SEND_KEY".
import os, socket, sys, time
mode, port = sys.argv[1], int(sys.argv[2])
if mode == "raw":
    s = socket.create_connection(("127.0.0.1", port)); s.sendall(sys.stdin.buffer.read()); s.close(); sys.exit(0)
app, first, count = sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
size = int(sys.argv[6]) if len(sys.argv) > 6 else 0
def msg(i):
    body = ("line %d" % i) if not size else ("%d:" % i) + "x" * (size - len("%d:" % i))
    return ("<14>1 - testhost %s web.1 - - %s" % (app, body)).encode()
if mode == "udp":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i in range(first, first + count):
        s.sendto(msg(i), ("127.0.0.1", port))
        if i % 50 == 0: time.sleep(0.005)
    sys.exit(0)
s = socket.create_connection(("127.0.0.1", port))
out = bytearray()
if os.environ.get("SEND_KEY"):
    k = b"deis-key " + os.environ["SEND_KEY"].encode()
    out += b"%d " % len(k) + k
for i in range(first, first + count):
    m = msg(i)
    out += (b"%d " % len(m) + m) if mode == "octet" else m + b"\n"
    if len(out) > 65536: s.sendall(out); out = bytearray()
s.sendall(out); s.close()
EOF

SP=$(free_port); HP=$(free_port)
start_logger() {
	bg_start logger deis-logger -t 127.0.0.1:$SP -u 127.0.0.1:$SP -l 127.0.0.1:$HP \
		-d "$TRASH/logs" -s 65536 -n 2 -r 8192 "$@"
	wait_for 5 "curl -sf http://127.0.0.1:$HP/healthz"
}
get() { curl -sf "http://127.0.0.1:$HP/$1"; }
stat_of() { get _stats | jq -r ".$1"; }
send() { python3 "$TRASH/send.py" "$@"; }

start_logger
test_expect 'logger starts and answers' 'get healthz'

test_expect 'TCP octet-counted lines read back in order' '
	send octet $SP app1 1 1000 &&
	wait_for 5 "[ \$(get \"app1?log_lines=5000\" | wc -l) -eq 1000 ]" &&
	get "app1?log_lines=5000" | sed "s/.*: line //" >got &&
	seq 1 1000 >want && cmp got want &&
	get "app1" | head -n1 | grep -E "^20[0-9-]{8}T[0-9:.]{15}Z app1\[web\.1\]: line 901$"
'

test_expect 'newline framing, log_lines tail, default 100' '
	send newline $SP app2 1 300 &&
	wait_for 5 "get \"app2?log_lines=1\" | grep -q \"line 300\$\"" &&
	[ "$(get "app2?log_lines=3" | sed "s/.*: //")" = "$(printf "line 298\nline 299\nline 300")" ] &&
	[ $(get app2 | wc -l) -eq 100 ] &&
	[ $(get "app2?log_lines=bogus" | wc -l) -eq 100 ]
'

test_expect 'UDP datagrams are filed' '
	send udp $SP app3 1 200 &&
	wait_for 5 "[ \$(get \"app3?log_lines=1000\" | wc -l) -eq 200 ]"
'

test_expect 'a 64 KiB line arrives whole' '
	send octet $SP big 1 2 65536 &&
	wait_for 5 "[ \$(get \"big?log_lines=10\" | wc -l) -eq 2 ]" &&
	get "big?log_lines=1" | sed "s/^[^ ]* big\[web\.1\]: //" >line &&
	[ $(wc -c <line) -eq 65537 ] && grep -q "^2:xxxx" line
'

test_expect 'malformed frames are counted and do not stop ingestion' '
	before=$(stat_of malformed) &&
	printf "0 garbage without a tag\n5 <14>1not syslog at all\n3 abc<14>1 - h bad app - - - x\n" |
		send raw $SP &&
	printf "99999999999 eleven digits\n\001\002\377\n%s" \
		"30 <14>1 - h good web.1 - - after" | send raw $SP &&
	printf "9999999 <14>1 - h swallowed - - - this frame never ends" | send raw $SP &&
	send octet $SP good 2 1 &&
	wait_for 5 "[ \$(get good | wc -l) -eq 2 ]" &&
	[ "$(get good | sed "s/.*: //" | sort)" = "$(printf "after\nline 2")" ] &&
	[ $(stat_of malformed) -ge $((before + 5)) ] &&
	[ "$(curl -s -o /dev/null -w "%{http_code}" http://127.0.0.1:$HP/swallowed)" = 204 ]
'

test_expect '40 concurrent connections: nothing lost, each sender in order' '
	# (this logger keeps ~192 KiB of history: 3 files of 64 KiB)
	for c in $(seq 1 40); do send octet $SP many $((c * 100000)) 50 & done; wait &&
	wait_for 10 "[ \$(get \"many?log_lines=100000\" | wc -l) -eq 2000 ]" &&
	get "many?log_lines=100000" | sed "s/.*: line //" >all &&
	for c in 1 17 40; do
		grep "^$c[0-9]\{5\}\$" all >one && seq $((c * 100000)) $((c * 100000 + 49)) | cmp - one || exit 1
	done
'

test_expect 'unknown app is 204, bad name is 404' '
	[ "$(curl -s -o /dev/null -w "%{http_code}" http://127.0.0.1:$HP/nosuchapp)" = 204 ] &&
	[ "$(curl -s -o /dev/null -w "%{http_code}" "http://127.0.0.1:$HP/..%2Fetc")" = 404 ]
'

test_expect 'follow: the last lines, then new lines within 1 s' '
	curl -sN "http://127.0.0.1:$HP/app2?log_lines=2&follow=true" >follow.out &
	cpid=$! &&
	wait_for 2 "[ \$(wc -l <follow.out) -eq 2 ]" &&
	send octet $SP app2 301 1 &&
	wait_for 1 "grep -q \"line 301\$\" follow.out" &&
	send newline $SP app2 302 1 &&
	wait_for 1 "grep -q \"line 302\$\" follow.out" &&
	kill $cpid && [ $(wc -l <follow.out) -eq 4 ]
'

test_expect 'files rotate by size and the history is read back' '
	send octet $SP rot 1 5000 &&
	wait_for 5 "get \"rot?log_lines=1\" | grep -q \"line 5000\$\"" &&
	[ -f logs/rot.log.1 ] && [ -f logs/rot.log.2 ] && [ ! -f logs/rot.log.3 ] &&
	[ $(wc -c <logs/rot.log) -le 65536 ] &&
	n=$(cat logs/rot.log.2 logs/rot.log.1 logs/rot.log | wc -l) &&
	get "rot?log_lines=100000" | sed "s/.*: line //" >got &&
	[ $(wc -l <got) -eq $n ] && seq $((5001 - n)) 5000 | cmp - got
'

# daemons are started outside test_expect (its subshell would lose their pids)
kill $PID_logger; wait_for 5 "! kill -0 $PID_logger"
start_logger
test_expect 'logs survive a restart' '
	get "app1?log_lines=5000" | sed "s/.*: line //" | cmp - want &&
	get "rot?log_lines=3" | grep -q "line 5000\$"
'

test_expect 'SIGUSR1 reopens the files after an external rotation' '
	mv logs/app2.log logs/app2.log.moved &&
	kill -USR1 $PID_logger && sleep 0.2 &&
	send octet $SP app2 303 1 &&
	wait_for 5 "grep -q \"line 303\$\" logs/app2.log" &&
	! grep -q "line 303" logs/app2.log.moved
'

test_expect 'DELETE removes an app and its files' '
	[ "$(curl -s -o /dev/null -w "%{http_code}" -X DELETE http://127.0.0.1:$HP/rot/)" = 204 ] &&
	[ ! -e logs/rot.log ] && [ ! -e logs/rot.log.1 ] &&
	[ "$(curl -s -o /dev/null -w "%{http_code}" http://127.0.0.1:$HP/rot)" = 204 ]
'

test_expect 'controller events go to the app they name' '
	printf "deis-controller[x]: INFO [app1]: alice deployed 1a2b3c4\n" | send raw $SP &&
	printf "<14>1 - h app1 deis-controller - - alice scaled web=2\n" | send raw $SP &&
	wait_for 5 "get \"app1?log_lines=2\" | grep -q \"app1\[deis-controller\]: alice scaled web=2\$\"" &&
	get "app1?log_lines=2" | grep -q "app1\[deis-controller\]: alice deployed 1a2b3c4\$"
'

DP=$(free_port); DH=$(free_port); UP=$(free_port); UH=$(free_port)
bg_start dtarget deis-logger -t 127.0.0.1:$DP -u "" -l 127.0.0.1:$DH -d "$TRASH/dlogs"
bg_start utarget deis-logger -t "" -u 127.0.0.1:$UP -l 127.0.0.1:$UH -d "$TRASH/ulogs"
wait_for 5 "curl -sf http://127.0.0.1:$DH/healthz && curl -sf http://127.0.0.1:$UH/healthz"
kill $PID_logger; wait_for 5 "! kill -0 $PID_logger"
start_logger -D tcp://127.0.0.1:$DP -D dapp=udp://127.0.0.1:$UP
test_expect 'drains forward over TCP (all apps) and UDP (one app)' '
	send octet $SP dapp 1 100 && send octet $SP other 1 10 &&
	wait_for 5 "[ \$(curl -sf http://127.0.0.1:$DH/dapp?log_lines=1000 | wc -l) -eq 100 ]" &&
	wait_for 5 "[ \$(curl -sf http://127.0.0.1:$DH/other | wc -l) -eq 10 ]" &&
	wait_for 5 "[ \$(curl -sf http://127.0.0.1:$UH/dapp?log_lines=1000 | wc -l) -eq 100 ]" &&
	[ "$(curl -s -o /dev/null -w "%{http_code}" http://127.0.0.1:$UH/other)" = 204 ]
'

kill $PID_dtarget; wait_for 5 "! kill -0 $PID_dtarget"
test_expect 'lines for a drain that is down are queued' '
	send octet $SP dapp 101 50 &&
	wait_for 5 "get \"dapp?log_lines=1\" | grep -q \"line 150\$\""
'
bg_start dtarget2 deis-logger -t 127.0.0.1:$DP -u "" -l 127.0.0.1:$DH -d "$TRASH/dlogs"
test_expect 'the drain reconnects and delivers them, in order, once' '
	wait_for 10 "[ \$(curl -sf http://127.0.0.1:$DH/dapp?log_lines=1000 | wc -l) -ge 150 ]" &&
	seq 1 150 >s150 &&
	curl -sf http://127.0.0.1:$DH/dapp?log_lines=1000 | sed "s/.*: line //" | cmp - s150
'

test_expect 'a follower that does not read costs bounded memory; drops are counted' '
	python3 -c "
import socket, time
s = socket.create_connection((\"127.0.0.1\", $HP))
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.sendall(b\"GET /slow?follow=true HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n\")
time.sleep(8)
" &
	spid=$! && sleep 0.5 &&
	send octet $SP slow 1 60000 1000 &&
	wait_for 10 "get \"slow?log_lines=1\" | grep -q \"^[^ ]* slow\[web\.1\]: 60000:\"" &&
	[ $(stat_of follow_dropped) -gt 0 ] &&
	rss=$(awk "/VmRSS/ {print \$2}" /proc/$PID_logger/status) &&
	echo "rss $rss kB" &&
	{ ldd "$BIN/deis-logger" | grep -q libasan || [ $rss -lt 65536 ]; } &&
	kill $spid
'

test_expect '_stats reports counters' '
	get _stats | jq -e ".stored > 0 and (.drains | length) == 2 and .drains[0].dropped == 0"
'

# A keyed logger (the platform's): anyone who reaches the syslog port could
# name any app; only a peer that opens with the key gets lines filed.
KP=$(free_port); KH=$(free_port); KEY=k3y-0123456789abcdef
DEIS_LOGGER_KEY=$KEY bg_start keyed deis-logger -t 127.0.0.1:$KP -l 127.0.0.1:$KH -d "$TRASH/klogs"
kget() { curl -sf "http://127.0.0.1:$KH/$1"; }
test_expect 'keyed logger: lines without the key are not filed, the connection is closed' '
	wait_for 5 "kget healthz" &&
	send octet $KP victim 1 5 && send newline $KP victim 6 5 &&
	SEND_KEY=wrong-0123456789abcdef send octet $KP victim 11 5 &&
	printf "deis-key x$KEY\n<14>1 - h victim web.1 - - forged\n" | send raw $KP &&
	sleep 0.5 && ! kget "victim" | grep -q "line\|forged" &&
	kget _stats | jq -e ".unauthenticated == 4 and .stored == 0"
'
test_expect 'keyed logger: lines after the key are filed' '
	SEND_KEY=$KEY send octet $KP victim 1 50 &&
	wait_for 5 "[ \$(kget \"victim?log_lines=100\" | wc -l) -eq 50 ]"
'
test_expect 'keyed logger: no UDP listener, and -u with a key is refused' '
	! ss -uln | grep -q ":$KP " &&
	DEIS_LOGGER_KEY=$KEY deis-logger -t 127.0.0.1:$(free_port) -u 127.0.0.1:$(free_port) \
		-l "" -d "$TRASH/k2" 2>err; [ $? = 100 ] && grep "takes no UDP" err &&
	DEIS_LOGGER_KEY=short deis-logger -t "" -l "" -d "$TRASH/k3" 2>err; [ $? = 100 ] &&
	grep "shorter than 16" err
'

test_done
