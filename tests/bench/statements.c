/*
 * bench_statements: how fast core/statement and core/pdf make statements,
 * beside the floor of libharu alone (issue 5; tests/bench/statements runs
 * it, tests/bench/README.md says how to read it).  No database.
 *
 *   bench_statements [--one N] [--ten N] [--utf8 N] [--rounds N] [--out DIR]
 *                    [--templates DIR] [--no-floor]
 *
 * Statements are generated from a fixed seed with integer arithmetic, so
 * every run draws the same ones: Latin-script customers (accents that fit
 * WinAnsi: "Zoë Café", "Müller", "Peña"), a company header, a dollars or a
 * points program, a few lines of history before the period, some lines of
 * a child account, notes now and then.  One-page statements hold 10 to 15
 * lines of a month; ten-page ones 559 to 588 lines of a year (exactly ten
 * pages, checked).  --utf8 adds Greek and Cyrillic one-page statements,
 * which embed DejaVu Sans (not part of the aim: shown for what it costs).
 *
 * Timed, one thread, CLOCK_MONOTONIC around each statement (generating its
 * input is not timed), each statement made and then its floor drawn, so
 * that other work on the machine falls on both alike; --rounds times (3)
 * over, and the round where the two took least is shown (the first round
 * also pays for the heap growing to its size):
 *   (a) one-page and (b) ten-page: statement_begin, statement_add of every
 *       line, statement_finish and pdf_statement into one reused buffer,
 *       exactly as jobs/statements does for an account (English template
 *       from templates/);
 *   the floor, for each statement: libharu alone writing a document with
 *       the same pages and, on each page, the same number of text lines
 *       (each line the text of that line of the statement — a table row's
 *       cells joined by blanks — in the same built-in font, WinAnsi, one
 *       TextOut each), compressed as core/pdf compresses: HPDF_New, the
 *       pages, HPDF_SaveToStream, the bytes read out, HPDF_Free; nothing
 *       else (no measuring, no cells, no fills, no rules).
 *
 * --out DIR writes a few statements as files after the timing (English,
 * French, ten pages, Greek and Cyrillic) for a look; --no-floor leaves the
 * floor out (for a profile of accrue's part).
 */
#include <errno.h>
#include <hpdf.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "date.h"
#include "err.h"
#include "pdf.h"
#include "../unit/ltd_of.h"
#include "text.h"
#include "sbuf.h"
#include "statement.h"
#include "statement_text.h"
#include "template.h"

#define BENCH_SEED UINT64_C(0x5eed20260105)
#define BENCH_PDF_MAX (64u << 20)
#define BENCH_MAX_LINES 1024              /* lines of one generated statement */
#define FLOOR_LINE 2048                   /* one floor text line, WinAnsi */

/* The same compression core/pdf asks for (pdf_statement). */
#define BENCH_COMPRESSION HPDF_COMP_ALL

/* LOTS, for --out only: a points statement with lots falling due on more
 * days than the expiry list shows. */
enum shape { ONE_PAGE, TEN_PAGES, UTF8_ONE_PAGE, LOTS };

/* ---- a fixed-seed generator (splitmix64) ---- */

