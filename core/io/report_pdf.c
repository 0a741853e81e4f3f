/*
 * report_pdf: the month report drawn with libharu (report_pdf.h).
 *
 * HPDF_REAL (libharu's float) is page geometry only: points, shades, and a
 * bar's height.  Every amount stays int64 cents from the report's figures to
 * the text drawn (money_format, decimal_format); a chart turns a value into
 * a height once, in scale(), and nothing is read back from a height.
 */
#include "report_pdf.h"

#include <hpdf.h>
#include <stdio.h>
#include <string.h>

#include "money.h"
#include "pdf.h"

#define PAGE_W 595.0f
#define PAGE_H 842.0f
#define MARGIN 40.0f
#define TEXT_MAX 512

struct rp {
	HPDF_Doc doc;
	HPDF_Page page;
	HPDF_Font reg, bold;
	HPDF_STATUS error, detail;
	HPDF_REAL y;                     /* the next line's baseline, from the bottom */
	int page_no;
	char enc[TEXT_MAX];
};

static void rp_error(HPDF_STATUS error_no, HPDF_STATUS detail_no, void *user)
{
	struct rp *p = user;

	if (!p->error) {
		p->error = error_no;
		p->detail = detail_no;
	}
}

/* UTF-8 to WinAnsi; a character without a code becomes '?'. */
static const char *enc(struct rp *p, const char *utf8)
{
	size_t o = 0;

	if (pdf_winansi(utf8, p->enc, sizeof(p->enc)) == 0)
		return p->enc;
	for (const unsigned char *s = (const unsigned char *)utf8; *s && o + 1 < sizeof(p->enc); s++) {
		if (*s < 0x80)
			p->enc[o++] = (char)(*s < 0x20 ? ' ' : *s);
		else if ((*s & 0xC0) != 0x80)
			p->enc[o++] = '?';
	}
	p->enc[o] = '\0';
	return p->enc;
}

static HPDF_REAL width(HPDF_Font f, HPDF_REAL size, const char *s)
{
	return HPDF_Font_TextWidth(f, (const HPDF_BYTE *)s, (HPDF_UINT)strlen(s)).width * size / 1000.0f;
}

/* Text at x (align 0 left, 1 right: x is its right edge, 2 centre), cut to
 * max_w points when max_w > 0. */
static void text(struct rp *p, HPDF_Font f, HPDF_REAL size, HPDF_REAL x, HPDF_REAL y, int align, HPDF_REAL max_w,
		 const char *utf8)
{
	const char *s = enc(p, utf8);
	HPDF_REAL w = width(f, size, s);

	if (max_w > 0 && w > max_w) {
		size_t n = strlen(s);

		while (n > 0 && width(f, size, s) > max_w)
			p->enc[--n] = '\0';
		w = width(f, size, s);
	}
	if (align == 1)
		x -= w;
	else if (align == 2)
		x -= w / 2;
	HPDF_Page_BeginText(p->page);
	HPDF_Page_SetFontAndSize(p->page, f, size);
	HPDF_Page_TextOut(p->page, x, y, s);
	HPDF_Page_EndText(p->page);
}

static void fill_rgb(struct rp *p, HPDF_REAL r, HPDF_REAL g, HPDF_REAL b)
{
	HPDF_Page_SetRGBFill(p->page, r, g, b);
}

static void rect(struct rp *p, HPDF_REAL x, HPDF_REAL y, HPDF_REAL w, HPDF_REAL h)
{
	if (h < 0) {
		y += h;
		h = -h;
	}
	HPDF_Page_Rectangle(p->page, x, y, w, h > 0.3f ? h : 0.3f);
	HPDF_Page_Fill(p->page);
}

static void line(struct rp *p, HPDF_REAL x0, HPDF_REAL y0, HPDF_REAL x1, HPDF_REAL y1, HPDF_REAL w, HPDF_REAL grey)
{
	HPDF_Page_SetLineWidth(p->page, w);
	HPDF_Page_SetGrayStroke(p->page, grey);
	HPDF_Page_MoveTo(p->page, x0, y0);
	HPDF_Page_LineTo(p->page, x1, y1);
	HPDF_Page_Stroke(p->page);
}

