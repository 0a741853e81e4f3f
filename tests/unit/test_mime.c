/*
 * Unit tests of core/mime: base64 and quoted-printable, RFC 2047 headers,
 * the whole statement message (CRLF, 76-column base64, the attachment's
 * bytes), the refusal of line breaks in header values, the boundary check.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mime.h"
#include "text.h"

/* --- helpers: decoders written independently of the encoders ------------ */

static int b64val(char c)
{
	const char *a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c ? strchr(a, c) : NULL;
	return p ? (int)(p - a) : -1;
}

/* Decode base64 text (line breaks skipped) into out; returns the length. */
static size_t b64dec(const char *s, size_t len, unsigned char *out)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		int v = b64val(s[i]);
		if (v < 0)
			continue;  /* CR, LF, '=' */
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	return n;
}

/* Decode quoted-printable with CRLF line ends into out (LF line ends). */
static size_t qpdec(const char *s, size_t len, char *out)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '=' && i + 2 < len && s[i + 1] == '\r' && s[i + 2] == '\n') {
			i += 2;
		} else if (s[i] == '=' && i + 2 < len) {
			char hex[3] = {s[i + 1], s[i + 2], 0};
			out[n++] = (char)strtol(hex, NULL, 16);
			i += 2;
		} else if (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n') {
			out[n++] = '\n';
			i++;
		} else {
			out[n++] = s[i];
		}
	}
	out[n] = '\0';
	return n;
}

/* Every LF is preceded by CR and every CR followed by LF. */
static void assert_crlf_only(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n')
			assert_true(i > 0 && s[i - 1] == '\r');
		if (s[i] == '\r')
			assert_true(i + 1 < len && s[i + 1] == '\n');
	}
}

static size_t longest_line(const char *s, size_t len)
{
	size_t best = 0, cur = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\r' || s[i] == '\n') {
			cur = 0;
			continue;
		}
		if (++cur > best)
			best = cur;
	}
	return best;
}

/* Unfold a header block and decode the encoded-words of one header's
 * value (everything after "Name: " up to the end of the field). */
static void decode_header(const char *msg, const char *name, char *out, size_t n)
{
	char key[64];
	const char *p, *end;
	size_t o = 0, word_end = 0;
	int last_word = 0;

	snprintf(key, sizeof(key), "%s: ", name);
	p = strstr(msg, key);
	assert_non_null(p);
	p += strlen(key);
	end = p;
	while (!(end[0] == '\r' && end[1] == '\n' && end[2] != ' ' && end[2] != '\t'))
		end++;
	while (p < end && o + 1 < n) {
		if (p[0] == '\r' && p[1] == '\n') {  /* unfold */
			p += 2;
			continue;
		}
		if (!strncmp(p, "=?UTF-8?B?", 10)) {
			const char *q = strstr(p + 10, "?=");
			unsigned char buf[256];
			size_t k;

			assert_non_null(q);
			assert_true(q + 2 - p <= 75);  /* RFC 2047 word length */
			/* White space between two encoded-words is dropped (not
			 * the spaces a word decodes to). */
			if (last_word)
				o = word_end;
			k = b64dec(p + 10, (size_t)(q - p - 10), buf);
			assert_true(text_utf8_valid((char *)buf, k));  /* whole characters */
			memcpy(out + o, buf, k);
			o += k;
			p = q + 2;
			word_end = o;
			last_word = 1;
			continue;
		}
		if (*p != ' ')
			last_word = 0;
		out[o++] = *p++;
	}
	out[o] = '\0';
}

/* --- base64 and quoted-printable ---------------------------------------- */

static void expect_b64(const char *in, const char *want)
{
	struct sbuf b;

	sbuf_init(&b, 1 << 16);
	assert_int_equal(mime_base64(&b, in, strlen(in)), 0);
	assert_string_equal(sbuf_str(&b), want);
	sbuf_free(&b);
}

static void test_base64(void **state)
{
	unsigned char data[1000], back[1000];
	struct sbuf b;

	(void)state;
	expect_b64("", "");
	expect_b64("f", "Zg==\r\n");
	expect_b64("fo", "Zm8=\r\n");
	expect_b64("foo", "Zm9v\r\n");
	expect_b64("foobar", "Zm9vYmFy\r\n");
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 7 + 3);
	sbuf_init(&b, 1 << 16);
	/* 57 bytes fill exactly one 76-column line. */
	assert_int_equal(mime_base64(&b, data, 57), 0);
	assert_int_equal(b.len, 78);
	assert_memory_equal(b.p + 76, "\r\n", 2);
	sbuf_reset(&b);
	assert_int_equal(mime_base64(&b, data, sizeof(data)), 0);
	assert_crlf_only(b.p, b.len);
	assert_int_equal(longest_line(b.p, b.len), 76);
	assert_int_equal(b64dec(b.p, b.len, back), sizeof(data));
	assert_memory_equal(back, data, sizeof(data));
	sbuf_free(&b);
}