struct rng {
	uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

static unsigned rng_below(struct rng *r, unsigned n)
{
	return (unsigned)(rng_next(r) % n);
}

#define PICK(r, a) ((a)[rng_below((r), (unsigned)(sizeof(a) / sizeof((a)[0])))])

/* ---- realistic input ---- */

static const char *const latin_names[] = {
	"Zoë Café", "Lefèvre", "Müller", "Peña", "Smith", "Ångström", "O'Brien", "Ståhl",
	"Núñez", "Dubois", "García", "Brontë", "Nguyen", "Søndergaard", "Björklund", "Chávez",
	"Côté", "Gagné", "Žižek", "Fournier", "MacLeod", "Tremblay", "Åberg", "Škoda",
};
static const char *const latin_trades[] = {
	"Supplies", "Construction", "Plumbing & Heating", "Électricité", "Bau", "Rental",
	"Roofing", "Landscaping", "Hardware", "Menuiserie", "Béton", "Excavation",
};
static const char *const latin_forms[] = {
	"Ltd", "Inc.", "S.A.", "GmbH", "SARL", "AB", "& Sons", "Ltée", "", "",
};
static const char *const latin_streets[] = {
	"Rue de la Paix", "Königstraße", "Harbourfront Drive", "Avenida de Mayo",
	"Boulevard Saint-Germain", "Øster Allé", "Chemin du Lac-Brûlé", "King Street West",
	"Rue Sainte-Catherine Est", "Calle Mayor",
};
static const char *const latin_cities[] = {
	"Montréal QC  H2X 1Y4", "Québec QC  G1R 4P5", "Trois-Rivières QC  G9A 5H7",
	"Halifax NS  B3J 3R7", "Toronto ON  M5V 2T6", "St. John's NL  A1C 5M2",
	"Sherbrooke QC  J1H 1Z3", "Lévis QC  G6V 6N2",
};
static const char *const greek_names[] = {
	"Ζωή Καφέ Α.Ε.", "Παπαδόπουλος Δομική", "Иван Петров и сыновья", "Σμυρνάκης Ο.Ε.",
	"Ковалёв Строй", "Αθηναϊκή Ξυλεία",
};
static const char *const greek_streets[] = {
	"Οδός Ερμού 10", "Тверская 1", "Λεωφόρος Συγγρού 112", "Невский проспект 28",
};
static const char *const notes[] = {
	"Credit note on an invoice", "Goodwill – delayed delivery", "Redeemed at the counter",
	"Reçu no. 4471", "Year-end rebate", "Correction of a duplicate posting",
	"Spring order, Café branch", "Transfer from a closed account",
};

struct gen {
	struct stmt_header h;
	const char *lang;
	int earn_only;                /* history of earnings only (LOTS) */
	struct stmt_entry e[BENCH_MAX_LINES];
	size_t n;
};

static const char company_address[] = "2100 Harbourfront Drive\nHalifax NS  B3J 3R7";

static void add_line(struct gen *g, date_t day, const char *kind, const char *doc,
		     int64_t pending, int64_t usable, date_t expires, const char *note,
		     const char *child)
{
	struct stmt_entry *x = &g->e[g->n++];

	memset(x, 0, sizeof(*x));
	x->date = day;
	snprintf(x->kind, sizeof(x->kind), "%s", kind);
	x->ltd = statement_ltd_parse(ltd_of(kind));
	snprintf(x->document, sizeof(x->document), "%s", doc);
	x->pending = pending;
	x->usable = usable;
	x->has_expires = expires != 0;
	x->expires = expires;
	snprintf(x->note, sizeof(x->note), "%s", note);
	snprintf(x->customer, sizeof(x->customer), "%s", child);
}

/*
 * Lines from `from` for `days` days, `n` of them, in date order.  Dollars:
 * invoices earn pending units that vest some days later (usable, with a
 * last usable day lot_days on); redemptions spend usable units; now and
 * then an expiry, a reversed expiry or an adjustment.  Points: earnings are
 * usable at once.
 */
static void gen_lines(struct gen *g, struct rng *r, date_t from, int days, size_t n,
		      int lot_days, unsigned *docno, int with_child)
{
	int64_t open[8];   /* pending earnings not yet vested */
	char open_doc[8][STMT_KEY];
	size_t nopen = 0;
	int64_t usable = 0;
	char doc[STMT_KEY], child[STMT_KEY];

	snprintf(child, sizeof(child), "%s-2", g->h.customer);
	for (size_t k = 0; k < n && g->n < BENCH_MAX_LINES; k++) {
		date_t day = from + (date_t)((int64_t)k * days / (int64_t)n);
		unsigned roll = rng_below(r, 100);
		const char *note = rng_below(r, 6) == 0 ? PICK(r, notes) : "";
		const char *who = with_child && rng_below(r, 4) == 0 ? child : "";
		int64_t amount = 500 + (int64_t)rng_below(r, 250000);   /* hundredths */

		if (g->h.points) {
			if (roll < 70 || usable <= 0 || g->earn_only) {
				snprintf(doc, sizeof(doc), "INV-%06u", ++*docno);
				add_line(g, day, "earn", doc, 0, amount, day + lot_days, note, who);
				usable += amount;
			} else if (roll < 95) {
				int64_t spend = usable / 2 + 100 > usable ? usable : usable / 2 + 100;

				snprintf(doc, sizeof(doc), "RED-%05u", ++*docno % 100000);
				add_line(g, day, "redeem", doc, 0, -spend, 0, note, who);
				usable -= spend;
			} else {
				snprintf(doc, sizeof(doc), "ADJ-%04u", ++*docno % 10000);
				add_line(g, day, "adjust", doc, 0, 1000, 0, "Year-end rebate", "");
				usable += 1000;
			}
			continue;
		}
		if (roll < 45 || (nopen == 0 && usable <= 0)) {
			snprintf(doc, sizeof(doc), "INV-%06u", ++*docno);
			add_line(g, day, "earn", doc, amount, 0, 0, note, who);
			if (nopen < 8) {
				open[nopen] = amount;
				memcpy(open_doc[nopen++], doc, sizeof(doc));
			}
		} else if (roll < 80 && nopen > 0) {
			nopen--;
			add_line(g, day, "vest", open_doc[nopen], -open[nopen], open[nopen], day + lot_days,
				 "", who);
			usable += open[nopen];
		} else if (roll < 94 && usable > 0) {
			int64_t spend = usable > 5000 ? usable / 3 : usable;

			snprintf(doc, sizeof(doc), "RED-%05u", ++*docno % 100000);
			add_line(g, day, "redeem", doc, 0, -spend, 0, note, who);
			usable -= spend;
		} else if (roll < 97 && nopen > 0) {
			nopen--;
			add_line(g, day, "expire", open_doc[nopen], -open[nopen], 0, 0,
				 "Not paid within 30 days", "");
		} else if (roll < 98) {
			snprintf(doc, sizeof(doc), "INV-%06u", *docno - 3);
			add_line(g, day, "reverse_expiry", doc, 0, 1200, day + lot_days,
				 "Paid late: expiry reversed", who);
			usable += 1200;
		} else {
			snprintf(doc, sizeof(doc), "ADJ-%04u", ++*docno % 10000);
			add_line(g, day, "adjust", doc, 0, 2500, day + lot_days, "Goodwill – delayed delivery",
				 "");
			usable += 2500;
		}
	}
}

/* Statement `i` of a shape, the same every time. */
static void gen_statement(struct gen *g, enum shape shape, unsigned i)
{
	struct rng r = {BENCH_SEED ^ ((uint64_t)shape << 40) ^ ((uint64_t)i * UINT64_C(0x2545F491))};
	struct stmt_header *h = &g->h;
	unsigned docno = 1000 + rng_below(&r, 900000);
	int address_lines = 2 + (int)rng_below(&r, 3);
	size_t o = 0;

	memset(h, 0, sizeof(*h));
	g->n = 0;
	g->lang = shape == UTF8_ONE_PAGE && (i & 1) ? "fr" : "en";
	snprintf(h->customer, sizeof(h->customer), "C%07u", 100000 + i);
	if (shape == UTF8_ONE_PAGE) {
		snprintf(h->name, sizeof(h->name), "%s", PICK(&r, greek_names));
		snprintf(h->address, sizeof(h->address), "%s\nΑθήνα 105 63", PICK(&r, greek_streets));
	} else {
		const char *form = PICK(&r, latin_forms);

		snprintf(h->name, sizeof(h->name), "%s %s%s%s", PICK(&r, latin_names),
			 PICK(&r, latin_trades), *form ? " " : "", form);
		if (address_lines == 4)
			o += (size_t)snprintf(h->address, sizeof(h->address), "Attn: Comptes payables\n");
		if (address_lines >= 3)
			o += (size_t)snprintf(h->address + o, sizeof(h->address) - o, "Unit %u\n",
					      1 + rng_below(&r, 40));
		snprintf(h->address + o, sizeof(h->address) - o, "%u %s\n%s", 1 + rng_below(&r, 4000),
			 PICK(&r, latin_streets), PICK(&r, latin_cities));
	}
	h->points = rng_below(&r, 5) == 0;
	snprintf(h->program, sizeof(h->program), "%s", h->points ? "Points Club" : "Trade Rewards");
	h->has_member_since = 1;
	h->member_since = date_from_ymd(2005 + (int)rng_below(&r, 20), 1 + (int)rng_below(&r, 12),
					1 + (int)rng_below(&r, 28));
	h->expiring_days = 90;
	h->expiry_days = 365;
	h->company_name = "Northshore Trade & Rental Ltd.";
	h->company_address = company_address;
	if (shape == TEN_PAGES) {
		h->from = date_from_ymd(2026, 1, 1);
		h->to = date_from_ymd(2026, 12, 31);
	} else {
		h->from = date_from_ymd(2026, 3, 1);
		h->to = date_from_ymd(2026, 3, 31);
	}
	if (shape == LOTS)
		h->points = 1;
	/* history before the period: the opening balances, and lots of which
	 * some fall due in the 90 days after it */
	g->earn_only = shape == LOTS;
	if (shape == LOTS)
		gen_lines(g, &r, h->from - 120, 110, 40, 160, &docno, 0);
	else
		gen_lines(g, &r, h->from - 200, 190, 3 + rng_below(&r, 6), 270, &docno, 0);
	g->earn_only = 0;
	gen_lines(g, &r, h->from, h->to - h->from + 1,
		  shape == TEN_PAGES ? 559 + rng_below(&r, 30) : 10 + rng_below(&r, 6), 365, &docno,
		  rng_below(&r, 3) == 0);
}

/* The statement of g, worked out (not drawn). */
static int build(struct statement *st, const struct gen *g)
{
	statement_begin(st, &g->h);
	for (size_t k = 0; k < g->n; k++)
		if (statement_add(st, &g->e[k]))
			return -1;
	return statement_finish(st);
}

/* ---- the floor: libharu alone, the same text lines ---- */

struct floor_doc {
	size_t npages;
	size_t *nlines;      /* per page */
	size_t caplines;
	char (*line)[FLOOR_LINE];   /* all lines of all pages, in order */
	size_t nall, capall;
	size_t chars;        /* characters of text, all lines */
};

static void floor_free(struct floor_doc *f)
{
	free(f->nlines);
	free(f->line);
}

static void *grow_array(void *p, size_t *cap, size_t need, size_t size)
{
	size_t c = *cap ? *cap : 64;
	void *q;

	if (need <= *cap)
		return p;
	while (c < need)
		c *= 2;
	if (!(q = realloc(p, c * size))) {
		fprintf(stderr, "bench_statements: out of memory\n");
		exit(1);
	}
	*cap = c;
	return q;
}

/* Add one text line (UTF-8 in, WinAnsi kept) to the current page. */
static void floor_line(struct floor_doc *f, const char *utf8)
{
	char *dst;

	f->line = grow_array(f->line, &f->capall, f->nall + 1, sizeof(*f->line));
	dst = f->line[f->nall];
	if (pdf_winansi(utf8, dst, FLOOR_LINE)) {
		fprintf(stderr, "bench_statements: the floor's text does not fit WinAnsi: %s\n", utf8);
		exit(1);
	}
	f->chars += strlen(dst);
	f->nall++;
	f->nlines[f->npages - 1]++;
}

/* Join words into one line. */
static void joinf(struct sbuf *b, const char *s)
{
	if (!*s)
		return;
	if (b->len)
		sbuf_addc(b, ' ');
	sbuf_adds(b, s);
}

static void floor_period(const struct statement *s, const struct template *t, struct sbuf *b)
{
	char from[TEMPLATE_DATE_SIZE], to[TEMPLATE_DATE_SIZE];
	const struct tpl_var v[] = {
		{"from", template_date(t, s->h.from, from)},
		{"to", template_date(t, s->h.to, to)},
	};

	template_expand(template_text(t, TPL_PERIOD_RANGE), v, 2, b);
}

/* One line of a '\n'-separated text. */

/*
 * The text lines of each page of s, as the statement has them: the head
 * (on the first page: company name and address lines, title, period,
 * customer name and address lines, four details; after it: two lines), the
 * table heading and one line per row, the summary's lines, the footer.
 */
static void floor_of(struct floor_doc *f, const struct statement *s, const struct template *t)
{
	struct sbuf b;
	char buf[STMT_CELL_SIZE], a[TEMPLATE_AMOUNT_SIZE], d[TEMPLATE_DATE_SIZE];
	enum stmt_col cols[STMT_NCOLS];
	int ncols = statement_columns(s, cols);
	struct stmt_head g;

	sbuf_init(&b, 64 * 1024);
	f->npages = f->nall = f->chars = 0;
	statement_head(s, &g);
	for (size_t p = 0; p < s->npages; p++) {
		const struct stmt_page *pg = &s->pages[p];

		f->nlines = grow_array(f->nlines, &f->caplines, p + 1, sizeof(*f->nlines));
		f->nlines[p] = 0;
		f->npages = p + 1;
		if (p == 0) {
			floor_line(f, s->h.company_name);
			for (int i = 0; i < g.company_lines; i++)
				floor_line(f, text_line(s->h.company_address, i, buf, sizeof(buf)));
			floor_line(f, template_text(t, TPL_TITLE));
			sbuf_reset(&b);
			floor_period(s, t, &b);
			floor_line(f, sbuf_str(&b));
			floor_line(f, s->h.name);
			for (int i = 0; i < g.address_lines; i++)
				floor_line(f, text_line(s->h.address, i, buf, sizeof(buf)));
			sbuf_reset(&b);
			joinf(&b, template_text(t, TPL_CUSTOMER_NUMBER));
			joinf(&b, s->h.customer);
			floor_line(f, sbuf_str(&b));
			sbuf_reset(&b);
			joinf(&b, template_text(t, TPL_PROGRAM));
			joinf(&b, s->h.program);
			joinf(&b, template_text(t, s->h.points ? TPL_UNIT_POINTS : TPL_UNIT_DOLLARS));
			floor_line(f, sbuf_str(&b));
			sbuf_reset(&b);
			joinf(&b, template_text(t, TPL_MEMBER_SINCE));
			joinf(&b, template_date(t, s->h.member_since, d));
			floor_line(f, sbuf_str(&b));
			sbuf_reset(&b);
			joinf(&b, template_text(t, TPL_PERIOD));
			floor_period(s, t, &b);
			floor_line(f, sbuf_str(&b));
		} else {
			sbuf_reset(&b);
			joinf(&b, s->h.company_name);
			joinf(&b, template_text(t, TPL_TITLE));
			floor_line(f, sbuf_str(&b));
			sbuf_reset(&b);
			joinf(&b, s->h.customer);
			joinf(&b, s->h.name);
			floor_period(s, t, &b);
			floor_line(f, sbuf_str(&b));
		}
		if (pg->nrows > 0) {
			sbuf_reset(&b);
			for (int i = 0; i < ncols; i++)
				joinf(&b, statement_col_label(s, t, cols[i]));
			floor_line(f, sbuf_str(&b));
		}
		for (size_t r = 0; r < pg->nrows; r++) {
			sbuf_reset(&b);
			for (int i = 0; i < ncols; i++) {
				int bold;

				joinf(&b, statement_cell(s, t, pg->first_row + r, cols[i], buf, &bold));
			}
			floor_line(f, sbuf_str(&b));
		}
		if (pg->summary) {
			int left, right, rows = statement_summary_rows(s, &left, &right);
			size_t shown = statement_expiring_shown(s);

			sbuf_reset(&b);
			joinf(&b, template_text(t, TPL_SUMMARY));
			joinf(&b, template_text(t, TPL_EXPIRING));
			floor_line(f, sbuf_str(&b));
			for (int r = 0; r < rows; r++) {
				static const enum tpl_key labels[4] = {
					TPL_OPENING_BALANCE, TPL_CLOSING_BALANCE, TPL_LTD_EARNED,
					TPL_LTD_USED};
				int li = s->h.points ? r : r - 1;

				sbuf_reset(&b);
				if (li >= 0 && li < 4) {
					joinf(&b, template_text(t, labels[li]));
					joinf(&b, template_amount(t, s->open_usable, a));
				} else if (li < 0) {
					joinf(&b, template_text(t, TPL_PENDING));
					joinf(&b, template_text(t, TPL_USABLE));
				}
				if (r == 0)
					joinf(&b, template_text(t, TPL_EXPIRES));
				else if ((size_t)r <= shown)
					joinf(&b, template_date(t, s->expiring[r - 1].last_day, d));
				if (r > 0 && r < right)
					joinf(&b, template_amount(t, s->expiring_total, a));
				floor_line(f, sbuf_str(&b));
			}
		}
		sbuf_reset(&b);
		joinf(&b, s->h.customer);
		joinf(&b, s->h.name);
		floor_period(s, t, &b);
		joinf(&b, template_text(t, TPL_PAGE));
		floor_line(f, sbuf_str(&b));
	}
	sbuf_free(&b);
}

static void floor_error(HPDF_STATUS error_no, HPDF_STATUS detail_no, void *user)
{
	(void)user;
	fprintf(stderr, "bench_statements: libharu error 0x%04X (detail %u) in the floor\n",
		(unsigned)error_no, (unsigned)detail_no);
	exit(1);
}

/* libharu alone: the pages of f, one TextOut per line; the bytes into out. */
static void floor_render(const struct floor_doc *f, struct sbuf *out)
{
	HPDF_Doc doc = HPDF_New(floor_error, NULL);
	HPDF_Font font;
	HPDF_BYTE chunk[16384];
	size_t k = 0;

	if (!doc)
		floor_error(0, 0, NULL);
	HPDF_SetCompressionMode(doc, BENCH_COMPRESSION);
	font = HPDF_GetFont(doc, "Helvetica", "WinAnsiEncoding");
	for (size_t p = 0; p < f->npages; p++) {
		HPDF_Page page = HPDF_AddPage(doc);
		HPDF_REAL y = (HPDF_REAL)(STMT_PAGE_H - STMT_MARGIN);

		HPDF_Page_SetSize(page, HPDF_PAGE_SIZE_A4, HPDF_PAGE_PORTRAIT);
		HPDF_Page_BeginText(page);
		HPDF_Page_SetFontAndSize(page, font, 7);
		for (size_t i = 0; i < f->nlines[p]; i++, k++) {
			HPDF_Page_TextOut(page, (HPDF_REAL)STMT_MARGIN, y, f->line[k]);
			y -= (HPDF_REAL)STMT_ROW_H;
		}
		HPDF_Page_EndText(page);
	}
	HPDF_SaveToStream(doc);
	HPDF_ResetStream(doc);
	sbuf_reset(out);
	for (;;) {
		HPDF_UINT32 n = sizeof(chunk);
		HPDF_STATUS st = HPDF_ReadFromStream(doc, chunk, &n);

		if (n > 0 && sbuf_add(out, chunk, n))
			floor_error(0, 0, NULL);
		if (st == HPDF_STREAM_EOF)
			break;
		if (st != HPDF_OK)
			floor_error(st, 0, NULL);
	}
	HPDF_Free(doc);
}

/* ---- timing ---- */

static double now(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct run {
	const char *what;
	unsigned n;
	size_t pages;
	size_t bytes;
	size_t text_lines;           /* floor: lines drawn */
	double wall, cpu;            /* seconds, the timed parts only */
	double render;               /* of which pdf_statement */
	double slowest;              /* the slowest round's wall time */
};

/* A round's figures for a shape (its statements r, its floor fl) into
 * best and best_fl: the round whose statements and floor took the least
 * time together is kept, so the two compared always come from one round;
 * the slowest round's times are noted. */
static void keep_best(struct run *best, struct run *best_fl, const struct run *r,
		      const struct run *fl, int first)
{
	double slowest = first || r->wall > best->slowest ? r->wall : best->slowest;
	double slowest_fl = first || fl->wall > best_fl->slowest ? fl->wall : best_fl->slowest;

	if (first || r->wall + fl->wall < best->wall + best_fl->wall) {
		const char *what = best->what, *what_fl = best_fl->what;

		*best = *r;
		*best_fl = *fl;
		best->what = what;
		best_fl->what = what_fl;
	}
	best->slowest = slowest;
	best_fl->slowest = slowest_fl;
}

struct bench {
	struct template_set tpl;
	struct statement st;
	struct gen *g;
	struct sbuf pdf;
	struct floor_doc floor;
	struct err e;
};

static const struct template *tpl(struct bench *b, const char *lang)
{
	const struct template *t = template_set_get(&b->tpl, lang, &b->e);

	if (!t) {
		fprintf(stderr, "bench_statements: %s\n", b->e.msg);
		exit(1);
	}
	return t;
}

/* Worked out and drawn, as jobs/statements does; one timed statement. */
static void make_one(struct bench *b, const struct template *t, struct run *r, size_t want_pages)
{
	double w0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_PROCESS_CPUTIME_ID), w1, w2;

	if (build(&b->st, b->g)) {
		fprintf(stderr, "bench_statements: out of memory\n");
		exit(1);
	}
	w1 = now(CLOCK_MONOTONIC);
	sbuf_reset(&b->pdf);
	if (pdf_statement(&b->st, t, &b->pdf, &b->e)) {
		fprintf(stderr, "bench_statements: %s\n", b->e.msg);
		exit(1);
	}
	w2 = now(CLOCK_MONOTONIC);
	r->cpu += now(CLOCK_PROCESS_CPUTIME_ID) - c0;
	r->wall += w2 - w0;
	r->render += w2 - w1;
	r->pages += b->st.npages;
	r->bytes += b->pdf.len;
	if (want_pages && b->st.npages != want_pages) {
		fprintf(stderr, "bench_statements: %s has %zu pages, expected %zu\n",
			b->st.h.customer, b->st.npages, want_pages);
		exit(1);
	}
}

/*
 * Statements 0 .. r->n - 1 of a shape, each made (timed into r) and then,
 * when fl, its floor drawn (its text lines gathered untimed, libharu timed
 * into fl): one after the other, so that other work on the machine falls
 * on both alike.
 */
static void run_shape(struct bench *b, enum shape shape, size_t want_pages, struct run *r,
		      struct run *fl)
{
	const struct template *en = tpl(b, "en");

