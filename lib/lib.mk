# libdeis: the shared static library every component links.
LIB_OBJ := $(patsubst %.c,$(B)/%.o,$(wildcard lib/*.c))
$(LIBDEIS): $(LIB_OBJ) lib
	@mkdir -p $(@D)
	@rm -f $@
	$(AR) rcs $@ $(LIB_OBJ)
