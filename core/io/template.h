/*
 * template: the words of a statement and of its email in one language,
 * read from templates/LANG.ini (libinih), and the number and date formats
 * that go with them.
 *
 * English (en.ini) is the base and must hold every key; another language's
 * file overrides what it gives, so a key it leaves out reads in English, and
 * a language with no file at all is English.  Adding a language is adding a
 * file: nothing in C names a language.
 *
 * The directory is the one the caller sets ([statements] templates_dir),
 * else $ACCRUE_TEMPLATES, else the install's share/accrue/templates found
 * from the running binary's folder, else (a binary run from its build
 * folder) the templates/ folder of the source tree it was built from.
 *
 * A template owns its strings (template_free).  A template_set caches one
 * template per language for a run.
 */
#ifndef ACCRUE_TEMPLATE_H
#define ACCRUE_TEMPLATE_H

#include <stddef.h>
#include <stdint.h>

#include "date.h"
#include "err.h"
#include "sbuf.h"

/* Every key, in file order.  The names are those of the file's keys. */
enum tpl_key {
	/* [statement] */
	TPL_TITLE,            /* "Rewards statement" */
	TPL_CUSTOMER,         /* "Customer" (block heading) */
	TPL_CUSTOMER_NUMBER,  /* "Customer no." */
	TPL_PROGRAM,
	TPL_MEMBER_SINCE,
	TPL_PERIOD,
	TPL_PERIOD_RANGE,     /* {from} {to} */
	TPL_UNIT_POINTS,      /* what a points program counts: "points" */
	TPL_UNIT_DOLLARS,     /* ... a dollars program: "reward dollars" */
	TPL_OPENING_BALANCE,
	TPL_CLOSING_BALANCE,
	TPL_PENDING,
	TPL_PENDING_BALANCE,
	TPL_USABLE,
	TPL_USABLE_BALANCE,
	TPL_AMOUNT,           /* points programs: the one amount column */
	TPL_BALANCE,          /* points programs: the one balance column */
	TPL_DATE,
	TPL_TYPE,
	TPL_DOCUMENT,
	TPL_EXPIRES,          /* the column of a lot's last usable day */
	TPL_NOTE,
	TPL_CUSTOMER_COLUMN,  /* the column naming a child's lines */
	TPL_NO_LINES,         /* a period without movements */
	TPL_SUMMARY,
	TPL_LTD_EARNED,
	TPL_LTD_USED,
	TPL_LTD_EXPIRED,
	TPL_CHART,            /* the first page's chart: its title */
	TPL_CHART_EARNED,     /* its legend */
	TPL_CHART_USED,
	TPL_EXPIRING,         /* {date} {days} */
	TPL_EXPIRING_NONE,    /* {date} {days} */
	TPL_EXPIRING_LATER,   /* {count}: the dates beyond those listed */
	TPL_TOTAL,
	TPL_PAGE,             /* {page} {pages} */
	/* [types] */
	TPL_TYPE_EARN,
	TPL_TYPE_VEST,
	TPL_TYPE_EXPIRE,
	TPL_TYPE_ACCRUAL,
	TPL_TYPE_ADJUST,
	TPL_TYPE_REDEEM,
	TPL_TYPE_REVERSE_EXPIRY,
	/* not ledger types: the lines of a reversal (template_type) */
	TPL_TYPE_PAYMENT_REVERSED,
	TPL_TYPE_REDEMPTION_REVERSED,
	/* [format] */
	TPL_THOUSANDS,        /* "," ; "space", "nbsp" and "none" are words */
	TPL_DECIMAL,
	TPL_DATE_FORMAT,      /* YYYY MM DD D MMM, anything else literal */
	TPL_MONTHS,           /* twelve names separated by spaces */
	/* [email] */
	TPL_MAIL_SUBJECT,     /* {customer} {customer_name} {program} {period_from} {period_to} {company} */
	TPL_MAIL_BODY,        /* the same placeholders; several lines */
	TPL_NKEYS
};

#define TEMPLATE_LANG_SIZE 16
#define TEMPLATE_PATH_SIZE 1024

struct template {
	char lang[TEMPLATE_LANG_SIZE];     /* the language asked for */
	char file[TEMPLATE_PATH_SIZE];     /* the file read over English, or "" */
	char *text[TPL_NKEYS];             /* owned, NUL-terminated */
	/* [format], parsed */
	char thousands[8];
	char decimal[8];
	char months[12][32];
};

/* The directory templates are read from: the one set by
 * template_dir_set ([statements] templates_dir), else $ACCRUE_TEMPLATES,
 * else the install prefix's (from the binary's own folder), else the source
 * tree's.  The returned string lives as long as the process. */
const char *template_dir(void);
void template_dir_set(const char *dir);

/* Load `lang` from `dir` over English.  A language with no file reads in
 * English (t->file stays ""); a bad file, or an English file that lacks a
 * key, is an error naming FILE:LINE or the key (exit 1). */
int template_load(struct template *t, const char *dir, const char *lang, struct err *e);
void template_free(struct template *t);

static inline const char *template_text(const struct template *t, enum tpl_key k)
{
	return t->text[k];
}

/* The label of a ledger line of type `kind` (earn, vest ...) with `note`
 * (NULL: none); the type itself if unknown.  The lines a reversal posts
 * (SPEC §4, §6) read as such, by the close's notes: a vest or
 * reverse_expiry noted "payment reversed" is payment_reversed, a redeem
 * noted "redemption reversed" is redemption_reversed. */
const char *template_type(const struct template *t, const char *kind, const char *note);

/* One placeholder's value for template_expand. */
struct tpl_var {
	const char *name;    /* without braces */
	const char *value;
};

/* Append `text` to out with every {name} of vars replaced by its value;
 * other text, unknown names included, is copied as it is.  0, or -1 when out
 * is full. */
int template_expand(const char *text, const struct tpl_var *vars, size_t n,
		    struct sbuf *out);

/* Amounts in hundredths (units or cents) as the language writes them:
 * "-1,234.56", "1 234,56".  Returns buf. */
#define TEMPLATE_AMOUNT_SIZE 96
char *template_amount(const struct template *t, int64_t hundredths,
		      char buf[TEMPLATE_AMOUNT_SIZE]);

/* A date as the language writes it ("31 Mar 2026", "31/03/2026"). */
#define TEMPLATE_DATE_SIZE 96
char *template_date(const struct template *t, date_t d, char buf[TEMPLATE_DATE_SIZE]);

/*
 * The email that carries a statement: the subject (one line) and the text
 * body, the placeholders filled in.  Anything a placeholder brings in is
 * written with CR and LF turned into spaces in the subject.
 */
struct template_mail {
	const char *customer;       /* number */
	const char *customer_name;
	const char *program;        /* the program's name */
	const char *company;        /* [company] name, may be "" */
	date_t from, to;
};
int template_mail(const struct template *t, const struct template_mail *m,
		  struct sbuf *subject, struct sbuf *body);

/* One template per language for a run, loaded on first use; a language
 * without a file is warned about once. */
#define TEMPLATE_SET_MAX 64
struct template_set {
	char dir[TEMPLATE_PATH_SIZE];
	struct template *v[TEMPLATE_SET_MAX];
	size_t n;
};

void template_set_init(struct template_set *s, const char *dir);
/* The template of `lang`; NULL with e filled when a file is bad. */
const struct template *template_set_get(struct template_set *s, const char *lang,
					struct err *e);
void template_set_free(struct template_set *s);

#endif
