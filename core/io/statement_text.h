/*
 * statement_text: a statement's table (core/rules/statement) in the words
 * and formats of the customer's language (core/io/template).
 */
#ifndef ACCRUE_STATEMENT_TEXT_H
#define ACCRUE_STATEMENT_TEXT_H

#include <stddef.h>

#include "statement.h"
#include "template.h"

/* The heading of a column. */
const char *statement_col_label(const struct statement *s, const struct template *t,
				enum stmt_col c);

/* The text of table row `row` (see struct stmt_page) in column c, into buf;
 * *bold is set for the opening and closing rows. */
const char *statement_cell(const struct statement *s, const struct template *t, size_t row,
			   enum stmt_col c, char buf[STMT_CELL_SIZE], int *bold);

#endif
