#include "statement.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

void statement_init(struct statement *s)
{
	memset(s, 0, sizeof(*s));
}

void statement_free(struct statement *s)
{
	free(s->lines);
	free(s->expiring);
	free(s->pages);
	lots_free(&s->lots);
	memset(s, 0, sizeof(*s));
}

void statement_begin(struct statement *s, const struct stmt_header *h)
{
	s->h = *h;
	s->pending = s->usable = 0;
	s->open_pending = s->open_usable = 0;
	s->opened = 0;
	s->ltd_earnings = s->ltd_expired = s->ltd_used = 0;
	memset(s->chart_earned, 0, sizeof(s->chart_earned));
	memset(s->chart_used, 0, sizeof(s->chart_used));
	s->nlines = 0;
	s->child_lines = 0;
	lots_reset(&s->lots);
	s->nexpiring = 0;
	s->expiring_total = 0;
	s->expiring_by = 0;
	s->npages = 0;
	s->failed = 0;
}

static void statement_open(struct statement *s)
{
	if (!s->opened) {
		s->open_pending = s->pending;
		s->open_usable = s->usable;
		s->opened = 1;
	}
}

enum stmt_ltd statement_ltd_parse(const char *s)
{
	if (!s)
		return STMT_LTD_NONE;
	if (!strcmp(s, "earned"))
		return STMT_LTD_EARNED;
	if (!strcmp(s, "expired"))
		return STMT_LTD_EXPIRED;
	if (!strcmp(s, "used"))
		return STMT_LTD_USED;
	return STMT_LTD_NONE;
}

int statement_add(struct statement *s, const struct stmt_entry *e)
{
	if (e->date >= s->h.from)
		statement_open(s);
	s->pending += e->pending;
	s->usable += e->usable;

	/* the chart's month: the period's last is [11] */
	{
		int ey, em, ed, ty, tm, td, k;

		date_to_ymd(e->date, &ey, &em, &ed);
		date_to_ymd(s->h.to, &ty, &tm, &td);
		k = (ey * 12 + em) - (ty * 12 + tm) + STMT_CHART_MONTHS - 1;
		if (k >= 0 && k < STMT_CHART_MONTHS) {
			if (e->ltd == STMT_LTD_EARNED)
				s->chart_earned[k] += e->pending + e->usable;
			else if (e->ltd == STMT_LTD_USED)
				s->chart_used[k] -= e->usable;
		}
	}
	/* life to date (README, Reports), by the line's figure */
	switch (e->ltd) {
	case STMT_LTD_EARNED:
		s->ltd_earnings += e->pending + e->usable;
		break;
	case STMT_LTD_EXPIRED:
		s->ltd_expired -= e->pending + e->usable;
		break;
	case STMT_LTD_USED:
		s->ltd_used -= e->usable;
		break;
	case STMT_LTD_NONE:
		break;
	}

	/* lots, as the close keeps them (README, Lots, expiry and inactivity) */
	if (e->usable > 0) {
		struct lot l;

		memset(&l, 0, sizeof(l));
		l.opened = e->date;
		if (e->has_expires) {
			l.last_day = e->expires;
			l.has_last = 1;
		} else {
			l.last_day = lots_last_day(e->date, s->h.expiry_days, s->h.expiry_months,
						   s->h.has_points_expiry, s->h.points_expiry,
						   &l.has_last);
		}
		l.units = e->usable;
		snprintf(l.document, sizeof(l.document), "%s", e->document);
		if (lots_add(&s->lots, &l))
			return s->failed = -1;
	} else if (e->usable < 0) {
		lots_consume(&s->lots, -e->usable, NULL, NULL);
	}

	if (e->date >= s->h.from) {
		struct stmt_line *ln;

		if (mem_grow((void **)&s->lines, &s->caplines, s->nlines + 1, sizeof(*s->lines)))
			return s->failed = -1;
		ln = &s->lines[s->nlines++];
		ln->e = *e;
		ln->pending_balance = s->pending;
		ln->usable_balance = s->usable;
		if (e->customer[0])
			s->child_lines = 1;
	}
	return 0;
}

static int expiring_cmp(const void *a, const void *b)
{
	const struct stmt_expiring *x = a, *y = b;

	return (x->last_day > y->last_day) - (x->last_day < y->last_day);
}

/* The lots left at the period's end that expire within expiring_days days
 * after it, summed per last usable day. */
static int statement_expiring(struct statement *s)
{
	size_t o = 0;

	s->expiring_by = s->h.to + s->h.expiring_days;
	for (size_t i = 0; i < s->lots.n; i++) {
		const struct lot *l = &s->lots.v[i];

		if (l->units <= 0 || !l->has_last || l->last_day >= s->expiring_by)
			continue;
		if (mem_grow((void **)&s->expiring, &s->capexpiring, s->nexpiring + 1,
			 sizeof(*s->expiring)))
			return -1;
		s->expiring[s->nexpiring].last_day = l->last_day;
		s->expiring[s->nexpiring].units = l->units;
		s->nexpiring++;
	}
	if (s->nexpiring > 1)
		qsort(s->expiring, s->nexpiring, sizeof(*s->expiring), expiring_cmp);
	for (size_t i = 0; i < s->nexpiring; i++) {
		s->expiring_total += s->expiring[i].units;
		if (o > 0 && s->expiring[o - 1].last_day == s->expiring[i].last_day)
			s->expiring[o - 1].units += s->expiring[i].units;
		else
			s->expiring[o++] = s->expiring[i];
	}
	s->nexpiring = o;
	return 0;
}

