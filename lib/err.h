#ifndef LIB_ERR_H
#define LIB_ERR_H
/*
 * An error that must reach a user: the HTTP status (or exit code) and one line.
 * Functions fill a caller-provided struct err and return -1; nothing is
 * allocated, so the caller simply drops it.
 */
struct err {
	int code;
	char msg[1024];
};

/* Always returns -1 so callers can write `return err_set(e, 400, "...")`. */
int err_set(struct err *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