static void new_page(struct rp *p, const struct month_report *r)
{
	char buf[128];

	p->page_no++;
	p->page = HPDF_AddPage(p->doc);
	HPDF_Page_SetSize(p->page, HPDF_PAGE_SIZE_A4, HPDF_PAGE_PORTRAIT);
	fill_rgb(p, 0, 0, 0);
	snprintf(buf, sizeof(buf), "Rewards month report %s, page %d", r->period, p->page_no);
	text(p, p->reg, 7, PAGE_W - MARGIN, MARGIN / 2, 1, 0, buf);
	p->y = PAGE_H - MARGIN;
}

static void heading(struct rp *p, const char *s)
{
	p->y -= 22;
	fill_rgb(p, 0, 0, 0);
	text(p, p->bold, 11, MARGIN, p->y, 0, 0, s);
	line(p, MARGIN, p->y - 4, PAGE_W - MARGIN, p->y - 4, 0.5f, 0.5f);
	p->y -= 8;
}

/* A money amount with its currency-free sign. */
static const char *money(int64_t cents, char buf[MONEY_FMT_SIZE])
{
	return money_format(cents, buf);
}

/* ---- page 1: the liability and its movements ---- */

#define NCOLS 9
static const char *const col_names[NCOLS] = {"Program", "Opening", "Earned", "Vested",
					     "Expired", "Redeemed", "Adjusted", "Closing", ""};

static HPDF_REAL col_x(int i)
{
	/* the program's column, then eight right-aligned amounts */
	static const HPDF_REAL right[NCOLS] = {0, 205, 265, 325, 385, 445, 500, 555, 555};

	return i == 0 ? MARGIN : right[i];
}

static void program_row(struct rp *p, const char *name, const int64_t v[8], int bold, int units)
{
	char buf[MONEY_FMT_SIZE];
	HPDF_Font f = bold ? p->bold : p->reg;
	HPDF_REAL size = units ? 6.5f : 8;

	fill_rgb(p, units ? 0.45f : 0, units ? 0.45f : 0, units ? 0.45f : 0);
	text(p, f, size, col_x(0) + (units ? 8 : 0), p->y, 0, 120, name);
	for (int k = 0; k < 7; k++) {
		const char *s = units ? decimal_format(v[k], 2, buf) : money(v[k], buf);

		text(p, f, size, col_x(k + 1), p->y, 1, 0, s);
	}
	p->y -= units ? 11 : 10;
}

static void liability_table(struct rp *p, const struct month_report *r)
{
	int64_t open, close, moves[MR_MOVES];

	heading(p, "Liability by program (money; the grey line: units)");
	p->y -= 10;
	fill_rgb(p, 0, 0, 0);
	for (int i = 0; i < NCOLS - 1; i++)
		text(p, p->bold, 7.5f, col_x(i), p->y, i ? 1 : 0, 0, col_names[i]);
	line(p, MARGIN, p->y - 3, PAGE_W - MARGIN, p->y - 3, 0.3f, 0.6f);
	p->y -= 13;
	for (size_t i = 0; i < r->nprograms; i++) {
		const struct mr_program *g = &r->programs[i];
		int64_t m[8] = {g->open_cents, g->move_cents[MR_EARNED], g->move_cents[MR_VESTED],
				g->move_cents[MR_EXPIRED], g->move_cents[MR_REDEEMED],
				g->move_cents[MR_ADJUSTED], g->close_cents, 0};
		int64_t u[8] = {g->open_units, g->move_units[MR_EARNED], g->move_units[MR_VESTED],
				g->move_units[MR_EXPIRED], g->move_units[MR_REDEEMED],
				g->move_units[MR_ADJUSTED], g->close_units, 0};
		char name[MR_KEY + MR_TEXT + 8], units[48];

		if (p->y < MARGIN + 30)
			new_page(p, r);
		snprintf(name, sizeof(name), "%s %s", g->code, g->name);
		program_row(p, name, m, 0, 0);
		snprintf(units, sizeof(units), "%s", g->unit);
		program_row(p, units, u, 0, 1);
	}
	if (r->more_programs) {
		char buf[96];

		snprintf(buf, sizeof(buf), "... and %zu more programs (not shown)", r->more_programs);
		text(p, p->reg, 7, MARGIN, p->y, 0, 0, buf);
		p->y -= 10;
	}
	month_report_totals(r, &open, moves, &close);
	line(p, MARGIN, p->y + 7, PAGE_W - MARGIN, p->y + 7, 0.3f, 0.6f);
	{
		int64_t m[8] = {open, moves[MR_EARNED], moves[MR_VESTED], moves[MR_EXPIRED],
				moves[MR_REDEEMED], moves[MR_ADJUSTED], close, 0};

		program_row(p, "All programs", m, 1, 0);
	}
}

/* A value's height on a chart of axis a, h points tall (geometry: the
 * amount itself is never computed in floating point). */
static HPDF_REAL scale(const struct chart_axis *a, HPDF_REAL h, int64_t v)
{
	return (HPDF_REAL)((double)(v - a->lo) * h / (double)(a->hi - a->lo));
}

/* The axis: grid lines and their labels, left of x0. */
static void axis(struct rp *p, const struct chart_axis *a, HPDF_REAL x0, HPDF_REAL x1, HPDF_REAL y0, HPDF_REAL h)
{
	char buf[MONEY_FMT_SIZE];

	for (int64_t v = a->lo; v <= a->hi; v += a->step) {
		HPDF_REAL y = y0 + scale(a, h, v);

		line(p, x0, y, x1, y, v == 0 ? 0.6f : 0.2f, v == 0 ? 0.2f : 0.8f);
		fill_rgb(p, 0.3f, 0.3f, 0.3f);
		text(p, p->reg, 6, x0 - 3, y - 2, 1, 0, money(v, buf));
	}
}

static void new_page(struct rp *p, const struct month_report *r);

static void waterfall(struct rp *p, const struct month_report *r)
{
	int64_t open, close, moves[MR_MOVES], run, lo, hi;
	static const char *const labels[6] = {"Opening", "Earned", "Expired", "Redeemed",
					      "Adjusted", "Closing"};
	int64_t step[6];
	HPDF_REAL x0 = MARGIN + 50, x1 = PAGE_W - MARGIN, h = 150, y0, bw;
	struct chart_axis a;

	if (p->y - h - 70 < MARGIN)
		new_page(p, r);
	month_report_totals(r, &open, moves, &close);
	step[0] = open;
	step[1] = moves[MR_EARNED];
	step[2] = moves[MR_EXPIRED];
	step[3] = moves[MR_REDEEMED];
	step[4] = moves[MR_ADJUSTED];
	step[5] = close;
	heading(p, "The month's movements, all programs (money)");
	/* the running level before and after each step */
	lo = hi = 0;
	run = open;
	if (open < lo)
		lo = open;
	if (open > hi)
		hi = open;
	for (int i = 1; i < 5; i++) {
		run += step[i];
		if (run < lo)
			lo = run;
		if (run > hi)
			hi = run;
	}
	if (close < lo)
		lo = close;
	if (close > hi)
		hi = close;
	a = chart_axis(lo, hi, 5);
	y0 = p->y - h - 14;
	axis(p, &a, x0, x1, y0, h);
	bw = (x1 - x0) / 6;
	run = 0;
	for (int i = 0; i < 6; i++) {
		HPDF_REAL x = x0 + bw * (HPDF_REAL)i + bw * 0.2f, w = bw * 0.6f;
		int64_t from, to;
		char buf[MONEY_FMT_SIZE];

		if (i == 0 || i == 5) {
			from = 0;
			to = step[i];
			fill_rgb(p, 0.35f, 0.45f, 0.6f);
		} else {
			from = run;
			to = run + step[i];
			if (step[i] >= 0)
				fill_rgb(p, 0.3f, 0.6f, 0.35f);
			else
				fill_rgb(p, 0.75f, 0.3f, 0.25f);
		}
		run = i == 0 ? open : to;
		rect(p, x, y0 + scale(&a, h, from), w, scale(&a, h, to) - scale(&a, h, from));
		fill_rgb(p, 0, 0, 0);
		text(p, p->reg, 7, x + w / 2, y0 - 10, 2, 0, labels[i]);
		text(p, p->bold, 6.5f, x + w / 2, y0 + scale(&a, h, to > from ? to : from) + 3, 2, 0,
		     money(step[i], buf));
	}
	p->y = y0 - 18;
}