int statement_text_lines(const char *text)
{
	int n = 0;
	const char *p = text;

	if (!text || !*text)
		return 0;
	for (;;) {
		const char *nl = strchr(p, '\n');

		n++;
		if (!nl || !nl[1])
			break;
		p = nl + 1;
	}
	return n;
}

static int imax(int a, int b)
{
	return a > b ? a : b;
}

void statement_head(const struct statement *s, struct stmt_head *g)
{
	int company = s->h.company_name && *s->h.company_name;
	int company_h, title_h = 34;

	g->company_lines = company ? statement_text_lines(s->h.company_address) : 0;
	if (g->company_lines > STMT_ADDRESS_LINES)
		g->company_lines = STMT_ADDRESS_LINES;
	g->address_lines = statement_text_lines(s->h.address);
	if (g->address_lines > STMT_ADDRESS_LINES)
		g->address_lines = STMT_ADDRESS_LINES;
	/* company name 13 pt then address lines of 10; title 16 pt and period */
	company_h = company ? 16 + g->company_lines * 10 : 0;
	g->band_h = imax(company_h, title_h) + 12;
	/* customer name then address lines; four details on the right */
	g->block_h = imax(16 + g->address_lines * STMT_LINE_H, 4 * 13) + STMT_GAP;
	g->total_h = g->band_h + g->block_h;
}

size_t statement_expiring_shown(const struct statement *s)
{
	return s->nexpiring > STMT_EXPIRING_ROWS ? STMT_EXPIRING_ROWS - 1 : s->nexpiring;
}

int statement_summary_rows(const struct statement *s, int *left, int *right)
{
	/* points: opening, closing, earned, used, expired; dollars: a heading
	 * row too */
	*left = s->h.points ? 5 : 6;
	if (s->nexpiring == 0)
		*right = 1;
	else   /* heading, dates (the later ones on one row), total */
		*right = 1 + (int)statement_expiring_shown(s) +
			 (s->nexpiring > statement_expiring_shown(s)) + 1;
	return imax(*left, *right);
}

int statement_summary_h(const struct statement *s)
{
	int l, r;

	/* titles, rows of 12 */
	return 18 + statement_summary_rows(s, &l, &r) * 12 + 4;
}

size_t statement_rows(const struct statement *s)
{
	return 2 + (s->nlines ? s->nlines : 1);
}

static struct stmt_page *page_new(struct statement *s)
{
	struct stmt_page *p;

	if (mem_grow((void **)&s->pages, &s->cappages, s->npages + 1, sizeof(*s->pages)))
		return NULL;
	p = &s->pages[s->npages++];
	memset(p, 0, sizeof(*p));
	return p;
}

/* Cut the table rows into pages.  The first page holds, below its head,
 * the summary and the expiry list, then the chart, then the table: where a
 * customer looks first. */
static int statement_paginate(struct statement *s)
{
	struct stmt_head g;
	size_t rows = statement_rows(s), row = 0;
	int limit = STMT_PAGE_H - STMT_BOTTOM, top, cap;
	struct stmt_page *p = NULL;

	statement_head(s, &g);
	while (row < rows) {
		int first = s->npages == 0;

		if (!(p = page_new(s)))
			return -1;
		top = STMT_MARGIN + (first ? g.total_h : STMT_NEXT_HEAD_H);
		if (first) {
			p->summary = 1;
			p->summary_y = top;
			p->chart_y = top + statement_summary_h(s) + 4;
			top = p->chart_y + STMT_CHART_H + STMT_GAP;
		}
		cap = (limit - top - STMT_TABLE_HEAD_H) / STMT_ROW_H;
		if (cap < 1)
			cap = 1;
		p->table_y = top;
		p->first_row = row;
		p->nrows = rows - row < (size_t)cap ? rows - row : (size_t)cap;
		row += p->nrows;
	}
	return 0;
}

int statement_finish(struct statement *s)
{
	if (s->failed)
		return -1;
	statement_open(s);   /* no line in the period: opening = closing */
	if (statement_expiring(s) || statement_paginate(s))
		return s->failed = -1;
	return 0;
}

int statement_columns(const struct statement *s, enum stmt_col cols[STMT_NCOLS])
{
	int n = 0;

	cols[n++] = STMT_COL_DATE;
	cols[n++] = STMT_COL_TYPE;
	cols[n++] = STMT_COL_DOCUMENT;
	if (!s->h.points) {
		cols[n++] = STMT_COL_PENDING;
		cols[n++] = STMT_COL_PENDING_BALANCE;
	}
	cols[n++] = STMT_COL_USABLE;
	cols[n++] = STMT_COL_USABLE_BALANCE;
	cols[n++] = STMT_COL_EXPIRES;
	cols[n++] = STMT_COL_NOTE;
	if (s->child_lines)
		cols[n++] = STMT_COL_CUSTOMER;
	return n;
}

int statement_col_amount(enum stmt_col c)
{
	return c == STMT_COL_PENDING || c == STMT_COL_PENDING_BALANCE ||
	       c == STMT_COL_USABLE || c == STMT_COL_USABLE_BALANCE;
}