static void expect_qp(const char *in, const char *want)
{
	struct sbuf b;

	sbuf_init(&b, 1 << 16);
	assert_int_equal(mime_qp(&b, in, strlen(in)), 0);
	assert_string_equal(sbuf_str(&b), want);
	sbuf_free(&b);
}

static void test_qp(void **state)
{
	char line[400], back[1200];
	struct sbuf b;

	(void)state;
	expect_qp("", "");
	expect_qp("hello\n", "hello\r\n");
	expect_qp("hello", "hello\r\n");
	expect_qp("a\r\nb\n", "a\r\nb\r\n");                 /* CRLF and LF alike */
	expect_qp("caf\xC3\xA9 = 1\n", "caf=C3=A9 =3D 1\r\n");
	expect_qp("trailing \nand\ttab\t\n", "trailing=20\r\nand\ttab=09\r\n");
	expect_qp("From here\nnot From\n", "=46rom here\r\nnot From\r\n");
	expect_qp("a\n\nb\n", "a\r\n\r\nb\r\n");              /* blank lines kept */
	expect_qp("x\ry\n", "x\r\ny\r\n");                    /* a lone CR breaks the line */

	/* A long line is broken softly at 76 columns and decodes back. */
	for (int i = 0; i < 300; i++)
		line[i] = (char)(i % 10 == 9 ? ' ' : 'a' + i % 26);
	memcpy(line + 300, "\xC3\xA9\xC3\xA9=\n", 6);
	line[306] = '\0';
	sbuf_init(&b, 1 << 16);
	assert_int_equal(mime_qp(&b, line, strlen(line)), 0);
	assert_crlf_only(b.p, b.len);
	assert_true(longest_line(b.p, b.len) <= 76);
	qpdec(b.p, b.len, back);
	assert_string_equal(back, line);
	sbuf_free(&b);
}

/* --- headers ---------------------------------------------------------- */

static void test_header_ascii(void **state)
{
	char back[1200], subject[600];
	struct sbuf b;

	(void)state;
	sbuf_init(&b, 1 << 16);
	assert_int_equal(mime_header_text(&b, "Subject", "Your statement, 2026-01-01 to 2026-01-31"), 0);
	assert_string_equal(sbuf_str(&b), "Subject: Your statement, 2026-01-01 to 2026-01-31\r\n");

	/* A long subject is folded before spaces, never past 78 columns. */
	subject[0] = '\0';
	for (int i = 0; i < 40; i++)
		strcat(subject, i ? " word" : "Start");
	sbuf_reset(&b);
	assert_int_equal(mime_header_text(&b, "Subject", subject), 0);
	assert_crlf_only(b.p, b.len);
	assert_true(longest_line(b.p, b.len) <= 78);
	assert_non_null(strstr(b.p, "\r\n word"));
	decode_header(b.p, "Subject", back, sizeof(back));
	assert_string_equal(back, subject);

	/* "=?" in plain text would read as an encoded-word: it is encoded. */
	sbuf_reset(&b);
	assert_int_equal(mime_header_text(&b, "Subject", "a =?x?= b"), 0);
	assert_non_null(strstr(b.p, "=?UTF-8?B?"));
	decode_header(b.p, "Subject", back, sizeof(back));
	assert_string_equal(back, "a =?x?= b");
	sbuf_free(&b);
}

