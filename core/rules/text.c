#include "text.h"

#include <stdio.h>
#include <string.h>

int text_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	while (p < end) {
		unsigned c = *p;
		size_t n;
		unsigned cp;

		if (c < 0x80) {
			p++;
			continue;
		} else if (c >= 0xC2 && c <= 0xDF) {
			n = 1;
			cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			n = 2;
			cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if ((size_t)(end - p) <= n)
			return 0;
		for (size_t i = 1; i <= n; i++) {
			if ((p[i] & 0xC0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i] & 0x3F);
		}
		if ((n == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
		    (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
			return 0;
		p += n + 1;
	}
	return 1;
}

int text_has_crlf(const char *s)
{
	return strpbrk(s, "\r\n") != NULL;
}

int text_email_valid(const char *s)
{
	const char *at = strchr(s, '@');

	if (!at || at == s || !at[1] || strchr(at + 1, '@'))
		return 0;
	if (!strchr(at + 1, '.') || at[1] == '.' || s[strlen(s) - 1] == '.')
		return 0;
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= 0x20 || c >= 0x7F || strchr("\"<>(),;:\\[]", c))
			return 0;
	}
	return 1;
}

int text_safe_filename(const char *s, char *out, size_t n)
{
	size_t i = 0;

	if (!*s || n < 2)
		return -1;
	for (; s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		/* no leading '.' (hidden) nor '-' (read as an option by
		 * whatever handles the file next) */
		int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			 (c >= '0' && c <= '9') || c == '_' ||
			 ((c == '.' || c == '-') && i > 0);
		if (i + 1 >= n)
			return -1;
		out[i] = ok ? (char)c : '_';
	}
	out[i] = '\0';
	return 0;
}

void text_copy(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

const char *text_line(const char *text, int n, char *buf, size_t size)
{
	const char *p = text;
	size_t len;

	for (int i = 0; i < n && p; i++) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (!p)
		return "";
	len = strcspn(p, "\n");
	if (len >= size)
		len = size - 1;
	memcpy(buf, p, len);
	buf[len] = '\0';
	/* a CRLF file leaves its CR behind */
	if (len > 0 && buf[len - 1] == '\r')
		buf[len - 1] = '\0';
	return buf;
}

/* Replace s[from, to) by "***" in place (to - from >= 3: the text never
 * grows); shorter runs are starred where they stand. */
static void redact(char *s, size_t from, size_t to)
{
	size_t n = strlen(s);

	if (to - from < 3) {
		for (size_t i = from; i < to; i++)
			s[i] = '*';
		return;
	}
	memcpy(s + from, "***", 3);
	memmove(s + from + 3, s + to, n - to + 1);
}

void text_redact_passwords(char *s)
{
	for (char *p = strstr(s, "password="); p; p = strstr(p + 1, "password=")) {
		size_t from = (size_t)(p - s) + 9, to = from;
		char quote = s[from] == '\'' || s[from] == '"' ? s[from] : 0;

		if (quote)
			to++;
		while (s[to] && (quote ? s[to] != quote : (s[to] != ' ' && s[to] != '&' &&
							  s[to] != '"' && s[to] != '\n')))
			to++;
		if (quote && s[to])
			to++;
		redact(s, from, to);
	}
	for (char *p = strstr(s, "://"); p; p = strstr(p + 3, "://")) {
		char *at = strchr(p + 3, '@'), *colon;
		char *end = p + 3 + strcspn(p + 3, " /?\"'\n");

		if (!at || at > end)
			continue;
		colon = memchr(p + 3, ':', (size_t)(at - (p + 3)));
		if (!colon || at - colon - 1 <= 0)
			continue;
		redact(s, (size_t)(colon + 1 - s), (size_t)(at - s));
	}
}

size_t text_control_at(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	if (u[0] < 0x20 || u[0] == 0x7F)
		return 1;
	if (u[0] == 0xC2 && u[1] >= 0x80 && u[1] <= 0x9F)
		return 2;
	return 0;
}

const char *text_field_problem(const char *s, size_t len, int multiline)
{
	if (!text_utf8_valid(s, len))
		return "is not valid UTF-8 (save the file as UTF-8)";
	for (size_t i = 0; i < len; i++) {
		size_t n = text_control_at(s + i);

		if (!n)
			continue;
		if (s[i] == '\n' || s[i] == '\r')
			if (!multiline)
				return "must not hold a line break";
		if (!(multiline && (s[i] == '\n' || s[i] == '\r' || s[i] == '\t')))
			return "must not hold control characters";
		i += n - 1;
	}
	return NULL;
}
