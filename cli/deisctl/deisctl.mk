# deisctl: the platform operator's tool (see cli/deisctl/deisctl.h).
$(eval $(call component,cli/deisctl,deisctl,$(wildcard cli/deisctl/*.c)))
