/*
 * pdf: a statement (core/statement) drawn as a PDF with libharu.
 *
 * A4 portrait.  Text that all fits WinAnsi (Windows-1252) is drawn with the
 * built-in Helvetica and Helvetica-Bold, converted from UTF-8; a statement
 * holding any other character (Greek, Cyrillic ...) embeds DejaVu Sans and
 * DejaVu Sans Bold (Debian fonts-dejavu-core) and draws UTF-8 for the whole
 * document.  Nothing in the file depends on the time or on chance (no
 * creation date, no random ID), so the same statement gives the same bytes.
 */
#ifndef ACCRUE_PDF_H
#define ACCRUE_PDF_H

#include <stddef.h>

#include "err.h"
#include "sbuf.h"
#include "statement.h"
#include "statement_text.h"
#include "template.h"

#ifndef ACCRUE_FONT_DIR
#define ACCRUE_FONT_DIR "/usr/share/fonts/truetype/dejavu"
#endif

/* Draw s (after statement_finish) in t's language; the file's bytes are
 * appended to out.  0, or the exit status with e filled. */
int pdf_statement(const struct statement *s, const struct template *t, struct sbuf *out,
		  struct err *e);

/* UTF-8 to Windows-1252 (WinAnsiEncoding) into out (size n); control
 * characters become spaces.  0, or -1 when a character has no WinAnsi code
 * or out is too small. */
int pdf_winansi(const char *utf8, char *out, size_t n);

/* 1 when every character of utf8 has a WinAnsi code. */
int pdf_fits_winansi(const char *utf8);

#endif
