#ifndef LIB_SYSLOG_H
#define LIB_SYSLOG_H
/*
 * Syslog codec: an RFC 5424 parser and formatter that also accepts RFC 3164
 * ("BSD") lines and the Deis v1 "syslogish" line (`<time> <tag>[<pid>]: <msg>`),
 * and an incremental RFC 6587 framer for TCP streams (octet counting and
 * newline framing, told apart per frame).
 *
 * Everything here is a pure function of its arguments: no I/O, no allocation,
 * no global state. Parsed fields are struct str slices into the caller's
 * buffer, valid as long as it is.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/str.h"

struct buf;

/* The largest message body (MSG) a line may have and still arrive whole. */
#define SYSLOG_MAX_MSG		65536
/* The largest frame the framer delivers by default (MSG plus a header). */
#define SYSLOG_MAX_FRAME	(SYSLOG_MAX_MSG + 4096)
/* Room a framer's caller must keep for unconsumed bytes: frame + length prefix. */
#define SYSLOG_FRAME_ROOM(max)	((max) + 16)

/* RFC 5424 field limits (section 6). */
#define SYSLOG_MAX_HOSTNAME	255
#define SYSLOG_MAX_APPNAME	48
#define SYSLOG_MAX_PROCID	128
#define SYSLOG_MAX_MSGID	32

struct syslog_msg {
	int pri;		/* 0..191; -1 when the line had none */
	int version;		/* 1: RFC 5424; 0: RFC 3164 or a bare Deis line */
	int64_t time_us;	/* microseconds since the epoch (UTC); -1 if none or unparsed */
	struct str hostname, app, procid, msgid;	/* NILVALUE "-" gives an empty str */
	struct str sd;		/* structured data, verbatim; empty when "-" */
	struct str msg;		/* without a leading BOM and trailing CR/LF */
};

/*
 * Parse one message (one frame or datagram) from p[0..len).
 * Returns 0 and fills *m, or -1 when the message is malformed or carries no
 * app name (APP-NAME or 3164 TAG): such a message cannot be filed and is
 * counted by the caller. *m is zeroed on entry.
 */
int syslog_parse(const char *p, size_t len, struct syslog_msg *m);

/*
 * Append m to out as an RFC 5424 message (facility and severity from m->pri,
 * user.notice when -1; the time from m->time_us, NILVALUE when -1). Empty
 * fields become "-"; fields longer than the RFC limits are cut; characters
 * outside PRINTUSASCII in header fields become '_'. With octet_count, the
 * message is prefixed with "<len> " (RFC 6587 section 3.4.1).
 */
void syslog_format(struct buf *out, const struct syslog_msg *m, bool octet_count);

/*
 * RFC 3339 timestamps. syslog_time_parse() accepts "YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm)"
 * (the Deis "...SSUTC" form too) and returns 0 with *us set, or -1.
 * syslog_time_format() writes "YYYY-MM-DDTHH:MM:SS.uuuuuuZ" (27 bytes + NUL)
 * into out, which must hold SYSLOG_TIME_LEN + 1 bytes; returns the length.
 */
#define SYSLOG_TIME_LEN 27
int syslog_time_parse(struct str s, int64_t *us);
size_t syslog_time_format(int64_t us, char *out);

/*
 * The platform's senders prove who they are with a shared key: the first frame
 * of each TCP connection to a logger that has one is "deis-key <key>"
 * (octet-counted, like every frame). Anyone can write syslog lines naming any
 * app; only a sender that has the key gets them filed. Datagrams cannot
 * carry the handshake, so a keyed logger takes none.
 *
 * syslog_key_frame() appends that frame to out. syslog_key_ok() compares a
 * first frame with key in time independent of where they differ.
 */
#define SYSLOG_KEY_WORD "deis-key "
void syslog_key_frame(struct buf *out, const char *key);
bool syslog_key_ok(struct str frame, const char *key);

/*
 * RFC 6587 framer for one TCP stream. Initialise with syslog_framer_init().
 *
 * Each frame is classified by its first byte: a digit starts octet counting
 * ("<len> <msg>"); anything else is newline framing (up to LF; a trailing CR
 * is dropped). Digits not followed by a space within 10 bytes are a
 * newline-framed line that begins with digits. Empty lines are skipped.
 *
 * Oversized input never desynchronises the stream: an octet-counted frame
 * longer than max is discarded byte for byte (its length says where the next
 * frame starts); an overlong newline-framed line is discarded up to its LF.
 * A zero length ("0 ") is malformed and consumed.
 */
struct syslog_framer {
	size_t max;		/* largest frame delivered */
	uint64_t skip;		/* bytes left to discard of an oversized counted frame */
	bool skip_line;		/* discarding an overlong line up to its LF */
};

enum syslog_frame_res {
	SYSLOG_FRAME_MORE = 0,	/* need more bytes */
	SYSLOG_FRAME_OK = 1,	/* *frame is a complete frame */
	SYSLOG_FRAME_BAD = -1,	/* a malformed or oversized frame was skipped (count it) */
};

/* max 0 means SYSLOG_MAX_FRAME. */
void syslog_framer_init(struct syslog_framer *f, size_t max);

/*
 * Look at the unconsumed bytes buf[0..len). Sets *used to the number of bytes
 * the caller must drop from the front (possibly nonzero with MORE: skipped
 * bytes) and returns one of the results above; with OK, *frame points into buf
 * and is valid until the caller drops the bytes. Call again until MORE.
 *
 * Bound: after MORE, len - *used < SYSLOG_FRAME_ROOM(max), so a caller whose
 * buffer holds SYSLOG_FRAME_ROOM(max) bytes always makes progress.
 */
enum syslog_frame_res syslog_frame_next(struct syslog_framer *f, const char *buf, size_t len,
    size_t *used, struct str *frame);

#endif
