#!/bin/sh
# deis-logger against independent syslog implementations: util-linux logger(1)
# as a client (RFC 5424 and 3164, TCP octet counting, TCP newlines, UDP,
# structured data), and rsyslog (Debian) as a drain endpoint.
. "$(dirname "$0")/test-lib.sh"
cd "$TRASH" || exit 1

command -v logger >/dev/null || test_skip_all 'logger(1) not installed'

SP=$(free_port); HP=$(free_port); RP=$(free_port)
get() { curl -sf "http://127.0.0.1:$HP/$1"; }

# rsyslog receives what the logger drains, over TCP with octet counting.
HAVE_RSYSLOG=
if command -v rsyslogd >/dev/null; then
	mkdir -p rs work
	cat >rsyslog.conf <<EOF
global(workDirectory="$TRASH/work")
module(load="imtcp")
template(name="file" type="string" string="$TRASH/rs/%app-name%.log")
template(name="line" type="string" string="%app-name% %procid% %msgid% %msg%\n")
ruleset(name="in") { action(type="omfile" dynaFile="file" template="line") }
input(type="imtcp" port="$RP" ruleset="in")
EOF
	bg_start rsyslog rsyslogd -n -f "$TRASH/rsyslog.conf" -i "$TRASH/rsyslog.pid"
	wait_for 5 "python3 -c \"import socket; socket.create_connection(('127.0.0.1', $RP)).close()\"" &&
		HAVE_RSYSLOG=1
fi

bg_start logger deis-logger -t 127.0.0.1:$SP -u 127.0.0.1:$SP -l 127.0.0.1:$HP -d "$TRASH/logs" \
	-D tcp://127.0.0.1:$RP
wait_for 5 "curl -sf http://127.0.0.1:$HP/healthz"

test_expect 'logger(1): RFC 5424, TCP, octet counting' '
	logger -n 127.0.0.1 -P $SP -T --rfc5424 --octet-count -t iapp --id=11 "first line" &&
	wait_for 5 "get iapp | grep -q \"iapp\[11\]: first line\$\""
'

test_expect 'logger(1): RFC 5424, TCP, newline framing, structured data, msgid' '
	logger -n 127.0.0.1 -P $SP -T --rfc5424 -t iapp --id=12 --msgid=M1 \
		--sd-id zoo@123 --sd-param "tiger=\"hungry\"" "with sd" &&
	wait_for 5 "get iapp | grep -q \"iapp\[12\]: with sd\$\""
'

test_expect 'logger(1): RFC 5424 over UDP' '
	logger -n 127.0.0.1 -P $SP -d --rfc5424 -t iapp --id=13 "over udp" &&
	wait_for 5 "get iapp | grep -q \"iapp\[13\]: over udp\$\""
'

test_expect 'logger(1): RFC 3164 over TCP and UDP' '
	logger -n 127.0.0.1 -P $SP -T --rfc3164 -t iapp --id=7 "bsd tcp" &&
	logger -n 127.0.0.1 -P $SP -d --rfc3164 -t iapp "bsd udp" &&
	wait_for 5 "get iapp | grep -q \"iapp\[7\]: bsd tcp\$\"" &&
	wait_for 5 "get iapp | grep -E -q \"iapp\[[0-9]+\]: bsd udp\$\""
'

test_expect 'logger(1): many lines from a file, in order' '
	seq 1 2000 | sed "s/^/n /" >in &&
	logger -n 127.0.0.1 -P $SP -T --rfc5424 --octet-count -t many --id=14 -f in &&
	wait_for 10 "[ \$(get \"many?log_lines=5000\" | wc -l) -eq 2000 ]" &&
	get "many?log_lines=5000" | sed "s/^.*\]: //" | cmp - in
'

if [ -n "$HAVE_RSYSLOG" ]; then
	test_expect 'rsyslog receives the drained lines with app, proc and msgid' '
		wait_for 10 "[ -f rs/many.log ] && [ \$(wc -l <rs/many.log) -eq 2000 ]" &&
		head -n1 rs/many.log | grep -x "many 14 - n 1" &&
		grep -q "^iapp 12 M1 with sd\$" rs/iapp.log &&
		sed "s/^many 14 [^ ]* //" rs/many.log | cmp - in
	'
fi

test_done
