# deis-logger: syslog receiver, per-app log store, HTTP API, drains.
logger_SRC := $(wildcard logger/*.c)
$(eval $(call component,logger,deis-logger,$(logger_SRC)))

# libFuzzer targets (the Makefile's fuzz_target): lib/syslog.c (framer + parser)
# and logspout's Docker log stream decoder. `make fuzz-replay-syslog` replays
# the committed corpora of both; `make fuzz-run-syslog FUZZ_TIME=600` explores.
$(eval $(call fuzz_target,syslog,fuzz/fuzz-syslog.c lib/syslog.c lib/buf.c lib/str.c \
	lib/xalloc.c lib/syslog.h lib/buf.h lib/str.h))
$(eval $(call fuzz_target,syslog-logspout,fuzz/fuzz-syslog-logspout.c logspout/stream.c \
	lib/docker_frames.c lib/syslog.c lib/buf.c lib/str.c lib/xalloc.c logspout/logspout.h \
	lib/syslog.h lib/buf.h lib/docker.h))
fuzz-replay-syslog: fuzz-replay-syslog-logspout
