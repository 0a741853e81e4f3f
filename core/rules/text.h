/*
 * text: checks on text from outside — UTF-8 validity, header safety (no
 * CR/LF), e-mail address shape — and the safe file-name derivation used for
 * anything named after a customer number.
 */
#ifndef ACCRUE_TEXT_H
#define ACCRUE_TEXT_H

#include <stddef.h>

/* 1 when s[0..len) is well-formed UTF-8 (no overlongs, no surrogates). */
int text_utf8_valid(const char *s, size_t len);

/* 1 when s holds a CR or LF (not allowed in anything that reaches an email
 * header: names, addresses, subjects). */
int text_has_crlf(const char *s);

/* 1 when s looks like one mailbox address: local@domain, printable ASCII
 * without spaces, quotes, angle brackets, commas or semicolons. */
int text_email_valid(const char *s);

/* Copy s into out (size n) keeping [A-Za-z0-9._-] and turning anything else
 * into '_', never starting with '.', so that the result is one path
 * component that cannot leave its directory.  Returns 0, or -1 when s is
 * empty or out is too small. */
int text_safe_filename(const char *s, char *out, size_t n);

/* Copy src (NULL reads as "") into dst of size n, cut to fit, always
 * NUL-terminated. */
void text_copy(char *dst, size_t n, const char *src);

/* Line n (from 0) of a '\n'-separated text into buf (cut to size, a
 * trailing CR dropped); "" past the last line.  Returns buf or "". */
const char *text_line(const char *text, int n, char *buf, size_t size);

/*
 * The one check of a text field, whatever it comes from (an import, a
 * command's option): NULL when s (len bytes) is valid UTF-8 without
 * control characters — no C0 control but, in a multi-line field, LF, CR
 * and TAB; no DEL; no C1 control (U+0080..U+009F, which terminals obey as
 * escape sequences) — else what is wrong, for a message.
 */
const char *text_field_problem(const char *s, size_t len, int multiline);

/* A control character (C0, DEL or C1) at s: its length in bytes, else 0. */
size_t text_control_at(const char *s);

/* Hide the passwords in a message that may quote a connection string:
 * the value after "password=" and the one between ':' and '@' of a
 * "scheme://user:password@" URI become "***", in place. */
void text_redact_passwords(char *s);

#endif
