controller_SRC := $(wildcard controller/*.c controller/scheduler/*.c)
$(eval $(call component,controller,deis-controller,$(controller_SRC)))
