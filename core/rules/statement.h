/*
 * statement: what one statement shows (SPEC §9), as pure rules.
 *
 * The ledger lines of one parent account and program, every one up to the
 * statement's last day in date order, go in through statement_add; out come
 * the opening balances (before the first day), the lines of the period with
 * the pending and usable balances after each, the closing balances, the
 * life-to-date figures of the README (ltd_expired = expiries − reversed
 * expiries; ltd_used = redemptions; ltd_earned = earnings + accruals +
 * adjustments − ltd_expired) and the units due to expire.
 *
 * Units due to expire: the account's usable movements replayed through
 * core/lots exactly as the close does (every positive usable line opens a lot
 * with its own last usable day; every negative one consumes lots
 * first-expiring-first), and the lots left at the period's end whose last
 * usable day is before end + expiring_days — so whose remainder expires
 * within expiring_days days after the period — summed per last usable day.
 *
 * Then the layout: which columns (a points program has one amount and one
 * balance column, usable only; the account column only when a child's line
 * is in the period), the text of every cell in the customer's language
 * (core/template), and the pages: which table rows each page holds, with
 * the summary and the expiry list after the last row, on a page of their own
 * when they do not fit.  Geometry is in whole PDF points (1/72 inch) on A4
 * portrait; core/pdf draws with the same numbers.
 *
 * A statement owns its arrays: statement_begin keeps the memory for the next
 * account, statement_free releases it.
 */
#ifndef ACCRUE_STATEMENT_H
#define ACCRUE_STATEMENT_H

#include <stddef.h>
#include <stdint.h>

#include "date.h"
#include "lots.h"

#define STMT_KEY 72        /* customer numbers, documents (import caps: 64) */
#define STMT_NAME 256      /* names (import caps: 200) */
#define STMT_TEXT 1024     /* addresses, notes */
#define STMT_KIND 16

/* The page, in points. */
#define STMT_PAGE_W 595
#define STMT_PAGE_H 842
#define STMT_MARGIN 40           /* left, right and top */
#define STMT_BOTTOM 52           /* nothing but the footer below this */
#define STMT_FOOTER_Y 28         /* the footer's baseline */
#define STMT_ROW_H 11            /* a table row */
#define STMT_TABLE_HEAD_H 22     /* the table's heading row (two lines) */
#define STMT_LINE_H 11           /* a line of the header blocks */
#define STMT_GAP 14
#define STMT_ADDRESS_LINES 8     /* address lines shown; more are left out */
#define STMT_EXPIRING_ROWS 12    /* expiry dates listed; later ones summed */
#define STMT_NEXT_HEAD_H 44      /* the header of the pages after the first */

/* The account: what the header shows. */
struct stmt_header {
	char customer[STMT_KEY];
	char name[STMT_NAME];
	char address[STMT_TEXT];      /* lines separated by '\n' */
	char program[STMT_NAME];      /* the program's name */
	int points;                   /* unit points: usable only */
	int has_member_since;
	date_t member_since;
	date_t from, to;
	int expiring_days;
	/* how the close dates a lot whose line carries no last usable day */
	int expiry_days, expiry_months;
	int has_points_expiry;
	date_t points_expiry;
	/* the company block: NULL or "" name leaves it out */
	const char *company_name;
	const char *company_address;  /* lines separated by '\n' */
};

/* The life-to-date figure a line counts in: SQL's ledger_ltd(kind)
 * (sql/005_rules.sql) decides, and the statement's query reads it with the
 * line, so that the reports and the statements share one rule. */
enum stmt_ltd { STMT_LTD_NONE, STMT_LTD_EARNED, STMT_LTD_EXPIRED, STMT_LTD_USED };

/* "earned", "expired", "used"; anything else (NULL, "") is none. */
enum stmt_ltd statement_ltd_parse(const char *s);

/* One ledger line as read. */
struct stmt_entry {
	date_t date;
	char kind[STMT_KIND];
	enum stmt_ltd ltd;
	char document[STMT_KEY];
	int64_t pending, usable;      /* hundredths */
	int has_expires;
	date_t expires;
	char note[STMT_TEXT];
	char customer[STMT_KEY];      /* whose document: "" for the account itself */
};

