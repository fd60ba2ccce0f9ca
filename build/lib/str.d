build/lib/str.o: lib/str.c lib/str.h lib/xalloc.h
lib/str.h:
lib/xalloc.h:
