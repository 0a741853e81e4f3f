#include "pdf.h"

#include <hpdf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "month_report.h"
#include "text.h"

#define PDF_TEXT_MAX (4 * STMT_TEXT)   /* one drawn string, encoded */

/* ---- WinAnsi ---- */

/* The code points Windows-1252 puts at 0x80..0x9F (0: unused). */
static const unsigned short cp1252_high[32] = {
	0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
	0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
};

/* Decode one UTF-8 character at *p (advanced); -1 when malformed. */
static long utf8_next(const unsigned char **p)
{
	const unsigned char *s = *p;
	long cp;
	int n;

	if (s[0] < 0x80) {
		*p = s + 1;
		return s[0];
	}
	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		cp = s[0] & 0x1F;
		n = 1;
	} else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		cp = s[0] & 0x0F;
		n = 2;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		cp = s[0] & 0x07;
		n = 3;
	} else {
		return -1;
	}
	for (int i = 1; i <= n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	*p = s + n + 1;
	return cp;
}

static int cp1252_code(long cp)
{
	if (cp < 0x20)
		return ' ';
	if (cp < 0x7F || (cp >= 0xA0 && cp <= 0xFF))
		return (int)cp;
	for (int i = 0; i < 32; i++)
		if (cp1252_high[i] && cp1252_high[i] == cp)
			return 0x80 + i;
	return -1;
}

