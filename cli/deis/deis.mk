# The user's command line, `deis` (Deis 1.13 client grammar and output).
cli_deis_SRC := $(wildcard cli/deis/*.c)
$(eval $(call component,cli/deis,deis,$(cli_deis_SRC)))

# libFuzzer target for the CLI's parsers (the Makefile's fuzz_target:
# `make fuzz-replay-cli-input`, `make fuzz-run-cli-input FUZZ_TIME=60`).
$(eval $(call fuzz_target,cli-input,fuzz/fuzz-cli-input.c \
	$(filter-out cli/deis/main.c,$(cli_deis_SRC)) lib/buf.c lib/xalloc.c lib/runproto.c cli/deis/deis.h,$(PKG_LIBS)))
