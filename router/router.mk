# deis-router: the HTTP router (router/*.c), plus the lib/http1 fuzz targets it owns.
router_SRC := $(wildcard router/*.c)
ifneq ($(wildcard router/main.c),)
$(eval $(call component,router,deis-router,$(router_SRC)))
endif

# lib/http1: invariants and round trip (fuzz/corpus/http1/).
FUZZ_HTTP1_SRC := lib/http1.c lib/buf.c lib/str.c lib/xalloc.c lib/http1.h lib/buf.h lib/str.h
$(eval $(call fuzz_target,http1,fuzz/fuzz-http1.c $(FUZZ_HTTP1_SRC)))

# Differential against Node's http-parser (Debian libhttp-parser-dev), built only
# where that library is installed (fuzz/corpus/http1-diff/).
ifneq ($(wildcard /usr/include/http_parser.h),)
$(eval $(call fuzz_target,http1-diff,fuzz/fuzz-http1-diff.c $(FUZZ_HTTP1_SRC),-lhttp_parser))
endif

# Host matching on a fixed table (security.md §3.8).
$(eval $(call fuzz_target,routes,fuzz/fuzz-routes.c router/routes.c router/tls.c lib/cidr.c lib/log.c lib/xalloc.c \
	lib/str.c lib/buf.c lib/err.c router/router.h lib/cidr.h,$(PKG_LIBS)))

# The PROXY protocol header (router/proxyproto.c): bounds, incremental, refusal is final.
$(eval $(call fuzz_target,proxyproto,fuzz/fuzz-proxyproto.c router/proxyproto.c router/router.h))
