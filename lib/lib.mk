# libdeis: the shared static library every component links.
LIB_OBJ := $(patsubst %.c,$(B)/%.o,$(wildcard lib/*.c))
$(LIBDEIS): $(LIB_OBJ)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^