int pdf_winansi(const char *utf8, char *out, size_t n)
{
	const unsigned char *p = (const unsigned char *)utf8;
	size_t o = 0;

	while (*p) {
		long cp = utf8_next(&p);
		int c = cp < 0 ? -1 : cp1252_code(cp);

		if (c < 0 || o + 1 >= n)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

int pdf_fits_winansi(const char *utf8)
{
	const unsigned char *p = (const unsigned char *)utf8;

	while (*p) {
		long cp;

		if (*p < 0x80) {   /* the common case, fast */
			p++;
			continue;
		}
		cp = utf8_next(&p);
		if (cp < 0 || cp1252_code(cp) < 0)
			return 0;
	}
	return 1;
}

/* ---- drawing ---- */

enum align { LEFT, RIGHT };

struct pdf {
	HPDF_Doc doc;
	HPDF_Page page;
	HPDF_Font reg, bold;
	HPDF_Font cur_font;
	HPDF_REAL cur_size;
	/* what the page's graphics state holds, so that an operator that
	 * would change nothing is not written (-1: not known) */
	HPDF_REAL fill, stroke, line_w;
	int utf8;                    /* fonts embedded, text drawn as UTF-8 */
	HPDF_STATUS error, detail;   /* libharu's first error */
	const struct statement *s;
	const struct template *t;
	size_t page_no;
	enum stmt_col cols[STMT_NCOLS];
	int ncols;
	HPDF_REAL col_x[STMT_NCOLS + 1], col_w[STMT_NCOLS];
	char period[2 * STMT_TEXT];  /* "{from} – {to}" in the language */
	char enc[PDF_TEXT_MAX];      /* the string being drawn, encoded */
};

static void pdf_error(HPDF_STATUS error_no, HPDF_STATUS detail_no, void *user)
{
	struct pdf *p = user;

	if (!p->error) {
		p->error = error_no;
		p->detail = detail_no;
	}
}

/* Colours: black text, grey for labels and rules. */
static void ink(struct pdf *p, HPDF_REAL grey)
{
	if (grey != p->fill) {
		HPDF_Page_SetGrayFill(p->page, grey);
		p->fill = grey;
	}
}

static HPDF_REAL width_of(HPDF_Font f, HPDF_REAL size, const char *s, size_t n)
{
	HPDF_TextWidth w = HPDF_Font_TextWidth(f, (const HPDF_BYTE *)s, (HPDF_UINT)n);

	return (HPDF_REAL)w.width * size / 1000;
}

/* Encode utf8 for the document's fonts into p->enc; returns its length. */
static size_t encode(struct pdf *p, const char *utf8)
{
	if (p->utf8) {
		size_t o = 0;

		/* control characters would draw as missing glyphs */
		for (; utf8[o] && o + 1 < sizeof(p->enc); o++)
			p->enc[o] = (unsigned char)utf8[o] < 0x20 ? ' ' : utf8[o];
		/* cut short: never in the middle of a character */
		while (o > 0 && utf8[o] && ((unsigned char)utf8[o] & 0xC0) == 0x80)
			o--;
		p->enc[o] = '\0';
		return o;
	}
	if (pdf_winansi(utf8, p->enc, sizeof(p->enc)))
		snprintf(p->enc, sizeof(p->enc), "?");   /* cannot happen: checked first */
	return strlen(p->enc);
}

/* Cut p->enc (n bytes) so that it and an ellipsis fit max_w. */
static size_t ellipsize(struct pdf *p, HPDF_Font f, HPDF_REAL size, size_t n, HPDF_REAL max_w)
{
	const char *dots = p->utf8 ? "\xe2\x80\xa6" : "\x85";
	size_t nd = strlen(dots);
	HPDF_REAL dw = width_of(f, size, dots, nd);

	while (n > 0 && width_of(f, size, p->enc, n) + dw > max_w) {
		n--;
		if (p->utf8)
			while (n > 0 && ((unsigned char)p->enc[n] & 0xC0) == 0x80)
				n--;
	}
	while (n > 0 && p->enc[n - 1] == ' ')
		n--;
	if (n + nd + 1 > sizeof(p->enc))
		n = sizeof(p->enc) - nd - 1;
	memcpy(p->enc + n, dots, nd + 1);
	return n + nd;
}

/* utf8 encoded into p->enc, cut with an ellipsis to max_w when max_w > 0;
 * returns its width. */
static HPDF_REAL fit(struct pdf *p, HPDF_Font f, HPDF_REAL size, HPDF_REAL max_w,
		     const char *utf8)
{
	size_t n = encode(p, utf8);
	HPDF_REAL w = width_of(f, size, p->enc, n);

	if (max_w > 0 && w > max_w) {
		n = ellipsize(p, f, size, n, max_w);
		w = width_of(f, size, p->enc, n);
	}
	return w;
}

static void use_font(struct pdf *p, HPDF_Font f, HPDF_REAL size)
{
	if (f != p->cur_font || size != p->cur_size) {
		HPDF_Page_SetFontAndSize(p->page, f, size);
		p->cur_font = f;
		p->cur_size = size;
	}
}

/* Draw utf8 at (x, y) — x is the right edge for RIGHT — cut with an
 * ellipsis to max_w when max_w > 0.  Returns the width drawn. */
static HPDF_REAL text(struct pdf *p, HPDF_Font f, HPDF_REAL size, HPDF_REAL x, HPDF_REAL y,
		      enum align a, HPDF_REAL max_w, const char *utf8)
{
	HPDF_REAL w;

	if (!*utf8)
		return 0;
	w = fit(p, f, size, max_w, utf8);
	use_font(p, f, size);
	HPDF_Page_TextOut(p->page, a == RIGHT ? x - w : x, y, p->enc);
	return w;
}

static HPDF_REAL measure(struct pdf *p, HPDF_Font f, HPDF_REAL size, const char *utf8)
{
	size_t n = encode(p, utf8);

	return width_of(f, size, p->enc, n);
}

/*
 * A block of lines one under the other, `leading` apart, the first at
 * (x, y): the first is placed, each next one is "next line, show" and an
 * empty one "next line", so libharu formats no coordinates for them (it
 * zeroes a 512-byte buffer and writes two numbers for every placed string).
 * Nothing else may be drawn until the block is done.
 */
struct lines {
	struct pdf *p;
	HPDF_Font f;
	HPDF_REAL size, x, y, max_w;
	int n;
};

static void lines_start(struct lines *l, struct pdf *p, HPDF_Font f, HPDF_REAL size, HPDF_REAL x,
			HPDF_REAL y, HPDF_REAL leading, HPDF_REAL max_w)
{
	l->p = p;
	l->f = f;
	l->size = size;
	l->x = x;
	l->y = y;
	l->max_w = max_w;
	l->n = 0;
	use_font(p, f, size);
	HPDF_Page_SetTextLeading(p->page, leading);
}

static void lines_add(struct lines *l, const char *utf8)
{
	struct pdf *p = l->p;

	if (*utf8)
		fit(p, l->f, l->size, l->max_w, utf8);
	else
		p->enc[0] = '\0';
	if (l->n++ == 0)
		HPDF_Page_TextOut(p->page, l->x, l->y, p->enc);
	else
		HPDF_Page_ShowTextNextLine(p->page, p->enc);
}

static void stroke_style(struct pdf *p, HPDF_REAL w, HPDF_REAL grey)
{
	if (w != p->line_w) {
		HPDF_Page_SetLineWidth(p->page, w);
		p->line_w = w;
	}
	if (grey != p->stroke) {
		HPDF_Page_SetGrayStroke(p->page, grey);
		p->stroke = grey;
	}
}

static void rule(struct pdf *p, HPDF_REAL x0, HPDF_REAL x1, HPDF_REAL y, HPDF_REAL w,
		 HPDF_REAL grey)
{
	stroke_style(p, w, grey);
	HPDF_Page_MoveTo(p->page, x0, y);
	HPDF_Page_LineTo(p->page, x1, y);
	HPDF_Page_Stroke(p->page);
}

/* A rectangle added to the path; the caller fills the boxes of one grey
 * at once (see table_fills). */
static void box(struct pdf *p, HPDF_REAL x, HPDF_REAL y, HPDF_REAL w, HPDF_REAL h)
{
	HPDF_Page_Rectangle(p->page, x, y, w, h);
}

/* Page y (from the bottom) of a distance from the page's top. */
static HPDF_REAL Y(int from_top)
{
	return (HPDF_REAL)(STMT_PAGE_H - from_top);
}

#define X0 ((HPDF_REAL)STMT_MARGIN)
#define X1 ((HPDF_REAL)(STMT_PAGE_W - STMT_MARGIN))
#define PAD 3
#define PDF_CELL_SIZE 7      /* points: the table's text */

/* The widest date of the statement's language in f at size: every month,
 * a two-digit day (digits are of one width in Helvetica and DejaVu Sans). */
static HPDF_REAL widest_date(struct pdf *p, HPDF_Font f, HPDF_REAL size)
{
	char d[TEMPLATE_DATE_SIZE];
	HPDF_REAL widest = 0;
	int y, m, day;

	date_to_ymd(p->s->h.to, &y, &m, &day);
	for (m = 1; m <= 12; m++) {
		HPDF_REAL w = measure(p, f, size, template_date(p->t, date_from_ymd(y, m, 28), d));

		if (w > widest)
			widest = w;
	}
	return widest;
}

/* The widest ledger type label of the language, so that the Type column
 * of a language's statements is one width; and the label of a reversal's
 * lines (template_type) when this statement has one, so that a statement
 * without reversals keeps the layout it had. */
static HPDF_REAL widest_type(struct pdf *p)
{
	static const enum tpl_key reversals[] = {TPL_TYPE_PAYMENT_REVERSED,
						 TPL_TYPE_REDEMPTION_REVERSED};
	int seen[sizeof(reversals) / sizeof(reversals[0])] = {0};
	HPDF_REAL widest = 0;

	for (int k = TPL_TYPE_EARN; k <= TPL_TYPE_REVERSE_EXPIRY; k++) {
		HPDF_REAL w = measure(p, p->reg, PDF_CELL_SIZE, template_text(p->t, (enum tpl_key)k));

		if (w > widest)
			widest = w;
	}
	for (size_t i = 0; i < p->s->nlines; i++) {
		const struct stmt_entry *e = &p->s->lines[i].e;
		const char *label = template_type(p->t, e->kind, e->note);

		for (size_t r = 0; r < sizeof(reversals) / sizeof(reversals[0]); r++) {
			HPDF_REAL w;

			if (seen[r] || label != template_text(p->t, reversals[r]))
				continue;
			seen[r] = 1;
			if ((w = measure(p, p->reg, PDF_CELL_SIZE, label)) > widest)
				widest = w;
		}
	}
	return widest;
}

/* The widest child account number on the statement's lines. */
static HPDF_REAL widest_child(struct pdf *p)
{
	const char *prev = "";
	HPDF_REAL widest = 0;

	for (size_t i = 0; i < p->s->nlines; i++) {
		const char *c = p->s->lines[i].e.customer;
		HPDF_REAL w;

		if (!*c || !strcmp(c, prev))
			continue;
		prev = c;
		if ((w = measure(p, p->reg, PDF_CELL_SIZE, c)) > widest)
			widest = w;
	}
	return widest;
}

/* A column as wide as text of width w needs, within [min, max]. */
static HPDF_REAL col_fit(HPDF_REAL w, HPDF_REAL min, HPDF_REAL max)
{
	HPDF_REAL c = (HPDF_REAL)(int)(w + 2 * PAD + 1);

	return c < min ? min : c > max ? max : c;
}

/*
 * Column widths in points; the note takes what is left.  Columns of a
 * closed vocabulary or of identifiers are as wide as their widest text in
 * the statement's language and fonts, so none is cut: the dates (in bold,
 * as the opening and closing rows have them), the ledger types, the child
 * account numbers (up to 96 points; longer ones are cut).  When that
 * leaves the note less than NOTE_MIN, the document column gives up to 16
 * points of its own.
 */
#define NOTE_MIN 48
static void columns(struct pdf *p)
{
	static const int base[STMT_NCOLS] = {
		[STMT_COL_DATE] = 48, [STMT_COL_TYPE] = 58, [STMT_COL_DOCUMENT] = 68,
		[STMT_COL_PENDING] = 46, [STMT_COL_PENDING_BALANCE] = 50,
		[STMT_COL_USABLE] = 46, [STMT_COL_USABLE_BALANCE] = 50,
		[STMT_COL_EXPIRES] = 50, [STMT_COL_NOTE] = 0, [STMT_COL_CUSTOMER] = 44,
	};
	HPDF_REAL w[STMT_NCOLS];
	HPDF_REAL date_w = widest_date(p, p->bold, PDF_CELL_SIZE);
	HPDF_REAL used = 0, x = X0, note;
	int i, doc = -1;

	p->ncols = statement_columns(p->s, p->cols);
	for (i = 0; i < p->ncols; i++) {
		HPDF_REAL b = (HPDF_REAL)base[p->cols[i]];

		switch (p->cols[i]) {
		case STMT_COL_DATE:
		case STMT_COL_EXPIRES:
			w[i] = col_fit(date_w, b, 2 * b);
			break;
		case STMT_COL_TYPE:
			w[i] = col_fit(widest_type(p), b, 2 * b);
			break;
		case STMT_COL_CUSTOMER:
			w[i] = col_fit(widest_child(p), b, 96);
			break;
		case STMT_COL_DOCUMENT:
			doc = i;
			/* fall through */
		default:
			w[i] = b;
		}
		used += w[i];
	}
	note = X1 - X0 - used;
	if (note < NOTE_MIN && doc >= 0) {
		HPDF_REAL give = NOTE_MIN - note > 16 ? 16 : NOTE_MIN - note;

		w[doc] -= give;
		used -= give;
	}
	for (i = 0; i < p->ncols; i++) {
		p->col_w[i] = p->cols[i] == STMT_COL_NOTE ? X1 - X0 - used : w[i];
		p->col_x[i] = x;
		x += p->col_w[i];
	}
	p->col_x[i] = x;
}

/* ---- the blocks of a page ---- */


/* "{from} – {to}" in the language, once per document into p->period. */
static void period_text(struct pdf *p)
{
	char from[TEMPLATE_DATE_SIZE], to[TEMPLATE_DATE_SIZE];
	const struct tpl_var v[] = {
		{"from", template_date(p->t, p->s->h.from, from)},
		{"to", template_date(p->t, p->s->h.to, to)},
	};
	struct sbuf b;

	sbuf_init(&b, sizeof(p->period) - 1);
	template_expand(template_text(p->t, TPL_PERIOD_RANGE), v, 2, &b);
	snprintf(p->period, sizeof(p->period), "%s", sbuf_str(&b));
	sbuf_free(&b);
}

/* The first page's head, drawn font by font and grey by grey. */
static void first_head(struct pdf *p)
{
	const struct statement *s = p->s;
	struct stmt_head g;
	struct lines l;
	char line[STMT_TEXT], program[STMT_TEXT + STMT_NAME], since[TEMPLATE_DATE_SIZE];
	int top = STMT_MARGIN, y0, company = s->h.company_name && *s->h.company_name;
	const enum tpl_key labels[4] = {TPL_CUSTOMER_NUMBER, TPL_PROGRAM, TPL_MEMBER_SINCE,
					TPL_PERIOD};
	/* the details: labels at lx (the customer's lines end by 290), values
	 * at vx, as far left as the widest label allows (at most 404), so a
	 * long program name has room */
	const HPDF_REAL lx = 310;
	HPDF_REAL vx = lx;

	for (int i = 0; i < 4; i++) {
		HPDF_REAL w = lx + measure(p, p->reg, 8, template_text(p->t, labels[i])) + 12;

		if (w > vx)
			vx = w;
	}
	if (vx > 404)
		vx = 404;
	statement_head(s, &g);
	y0 = top + g.band_h;   /* the customer block */
	snprintf(program, sizeof(program), "%s (%s)", s->h.program,
		 template_text(p->t, s->h.points ? TPL_UNIT_POINTS : TPL_UNIT_DOLLARS));

	/* bold: the company (left) and the title (right); the customer, as on
	 * an envelope (left), and its number (right) */
	if (company)
		text(p, p->bold, 13, X0, Y(top + 12), LEFT, 280, s->h.company_name);
	text(p, p->bold, 16, X1, Y(top + 14), RIGHT, 250, template_text(p->t, TPL_TITLE));
	text(p, p->bold, 10, X0, Y(y0 + 12), LEFT, 250, s->h.name);
	text(p, p->bold, 9, vx, Y(y0 + 12), LEFT, X1 - vx, s->h.customer);

	/* the customer's address, the other details */
	lines_start(&l, p, p->reg, 9, X0, Y(y0 + 16 + STMT_LINE_H), STMT_LINE_H, 250);
	for (int i = 0; i < g.address_lines; i++)
		lines_add(&l, text_line(s->h.address, i, line, sizeof(line)));
	{
		/* a program name too long for 9 points is set smaller, down to
		 * 7.5, before it is cut */
		HPDF_REAL w = measure(p, p->reg, 9, program), size = 9;

		if (w > X1 - vx)   /* in tenths of a point, rounded down: it fits */
			size = w * 7.5f > (X1 - vx) * 9 ? 7.5f
							  : (HPDF_REAL)(int)(90 * (X1 - vx) / w) / 10;
		text(p, p->reg, size, vx, Y(y0 + 12 + 13), LEFT, X1 - vx, program);
	}
	lines_start(&l, p, p->reg, 9, vx, Y(y0 + 12 + 2 * 13), 13, X1 - vx);
	lines_add(&l, s->h.has_member_since ? template_date(p->t, s->h.member_since, since) : "");
	lines_add(&l, p->period);

	/* grey: the period under the title, the company's address, the labels */
	ink(p, 0.25f);
	text(p, p->reg, 9, X1, Y(top + 28), RIGHT, 250, p->period);
	if (company) {
		lines_start(&l, p, p->reg, 8.5f, X0, Y(top + 26), 10, 280);
		for (int i = 0; i < g.company_lines; i++)
			lines_add(&l, text_line(s->h.company_address, i, line, sizeof(line)));
	}
	ink(p, 0.35f);
	lines_start(&l, p, p->reg, 8, lx, Y(y0 + 12), 13, vx - lx - 4);
	for (int i = 0; i < 4; i++)
		lines_add(&l, template_text(p->t, labels[i]));
	ink(p, 0);
}

static void next_head(struct pdf *p)
{
	const struct statement *s = p->s;
	char buf[STMT_KEY + STMT_NAME + 8];
	int top = STMT_MARGIN;
	int company = s->h.company_name && *s->h.company_name;

	text(p, p->bold, 10, X0, Y(top + 10), LEFT, 300,
	     company ? s->h.company_name : template_text(p->t, TPL_TITLE));
	if (company)
		text(p, p->bold, 10, X1, Y(top + 10), RIGHT, 200, template_text(p->t, TPL_TITLE));
	snprintf(buf, sizeof(buf), "%s \xc2\xb7 %s", s->h.customer, s->h.name);
	text(p, p->reg, 9, X0, Y(top + 24), LEFT, 320, buf);
	ink(p, 0.25f);
	text(p, p->reg, 9, X1, Y(top + 24), RIGHT, 180, p->period);
	ink(p, 0);
}

/* A heading of at most two lines, split at the last blank that fits. */
static void head_cell(struct pdf *p, int i, int top)
{
	const char *label = statement_col_label(p->s, p->t, p->cols[i]);
	int amount = statement_col_amount(p->cols[i]);
	HPDF_REAL w = p->col_w[i] - 2 * PAD, x = amount ? p->col_x[i + 1] - PAD : p->col_x[i] + PAD;
	enum align a = amount ? RIGHT : LEFT;
	const HPDF_REAL size = 6.8f;
	char first[STMT_TEXT];
	const char *sp = NULL;

	if (measure(p, p->bold, size, label) <= w || !strchr(label, ' ')) {
		text(p, p->bold, size, x, Y(top + 13), a, w, label);
		return;
	}
	for (const char *c = label; (c = strchr(c, ' ')); c++) {
		size_t n = (size_t)(c - label);

		if (n >= sizeof(first))
			break;
		memcpy(first, label, n);
		first[n] = '\0';
		if (!sp || measure(p, p->bold, size, first) <= w)
			sp = c;
		else
			break;
	}
	memcpy(first, label, (size_t)(sp - label));
	first[sp - label] = '\0';
	text(p, p->bold, size, x, Y(top + 9), a, w, first);
	text(p, p->bold, size, x, Y(top + 17), a, w, sp + 1);
}

/* The table's graphics: heading fill, row stripes, the opening and closing
 * rows' fill, bottom rule. */
static void table_fills(struct pdf *p, const struct stmt_page *pg, int top)
{
	size_t last = statement_rows(p->s) - 1;
	size_t even = pg->first_row % 2, end = pg->nrows;   /* page rows */
	int bold = 0;

	if (pg->nrows == 0)
		return;
	ink(p, 0.88f);
	box(p, X0, Y(top + STMT_TABLE_HEAD_H), X1 - X0, STMT_TABLE_HEAD_H);
	HPDF_Page_Fill(p->page);
	/* the stripes of the even rows: one line as wide as the table, from
	 * the first even row's top to the last one's foot, dashed a row on, a
	 * row off (a rectangle per row took a tenth of a page's drawing) */
	if ((pg->first_row + end - 1) % 2)
		end--;
	if (even < end) {
		const HPDF_UINT16 dash[2] = {STMT_ROW_H, STMT_ROW_H};

		stroke_style(p, X1 - X0, 0.97f);
		HPDF_Page_SetDash(p->page, dash, 2, 0);
		HPDF_Page_MoveTo(p->page, (X0 + X1) / 2, Y(top + STMT_TABLE_HEAD_H + (int)even * STMT_ROW_H));
		HPDF_Page_LineTo(p->page, (X0 + X1) / 2, Y(top + STMT_TABLE_HEAD_H + (int)end * STMT_ROW_H));
		HPDF_Page_Stroke(p->page);
		HPDF_Page_SetDash(p->page, NULL, 0, 0);
	}
	/* over them, the opening and closing rows */
	for (size_t r = 0; r < pg->nrows; r++) {
		if (pg->first_row + r != 0 && pg->first_row + r != last)
			continue;
		if (!bold++)
			ink(p, 0.93f);
		box(p, X0, Y(top + STMT_TABLE_HEAD_H + (int)(r + 1) * STMT_ROW_H), X1 - X0, STMT_ROW_H);
	}
	if (bold)
		HPDF_Page_Fill(p->page);
	rule(p, X0, X1, Y(top + STMT_TABLE_HEAD_H + (int)pg->nrows * STMT_ROW_H), 0.6f, 0.5f);
}

/* The baseline of the page's table row r (from the page's top). */
static int row_base(int top, size_t r)
{
	return top + STMT_TABLE_HEAD_H + (int)r * STMT_ROW_H + 8;
}

/* How wide cell text may be in column i: the opening and closing labels,
 * and "no movements", run on over the document column. */
static HPDF_REAL cell_max(struct pdf *p, int i, int bold)
{
	HPDF_REAL w = p->col_w[i] - 2 * PAD;

	if (p->cols[i] == STMT_COL_TYPE && (bold || p->s->nlines == 0))
		w += p->col_w[i + 1];
	return w;
}

/* The opening or closing row, bold, cell by cell. */
static void bold_row(struct pdf *p, size_t row, int base)
{
	char buf[STMT_CELL_SIZE];

	for (int i = 0; i < p->ncols; i++) {
		int bold, amount = statement_col_amount(p->cols[i]);
		const char *cell = statement_cell(p->s, p->t, row, p->cols[i], buf, &bold);

		text(p, p->bold, PDF_CELL_SIZE, amount ? p->col_x[i + 1] - PAD : p->col_x[i] + PAD,
		     Y(base), amount ? RIGHT : LEFT, cell_max(p, i, 1), cell);
	}
}

/*
 * The other rows of the page, rows r0 .. r1 - 1, column by column, each
 * column one text line after another (the text leading is a row): a cell
 * that starts where the one above it started is "next line, show", an
 * empty cell "next line", and only a cell that starts elsewhere (the
 * column's first; an amount of another width than the one above) is
 * placed with coordinates.  libharu writes and formats no numbers for the
 * first two, which were most of a page's operators.
 */
static void column_text(struct pdf *p, int i, int top, size_t first_row, size_t r0, size_t r1)
{
	char buf[STMT_CELL_SIZE];
	int amount = statement_col_amount(p->cols[i]);
	HPDF_REAL x = amount ? p->col_x[i + 1] - PAD : p->col_x[i] + PAD;
	HPDF_REAL max_w = cell_max(p, i, 0), line_x = 0;
	size_t skipped = 0;
	int placed = 0;

	use_font(p, p->reg, PDF_CELL_SIZE);
	for (size_t r = r0; r < r1; r++) {
		int bold;
		const char *cell = statement_cell(p->s, p->t, first_row + r, p->cols[i], buf, &bold);
		HPDF_REAL start;

		if (!*cell) {
			skipped++;
			continue;
		}
		start = amount ? x - fit(p, p->reg, PDF_CELL_SIZE, max_w, cell)
			       : (fit(p, p->reg, PDF_CELL_SIZE, max_w, cell), x);
		if (placed && start == line_x && skipped <= 4) {
			for (; skipped > 0; skipped--)
				HPDF_Page_MoveToNextLine(p->page);
			HPDF_Page_ShowTextNextLine(p->page, p->enc);
		} else {
			HPDF_Page_TextOut(p->page, start, Y(row_base(top, r)), p->enc);
			line_x = start;
			placed = 1;
		}
		skipped = 0;
	}
}

static void table_text(struct pdf *p, const struct stmt_page *pg, int top)
{
	size_t last = statement_rows(p->s) - 1, r0 = 0, r1 = pg->nrows;

	if (pg->nrows == 0)
		return;
	for (int i = 0; i < p->ncols; i++)
		head_cell(p, i, top);
	if (pg->first_row == 0)
		bold_row(p, 0, row_base(top, r0++));
	if (pg->first_row + pg->nrows - 1 == last && r1 > r0)
		bold_row(p, last, row_base(top, --r1));
	if (r1 > r0) {
		HPDF_Page_SetTextLeading(p->page, STMT_ROW_H);
		for (int i = 0; i < p->ncols; i++)
			column_text(p, i, top, pg->first_row, r0, r1);
	}
}

/* The summary (left) and the units due to expire (right). */
static void summary_fills(struct pdf *p, int top)
{
	rule(p, X0, 285, Y(top + 14), 0.6f, 0.5f);
	rule(p, 310, X1, Y(top + 14), 0.6f, 0.5f);
}

/* Left, the summary: opening and closing balances, earned and used to
 * date; right, the units due to expire by date.  Drawn font by font. */
static void summary_text(struct pdf *p, int top)
{
	const struct statement *s = p->s;
	const struct template *t = p->t;
	static const enum tpl_key labels[5] = {TPL_OPENING_BALANCE, TPL_CLOSING_BALANCE,
					       TPL_LTD_EARNED, TPL_LTD_USED, TPL_LTD_EXPIRED};
	const int64_t pend[2] = {s->open_pending, s->pending};
	const int64_t use[5] = {s->open_usable, s->usable, statement_ltd_earned(s), s->ltd_used,
				s->ltd_expired};
	char a[TEMPLATE_AMOUNT_SIZE], d[TEMPLATE_DATE_SIZE], days[16], count[32];
	const struct tpl_var v[] = {{"date", d}, {"days", days}};
	size_t shown = statement_expiring_shown(s);
	int64_t later = 0;
	struct sbuf b;
	struct lines l;
	/* baselines: y is the first row's (the headings' when there are) */
	int y = top + 18 + 9, first = s->h.points ? 0 : 1, total_row = 1 + (int)shown +
		(shown < s->nexpiring);
	const HPDF_REAL lx = X0, px = 215, ux = 285, ex = 310;

	template_date(t, s->expiring_by, d);
	snprintf(days, sizeof(days), "%d", s->h.expiring_days);
	for (size_t i = shown; i < s->nexpiring; i++)
		later += s->expiring[i].units;
	sbuf_init(&b, 2 * STMT_TEXT);

	/* bold: the titles, the closing balance, the total due to expire */
	text(p, p->bold, 9, lx, Y(top + 10), LEFT, 240, template_text(t, TPL_SUMMARY));
	template_expand(template_text(t, TPL_EXPIRING), v, 2, &b);
	text(p, p->bold, 9, ex, Y(top + 10), LEFT, X1 - ex, sbuf_str(&b));
	text(p, p->bold, 8, ux, Y(y + (first + 1) * 12), RIGHT, 70, template_amount(t, use[1], a));
	if (s->nexpiring) {
		text(p, p->bold, 8, ex, Y(y + total_row * 12), LEFT, 120, template_text(t, TPL_TOTAL));
		text(p, p->bold, 8, X1, Y(y + total_row * 12), RIGHT, 100,
		     template_amount(t, s->expiring_total, a));
	}

	/* the rest of the summary */
	lines_start(&l, p, p->reg, 8, lx, Y(y + first * 12), 12, px - lx - 60);
	for (int i = 0; i < 5; i++)
		lines_add(&l, template_text(t, labels[i]));
	for (int i = 0; i < 5; i++) {
		HPDF_REAL yy = Y(y + (first + i) * 12);

		if (!s->h.points && i < 2)
			text(p, p->reg, 8, px, yy, RIGHT, 70, template_amount(t, pend[i], a));
		if (i != 1)
			text(p, p->reg, 8, ux, yy, RIGHT, 70, template_amount(t, use[i], a));
	}

	/* the rest of the units due to expire */
	if (!s->nexpiring) {
		sbuf_reset(&b);
		template_expand(template_text(t, TPL_EXPIRING_NONE), v, 2, &b);
		text(p, p->reg, 8, ex, Y(y), LEFT, X1 - ex, sbuf_str(&b));
	} else {
		lines_start(&l, p, p->reg, 8, ex, Y(y + 12), 12, 120);
		for (size_t i = 0; i < shown; i++)
			lines_add(&l, template_date(t, s->expiring[i].last_day, d));
		for (size_t i = 0; i < shown; i++)
			text(p, p->reg, 8, X1, Y(y + (int)(i + 1) * 12), RIGHT, 100,
			     template_amount(t, s->expiring[i].units, a));
		if (shown < s->nexpiring) {
			const struct tpl_var c[] = {{"count", count}};

			snprintf(count, sizeof(count), "%zu", s->nexpiring - shown);
			sbuf_reset(&b);
			template_expand(template_text(t, TPL_EXPIRING_LATER), c, 1, &b);
			text(p, p->reg, 8, ex, Y(y + (total_row - 1) * 12), LEFT, 160, sbuf_str(&b));
			text(p, p->reg, 8, X1, Y(y + (total_row - 1) * 12), RIGHT, 100,
			     template_amount(t, later, a));
		}
	}
	sbuf_free(&b);

	/* grey: the headings */
	ink(p, 0.35f);
	if (!s->h.points) {
		text(p, p->bold, 7, px, Y(y), RIGHT, 70, template_text(t, TPL_PENDING));
		text(p, p->bold, 7, ux, Y(y), RIGHT, 70, template_text(t, TPL_USABLE));
	}
	if (s->nexpiring) {
		text(p, p->bold, 7, ex, Y(y), LEFT, 120, template_text(t, TPL_EXPIRES));
		text(p, p->bold, 7, X1, Y(y), RIGHT, 100,
		     template_text(t, s->h.points ? TPL_AMOUNT : TPL_USABLE));
	}
	ink(p, 0);
}

/* The first page's chart (STMT_CHART_H points from chart_y): the units
 * earned and used in each of the last twelve months, two bars a month on a
 * scale of round steps (core/rules/month_report's chart_axis). */
#define CHART_TOP 16          /* below the title */
#define CHART_BOTTOM 12       /* the month names */
#define CHART_X0 (X0 + 52)    /* right of the axis labels */

static struct chart_axis chart_scale(const struct statement *s)
{
	int64_t hi = 0;

	for (int i = 0; i < STMT_CHART_MONTHS; i++) {
		if (s->chart_earned[i] > hi)
			hi = s->chart_earned[i];
		if (s->chart_used[i] > hi)
			hi = s->chart_used[i];
	}
	return chart_axis(0, hi, 3);
}

/* A value's height above the chart's base. */
static HPDF_REAL chart_h(const struct chart_axis *a, int64_t v)
{
	HPDF_REAL h = STMT_CHART_H - CHART_TOP - CHART_BOTTOM;

	return (HPDF_REAL)((double)(v > 0 ? v : 0) * h / (double)(a->hi > 0 ? a->hi : 1));
}

static void chart_fills(struct pdf *p, int top)
{
	const struct statement *s = p->s;
	struct chart_axis a = chart_scale(s);
	HPDF_REAL base = Y(top + STMT_CHART_H - CHART_BOTTOM), gw = (X1 - CHART_X0) / STMT_CHART_MONTHS;

	for (int64_t v = a.step; v <= a.hi; v += a.step)
		rule(p, CHART_X0, X1, base + chart_h(&a, v), 0.3f, 0.85f);
	rule(p, CHART_X0, X1, base, 0.6f, 0.4f);
	for (int g = 0; g < 2; g++) {
		ink(p, g ? 0.72f : 0.3f);
		for (int i = 0; i < STMT_CHART_MONTHS; i++) {
			int64_t v = g ? s->chart_used[i] : s->chart_earned[i];

			if (v > 0)
				box(p, CHART_X0 + gw * (HPDF_REAL)i + gw * 0.18f + gw * 0.32f * (HPDF_REAL)g,
				    base, gw * 0.3f, chart_h(&a, v));
		}
		/* the legend's swatch */
		box(p, X1 - 150 + 75 * (HPDF_REAL)g, Y(top + 9), 7, 7);
		HPDF_Page_Fill(p->page);
	}
	ink(p, 0);
}

static void chart_text(struct pdf *p, int top)
{
	const struct statement *s = p->s;
	const struct template *t = p->t;
	struct chart_axis a = chart_scale(s);
	HPDF_REAL base = Y(top + STMT_CHART_H - CHART_BOTTOM), gw = (X1 - CHART_X0) / STMT_CHART_MONTHS;
	char amount[TEMPLATE_AMOUNT_SIZE];
	int ty, tm, td;

	text(p, p->bold, 9, X0, Y(top + 10), LEFT, 300, template_text(t, TPL_CHART));
	text(p, p->reg, 7, X1 - 140, Y(top + 9), LEFT, 60, template_text(t, TPL_CHART_EARNED));
	text(p, p->reg, 7, X1 - 65, Y(top + 9), LEFT, 60, template_text(t, TPL_CHART_USED));
	ink(p, 0.35f);
	for (int64_t v = 0; v <= a.hi; v += a.step)
		text(p, p->reg, 6, CHART_X0 - 4, base + chart_h(&a, v) - 2, RIGHT, 50,
		     template_amount(t, v, amount));
	date_to_ymd(s->h.to, &ty, &tm, &td);
	for (int i = 0; i < STMT_CHART_MONTHS; i++) {
		int m = ((tm - 1 + i - (STMT_CHART_MONTHS - 1)) % 12 + 12) % 12;
		HPDF_REAL w = measure(p, p->reg, 6, t->months[m]);

		text(p, p->reg, 6, CHART_X0 + gw * (HPDF_REAL)i + (gw - w) / 2, base - 8, LEFT, gw,
		     t->months[m]);
	}
	ink(p, 0);
}

static void footer(struct pdf *p, size_t npages)
{
	char n[24], of[24], buf[STMT_KEY + STMT_NAME + 16];
	const struct tpl_var v[] = {{"page", n}, {"pages", of}};
	struct sbuf page;

	snprintf(n, sizeof(n), "%zu", p->page_no + 1);
	snprintf(of, sizeof(of), "%zu", npages);
	sbuf_init(&page, STMT_TEXT);
	template_expand(template_text(p->t, TPL_PAGE), v, 2, &page);
	snprintf(buf, sizeof(buf), "%s \xc2\xb7 %s \xc2\xb7 ", p->s->h.customer, p->s->h.name);
	ink(p, 0.4f);
	{
		HPDF_REAL w = text(p, p->reg, 7, X0, (HPDF_REAL)STMT_FOOTER_Y, LEFT, 330, buf);
		text(p, p->reg, 7, X0 + w, (HPDF_REAL)STMT_FOOTER_Y, LEFT, 400 - w, p->period);
	}
	text(p, p->reg, 7, X1, (HPDF_REAL)STMT_FOOTER_Y, RIGHT, 100, sbuf_str(&page));
	ink(p, 0);
	sbuf_free(&page);
}

static void draw_page(struct pdf *p, const struct stmt_page *pg)
{
	struct stmt_head g;
	int top;

	statement_head(p->s, &g);
	top = pg->table_y;
	p->page = HPDF_AddPage(p->doc);
	HPDF_Page_SetSize(p->page, HPDF_PAGE_SIZE_A4, HPDF_PAGE_PORTRAIT);
	/* a page starts with PDF's defaults: black, lines 1 point wide */
	p->cur_font = NULL;
	p->fill = p->stroke = 0;
	p->line_w = 1;

	/* graphics first, then one text object */
	rule(p, X0, X1, Y(p->page_no == 0 ? STMT_MARGIN + g.band_h - 6 : STMT_MARGIN + 32), 0.8f,
	     0.3f);
	table_fills(p, pg, top);
	if (pg->summary) {
		summary_fills(p, pg->summary_y);
		chart_fills(p, pg->chart_y);
	}
	rule(p, X0, X1, (HPDF_REAL)STMT_FOOTER_Y + 10, 0.4f, 0.6f);

	HPDF_Page_BeginText(p->page);
	ink(p, 0);
	if (p->page_no == 0)
		first_head(p);
	else
		next_head(p);
	table_text(p, pg, top);
	if (pg->summary) {
		summary_text(p, pg->summary_y);
		chart_text(p, pg->chart_y);
	}
	footer(p, p->s->npages);
	HPDF_Page_EndText(p->page);
}

/* Every string the document draws fits WinAnsi. */
static int all_winansi(const struct statement *s, const struct template *t)
{
	const struct stmt_header *h = &s->h;

	for (int k = 0; k < TPL_NKEYS; k++)
		if (k != TPL_MAIL_SUBJECT && k != TPL_MAIL_BODY && !pdf_fits_winansi(t->text[k]))
			return 0;
	if (!pdf_fits_winansi(t->thousands) || !pdf_fits_winansi(t->decimal))
		return 0;
	if (!pdf_fits_winansi(h->customer) || !pdf_fits_winansi(h->name) ||
	    !pdf_fits_winansi(h->address) || !pdf_fits_winansi(h->program))
		return 0;
	if (h->company_name && (!pdf_fits_winansi(h->company_name) ||
				(h->company_address && !pdf_fits_winansi(h->company_address))))
		return 0;
	for (size_t i = 0; i < s->nlines; i++) {
		const struct stmt_entry *e = &s->lines[i].e;

		if (!pdf_fits_winansi(e->document) || !pdf_fits_winansi(e->note) ||
		    !pdf_fits_winansi(e->customer))
			return 0;
	}
	return 1;
}

static int load_fonts(struct pdf *p, struct err *e)
{
	static const char *const files[2] = {ACCRUE_FONT_DIR "/DejaVuSans.ttf",
					      ACCRUE_FONT_DIR "/DejaVuSans-Bold.ttf"};
	HPDF_Font *f[2] = {&p->reg, &p->bold};

	if (!p->utf8) {
		p->reg = HPDF_GetFont(p->doc, "Helvetica", "WinAnsiEncoding");
		p->bold = HPDF_GetFont(p->doc, "Helvetica-Bold", "WinAnsiEncoding");
		return 0;
	}
	HPDF_UseUTFEncodings(p->doc);
	HPDF_SetCurrentEncoder(p->doc, "UTF-8");
	for (int i = 0; i < 2; i++) {
		const char *name;

		if (access(files[i], R_OK) != 0)
			return err_set(e, EXIT_FAIL, "statement of %s: its text needs DejaVu Sans, "
				       "and %s cannot be read (Debian package fonts-dejavu-core)",
				       p->s->h.customer, files[i]);
		name = HPDF_LoadTTFontFromFile(p->doc, files[i], HPDF_TRUE);
		*f[i] = name ? HPDF_GetFont(p->doc, name, "UTF-8") : NULL;
	}
	return 0;
}

/* The document's bytes, from libharu's memory stream. */
static int save(struct pdf *p, struct sbuf *out, struct err *e)
{
	HPDF_BYTE chunk[16384];

	if (HPDF_SaveToStream(p->doc) != HPDF_OK)
		return 0;   /* p->error says why */
	HPDF_ResetStream(p->doc);
	for (;;) {
		HPDF_UINT32 n = sizeof(chunk);
		HPDF_STATUS st = HPDF_ReadFromStream(p->doc, chunk, &n);

		if (n > 0 && sbuf_add(out, chunk, n))
			return err_set(e, EXIT_FAIL, "statement of %s: the PDF is larger than %zu bytes",
				       p->s->h.customer, out->max);
		if (st == HPDF_STREAM_EOF)
			break;
		if (st != HPDF_OK) {
			if (!p->error)
				p->error = st;
			break;
		}
	}
	return 0;
}

int pdf_statement(const struct statement *s, const struct template *t, struct sbuf *out,
		  struct err *e)
{
	struct pdf p;
	char title[STMT_KEY + 64];
	int rc = 0;

	memset(&p, 0, sizeof(p));
	p.s = s;
	p.t = t;
	p.utf8 = !all_winansi(s, t);
	if (!(p.doc = HPDF_New(pdf_error, &p)))
		return err_set(e, EXIT_FAIL, "out of memory");
	HPDF_SetCompressionMode(p.doc, HPDF_COMP_ALL);
	/* the title in ASCII: the customer number's safe characters */
	{
		size_t o = (size_t)snprintf(title, sizeof(title), "Statement ");

		for (const char *c = s->h.customer; *c && o + 1 < sizeof(title) - 32; c++)
			title[o++] = (*c >= 0x20 && *c < 0x7F && *c != '\\') ? *c : '_';
		title[o] = '\0';
	}
	{
		char f[DATE_FMT_SIZE], to[DATE_FMT_SIZE];
		size_t o = strlen(title);

		snprintf(title + o, sizeof(title) - o, " %s to %s", date_format(s->h.from, f),
			 date_format(s->h.to, to));
	}
	HPDF_SetInfoAttr(p.doc, HPDF_INFO_TITLE, title);
	HPDF_SetInfoAttr(p.doc, HPDF_INFO_CREATOR, "accrue");
	if ((rc = load_fonts(&p, e)))
		goto out;
	columns(&p);
	period_text(&p);
	for (p.page_no = 0; p.page_no < s->npages && !p.error; p.page_no++)
		draw_page(&p, &s->pages[p.page_no]);
	if (!p.error && (rc = save(&p, out, e)))
		goto out;
	if (p.error)
		rc = err_set(e, EXIT_FAIL, "statement of %s: libharu error 0x%04X (detail %u)",
			     s->h.customer, (unsigned)p.error, (unsigned)p.detail);
out:
	HPDF_Free(p.doc);
	return rc;
}