	for (unsigned i = 0; i < r->n; i++) {
		double w0, c0;

		gen_statement(b->g, shape, i);
		if (shape != UTF8_ONE_PAGE && !pdf_fits_winansi(b->g->h.name)) {
			fprintf(stderr, "bench_statements: %s is not Latin (WinAnsi)\n", b->g->h.name);
			exit(1);
		}
		make_one(b, tpl(b, b->g->lang), r, want_pages);
		if (!fl)
			continue;
		floor_of(&b->floor, &b->st, en);
		w0 = now(CLOCK_MONOTONIC);
		c0 = now(CLOCK_PROCESS_CPUTIME_ID);
		floor_render(&b->floor, &b->pdf);
		fl->wall += now(CLOCK_MONOTONIC) - w0;
		fl->cpu += now(CLOCK_PROCESS_CPUTIME_ID) - c0;
		fl->n++;
		fl->pages += b->floor.npages;
		fl->bytes += b->pdf.len;
		fl->text_lines += b->floor.nall;
	}
}

/* ---- --out: a few files for a look ---- */

static void write_pdf(const char *dir, const char *name, const struct sbuf *pdf)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (!(f = fopen(path, "wb")) || fwrite(pdf->p, 1, pdf->len, f) != pdf->len || fclose(f)) {
		fprintf(stderr, "bench_statements: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	printf("  wrote %s\n", path);
}

static void write_some(struct bench *b, const char *dir)
{
	static const struct {
		enum shape shape;
		unsigned i;
		const char *lang;   /* NULL: the statement's own */
		const char *name;
	} picks[] = {
		{ONE_PAGE, 0, NULL, "one-page-0-en.pdf"},
		{ONE_PAGE, 1, NULL, "one-page-1-en.pdf"},
		{ONE_PAGE, 2, NULL, "one-page-2-en.pdf"},
		{ONE_PAGE, 0, "fr", "one-page-0-fr.pdf"},
		{ONE_PAGE, 1, "fr", "one-page-1-fr.pdf"},
		{TEN_PAGES, 0, NULL, "ten-pages-0-en.pdf"},
		{TEN_PAGES, 0, "fr", "ten-pages-0-fr.pdf"},
		{UTF8_ONE_PAGE, 0, NULL, "utf8-0-en.pdf"},
		{UTF8_ONE_PAGE, 1, NULL, "utf8-1-fr.pdf"},
		{UTF8_ONE_PAGE, 2, "fr", "utf8-2-fr.pdf"},
		/* the widest table: dollars, a child's lines, French in DejaVu */
		{UTF8_ONE_PAGE, 8, "fr", "utf8-8-fr.pdf"},
		/* the longest type label, "Expiration annulée" */
		{UTF8_ONE_PAGE, 10, "fr", "utf8-10-fr.pdf"},
		{LOTS, 0, NULL, "lots-0-en.pdf"},
		{LOTS, 0, "fr", "lots-0-fr.pdf"},
	};
	struct run scratch = {0};

	if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
		fprintf(stderr, "bench_statements: %s: %s\n", dir, strerror(errno));
		exit(1);
	}
	for (size_t k = 0; k < sizeof(picks) / sizeof(picks[0]); k++) {
		gen_statement(b->g, picks[k].shape, picks[k].i);
		make_one(b, tpl(b, picks[k].lang ? picks[k].lang : b->g->lang), &scratch, 0);
		write_pdf(dir, picks[k].name, &b->pdf);
		if (picks[k].shape == TEN_PAGES && picks[k].lang == NULL) {
			gen_statement(b->g, picks[k].shape, picks[k].i);
			if (build(&b->st, b->g))
				exit(1);
			floor_of(&b->floor, &b->st, tpl(b, "en"));
			floor_render(&b->floor, &b->pdf);
			write_pdf(dir, "floor-ten-pages-0.pdf", &b->pdf);
		}
	}
}

/* ---- the report ---- */

static void cpu_model(char *out, size_t n)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];
	int cores = 0;

	snprintf(out, n, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (!strncmp(line, "processor", 9))
			cores++;
		if (cores == 1 && colon && !strncmp(line, "model name", 10)) {
			colon += 1 + (colon[1] == ' ');
			colon[strcspn(colon, "\n")] = '\0';
			snprintf(out, n, "%s", colon);
		}
	}
	fclose(f);
	snprintf(out + strlen(out), n - strlen(out), ", %d logical CPUs", cores);
}

