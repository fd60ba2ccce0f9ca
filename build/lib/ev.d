build/lib/ev.o: lib/ev.c lib/ev.h lib/xalloc.h
lib/ev.h:
lib/xalloc.h:
