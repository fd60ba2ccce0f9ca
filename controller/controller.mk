controller_SRC := $(wildcard controller/*.c controller/scheduler/*.c)
$(eval $(call component,controller,deis-controller,$(controller_SRC)))

$(eval $(call fuzz_target,validate,fuzz/fuzz-validate.c controller/validate.c lib/xalloc.c lib/err.c,-lcrypto))

# The dashboard's files are assembled into dashboard.o (.incbin), which the compiler's
# dependency files do not list.
$(B)/controller/dashboard.o: $(wildcard controller/dashboard/*)

# The deis-run/1 frames of an interactive run (lib/runproto.c), parsed by the controller and the CLI.
$(eval $(call fuzz_target,runproto,fuzz/fuzz-runproto.c lib/runproto.c lib/buf.c lib/xalloc.c))