static void test_header_encoded(void **state)
{
	/* "Relevé de points — Zoë Café" */
	const char *fr = "Relev\xC3\xA9 de points \xE2\x80\x94 Zo\xC3\xAB Caf\xC3\xA9";
	char greek[800], back[1200];
	struct sbuf b;

	(void)state;
	sbuf_init(&b, 1 << 16);
	assert_int_equal(mime_header_text(&b, "Subject", fr), 0);
	assert_memory_equal(b.p, "Subject: =?UTF-8?B?", 19);
	assert_crlf_only(b.p, b.len);
	assert_true(longest_line(b.p, b.len) <= 76);
	decode_header(b.p, "Subject", back, sizeof(back));
	assert_string_equal(back, fr);

	/* 150 Greek letters (2 bytes each): many words, none splitting one. */
	greek[0] = '\0';
	for (int i = 0; i < 150; i++)
		strcat(greek, i % 7 == 6 ? " " : "\xCE\xB1");
	sbuf_reset(&b);
	assert_int_equal(mime_header_text(&b, "Subject", greek), 0);
	assert_crlf_only(b.p, b.len);
	assert_true(longest_line(b.p, b.len) <= 76);
	decode_header(b.p, "Subject", back, sizeof(back));
	assert_string_equal(back, greek);

	/* 4-byte characters too. */
	sbuf_reset(&b);
	assert_int_equal(mime_header_text(&b, "Subject",
					  "\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80"
					  "\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80"
					  "\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80"
					  "\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80"), 0);
	decode_header(b.p, "Subject", back, sizeof(back));
	assert_int_equal(strlen(back), 48);
	sbuf_free(&b);
}

static void test_header_refuses(void **state)
{
	struct sbuf b;

	(void)state;
	sbuf_init(&b, 1 << 16);
	sbuf_adds(&b, "X: kept\r\n");
	assert_int_equal(mime_header_text(&b, "Subject", "a\r\nBcc: x@evil.example"), -2);
	assert_int_equal(mime_header_text(&b, "Subject", "a\nb"), -2);
	assert_int_equal(mime_header_text(&b, "Subject", "a\rb"), -2);
	assert_int_equal(mime_header_text(&b, "Subject", "bell\a"), -2);
	assert_int_equal(mime_header_text(&b, "Subject", "caf\xE9"), -2);  /* not UTF-8 */
	assert_int_equal(mime_header_address(&b, "To", "Jane\nBcc: x@y.z", "j@x.com"), -2);
	assert_int_equal(mime_header_address(&b, "To", "Jane", "j@x.com\r\nBcc: x@y.z"), -2);
	assert_int_equal(mime_header_address(&b, "To", "Jane", "not an address"), -2);
	assert_string_equal(sbuf_str(&b), "X: kept\r\n");
	sbuf_free(&b);
}

static void expect_address(const char *display, const char *addr, const char *want)
{
	struct sbuf b;

	sbuf_init(&b, 1 << 16);
	assert_int_equal(mime_header_address(&b, "To", display, addr), 0);
	assert_string_equal(sbuf_str(&b), want);
	sbuf_free(&b);
}

static void test_header_address(void **state)
{
	char back[600];
	struct sbuf b;

	(void)state;
	expect_address("Jane Doe", "jane@example.com", "To: Jane Doe <jane@example.com>\r\n");
	expect_address(NULL, "jane@example.com", "To: jane@example.com\r\n");
	expect_address("", "jane@example.com", "To: jane@example.com\r\n");
	/* The comma would split the address list: quoted. */
	expect_address("Smith, John", "js@example.com", "To: \"Smith, John\" <js@example.com>\r\n");
	expect_address("Example Supply Co.", "s@example.com",
		       "To: \"Example Supply Co.\" <s@example.com>\r\n");
	expect_address("A \"B\" \\C", "a@example.com", "To: \"A \\\"B\\\" \\\\C\" <a@example.com>\r\n");

	sbuf_init(&b, 1 << 16);
	assert_int_equal(mime_header_address(&b, "To", "Zo\xC3\xAB Caf\xC3\xA9", "zoe@example.com"), 0);
	assert_memory_equal(b.p, "To: =?UTF-8?B?", 14);
	assert_non_null(strstr(b.p, "?= <zoe@example.com>\r\n"));
	decode_header(b.p, "To", back, sizeof(back));
	assert_string_equal(back, "Zo\xC3\xAB Caf\xC3\xA9 <zoe@example.com>");
	sbuf_free(&b);
}

/* --- the whole message -------------------------------------------------- */

static const unsigned char pdf_bytes[] = "%PDF-1.4\n\x00\x01\x02\xff\xfe binary \r\n stuff\n%%EOF\n";

