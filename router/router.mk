# deis-router: the HTTP router (router/*.c), plus the lib/http1 fuzz targets it owns.
router_SRC := $(wildcard router/*.c)
ifneq ($(wildcard router/main.c),)
$(eval $(call component,router,deis-router,$(router_SRC)))
endif

# libFuzzer target for lib/http1 (clang only). Built from sources so it carries
# the fuzzer's instrumentation; `make fuzz-replay` runs the committed corpus once.
FUZZ_CC ?= clang
FUZZ_FLAGS := -std=gnu11 -D_GNU_SOURCE -g -O1 -I. -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all
FUZZ_HTTP1_SRC := fuzz/fuzz-http1.c lib/http1.c lib/buf.c lib/str.c lib/xalloc.c

$(B)/fuzz/fuzz-http1: $(FUZZ_HTTP1_SRC) lib/http1.h lib/buf.h lib/str.h lib/xalloc.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $(FUZZ_HTTP1_SRC)

fuzz: $(B)/fuzz/fuzz-http1

# Differential target against Node's http-parser (Debian libhttp-parser-dev),
# built only where that library is installed.
ifneq ($(wildcard /usr/include/http_parser.h),)
FUZZ_DIFF_SRC := fuzz/fuzz-http1-diff.c lib/http1.c lib/buf.c lib/str.c lib/xalloc.c
$(B)/fuzz/fuzz-http1-diff: $(FUZZ_DIFF_SRC) lib/http1.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $(FUZZ_DIFF_SRC) -lhttp_parser
fuzz: $(B)/fuzz/fuzz-http1-diff
fuzz-replay: fuzz-replay-http1-diff
fuzz-replay-http1-diff: $(B)/fuzz/fuzz-http1-diff
	$(B)/fuzz/fuzz-http1-diff -runs=1 $(sort $(wildcard fuzz/corpus/http1/*))
fuzz-run-http1-diff: $(B)/fuzz/fuzz-http1-diff
	@mkdir -p $(B)/fuzz/corpus-http1-diff
	$(B)/fuzz/fuzz-http1-diff -max_total_time=$(FUZZ_TIME) -max_len=4096 \
		$(B)/fuzz/corpus-http1-diff fuzz/corpus/http1
.PHONY: fuzz-replay-http1-diff fuzz-run-http1-diff
endif

# Each corpus file executed once (files, not the directory, so nothing is written).
fuzz-replay: fuzz-replay-http1
fuzz-replay-http1: $(B)/fuzz/fuzz-http1
	$(B)/fuzz/fuzz-http1 -runs=1 $(sort $(wildcard fuzz/corpus/http1/*))

# FUZZ_TIME=600 make fuzz-run-http1: explore, adding new inputs to build/fuzz/corpus-http1.
FUZZ_TIME ?= 60
fuzz-run-http1: $(B)/fuzz/fuzz-http1
	@mkdir -p $(B)/fuzz/corpus-http1
	$(B)/fuzz/fuzz-http1 -max_total_time=$(FUZZ_TIME) -max_len=4096 \
		$(B)/fuzz/corpus-http1 fuzz/corpus/http1

.PHONY: fuzz-replay fuzz-replay-http1 fuzz-run-http1
