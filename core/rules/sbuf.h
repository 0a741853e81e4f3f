/*
 * sbuf: a growable byte buffer with a hard cap, so that input from outside
 * can never make it grow without bound (the idea of curl's dynbuf).
 *
 * The buffer owns its memory; sbuf_free releases it, sbuf_reset keeps it for
 * reuse.  The content is always NUL-terminated.  Appending past `max` fails
 * with -1 and leaves the buffer as it was.
 */
#ifndef ACCRUE_SBUF_H
#define ACCRUE_SBUF_H

#include <stddef.h>

struct sbuf {
	char *p;
	size_t len;
	size_t cap;
	size_t max;
};

void sbuf_init(struct sbuf *b, size_t max);
void sbuf_free(struct sbuf *b);
void sbuf_reset(struct sbuf *b);
int sbuf_add(struct sbuf *b, const void *data, size_t len);
int sbuf_adds(struct sbuf *b, const char *s);
int sbuf_addc(struct sbuf *b, char c);
int sbuf_addf(struct sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
const char *sbuf_str(const struct sbuf *b);

#endif
