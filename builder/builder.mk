# The builder: one multi-call binary (see builder/builder.h).
builder_SRC := $(wildcard builder/*.c)
$(eval $(call component,builder,deis-builder,$(builder_SRC)))
