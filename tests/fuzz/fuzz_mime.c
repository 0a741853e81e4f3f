/* fuzz_mime: header values and bodies from any bytes never break a
 * message's lines: a value holding CR or LF is refused, everything written
 * ends its lines CRLF (no bare CR or LF) and no line passes 998 bytes
 * (RFC 5322); base64 and quoted-printable lines stay within 76. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "mime.h"
#include "sbuf.h"

static void check_lines(const struct sbuf *b, size_t max)
{
	size_t col = 0;

	for (size_t i = 0; i < b->len; i++) {
		char c = b->p[i];

		if (c == '\r') {
			if (i + 1 >= b->len || b->p[i + 1] != '\n')
				abort();
			i++;
			col = 0;
			continue;
		}
		if (c == '\n' || ++col > max)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[2048];
	struct sbuf b;
	int rc;

	if (size >= sizeof(s))
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	sbuf_init(&b, 1u << 20);

	/* a value is written whole or refused (-2: CR/LF, bad UTF-8) */
	rc = mime_header_text(&b, "Subject", s);
	if (rc == 0) {
		check_lines(&b, 998);
		if (memchr(s, '\r', strlen(s)) || memchr(s, '\n', strlen(s)))
			abort();
	}

	sbuf_reset(&b);
	if (mime_header_address(&b, "To", s, "someone@example.com") == 0) {
		check_lines(&b, 998);
		if (memchr(s, '\r', strlen(s)) || memchr(s, '\n', strlen(s)))
			abort();
	}

	sbuf_reset(&b);
	if (mime_base64(&b, data, size) == 0)
		check_lines(&b, 76);
	sbuf_reset(&b);
	if (mime_qp(&b, s, strlen(s)) == 0)
		check_lines(&b, 76);
	sbuf_free(&b);
	return 0;
}
