# The user's command line, `deis` (Deis 1.13 client grammar and output).
cli_deis_SRC := $(wildcard cli/deis/*.c)
$(eval $(call component,cli/deis,deis,$(cli_deis_SRC)))
