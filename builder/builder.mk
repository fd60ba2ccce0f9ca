# The builder: one multi-call binary (see builder/builder.h).
builder_SRC := $(wildcard builder/*.c)
$(eval $(call component,builder,deis-builder,$(builder_SRC)))

# libFuzzer target for the SSH command, Procfile and release parsers (clang).
FUZZ_CC ?= clang
FUZZ_FLAGS ?= -g -O1 -fsanitize=fuzzer,address,undefined
FUZZ_SSHCMD_SRC := fuzz/fuzz-sshcmd.c builder/sshcmd.c builder/procfile.c lib/str.c lib/err.c lib/xalloc.c
$(B)/fuzz/fuzz-sshcmd: $(FUZZ_SSHCMD_SRC) builder/builder.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -std=gnu11 -D_GNU_SOURCE -I. $(PKG_CFLAGS) -o $@ $(FUZZ_SSHCMD_SRC) $(PKG_LIBS)
fuzz: $(B)/fuzz/fuzz-sshcmd
# Explore from the committed corpus for FUZZ_TIME seconds (new inputs go to build/, not to the
# corpus); fuzz-sshcmd-replay runs just the committed corpus (CI).
fuzz-sshcmd-run: $(B)/fuzz/fuzz-sshcmd
	@mkdir -p $(B)/fuzz/sshcmd-new
	$(B)/fuzz/fuzz-sshcmd -max_total_time=$${FUZZ_TIME:-10} -max_len=1024 $(B)/fuzz/sshcmd-new fuzz/corpus/sshcmd
fuzz-sshcmd-replay: $(B)/fuzz/fuzz-sshcmd
	$(B)/fuzz/fuzz-sshcmd -runs=0 fuzz/corpus/sshcmd
.PHONY: fuzz-sshcmd-run fuzz-sshcmd-replay
