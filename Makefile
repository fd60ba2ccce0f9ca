# One non-recursive Makefile for the whole platform. Each component lives in its own
# directory and describes itself in <dir>/<name>.mk with the `component` macro below.
#
#   make                 build everything into build/
#   make test            unit tests, then the numbered shell tests under t/ (prove)
#   make unit            unit tests only
#   make DEVELOPER=1     add -Werror and extra warnings
#   make SANITIZE=address,undefined
#   make fuzz            libFuzzer targets (clang) under build/fuzz/

prefix  ?= /usr/local
bindir  ?= $(prefix)/bin
DESTDIR ?=
CC      ?= cc
CFLAGS  ?= -O2 -g
LDFLAGS ?=
B       := build

PKGS    := jansson sqlite3 libpq libcurl openssl libbsd-overlay libargon2 zlib libcrypt
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

ALL_CFLAGS := -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter \
	-Wshadow -Wpointer-arith -Wvla -Wformat=2 -Wmissing-prototypes \
	-fno-strict-aliasing -I. $(PKG_CFLAGS) $(CFLAGS)
ALL_LDFLAGS := $(LDFLAGS)
LIBS := $(PKG_LIBS) -lpthread

ifdef DEVELOPER
ALL_CFLAGS += -Werror
endif
ifdef SANITIZE
ALL_CFLAGS  += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
ALL_LDFLAGS += -fsanitize=$(SANITIZE)
endif

all:

# $(call component,NAME,BINARY,SOURCES): objects of SOURCES except NAME/main.c go into
# $(B)/NAME/lib.a (unit tests link it); BINARY is main.o + that archive + libdeis.
define component
$(1)_OBJ  := $$(patsubst %.c,$(B)/%.o,$$(filter-out $(1)/main.c,$(3)))
$(1)_LIB  := $(B)/$(1)/lib.a
COMPONENT_LIBS += $$($(1)_LIB)
BINARIES += $(B)/bin/$(2)
# The directory is a prerequisite so that removing a source file rebuilds the archive.
$$($(1)_LIB): $$($(1)_OBJ) $(1)
	@mkdir -p $$(@D)
	@rm -f $$@
	$$(AR) rcs $$@ $$($(1)_OBJ)
$(B)/bin/$(2): $(B)/$(1)/main.o $$($(1)_LIB) $(LIBDEIS)
	@mkdir -p $$(@D)
	$$(CC) $$(ALL_LDFLAGS) -o $$@ $$^ $$(LIBS)
endef

# $(call fuzz_target,NAME,SOURCES[,LIBS]): the libFuzzer binary $(B)/fuzz/fuzz-NAME, built
# from SOURCES with clang and the fuzzer's instrumentation, with its committed corpus in
# fuzz/corpus/NAME/. `make fuzz` builds every target, `make fuzz-replay` runs every committed
# input once (CI), `make fuzz-run-NAME FUZZ_TIME=600` explores, new inputs under $(B)/fuzz/.
FUZZ_CC ?= clang
FUZZ_FLAGS := -std=gnu11 -D_GNU_SOURCE -g -O1 -I. -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all
FUZZ_TIME ?= 60
define fuzz_target
$(B)/fuzz/fuzz-$(1): $(2)
	@mkdir -p $$(@D)
	$$(FUZZ_CC) $$(FUZZ_FLAGS) $$(PKG_CFLAGS) -o $$@ $$(filter %.c,$(2)) $(3)
fuzz: $(B)/fuzz/fuzz-$(1)
fuzz-replay: fuzz-replay-$(1)
fuzz-replay-$(1): $(B)/fuzz/fuzz-$(1)
	$(B)/fuzz/fuzz-$(1) -runs=1 $$(sort $$(wildcard fuzz/corpus/$(1)/*))
fuzz-run-$(1): $(B)/fuzz/fuzz-$(1)
	@mkdir -p $(B)/fuzz/corpus-$(1)
	$(B)/fuzz/fuzz-$(1) -max_total_time=$$(FUZZ_TIME) -max_len=4096 \
		$(B)/fuzz/corpus-$(1) fuzz/corpus/$(1)
.PHONY: fuzz-replay-$(1) fuzz-run-$(1)
endef

LIBDEIS := $(B)/lib/libdeis.a
include lib/lib.mk
include $(sort $(filter-out lib/lib.mk,$(wildcard */*.mk */*/*.mk)))

all: $(BINARIES)

$(B)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# Unit tests: t/unit/test-*.c, one binary each, linked with every component archive.
UNIT_SRC := $(wildcard t/unit/test-*.c)
UNIT_BIN := $(patsubst t/unit/%.c,$(B)/t/unit/%.t,$(UNIT_SRC))
$(B)/t/unit/%.t: $(B)/t/unit/%.o $(COMPONENT_LIBS) $(LIBDEIS)
	$(CC) $(ALL_LDFLAGS) -o $@ $< -Wl,--start-group $(COMPONENT_LIBS) $(LIBDEIS) -Wl,--end-group \
		$(LIBS) -lcmocka

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "# $$t"; $$t; done

# Numbered shell tests; T=t/t0100-foo.sh runs one.
T ?= $(sort $(wildcard t/t[0-9]*.sh))
test: all unit
	prove -f $(PROVE_OPTS) $(T)

install: all
	install -d $(DESTDIR)$(bindir)
	install -m 755 $(BINARIES) $(DESTDIR)$(bindir)

clean:
	rm -rf $(B)

.PHONY: all unit test install clean fuzz fuzz-replay
.PRECIOUS: $(B)/t/unit/%.o
.DELETE_ON_ERROR:
-include $(shell find $(B) -name '*.d' 2>/dev/null)
