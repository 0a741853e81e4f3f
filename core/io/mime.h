/*
 * mime: the statement email as bytes (SPEC §9) — a multipart/mixed message
 * with a text/plain part (UTF-8, quoted-printable) and the statement PDF
 * attached (base64, 76-column lines).  Pure: no I/O, no clock; the caller
 * passes the date and the Message-ID, so the same input gives the same bytes.
 *
 * Rules it keeps (RFC 5322, 2045-2047, 2231):
 * - CRLF line ends everywhere, header lines folded to at most 78 columns
 *   where there is a place to fold;
 * - a header value taken from data (names, addresses, subject, file name,
 *   date, Message-ID) holding CR, LF or another control character is refused
 *   (mime_build returns an error): no data can add a header;
 * - non-ASCII subjects and display names become RFC 2047 encoded-words
 *   (UTF-8, B encoding), each at most 75 characters, one per folded line,
 *   never splitting a character; ASCII names with specials are quoted;
 * - the boundary is checked against the whole message built with it and
 *   extended until it occurs nowhere but in its own delimiter lines.
 *
 * The output goes into a capped sbuf (the caller's cap): a message that
 * would not fit is an error, never a partial message.
 */
#ifndef ACCRUE_MIME_H
#define ACCRUE_MIME_H

#include <stddef.h>
#include <time.h>

#include "err.h"
#include "sbuf.h"

/* Caps on what goes into headers. */
#define MIME_MAX_SUBJECT 900
#define MIME_MAX_NAME 400
#define MIME_MAX_FILENAME 200
#define MIME_DATE_MAX 40   /* "Tue, 03 Feb 2026 08:00:00 +0000" and its NUL */

struct mime_mail {
	const char *from;        /* "Name <addr>", "\"Name\" <addr>" or "addr"; "" or
				    NULL: no From: header (msmtp adds its own) */
	const char *to_name;     /* display name, may be NULL or "" */
	const char *to_addr;     /* one address */
	const char *subject;     /* UTF-8 */
	const char *date;        /* RFC 5322 date-time, e.g. from mime_date */
	const char *message_id;  /* "<left@right>" */
	const char *body;        /* UTF-8 text; LF or CRLF line ends */
	const void *pdf;         /* the attachment */
	size_t pdf_len;
	const char *filename;    /* its file name (no directory) */
	const char *boundary;    /* NULL: derived from message_id; else the first
				    one to try (tests) */
};

/* Append the message to out.  0, or non-zero with e filled (exit 65) and
 * out as it was before the call. */
int mime_build(const struct mime_mail *m, struct sbuf *out, struct err *e);

/* t as an RFC 5322 date-time in UTC ("Tue, 03 Feb 2026 08:00:00 +0000"). */
void mime_date(time_t t, char out[MIME_DATE_MAX]);

/* The Message-ID of a statement email: <statement-ID.HASH@host>, HASH a hash
 * of the recipient, so the same (statement, recipient) always gets the same
 * id and a resent message can be recognised as the same one.  host: the
 * domain of the From address, else the given fallback.  0, or -1 when out is
 * too small. */
int mime_message_id(char *out, size_t n, long long statement_id,
		    const char *recipient, const char *from, const char *fallback_host);

/* Split a From value into display name and address (either may come back
 * ""); 0, or -1 when it is not one mailbox or a part is too long. */
int mime_split_mailbox(const char *from, char *name, size_t name_n, char *addr, size_t addr_n);

/* The pieces, for tests and other messages.  Each appends to out; 0 or -1
 * (out full). */
int mime_base64(struct sbuf *out, const void *data, size_t len);   /* 76-col lines, CRLF */
int mime_qp(struct sbuf *out, const char *text, size_t len);       /* CRLF, soft breaks at 76 */
/* "Name: value" with value an unstructured text (Subject), folded, encoded
 * when not plain ASCII; CRLF at the end.  0, -1 out full, -2 bad value. */
int mime_header_text(struct sbuf *out, const char *name, const char *value);
/* "Name: display <addr>" (To, From); -2 bad name or address. */
int mime_header_address(struct sbuf *out, const char *name, const char *display,
			const char *addr);

#endif
