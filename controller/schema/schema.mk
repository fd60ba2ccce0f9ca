# Numbered schema migrations, controller/schema/NNNN_name.sql, applied in order
# by db_open() (controller/db.c). They are compiled into the controller's
# archive as the array db_migrations[].
SCHEMA_SQL := $(sort $(wildcard controller/schema/[0-9][0-9][0-9][0-9]_*.sql))

$(B)/controller/schema/migrations.c: $(SCHEMA_SQL) controller/schema/gen-migrations
	@mkdir -p $(@D)
	controller/schema/gen-migrations $(SCHEMA_SQL) >$@

$(B)/controller/schema/migrations.o: $(B)/controller/schema/migrations.c
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# Into the controller's archive: a prerequisite of it, and in controller_OBJ,
# which the archive's recipe expands only when it runs (controller/controller.mk
# is included before this file).
$(B)/controller/lib.a: $(B)/controller/schema/migrations.o
controller_OBJ += $(B)/controller/schema/migrations.o