struct stmt_line {
	struct stmt_entry e;
	int64_t pending_balance, usable_balance;
};

struct stmt_expiring {
	date_t last_day;              /* last usable day */
	int64_t units;
};

/* What the pages hold.  Table rows are numbered: 0 the opening balance,
 * 1 .. nlines the lines (or 1 the "no movements" row), then the closing
 * balance. */
struct stmt_page {
	size_t first_row, nrows;
	int table_y;                  /* the table's top, from the page's top */
	int summary;                  /* the summary, the expiry list and the chart
				       * go here: the first page, above the table */
	int summary_y;                /* their top, from the page's top */
	int chart_y;                  /* the chart's top */
};

/* The first page's chart: the units earned and used in each of the twelve
 * months up to the period's last, bars STMT_CHART_H points tall at most. */
#define STMT_CHART_MONTHS 12
#define STMT_CHART_H 92

enum stmt_col {
	STMT_COL_DATE,
	STMT_COL_TYPE,
	STMT_COL_DOCUMENT,
	STMT_COL_PENDING,
	STMT_COL_PENDING_BALANCE,
	STMT_COL_USABLE,              /* points programs: the amount */
	STMT_COL_USABLE_BALANCE,      /* points programs: the balance */
	STMT_COL_EXPIRES,
	STMT_COL_NOTE,
	STMT_COL_CUSTOMER,
	STMT_NCOLS
};

struct statement {
	struct stmt_header h;
	int64_t pending, usable;             /* running, then closing */
	int64_t open_pending, open_usable;
	int opened;                          /* opening balances taken */
	int64_t ltd_earnings, ltd_expired, ltd_used;  /* ltd_earnings before expiries */
	/* the chart: earned and used per month, [11] the period's last month */
	int64_t chart_earned[STMT_CHART_MONTHS], chart_used[STMT_CHART_MONTHS];
	struct stmt_line *lines;
	size_t nlines, caplines;
	int child_lines;                     /* a line of the period is a child's */
	struct lot_book lots;
	struct stmt_expiring *expiring;
	size_t nexpiring, capexpiring;
	int64_t expiring_total;
	date_t expiring_by;                  /* the window's last day */
	struct stmt_page *pages;
	size_t npages, cappages;
	int failed;                          /* out of memory */
};

void statement_init(struct statement *s);
void statement_free(struct statement *s);

/* Start an account: everything of the previous one is forgotten. */
void statement_begin(struct statement *s, const struct stmt_header *h);

/* The account's next ledger line (date order, entry order within a date,
 * none after h.to).  0, or -1 out of memory. */
int statement_add(struct statement *s, const struct stmt_entry *e);

/* After the last line: closing balances, the units due to expire and the
 * pages.  0, or -1 out of memory. */
int statement_finish(struct statement *s);

/* The closing figures. */
static inline int64_t statement_ltd_earned(const struct statement *s)
{
	return s->ltd_earnings - s->ltd_expired;
}

/* The columns shown, in order; returns how many. */
int statement_columns(const struct statement *s, enum stmt_col cols[STMT_NCOLS]);

/* 1 for the columns of amounts (right-aligned). */
int statement_col_amount(enum stmt_col c);

/* Bytes of one table cell as core/io/statement_text writes it. */
#define STMT_CELL_SIZE (STMT_TEXT + 8)
size_t statement_rows(const struct statement *s);

/* The blocks of the first page's head, heights in points from its top. */
struct stmt_head {
	int company_lines;     /* address lines of the company block */
	int address_lines;     /* of the customer's postal address */
	int band_h;            /* company block and title, down to the rule */
	int block_h;           /* customer block, down to the table */
	int total_h;           /* band_h + block_h */
};
void statement_head(const struct statement *s, struct stmt_head *g);

/* The summary and expiry list: rows on each side, and height. */
int statement_summary_rows(const struct statement *s, int *left, int *right);
int statement_summary_h(const struct statement *s);
/* Expiry rows listed (the rest summed in one more row). */
size_t statement_expiring_shown(const struct statement *s);

/* Count the lines of a '\n'-separated text (0 for ""). */
int statement_text_lines(const char *text);

#endif