static void twelve_months(struct rp *p, const struct month_report *r)
{
	static const HPDF_REAL colours[3][3] = {{0.3f, 0.6f, 0.35f}, {0.35f, 0.45f, 0.6f},
					    {0.75f, 0.3f, 0.25f}};
	static const char *const names[3] = {"earned", "used", "expired"};
	HPDF_REAL x0 = MARGIN + 50, x1 = PAGE_W - MARGIN, h = 150, y0, gw;
	int64_t hi = 0;
	struct chart_axis a;

	if (p->y - h - 80 < MARGIN)
		new_page(p, r);
	heading(p, "The last twelve months, all programs (money)");
	for (int i = 0; i < MR_MONTHS; i++) {
		const struct mr_month *m = &r->months[i];
		int64_t v[3] = {m->earned_cents, m->used_cents, m->expired_cents};

		for (int k = 0; k < 3; k++)
			if (v[k] > hi)
				hi = v[k];
	}
	a = chart_axis(0, hi, 5);
	y0 = p->y - h - 14;
	axis(p, &a, x0, x1, y0, h);
	gw = (x1 - x0) / MR_MONTHS;
	for (int i = 0; i < MR_MONTHS; i++) {
		const struct mr_month *m = &r->months[i];
		int64_t v[3] = {m->earned_cents, m->used_cents, m->expired_cents};
		HPDF_REAL bw = gw * 0.25f;
		char label[16];

		for (int k = 0; k < 3; k++) {
			fill_rgb(p, colours[k][0], colours[k][1], colours[k][2]);
			rect(p, x0 + gw * (HPDF_REAL)i + gw * 0.125f + bw * (HPDF_REAL)k, y0 + scale(&a, h, 0), bw,
			     scale(&a, h, v[k] > 0 ? v[k] : 0) - scale(&a, h, 0));
		}
		snprintf(label, sizeof(label), "%04d-%02d", m->year % 10000, m->month % 100);
		fill_rgb(p, 0, 0, 0);
		text(p, p->reg, 6, x0 + gw * (HPDF_REAL)i + gw / 2, y0 - 10, 2, 0, label);
	}
	/* the legend */
	for (int k = 0; k < 3; k++) {
		HPDF_REAL x = x0 + 90 * (HPDF_REAL)k;

		fill_rgb(p, colours[k][0], colours[k][1], colours[k][2]);
		rect(p, x, y0 - 26, 8, 8);
		fill_rgb(p, 0, 0, 0);
		text(p, p->reg, 7.5f, x + 12, y0 - 25, 0, 0, names[k]);
	}
	p->y = y0 - 36;
}

/* ---- page 2: the largest expiries, the refused redemptions ---- */

static void expiries(struct rp *p, const struct month_report *r)
{
	static const HPDF_REAL x[7] = {MARGIN, MARGIN + 62, MARGIN + 142, MARGIN + 222, MARGIN + 272,
				   MARGIN + 372, PAGE_W - MARGIN};
	static const char *const head[7] = {"Date", "Account", "Customer", "Program", "Document",
					    "Units", "Value"};
	char buf[MONEY_FMT_SIZE];

	heading(p, "The twenty largest expiries of the month");
	p->y -= 10;
	fill_rgb(p, 0, 0, 0);
	for (int i = 0; i < 7; i++)
		text(p, p->bold, 7.5f, i == 6 ? x[6] : (i == 5 ? x[6] - 60 : x[i]), p->y,
		     i >= 5 ? 1 : 0, 0, head[i]);
	p->y -= 12;
	if (!r->nexpiries) {
		text(p, p->reg, 8, MARGIN, p->y, 0, 0, "No expiries this month.");
		p->y -= 11;
	}
	for (size_t i = 0; i < r->nexpiries; i++) {
		const struct mr_expiry *x0 = &r->expiries[i];

		text(p, p->reg, 7.5f, x[0], p->y, 0, 60, x0->date);
		text(p, p->reg, 7.5f, x[1], p->y, 0, 76, x0->account);
		text(p, p->reg, 7.5f, x[2], p->y, 0, 76, x0->customer);
		text(p, p->reg, 7.5f, x[3], p->y, 0, 46, x0->program);
		text(p, p->reg, 7.5f, x[4], p->y, 0, 96, x0->document);
		text(p, p->reg, 7.5f, x[6] - 60, p->y, 1, 0, decimal_format(x0->units, 2, buf));
		text(p, p->reg, 7.5f, x[6], p->y, 1, 0, money(x0->cents, buf));
		p->y -= 10.5f;
	}
}

