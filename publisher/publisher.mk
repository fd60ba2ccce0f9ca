publisher_SRC := $(wildcard publisher/*.c)
$(eval $(call component,publisher,deis-publisher,$(publisher_SRC)))
