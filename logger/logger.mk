# deis-logger: syslog receiver, per-app log store, HTTP API, drains.
logger_SRC := $(wildcard logger/*.c)
$(eval $(call component,logger,deis-logger,$(logger_SRC)))

# libFuzzer targets: lib/syslog.c (framer + parser) and logspout's Docker log
# stream decoder. `make fuzz-replay-syslog` replays the committed corpora;
# `make fuzz-run-syslog FUZZ_TIME=60` (and fuzz-run-syslog-logspout) explore.
FUZZ_CC ?= clang
FUZZ_TIME ?= 60
FUZZ_FLAGS := -std=gnu11 -D_GNU_SOURCE -g -O1 -I. -isystem /usr/include/bsd -DLIBBSD_OVERLAY \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_SYSLOG_SRC := fuzz/fuzz-syslog.c lib/syslog.c lib/buf.c lib/str.c lib/xalloc.c
FUZZ_LSTREAM_SRC := fuzz/fuzz-syslog-logspout.c logspout/stream.c lib/syslog.c lib/buf.c \
	lib/str.c lib/xalloc.c

$(B)/fuzz/fuzz-syslog: $(FUZZ_SYSLOG_SRC) lib/syslog.h lib/buf.h lib/str.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $(FUZZ_SYSLOG_SRC)
$(B)/fuzz/fuzz-syslog-logspout: $(FUZZ_LSTREAM_SRC) logspout/logspout.h lib/syslog.h lib/buf.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $(FUZZ_LSTREAM_SRC)

fuzz: $(B)/fuzz/fuzz-syslog $(B)/fuzz/fuzz-syslog-logspout
fuzz-replay-syslog: $(B)/fuzz/fuzz-syslog $(B)/fuzz/fuzz-syslog-logspout
	$(B)/fuzz/fuzz-syslog -runs=0 fuzz/corpus/syslog
	$(B)/fuzz/fuzz-syslog-logspout -runs=0 fuzz/corpus/syslog-logspout
fuzz-run-syslog: $(B)/fuzz/fuzz-syslog
	@mkdir -p $(B)/fuzz/corpus-syslog
	$< -max_total_time=$(FUZZ_TIME) -max_len=4096 $(B)/fuzz/corpus-syslog fuzz/corpus/syslog
fuzz-run-syslog-logspout: $(B)/fuzz/fuzz-syslog-logspout
	@mkdir -p $(B)/fuzz/corpus-syslog-logspout
	$< -max_total_time=$(FUZZ_TIME) -max_len=70000 $(B)/fuzz/corpus-syslog-logspout \
		fuzz/corpus/syslog-logspout
.PHONY: fuzz-replay-syslog fuzz-run-syslog fuzz-run-syslog-logspout