static void fill(struct mime_mail *m)
{
	memset(m, 0, sizeof(*m));
	m->from = "Example Supply Co. <statements@example.com>";
	m->to_name = "Zo\xC3\xAB Caf\xC3\xA9";
	m->to_addr = "zoe@example.com";
	m->subject = "Relev\xC3\xA9 de points, 2026-01-01 au 2026-01-31";
	m->date = "Sat, 31 Jan 2026 23:00:00 +0000";
	m->message_id = "<statement-12.0123456789abcdef@example.com>";
	m->body = "Bonjour Zo\xC3\xAB,\n\nVoici votre relev\xC3\xA9.\n";
	m->pdf = pdf_bytes;
	m->pdf_len = sizeof(pdf_bytes) - 1;
	m->filename = "C1001-2026-01-01-2026-01-31.pdf";
}

/* The bytes between the attachment's blank line and the next boundary. */
static void attachment_of(const char *msg, const char *boundary, unsigned char *out, size_t *n)
{
	char delim[100];
	const char *p = strstr(msg, "Content-Type: application/pdf"), *end;

	assert_non_null(p);
	p = strstr(p, "\r\n\r\n");
	assert_non_null(p);
	p += 4;
	snprintf(delim, sizeof(delim), "--%s--", boundary);
	end = strstr(p, delim);
	assert_non_null(end);
	*n = b64dec(p, (size_t)(end - p), out);
}

static void boundary_of(const char *msg, char *out, size_t n)
{
	const char *p = strstr(msg, "boundary=\""), *q;

	assert_non_null(p);
	p += 10;
	q = strchr(p, '"');
	assert_non_null(q);
	snprintf(out, n, "%.*s", (int)(q - p), p);
}

static void test_build(void **state)
{
	struct mime_mail m;
	struct err e = {0};
	struct sbuf b;
	char boundary[80], back[400], delim[100];
	unsigned char att[400];
	size_t n;
	const char *p;

	(void)state;
	fill(&m);
	sbuf_init(&b, 1 << 20);
	assert_int_equal(mime_build(&m, &b, &e), 0);
	assert_crlf_only(b.p, b.len);
	assert_true(longest_line(b.p, b.len) <= 78);
	/* The headers, in order, then a blank line. */
	p = b.p;
	assert_memory_equal(p, "From: \"Example Supply Co.\" <statements@example.com>\r\n", 53);
	assert_non_null(strstr(b.p, "\r\nTo: =?UTF-8?B?"));
	assert_non_null(strstr(b.p, "\r\nSubject: =?UTF-8?B?"));
	assert_non_null(strstr(b.p, "\r\nDate: Sat, 31 Jan 2026 23:00:00 +0000\r\n"));
	assert_non_null(strstr(b.p, "\r\nMessage-ID: <statement-12.0123456789abcdef@example.com>\r\n"));
	assert_non_null(strstr(b.p, "\r\nMIME-Version: 1.0\r\n"));
	assert_non_null(strstr(b.p, "\r\nContent-Type: multipart/mixed;\r\n boundary=\""));
	decode_header(b.p, "Subject", back, sizeof(back));
	assert_string_equal(back, m.subject);
	decode_header(b.p, "To", back, sizeof(back));
	assert_string_equal(back, "Zo\xC3\xAB Caf\xC3\xA9 <zoe@example.com>");

	/* The text part, quoted-printable UTF-8. */
	assert_non_null(strstr(b.p, "Content-Type: text/plain; charset=UTF-8\r\n"
				     "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
				     "Bonjour Zo=C3=AB,\r\n\r\nVoici votre relev=C3=A9.\r\n"));
	/* The attachment: a file name, base64 in 76 columns, the same bytes. */
	assert_non_null(strstr(b.p, "Content-Type: application/pdf;\r\n"
				     " name=\"C1001-2026-01-01-2026-01-31.pdf\"\r\n"
				     "Content-Transfer-Encoding: base64\r\n"
				     "Content-Disposition: attachment;\r\n"
				     " filename=\"C1001-2026-01-01-2026-01-31.pdf\"\r\n\r\n"));
	boundary_of(b.p, boundary, sizeof(boundary));
	assert_true(strlen(boundary) <= 70);
	attachment_of(b.p, boundary, att, &n);
	assert_int_equal(n, m.pdf_len);
	assert_memory_equal(att, pdf_bytes, n);
	/* Two parts and the end. */
	snprintf(delim, sizeof(delim), "\r\n--%s\r\n", boundary);
	p = strstr(b.p, delim);
	assert_non_null(p);
	assert_non_null(strstr(p + 1, delim));
	snprintf(delim, sizeof(delim), "\r\n--%s--\r\n", boundary);
	assert_true(b.len >= strlen(delim));
	assert_string_equal(b.p + b.len - strlen(delim), delim);

	/* Same input, same bytes (the boundary comes from the Message-ID). */
	{
		struct sbuf b2;

		sbuf_init(&b2, 1 << 20);
		assert_int_equal(mime_build(&m, &b2, &e), 0);
		assert_int_equal(b2.len, b.len);
		assert_memory_equal(b2.p, b.p, b.len);
		sbuf_free(&b2);
	}
	sbuf_free(&b);
}

