/*
 * statement_text: a statement's table in the customer's words (see
 * statement_text.h).
 */
#include "statement_text.h"

const char *statement_col_label(const struct statement *s, const struct template *t,
				enum stmt_col c)
{
	static const enum tpl_key keys[STMT_NCOLS] = {
		[STMT_COL_DATE] = TPL_DATE,
		[STMT_COL_TYPE] = TPL_TYPE,
		[STMT_COL_DOCUMENT] = TPL_DOCUMENT,
		[STMT_COL_PENDING] = TPL_PENDING,
		[STMT_COL_PENDING_BALANCE] = TPL_PENDING_BALANCE,
		[STMT_COL_USABLE] = TPL_USABLE,
		[STMT_COL_USABLE_BALANCE] = TPL_USABLE_BALANCE,
		[STMT_COL_EXPIRES] = TPL_EXPIRES,
		[STMT_COL_NOTE] = TPL_NOTE,
		[STMT_COL_CUSTOMER] = TPL_CUSTOMER_COLUMN,
	};

	if (s->h.points && c == STMT_COL_USABLE)
		return template_text(t, TPL_AMOUNT);
	if (s->h.points && c == STMT_COL_USABLE_BALANCE)
		return template_text(t, TPL_BALANCE);
	return template_text(t, keys[c]);
}

/* A movement: blank when it moved nothing. */
static const char *movement(const struct template *t, int64_t v, char buf[STMT_CELL_SIZE])
{
	if (v == 0)
		return "";
	return template_amount(t, v, buf);
}

const char *statement_cell(const struct statement *s, const struct template *t, size_t row,
			   enum stmt_col c, char buf[STMT_CELL_SIZE], int *bold)
{
	size_t last = statement_rows(s) - 1;
	const struct stmt_line *ln;

	*bold = row == 0 || row == last;
	if (row == 0 || row == last) {
		int64_t p = row == 0 ? s->open_pending : s->pending;
		int64_t u = row == 0 ? s->open_usable : s->usable;

		switch (c) {
		case STMT_COL_DATE:
			return template_date(t, row == 0 ? s->h.from : s->h.to, buf);
		case STMT_COL_TYPE:
			return template_text(t, row == 0 ? TPL_OPENING_BALANCE : TPL_CLOSING_BALANCE);
		case STMT_COL_PENDING_BALANCE:
			return template_amount(t, p, buf);
		case STMT_COL_USABLE_BALANCE:
			return template_amount(t, u, buf);
		default:
			return "";
		}
	}
	if (s->nlines == 0)
		return c == STMT_COL_TYPE ? template_text(t, TPL_NO_LINES) : "";
	ln = &s->lines[row - 1];
	switch (c) {
	case STMT_COL_DATE:
		return template_date(t, ln->e.date, buf);
	case STMT_COL_TYPE:
		return template_type(t, ln->e.kind, ln->e.note);
	case STMT_COL_DOCUMENT:
		return ln->e.document;
	case STMT_COL_PENDING:
		return movement(t, ln->e.pending, buf);
	case STMT_COL_PENDING_BALANCE:
		return template_amount(t, ln->pending_balance, buf);
	case STMT_COL_USABLE:
		return movement(t, ln->e.usable, buf);
	case STMT_COL_USABLE_BALANCE:
		return template_amount(t, ln->usable_balance, buf);
	case STMT_COL_EXPIRES:
		return ln->e.has_expires ? template_date(t, ln->e.expires, buf) : "";
	case STMT_COL_NOTE:
		return ln->e.note;
	case STMT_COL_CUSTOMER:
		return ln->e.customer;
	default:
		return "";
	}
}