static void loadavg(char *out, size_t n)
{
	FILE *f = fopen("/proc/loadavg", "r");

	snprintf(out, n, "?");
	if (f) {
		if (fgets(out, (int)n, f))
			out[strcspn(out, "\n")] = '\0';
		fclose(f);
	}
	/* the three averages only */
	for (int sp = 0, i = 0; out[i]; i++)
		if (out[i] == ' ' && ++sp == 3)
			out[i] = '\0';
}

static void row(const struct run *r)
{
	if (!r->n)
		return;
	printf("  %-38s %6u %6zu %7.3f %8.0f (%5.0f) %8.3f %8.0f %8.1f\n", r->what, r->n, r->pages,
	       r->wall, r->n / r->wall, r->n / r->slowest, 1000 * r->wall / r->n,
	       (double)r->pages / r->wall, (double)r->bytes / r->n / 1024);
}

static unsigned count_arg(const char *opt, const char *v)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || *end || *v == '-' || !*v || n > 10000000) {
		fprintf(stderr, "bench_statements: %s: \"%s\" is not a count\n", opt, v);
		exit(2);
	}
	return (unsigned)n;
}

int main(int argc, char **argv)
{
	struct bench b;
	struct run one = {.what = "(a) one-page statements", .n = 10000};
	struct run one_floor = {.what = "    floor: libharu alone, same lines"};
	struct run ten = {.what = "(b) ten-page statements", .n = 1000};
	struct run ten_floor = {.what = "    floor: libharu alone, same lines"};
	struct run utf8 = {.what = "(d) one-page, Greek/Cyrillic (DejaVu)"};
	const char *out = NULL, *dir = NULL;
	char cpu[256], load0[64], load1[64];
	unsigned rounds = 3;
	int floor = 1;

	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(argv[i], "--no-floor")) {
			floor = 0;
			continue;
		}
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: bench_statements [--one N] [--ten N] [--utf8 N] [--rounds N] "
			       "[--out DIR] [--templates DIR] [--no-floor]\n");
			return 0;
		}
		if (!v) {
			fprintf(stderr, "bench_statements: %s: needs a value (--help)\n", argv[i]);
			return 2;
		}
		if (!strcmp(argv[i], "--one"))
			one.n = count_arg(argv[i], v);
		else if (!strcmp(argv[i], "--ten"))
			ten.n = count_arg(argv[i], v);
		else if (!strcmp(argv[i], "--utf8"))
			utf8.n = count_arg(argv[i], v);
		else if (!strcmp(argv[i], "--rounds"))
			rounds = count_arg(argv[i], v);
		else if (!strcmp(argv[i], "--out"))
			out = v;
		else if (!strcmp(argv[i], "--templates"))
			dir = v;
		else {
			fprintf(stderr, "bench_statements: unknown option \"%s\" (--help)\n", argv[i]);
			return 2;
		}
		i++;
	}
	if (rounds == 0)
		rounds = 1;

	memset(&b, 0, sizeof(b));
	if (!(b.g = malloc(sizeof(*b.g)))) {
		fprintf(stderr, "bench_statements: out of memory\n");
		return 1;
	}
	template_set_init(&b.tpl, dir ? dir : template_dir());
	statement_init(&b.st);
	sbuf_init(&b.pdf, BENCH_PDF_MAX);

	/* the same input gives the same bytes */
	{
		struct run scratch = {0};
		struct sbuf first;
		int same;

		sbuf_init(&first, BENCH_PDF_MAX);
		gen_statement(b.g, ONE_PAGE, 0);
		make_one(&b, tpl(&b, "en"), &scratch, 1);
		sbuf_add(&first, b.pdf.p, b.pdf.len);
		gen_statement(b.g, ONE_PAGE, 0);
		make_one(&b, tpl(&b, "en"), &scratch, 1);
		same = first.len == b.pdf.len && !memcmp(first.p, b.pdf.p, first.len);
		sbuf_free(&first);
		if (!same) {
			fprintf(stderr, "bench_statements: the same statement drawn twice differs\n");
			return 1;
		}
	}

	cpu_model(cpu, sizeof(cpu));
	loadavg(load0, sizeof(load0));
	/* each round times every line once, statements then their floor, so
	 * that a burst of other work on the machine hits one round of each */
	for (unsigned k = 0; k < rounds; k++) {
		struct run r[5];

		memset(r, 0, sizeof(r));
		r[0].n = one.n;
		r[2].n = ten.n;
		r[4].n = k == 0 ? utf8.n : 0;   /* slow and not part of the aim: once */
		run_shape(&b, ONE_PAGE, 1, &r[0], floor ? &r[1] : NULL);
		run_shape(&b, TEN_PAGES, 10, &r[2], floor ? &r[3] : NULL);
		run_shape(&b, UTF8_ONE_PAGE, 1, &r[4], NULL);
		keep_best(&one, &one_floor, &r[0], &r[1], k == 0);
		keep_best(&ten, &ten_floor, &r[2], &r[3], k == 0);
		if (k == 0) {
			struct run none = {0}, unused = {0};

			keep_best(&utf8, &unused, &r[4], &none, 1);
		}
	}
	loadavg(load1, sizeof(load1));

	printf("statements bench: one thread, in memory, English template, company header;\n"
	       "  each statement made, then its floor drawn; the best of %u rounds\n"
	       "  (statements and floor of one round; the slowest round's rate in brackets)\n",
	       rounds);
	printf("  cpu: %s\n", cpu);
	printf("  load average: %s at the start, %s at the end\n", load0, load1);
	printf("  libharu %s, PDF streams compressed (deflate); same input, same bytes: yes\n\n",
	       HPDF_VERSION_TEXT);
	printf("  %-38s %6s %6s %7s %8s %7s %8s %8s %8s\n", "", "stmts", "pages", "wall s", "stmts/s",
	       "", "ms/stmt", "pages/s", "KiB/stmt");
	row(&one);
	row(&one_floor);
	row(&ten);
	row(&ten_floor);
	row(&utf8);
	printf("\n");
	if (one.n) {
		printf("  (a) CPU time %.3f s: %.0f statements/s per core; statement_* %.0f%%, "
		       "pdf_statement %.0f%% of the time\n", one.cpu, one.n / one.cpu,
		       100 * (one.wall - one.render) / one.wall, 100 * one.render / one.wall);
		if (one_floor.n)
			printf("  (a) / floor: %.2f   (the floor draws %.1f text lines per statement)\n",
			       one.wall / one_floor.wall, (double)one_floor.text_lines / one_floor.n);
	}
	if (ten.n) {
		printf("  (b) CPU time %.3f s: %.1f statements/s per core; statement_* %.0f%%, "
		       "pdf_statement %.0f%% of the time\n", ten.cpu, ten.n / ten.cpu,
		       100 * (ten.wall - ten.render) / ten.wall, 100 * ten.render / ten.wall);
		if (ten_floor.n)
			printf("  (b) / floor: %.2f   (the floor draws %.1f text lines per statement)\n",
			       ten.wall / ten_floor.wall, (double)ten_floor.text_lines / ten_floor.n);
	}
	if (one.n) {
		printf("  aim: (a) >= 3,000 statements/s on one core: %s (%.0f)",
		       one.n / one.wall >= 3000 ? "met" : "NOT met", one.n / one.wall);
		if (one_floor.n)
			printf("; (a) within 2x of the floor: %s (%.2f)",
			       one.wall <= 2 * one_floor.wall ? "met" : "NOT met",
			       one.wall / one_floor.wall);
		if (ten.n && ten_floor.n)
			printf("; (b) within 2x: %s (%.2f)", ten.wall <= 2 * ten_floor.wall ? "met" : "NOT met",
			       ten.wall / ten_floor.wall);
		printf("\n");
	}
	if (out) {
		printf("\n");
		write_some(&b, out);
	}

	template_set_free(&b.tpl);
	statement_free(&b.st);
	sbuf_free(&b.pdf);
	floor_free(&b.floor);
	free(b.g);
	return 0;
}