static void test_build_no_from_and_plain(void **state)
{
	struct mime_mail m;
	struct err e = {0};
	struct sbuf b;

	(void)state;
	fill(&m);
	m.from = "";
	m.to_name = "Jane Doe";
	m.subject = "Statement";
	sbuf_init(&b, 1 << 20);
	assert_int_equal(mime_build(&m, &b, &e), 0);
	assert_memory_equal(b.p, "To: Jane Doe <zoe@example.com>\r\nSubject: Statement\r\n", 52);
	assert_null(strstr(b.p, "From:"));
	sbuf_free(&b);

	/* A file name that is not plain ASCII goes RFC 2231. */
	fill(&m);
	m.filename = "relev\xC3\xA9 1.pdf";
	sbuf_init(&b, 1 << 20);
	assert_int_equal(mime_build(&m, &b, &e), 0);
	assert_non_null(strstr(b.p, " filename*=UTF-8''relev%C3%A9%201.pdf\r\n"));
	sbuf_free(&b);
}

static void expect_refused(struct mime_mail *m, const char *what)
{
	struct err e = {0};
	struct sbuf b;

	sbuf_init(&b, 1 << 20);
	sbuf_adds(&b, "before");
	assert_int_not_equal(mime_build(m, &b, &e), 0);
	assert_int_equal(e.exit, EXIT_DATAERR);
	assert_non_null(strstr(e.msg, what));
	assert_string_equal(sbuf_str(&b), "before");  /* untouched */
	sbuf_free(&b);
}

static void test_build_refuses(void **state)
{
	struct mime_mail m;

	(void)state;
	fill(&m);
	m.subject = "Statement\r\nBcc: everyone@example.com";
	expect_refused(&m, "subject");
	fill(&m);
	m.to_name = "Jane\r\nBcc: everyone@example.com";
	expect_refused(&m, "to");
	fill(&m);
	m.to_addr = "jane@example.com\nBcc: x@example.com";
	expect_refused(&m, "to");
	fill(&m);
	m.from = "Example <statements@example.com>\r\nBcc: x@example.com";
	expect_refused(&m, "from");
	fill(&m);
	m.date = "Sat, 31 Jan 2026\r\nBcc: x@example.com";
	expect_refused(&m, "date");
	fill(&m);
	m.message_id = "<a@b>\r\nBcc: x@example.com";
	expect_refused(&m, "message id");
	fill(&m);
	m.message_id = "no-brackets@example.com";
	expect_refused(&m, "message id");
	fill(&m);
	m.filename = "a\nb.pdf";
	expect_refused(&m, "attachment");
	fill(&m);
	m.filename = "../../etc/passwd";
	expect_refused(&m, "attachment");
	fill(&m);
	m.body = "caf\xE9";
	expect_refused(&m, "body");
	fill(&m);
	m.from = "Example <statements@example.com";
	expect_refused(&m, "from");
}

static void test_build_cap(void **state)
{
	struct mime_mail m;
	struct err e = {0};
	struct sbuf b;

	(void)state;
	fill(&m);
	sbuf_init(&b, 600);
	sbuf_adds(&b, "x");
	assert_int_not_equal(mime_build(&m, &b, &e), 0);
	assert_non_null(strstr(e.msg, "larger than 600 bytes"));
	assert_string_equal(sbuf_str(&b), "x");
	sbuf_free(&b);
}

/* Content holding the boundary: the boundary is extended until it holds
 * nowhere but in its own lines. */
