build/lib/buf.o: lib/buf.c lib/buf.h lib/xalloc.h
lib/buf.h:
lib/xalloc.h:
