#include "mime.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "text.h"

/* Header lines are folded to this many columns where there is a place to. */
#define LINE_SOFT 78
#define WORD_MAX 75        /* RFC 2047: an encoded-word is at most 75 chars */
#define WORD_OVERHEAD 12   /* "=?UTF-8?B?" "?=" */
#define BOUNDARY_MAX 70    /* RFC 2046 */
#define BOUNDARY_TRIES 6

static const char b64chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

#define FNV_SEED 14695981039346656037ULL

/* Base64 of data without line breaks. */
static int b64_raw(struct sbuf *out, const unsigned char *p, size_t len)
{
	char q[4];

	for (size_t i = 0; i < len; i += 3) {
		size_t n = len - i < 3 ? len - i : 3;
		uint32_t v = (uint32_t)p[i] << 16;

		if (n > 1)
			v |= (uint32_t)p[i + 1] << 8;
		if (n > 2)
			v |= p[i + 2];
		q[0] = b64chars[(v >> 18) & 63];
		q[1] = b64chars[(v >> 12) & 63];
		q[2] = n > 1 ? b64chars[(v >> 6) & 63] : '=';
		q[3] = n > 2 ? b64chars[v & 63] : '=';
		if (sbuf_add(out, q, 4))
			return -1;
	}
	return 0;
}

int mime_base64(struct sbuf *out, const void *data, size_t len)
{
	const unsigned char *p = data;

	/* 57 bytes make one 76-character line. */
	for (size_t i = 0; i < len; i += 57) {
		size_t n = len - i < 57 ? len - i : 57;

		if (b64_raw(out, p + i, n) || sbuf_add(out, "\r\n", 2))
			return -1;
	}
	return 0;
}

int mime_qp(struct sbuf *out, const char *text, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i = 0;

	while (i < len) {
		size_t end = i, col = 0;

		while (end < len && text[end] != '\n' && text[end] != '\r')
			end++;
		for (size_t p = i; p < end; p++) {
			unsigned char c = (unsigned char)text[p];
			char tok[3];
			size_t n = 1;

			/* A line starting "From " would be mangled by mbox
			 * readers: its F goes encoded. */
			if (c >= 33 && c <= 126 && c != '=' &&
			    !(p == i && c == 'F' && end - p >= 5 && !memcmp(text + p, "From ", 5)))
				tok[0] = (char)c;
			else if ((c == ' ' || c == '\t') && p + 1 < end)
				tok[0] = (char)c;  /* whitespace only when not last */
			else {
				tok[0] = '=';
				tok[1] = hex[c >> 4];
				tok[2] = hex[c & 15];
				n = 3;
			}
			/* Lines of at most 76 characters, the soft break's '='
			 * included. */
			if (col + n > 75) {
				if (sbuf_add(out, "=\r\n", 3))
					return -1;
				col = 0;
			}
			if (sbuf_add(out, tok, n))
				return -1;
			col += n;
		}
		if (sbuf_add(out, "\r\n", 2))
			return -1;
		if (end < len && text[end] == '\r' && end + 1 < len && text[end + 1] == '\n')
			end++;
		i = end + 1;
	}
	return 0;
}

/* 1 when s may not go into a header: a control character (tab aside), DEL,
 * or bytes that are not UTF-8. */
static int header_bad(const char *s)
{
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if ((c < 0x20 && c != '\t') || c == 0x7F)
			return 1;
	}
	return !text_utf8_valid(s, strlen(s));
}

static int needs_words(const char *s)
{
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p >= 0x80)
			return 1;
	return strstr(s, "=?") != NULL;
}

static size_t utf8_len(unsigned char c)
{
	return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

/* s as RFC 2047 encoded-words starting at column *col: whole characters
 * only, each word at most 75 characters and the line at most 76, one word
 * per line after the first. */
static int add_words(struct sbuf *out, size_t *col, const char *s)
{
	size_t len = strlen(s), i = 0;
	int first = 1;

	while (i < len) {
		size_t room, max_bytes, n = 0;

		if (!first || *col + 20 > 76) {
			if (sbuf_add(out, "\r\n ", 3))
				return -1;
			*col = 1;
		}
		room = 76 - *col;
		if (room > WORD_MAX)
			room = WORD_MAX;
		max_bytes = (room - WORD_OVERHEAD) / 4 * 3;
		while (i + n < len) {
			size_t c = utf8_len((unsigned char)s[i + n]);
			if (n + c > max_bytes)
				break;
			n += c;
		}
		if (sbuf_add(out, "=?UTF-8?B?", 10) ||
		    b64_raw(out, (const unsigned char *)s + i, n) || sbuf_add(out, "?=", 2))
			return -1;
		*col += WORD_OVERHEAD + (n + 2) / 3 * 4;
		i += n;
		first = 0;
	}
	return 0;
}

/* Plain ASCII text folded before a space when the line would pass 78. */
static int add_folded(struct sbuf *out, size_t *col, size_t min_col, const char *s)
{
	const char *p = s;

	while (*p) {
		const char *q = p + 1;
		size_t n;

		while (*q && *q != ' ' && *q != '\t')
			q++;
		n = (size_t)(q - p);
		if (*col + n > LINE_SOFT && *col > min_col && (*p == ' ' || *p == '\t')) {
			if (sbuf_add(out, "\r\n", 2))
				return -1;
			*col = 0;
		}
		if (sbuf_add(out, p, n))
			return -1;
		*col += n;
		p = q;
	}
	return 0;
}

static int restore(struct sbuf *out, size_t len, int rc)
{
	out->len = len;
	if (out->p)
		out->p[len] = '\0';
	return rc;
}

/* The longest run of value between spaces or tabs: folding happens only
 * there, so a longer word cannot be written plain within a line. */
static size_t longest_word(const char *value)
{
	size_t best = 0, n = 0;

	for (const char *p = value; *p; p++) {
		n = (*p == ' ' || *p == '\t') ? 0 : n + 1;
		if (n > best)
			best = n;
	}
	return best;
}

int mime_header_text(struct sbuf *out, const char *name, const char *value)
{
	size_t start = out->len, col = strlen(name) + 2;

	if (header_bad(value))
		return -2;
	if (sbuf_addf(out, "%s: ", name) ||
	    (needs_words(value) || col + longest_word(value) > LINE_SOFT
		     ? add_words(out, &col, value)
				: add_folded(out, &col, strlen(name) + 2, value)) ||
	    sbuf_add(out, "\r\n", 2))
		return restore(out, start, -1);
	return 0;
}

static int is_atext(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

/* The length of display written as a quoted-string (the worst case). */
static size_t quoted_len(const char *display)
{
	size_t n = 2;

	for (const char *p = display; *p; p++)
		n += (*p == '"' || *p == '\\') ? 2 : 1;
	return n;
}

int mime_header_address(struct sbuf *out, const char *name, const char *display,
			const char *addr)
{
	size_t start = out->len, col = strlen(name) + 2, alen = strlen(addr);
	int rc = 0;

	if (!text_email_valid(addr))
		return -2;
	if (display && header_bad(display))
		return -2;
	if (sbuf_addf(out, "%s: ", name))
		return restore(out, start, -1);
	if (!display || !*display) {
		rc = sbuf_add(out, addr, alen);
		return rc || sbuf_add(out, "\r\n", 2) ? restore(out, start, -1) : 0;
	}
	if (needs_words(display) || col + quoted_len(display) > LINE_SOFT) {
		/* encoded-words fold: a display name too long for one line
		 * (RFC 5322 allows 998 bytes, and a quoted-string cannot be
		 * folded inside) goes as words too */
		rc = add_words(out, &col, display);
	} else {
		int plain = 1;

		for (const char *p = display; *p; p++)
			if (*p != ' ' && !is_atext((unsigned char)*p))
				plain = 0;
		if (plain) {
			rc = sbuf_adds(out, display);
			col += strlen(display);
		} else {
			/* A quoted-string: specials such as the comma of
			 * "Smith, John" must not split the address list. */
			rc = sbuf_addc(out, '"');
			for (const char *p = display; *p && !rc; p++) {
				if (*p == '"' || *p == '\\')
					rc = sbuf_addc(out, '\\');
				if (!rc)
					rc = sbuf_addc(out, *p);
				col++;
			}
			if (!rc)
				rc = sbuf_addc(out, '"');
			col += 2;
		}
	}
	if (!rc)
		rc = col + 3 + alen > LINE_SOFT ? sbuf_add(out, "\r\n <", 4) : sbuf_add(out, " <", 2);
	if (!rc)
		rc = sbuf_add(out, addr, alen) || sbuf_add(out, ">\r\n", 3);
	return rc ? restore(out, start, -1) : 0;
}

void mime_date(time_t t, char out[MIME_DATE_MAX])
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, MIME_DATE_MAX, "%s, %02d %s %04d %02d:%02d:%02d +0000",
		 days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900,
		 tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void trim(const char **b, const char **e)
{
	while (*b < *e && (**b == ' ' || **b == '\t'))
		(*b)++;
	while (*e > *b && ((*e)[-1] == ' ' || (*e)[-1] == '\t'))
		(*e)--;
}

int mime_split_mailbox(const char *from, char *name, size_t name_n, char *addr, size_t addr_n)
{
	const char *lt = strchr(from, '<'), *nb = from, *ne, *ab, *ae;
	size_t o = 0;

	name[0] = addr[0] = '\0';
	if (!lt) {
		ab = from;
		ae = from + strlen(from);
		trim(&ab, &ae);
		if ((size_t)(ae - ab) >= addr_n)
			return -1;
		memcpy(addr, ab, (size_t)(ae - ab));
		addr[ae - ab] = '\0';
		return 0;
	}
	ab = lt + 1;
	ae = strchr(ab, '>');
	if (!ae)
		return -1;
	for (const char *p = ae + 1; *p; p++)
		if (*p != ' ' && *p != '\t')
			return -1;
	ne = lt;
	trim(&nb, &ne);
	if (ne - nb >= 2 && *nb == '"' && ne[-1] == '"') {
		nb++;
		ne--;
		for (const char *p = nb; p < ne; p++) {
			if (*p == '\\' && p + 1 < ne)
				p++;
			if (o + 1 >= name_n)
				return -1;
			name[o++] = *p;
		}
	} else {
		if ((size_t)(ne - nb) >= name_n)
			return -1;
		memcpy(name, nb, (size_t)(ne - nb));
		o = (size_t)(ne - nb);
	}
	name[o] = '\0';
	trim(&ab, &ae);
	if ((size_t)(ae - ab) >= addr_n)
		return -1;
	memcpy(addr, ab, (size_t)(ae - ab));
	addr[ae - ab] = '\0';
	return 0;
}

static int host_ok(const char *h)
{
	if (!*h)
		return 0;
	for (const char *p = h; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '-'))
			return 0;
	return 1;
}

int mime_message_id(char *out, size_t n, long long statement_id,
		    const char *recipient, const char *from, const char *fallback_host)
{
	char name[MIME_MAX_NAME], addr[256];
	const char *host = "accrue.invalid", *at;
	uint64_t h = fnv1a(FNV_SEED, recipient, strlen(recipient));
	int w;

	if (fallback_host && host_ok(fallback_host))
		host = fallback_host;
	if (from && *from && !mime_split_mailbox(from, name, sizeof(name), addr, sizeof(addr)) &&
	    (at = strrchr(addr, '@')) && host_ok(at + 1))
		host = at + 1;
	w = snprintf(out, n, "<statement-%lld.%016llx@%s>", statement_id,
		     (unsigned long long)h, host);
	return w < 0 || (size_t)w >= n ? -1 : 0;
}

static int message_id_ok(const char *s)
{
	size_t n = strlen(s);
	const char *at = strchr(s, '@');

	if (n < 5 || n > 250 || s[0] != '<' || s[n - 1] != '>' || !at)
		return 0;
	for (const char *p = s + 1; p < s + n - 1; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7F || *p == '<' || *p == '>')
			return 0;
	return 1;
}

/* The filename parameter: quoted when plain ASCII, else RFC 2231
 * (filename*=UTF-8''%XX...).  On its own folded line. */
static int add_param(struct sbuf *out, const char *param, const char *value)
{
	int plain = 1;

	for (const char *p = value; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20 || c >= 0x7F || c == '"' || c == '\\')
			plain = 0;
	}
	if (plain)
		return sbuf_addf(out, ";\r\n %s=\"%s\"", param, value);
	if (sbuf_addf(out, ";\r\n %s*=UTF-8''", param))
		return -1;
	for (const char *p = value; *p; p++) {
		unsigned char c = (unsigned char)*p;
		int keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			   (c >= '0' && c <= '9') || (c && strchr("!#$&+-.^_`|~", c));
		if (keep ? sbuf_addc(out, (char)c) : sbuf_addf(out, "%%%02X", c))
			return -1;
	}
	return 0;
}

/* Non-overlapping occurrences of needle in hay[0..len). */
static size_t count_in(const char *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle), count = 0;

	if (!n)
		return 0;
	for (size_t i = 0; i + n <= len;) {
		const char *p = memchr(hay + i, needle[0], len - i - n + 1);
		if (!p)
			break;
		i = (size_t)(p - hay);
		if (!memcmp(p, needle, n)) {
			count++;
			i += n;
		} else {
			i++;
		}
	}
	return count;
}

/* Everything with one boundary; 0, -1 out full, -2 bad value (field named
 * in *bad). */
static int build_with(const struct mime_mail *m, struct sbuf *out, const char *boundary,
		      const char *from_name, const char *from_addr, const char **bad)
{
	int rc;

	if (from_addr[0]) {
		*bad = "from";
		if ((rc = mime_header_address(out, "From", from_name, from_addr)))
			return rc;
	}
	*bad = "to";
	if ((rc = mime_header_address(out, "To", m->to_name, m->to_addr)))
		return rc;
	*bad = "subject";
	if ((rc = mime_header_text(out, "Subject", m->subject)))
		return rc;
	*bad = NULL;
	if (sbuf_addf(out, "Date: %s\r\nMessage-ID: %s\r\nMIME-Version: 1.0\r\n"
		      "Content-Type: multipart/mixed;\r\n boundary=\"%s\"\r\n"
		      "\r\n"
		      "This is a multi-part message in MIME format.\r\n"
		      "--%s\r\n"
		      "Content-Type: text/plain; charset=UTF-8\r\n"
		      "Content-Transfer-Encoding: quoted-printable\r\n"
		      "\r\n",
		      m->date, m->message_id, boundary, boundary))
		return -1;
	if (mime_qp(out, m->body, strlen(m->body)))
		return -1;
	/* The CRLF before a delimiter belongs to the delimiter: one more keeps
	 * the text's last line break. */
	if (sbuf_addf(out, "\r\n--%s\r\nContent-Type: application/pdf", boundary) ||
	    add_param(out, "name", m->filename) ||
	    sbuf_adds(out, "\r\nContent-Transfer-Encoding: base64\r\n"
			   "Content-Disposition: attachment") ||
	    add_param(out, "filename", m->filename) ||
	    sbuf_adds(out, "\r\n\r\n") ||
	    mime_base64(out, m->pdf, m->pdf_len) ||
	    sbuf_addf(out, "\r\n--%s--\r\n", boundary))
		return -1;
	return 0;
}

