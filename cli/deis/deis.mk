# The user's command line, `deis` (Deis 1.13 client grammar and output).
cli_deis_SRC := $(wildcard cli/deis/*.c)
$(eval $(call component,cli/deis,deis,$(cli_deis_SRC)))

# libFuzzer target for the CLI's parsers (fuzz/fuzz-cli-input.c): `make fuzz`
# builds it, `make fuzz-replay-cli` replays the committed corpus (CI),
# `make fuzz-run-cli FUZZ_TIME=60` explores.
FUZZ_CC ?= clang
FUZZ_CLI_SRC := fuzz/fuzz-cli-input.c $(filter-out cli/deis/main.c,$(cli_deis_SRC)) \
	lib/buf.c lib/xalloc.c
$(B)/fuzz/fuzz-cli-input: $(FUZZ_CLI_SRC) cli/deis/deis.h
	@mkdir -p $(@D)
	$(FUZZ_CC) -std=gnu11 -D_GNU_SOURCE -g -O1 -I. $(PKG_CFLAGS) \
		-fsanitize=fuzzer,address,undefined -o $@ $(FUZZ_CLI_SRC) $(PKG_LIBS)
fuzz: $(B)/fuzz/fuzz-cli-input
fuzz-replay-cli: $(B)/fuzz/fuzz-cli-input
	$< -runs=0 fuzz/corpus/cli-input
fuzz-run-cli: $(B)/fuzz/fuzz-cli-input
	@mkdir -p $(B)/fuzz/corpus-cli-input
	$< -max_total_time=$(or $(FUZZ_TIME),10) -max_len=4096 $(B)/fuzz/corpus-cli-input \
		fuzz/corpus/cli-input
.PHONY: fuzz-replay-cli fuzz-run-cli