static void test_boundary_collision(void **state)
{
	struct mime_mail m;
	struct err e = {0};
	struct sbuf b;
	char boundary[80];
	unsigned char att[400];
	size_t n, count = 0;

	(void)state;
	fill(&m);
	m.boundary = "XYZ";
	m.body = "the text holds XYZ and\n--XYZ\non a line of its own\n";
	sbuf_init(&b, 1 << 20);
	assert_int_equal(mime_build(&m, &b, &e), 0);
	boundary_of(b.p, boundary, sizeof(boundary));
	assert_string_not_equal(boundary, "XYZ");
	assert_memory_equal(boundary, "XYZ.", 4);
	for (const char *p = b.p; (p = strstr(p, boundary)); p++)
		count++;
	assert_int_equal(count, 4);  /* header, two parts, the end */
	assert_non_null(strstr(b.p, "\r\n--XYZ\r\non a line"));  /* the text is intact */
	attachment_of(b.p, boundary, att, &n);
	assert_int_equal(n, m.pdf_len);
	sbuf_free(&b);

	/* A boundary found in the attachment's base64 is extended too. */
	fill(&m);
	m.boundary = "JVBERi";  /* base64 of "%PDF" begins so */
	sbuf_init(&b, 1 << 20);
	assert_int_equal(mime_build(&m, &b, &e), 0);
	boundary_of(b.p, boundary, sizeof(boundary));
	assert_string_not_equal(boundary, "JVBERi");
	sbuf_free(&b);
}

static void test_date(void **state)
{
	char d[MIME_DATE_MAX];

	(void)state;
	mime_date(0, d);
	assert_string_equal(d, "Thu, 01 Jan 1970 00:00:00 +0000");
	mime_date(1769900400, d);  /* 2026-01-31 23:00 UTC */
	assert_string_equal(d, "Sat, 31 Jan 2026 23:00:00 +0000");
}

static void test_message_id(void **state)
{
	char a[300], b[300], c[300];

	(void)state;
	assert_int_equal(mime_message_id(a, sizeof(a), 12, "jane@example.com",
					 "Shop <s@shop.example>", "host1"), 0);
	assert_int_equal(mime_message_id(b, sizeof(b), 12, "jane@example.com",
					 "Shop <s@shop.example>", "host2"), 0);
	assert_string_equal(a, b);  /* the same for the same statement and recipient */
	assert_memory_equal(a, "<statement-12.", 14);
	assert_non_null(strstr(a, "@shop.example>"));
	assert_int_equal(mime_message_id(c, sizeof(c), 12, "john@example.com",
					 "Shop <s@shop.example>", "host1"), 0);
	assert_string_not_equal(a, c);
	/* No From: the host given, else a placeholder. */
	assert_int_equal(mime_message_id(c, sizeof(c), 3, "j@x.com", "", "mail.local"), 0);
	assert_non_null(strstr(c, "@mail.local>"));
	assert_int_equal(mime_message_id(c, sizeof(c), 3, "j@x.com", NULL, "bad host!"), 0);
	assert_non_null(strstr(c, "@accrue.invalid>"));
	assert_int_equal(mime_message_id(c, 10, 3, "j@x.com", NULL, NULL), -1);
}

static void test_split_mailbox(void **state)
{
	char name[100], addr[100];

	(void)state;
	assert_int_equal(mime_split_mailbox("Example Co. <s@example.com>", name, sizeof(name),
					    addr, sizeof(addr)), 0);
	assert_string_equal(name, "Example Co.");
	assert_string_equal(addr, "s@example.com");
	assert_int_equal(mime_split_mailbox("\"Smith, \\\"J\\\"\" <j@example.com> ", name,
					    sizeof(name), addr, sizeof(addr)), 0);
	assert_string_equal(name, "Smith, \"J\"");
	assert_string_equal(addr, "j@example.com");
	assert_int_equal(mime_split_mailbox("  s@example.com ", name, sizeof(name), addr,
					    sizeof(addr)), 0);
	assert_string_equal(name, "");
	assert_string_equal(addr, "s@example.com");
	assert_int_equal(mime_split_mailbox("A <s@example.com", name, sizeof(name), addr,
					    sizeof(addr)), -1);
	assert_int_equal(mime_split_mailbox("A <s@example.com> junk", name, sizeof(name), addr,
					    sizeof(addr)), -1);
	assert_int_equal(mime_split_mailbox("A very long name <s@example.com>", name, 5, addr,
					    sizeof(addr)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_qp),
		cmocka_unit_test(test_header_ascii),
		cmocka_unit_test(test_header_encoded),
		cmocka_unit_test(test_header_refuses),
		cmocka_unit_test(test_header_address),
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_build_no_from_and_plain),
		cmocka_unit_test(test_build_refuses),
		cmocka_unit_test(test_build_cap),
		cmocka_unit_test(test_boundary_collision),
		cmocka_unit_test(test_date),
		cmocka_unit_test(test_message_id),
		cmocka_unit_test(test_split_mailbox),
	};

	return cmocka_run_group_tests_name("mime", tests, NULL, NULL);
}
