# deis-logger: syslog receiver, per-app log store, HTTP API, drains.
logger_SRC := $(wildcard logger/*.c)
$(eval $(call component,logger,deis-logger,$(logger_SRC)))

# libFuzzer target for lib/syslog.c (framer + parser); `make fuzz-replay-syslog`
# replays the committed corpus, `make fuzz-run-syslog FUZZ_TIME=60` explores.
FUZZ_CC ?= clang
FUZZ_TIME ?= 60
FUZZ_SYSLOG_SRC := fuzz/fuzz-syslog.c lib/syslog.c lib/buf.c lib/str.c lib/xalloc.c
$(B)/fuzz/fuzz-syslog: $(FUZZ_SYSLOG_SRC) lib/syslog.h lib/buf.h lib/str.h
	@mkdir -p $(@D)
	$(FUZZ_CC) -std=gnu11 -D_GNU_SOURCE -g -O1 -I. -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -o $@ $(FUZZ_SYSLOG_SRC)
fuzz: $(B)/fuzz/fuzz-syslog
fuzz-replay-syslog: $(B)/fuzz/fuzz-syslog
	$< -runs=0 fuzz/corpus/syslog
fuzz-run-syslog: $(B)/fuzz/fuzz-syslog
	@mkdir -p $(B)/fuzz/corpus-syslog
	$< -max_total_time=$(FUZZ_TIME) -max_len=4096 $(B)/fuzz/corpus-syslog fuzz/corpus/syslog
.PHONY: fuzz-replay-syslog fuzz-run-syslog
