# The builder: one multi-call binary (see builder/builder.h).
builder_SRC := $(wildcard builder/*.c)
$(eval $(call component,builder,deis-builder,$(builder_SRC)))

# libFuzzer target for the SSH command, Procfile and release parsers (the Makefile's
# fuzz_target: `make fuzz-replay-sshcmd`, `make fuzz-run-sshcmd FUZZ_TIME=600`).
$(eval $(call fuzz_target,sshcmd,fuzz/fuzz-sshcmd.c builder/sshcmd.c builder/procfile.c \
	lib/str.c lib/err.c lib/xalloc.c builder/builder.h,$(PKG_LIBS)))