static void refusals(struct rp *p, const struct month_report *r)
{
	static const HPDF_REAL x[5] = {MARGIN, MARGIN + 62, MARGIN + 142, MARGIN + 222, MARGIN + 302};
	static const char *const head[5] = {"Date", "Payment", "Customer", "Amount", "Why"};
	char buf[MONEY_FMT_SIZE];

	heading(p, "Refused redemptions");
	p->y -= 10;
	fill_rgb(p, 0, 0, 0);
	for (int i = 0; i < 5; i++)
		text(p, p->bold, 7.5f, i == 3 ? x[4] - 8 : x[i], p->y, i == 3 ? 1 : 0, 0, head[i]);
	p->y -= 12;
	if (!r->nrefusals) {
		text(p, p->reg, 8, MARGIN, p->y, 0, 0, "No redemption is refused.");
		p->y -= 11;
	}
	for (size_t i = 0; i < r->nrefusals && p->y > MARGIN + 20; i++) {
		const struct mr_refusal *f = &r->refusals[i];

		text(p, p->reg, 7.5f, x[0], p->y, 0, 60, f->date);
		text(p, p->reg, 7.5f, x[1], p->y, 0, 76, f->payment);
		text(p, p->reg, 7.5f, x[2], p->y, 0, 76, f->customer);
		text(p, p->reg, 7.5f, x[4] - 8, p->y, 1, 0, money(f->amount_cents, buf));
		text(p, p->reg, 7.5f, x[4], p->y, 0, PAGE_W - MARGIN - x[4], f->reason);
		p->y -= 10.5f;
	}
	if (r->refusals_total > (long long)r->nrefusals) {
		char more[96];

		snprintf(more, sizeof(more), "... and %lld more (accrue daily-close lists them all)",
			 r->refusals_total - (long long)r->nrefusals);
		text(p, p->reg, 7.5f, MARGIN, p->y, 0, 0, more);
	}
}

static int save(struct rp *p, struct sbuf *out, struct err *e)
{
	HPDF_BYTE chunk[16384];

	if (HPDF_SaveToStream(p->doc) != HPDF_OK)
		return 0;
	HPDF_ResetStream(p->doc);
	for (;;) {
		HPDF_UINT32 n = sizeof(chunk);
		HPDF_STATUS st = HPDF_ReadFromStream(p->doc, chunk, &n);

		if (n > 0 && sbuf_add(out, chunk, n))
			return err_set(e, EXIT_FAIL, "the month report is larger than %zu bytes", out->max);
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

int report_pdf(const struct month_report *r, struct sbuf *out, struct err *e)
{
	struct rp p;
	char buf[256];
	int rc = 0;

	memset(&p, 0, sizeof(p));
	if (!(p.doc = HPDF_New(rp_error, &p)))
		return err_set(e, EXIT_FAIL, "out of memory");
	HPDF_SetCompressionMode(p.doc, HPDF_COMP_ALL);
	snprintf(buf, sizeof(buf), "Rewards month report %s", r->period);
	HPDF_SetInfoAttr(p.doc, HPDF_INFO_TITLE, buf);
	HPDF_SetInfoAttr(p.doc, HPDF_INFO_CREATOR, "accrue");
	p.reg = HPDF_GetFont(p.doc, "Helvetica", "WinAnsiEncoding");
	p.bold = HPDF_GetFont(p.doc, "Helvetica-Bold", "WinAnsiEncoding");

	new_page(&p, r);
	{
		char first[DATE_FMT_SIZE], last[DATE_FMT_SIZE];

		text(&p, p.bold, 16, MARGIN, p.y - 6, 0, 0, buf);
		snprintf(buf, sizeof(buf), "%s to %s%s%s", date_format(r->first, first),
			 date_format(r->last, last), r->company[0] ? " - " : "", r->company);
		text(&p, p.reg, 9, MARGIN, p.y - 22, 0, 0, buf);
		p.y -= 30;
	}
	liability_table(&p, r);
	waterfall(&p, r);
	twelve_months(&p, r);
	new_page(&p, r);
	expiries(&p, r);
	refusals(&p, r);
	if (!p.error)
		rc = save(&p, out, e);
	if (!rc && p.error)
		rc = err_set(e, EXIT_FAIL, "month report: libharu error 0x%04X (detail %u)",
			     (unsigned)p.error, (unsigned)p.detail);
	HPDF_Free(p.doc);
	return rc;
}
