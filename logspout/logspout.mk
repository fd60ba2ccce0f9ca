# deis-logspout: container stdout/stderr -> logger (RFC 5424 over TCP).
logspout_SRC := $(wildcard logspout/*.c)
$(eval $(call component,logspout,deis-logspout,$(logspout_SRC)))