int mime_build(const struct mime_mail *m, struct sbuf *out, struct err *e)
{
	char from_name[MIME_MAX_NAME] = "", from_addr[256] = "", boundary[BOUNDARY_MAX + 1];
	size_t start = out->len;
	const char *bad = NULL;
	int rc = 0;

	if (m->from && *m->from &&
	    mime_split_mailbox(m->from, from_name, sizeof(from_name), from_addr, sizeof(from_addr)))
		return err_set(e, EXIT_DATAERR, "from: \"%s\" is not one mailbox (Name <address>)",
			       m->from);
	if (strlen(m->subject) > MIME_MAX_SUBJECT)
		return err_set(e, EXIT_DATAERR, "subject: too long (at most %d bytes)",
			       MIME_MAX_SUBJECT);
	if (m->to_name && strlen(m->to_name) > MIME_MAX_NAME)
		return err_set(e, EXIT_DATAERR, "to: the name is too long (at most %d bytes)",
			       MIME_MAX_NAME);
	if (header_bad(m->date) || strlen(m->date) >= 64)
		return err_set(e, EXIT_DATAERR, "date: \"%.64s\" cannot go into a header", m->date);
	if (!message_id_ok(m->message_id))
		return err_set(e, EXIT_DATAERR, "message id: \"%.64s\" is not <left@right>",
			       m->message_id);
	if (!*m->filename || strlen(m->filename) > MIME_MAX_FILENAME || header_bad(m->filename) ||
	    strchr(m->filename, '/'))
		return err_set(e, EXIT_DATAERR, "attachment: \"%.64s\" is not a file name "
			       "(at most %d bytes, no line breaks or slashes)",
			       m->filename, MIME_MAX_FILENAME);
	if (!text_utf8_valid(m->body, strlen(m->body)))
		return err_set(e, EXIT_DATAERR, "body: not UTF-8 text");

	if (m->boundary && *m->boundary)
		snprintf(boundary, sizeof(boundary), "%.40s", m->boundary);
	else
		snprintf(boundary, sizeof(boundary), "=_accrue_%016llx",
			 (unsigned long long)fnv1a(FNV_SEED, m->message_id, strlen(m->message_id)));
	for (int attempt = 0; attempt < BOUNDARY_TRIES; attempt++) {
		size_t len;

		restore(out, start, 0);
		rc = build_with(m, out, boundary, from_name, from_addr, &bad);
		if (rc)
			break;
		/* Its own: the header parameter, two part delimiters and the
		 * closing one.  Anything more is content holding it. */
		if (count_in(out->p + start, out->len - start, boundary) == 4)
			return 0;
		rc = 1;
		len = strlen(boundary);
		if (len + 9 > BOUNDARY_MAX)
			break;
		snprintf(boundary + len, sizeof(boundary) - len, ".%08llx",
			 (unsigned long long)(fnv1a(FNV_SEED, boundary, len) >> 32) ^ (unsigned)attempt);
	}
	restore(out, start, 0);
	if (rc == -2 && bad) {
		if (!strcmp(bad, "subject"))
			return err_set(e, EXIT_DATAERR, "subject: must not hold a line break or "
				       "control character, and must be UTF-8");
		if (!strcmp(bad, "to") && !text_email_valid(m->to_addr))
			return err_set(e, EXIT_DATAERR, "to: \"%.200s\" is not an e-mail address",
				       m->to_addr);
		if (!strcmp(bad, "from") && !text_email_valid(from_addr))
			return err_set(e, EXIT_DATAERR, "from: \"%.200s\" is not an e-mail address",
				       from_addr);
		return err_set(e, EXIT_DATAERR, "%s: the name must not hold a line break or "
			       "control character, and must be UTF-8", bad);
	}
	if (rc == -1)
		return err_set(e, EXIT_DATAERR, "the message would be larger than %zu bytes",
			       out->max);
	return err_set(e, EXIT_DATAERR, "no MIME boundary found that the content does not hold");
}
