#include "template.h"

#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "account.h"
#include "log.h"

/* The source tree's templates/ ("" for none) and the install's templates
 * relative to the installed binary's folder (CMakeLists.txt). */
#ifndef ACCRUE_TEMPLATES_DIR
#define ACCRUE_TEMPLATES_DIR "templates"
#endif
#ifndef ACCRUE_TEMPLATES_FROM_BIN
#define ACCRUE_TEMPLATES_FROM_BIN "../share/accrue/templates"
#endif

#define TEMPLATE_VALUE_MAX (16 * 1024)   /* one value, several lines joined */

struct tpl_def {
	const char *section;
	const char *name;
	const char *vars;       /* placeholders allowed, space separated */
	int multiline;
};

static const struct tpl_def defs[TPL_NKEYS] = {
	[TPL_TITLE] = {"statement", "title", "", 0},
	[TPL_CUSTOMER] = {"statement", "customer", "", 0},
	[TPL_CUSTOMER_NUMBER] = {"statement", "customer_number", "", 0},
	[TPL_PROGRAM] = {"statement", "program", "", 0},
	[TPL_MEMBER_SINCE] = {"statement", "member_since", "", 0},
	[TPL_PERIOD] = {"statement", "period", "", 0},
	[TPL_PERIOD_RANGE] = {"statement", "period_range", "from to", 0},
	[TPL_UNIT_POINTS] = {"statement", "unit_points", "", 0},
	[TPL_UNIT_DOLLARS] = {"statement", "unit_dollars", "", 0},
	[TPL_OPENING_BALANCE] = {"statement", "opening_balance", "", 0},
	[TPL_CLOSING_BALANCE] = {"statement", "closing_balance", "", 0},
	[TPL_PENDING] = {"statement", "pending", "", 0},
	[TPL_PENDING_BALANCE] = {"statement", "pending_balance", "", 0},
	[TPL_USABLE] = {"statement", "usable", "", 0},
	[TPL_USABLE_BALANCE] = {"statement", "usable_balance", "", 0},
	[TPL_AMOUNT] = {"statement", "amount", "", 0},
	[TPL_BALANCE] = {"statement", "balance", "", 0},
	[TPL_DATE] = {"statement", "date", "", 0},
	[TPL_TYPE] = {"statement", "type", "", 0},
	[TPL_DOCUMENT] = {"statement", "document", "", 0},
	[TPL_EXPIRES] = {"statement", "expires", "", 0},
	[TPL_NOTE] = {"statement", "note", "", 0},
	[TPL_CUSTOMER_COLUMN] = {"statement", "customer_column", "", 0},
	[TPL_NO_LINES] = {"statement", "no_lines", "", 0},
	[TPL_SUMMARY] = {"statement", "summary", "", 0},
	[TPL_LTD_EARNED] = {"statement", "ltd_earned", "", 0},
	[TPL_LTD_USED] = {"statement", "ltd_used", "", 0},
	[TPL_LTD_EXPIRED] = {"statement", "ltd_expired", "", 0},
	[TPL_CHART] = {"statement", "chart", "", 0},
	[TPL_CHART_EARNED] = {"statement", "chart_earned", "", 0},
	[TPL_CHART_USED] = {"statement", "chart_used", "", 0},
	[TPL_EXPIRING] = {"statement", "expiring", "date days", 0},
	[TPL_EXPIRING_NONE] = {"statement", "expiring_none", "date days", 0},
	[TPL_EXPIRING_LATER] = {"statement", "expiring_later", "count", 0},
	[TPL_TOTAL] = {"statement", "total", "", 0},
	[TPL_PAGE] = {"statement", "page", "page pages", 0},
	[TPL_TYPE_EARN] = {"types", "earn", "", 0},
	[TPL_TYPE_VEST] = {"types", "vest", "", 0},
	[TPL_TYPE_EXPIRE] = {"types", "expire", "", 0},
	[TPL_TYPE_ACCRUAL] = {"types", "accrual", "", 0},
	[TPL_TYPE_ADJUST] = {"types", "adjust", "", 0},
	[TPL_TYPE_REDEEM] = {"types", "redeem", "", 0},
	[TPL_TYPE_REVERSE_EXPIRY] = {"types", "reverse_expiry", "", 0},
	[TPL_TYPE_PAYMENT_REVERSED] = {"types", "payment_reversed", "", 0},
	[TPL_TYPE_REDEMPTION_REVERSED] = {"types", "redemption_reversed", "", 0},
	[TPL_THOUSANDS] = {"format", "thousands_separator", "", 0},
	[TPL_DECIMAL] = {"format", "decimal_separator", "", 0},
	[TPL_DATE_FORMAT] = {"format", "date", "", 0},
	[TPL_MONTHS] = {"format", "months", "", 0},
	[TPL_MAIL_SUBJECT] = {"email", "subject",
			      "customer customer_name program period_from period_to company", 0},
	[TPL_MAIL_BODY] = {"email", "body",
			   "customer customer_name program period_from period_to company", 1},
};

static const char *const types[] = {
	[TPL_TYPE_EARN - TPL_TYPE_EARN] = "earn",
	[TPL_TYPE_VEST - TPL_TYPE_EARN] = "vest",
	[TPL_TYPE_EXPIRE - TPL_TYPE_EARN] = "expire",
	[TPL_TYPE_ACCRUAL - TPL_TYPE_EARN] = "accrual",
	[TPL_TYPE_ADJUST - TPL_TYPE_EARN] = "adjust",
	[TPL_TYPE_REDEEM - TPL_TYPE_EARN] = "redeem",
	[TPL_TYPE_REVERSE_EXPIRY - TPL_TYPE_EARN] = "reverse_expiry",
};

static const char *templates_override;

void template_dir_set(const char *dir)
{
	templates_override = dir && *dir ? dir : NULL;
}

/* The installed templates: ACCRUE_TEMPLATES_FROM_BIN from the folder of
 * the running binary (/proc/self/exe, so an installed tree may be moved),
 * when that folder exists; else the source tree's, when the build named
 * one; else the installed path all the same, for the message that says it
 * is missing.  Worked out once. */
static const char *template_default_dir(void)
{
	static char dir[TEMPLATE_PATH_SIZE];
	static int done;
	char exe[TEMPLATE_PATH_SIZE];
	const char *source = ACCRUE_TEMPLATES_DIR;
	struct stat st;
	char *slash;
	ssize_t n;

	if (done)
		return dir;
	done = 1;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0';
		if (slash && (size_t)snprintf(dir, sizeof(dir), "%s/%s", exe,
					      ACCRUE_TEMPLATES_FROM_BIN) < sizeof(dir)) {
			int installed = stat(dir, &st) == 0 && S_ISDIR(st.st_mode);

			if (installed || !*source)
				return dir;
		}
	}
	snprintf(dir, sizeof(dir), "%s", *source ? source : ACCRUE_TEMPLATES_FROM_BIN);
	return dir;
}

const char *template_dir(void)
{
	const char *env = getenv("ACCRUE_TEMPLATES");

	if (templates_override)
		return templates_override;
	return env && *env ? env : template_default_dir();
}

/* ---- reading one file ---- */

struct tpl_read {
	FILE *f;
	const char *path;
	struct template *t;
	struct err *e;
	int line;
	int continuation;        /* the current line starts with a blank */
	int seen[TPL_NKEYS];     /* line a key was set on in this file */
	int last;                /* key of the previous key line, -1 none */
	int failed;
	int fail_line;
};

static int tpl_fail(struct tpl_read *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int tpl_fail(struct tpl_read *r, const char *fmt, ...)
{
	va_list ap;

	if (r->failed)
		return 0;
	va_start(ap, fmt);
	err_vset_at(r->e, EXIT_FAIL, r->path, r->line, fmt, ap);
	va_end(ap);
	r->failed = 1;
	r->fail_line = r->line;
	return 0;
}

/* Hands inih one line at a time, counting lines, noting continuation lines
 * (inih's multi-line values) and refusing lines longer than inih's buffer,
 * which inih would cut into pieces read as separate lines. */
static char *tpl_reader(char *str, int num, void *stream)
{
	struct tpl_read *r = stream;
	char *s = fgets(str, num, r->f);
	size_t n;

	if (!s)
		return NULL;
	r->line++;
	n = strlen(s);
	if (n > 0 && s[n - 1] != '\n') {
		int next = getc(r->f);

		if (next != EOF && next != '\n') {
			tpl_fail(r, "line is too long (at most %d characters)", num - 1);
			return NULL;
		}
	}
	r->continuation = s[0] == ' ' || s[0] == '\t';
	return s;
}

/* Every {name} in v is one of the key's placeholders. */
static int tpl_check_vars(struct tpl_read *r, const struct tpl_def *d, const char *v)
{
	for (const char *p = strchr(v, '{'); p; p = strchr(p + 1, '{')) {
		const char *end = strchr(p, '}');
		size_t n;
		const char *w;
		int ok = 0;

		if (!end)
			break;
		n = (size_t)(end - p - 1);
		for (w = d->vars; *w && !ok;) {
			size_t len = strcspn(w, " ");
			ok = len == n && strncmp(w, p + 1, n) == 0;
			w += len;
			w += strspn(w, " ");
		}
		if (!ok)
			return tpl_fail(r, "%s: unknown placeholder {%.*s}%s%s", d->name, (int)n, p + 1,
					*d->vars ? " (known: " : "", *d->vars ? d->vars : "");
	}
	return 1;
}

static int tpl_set(struct tpl_read *r, int k, const char *v, int append)
{
	size_t old = append && r->t->text[k] ? strlen(r->t->text[k]) : 0;
	size_t n = strlen(v);
	char *s;

	/* A continuation line holding only "." is an empty line. */
	if (append && strcmp(v, ".") == 0)
		n = 0;
	if (old + 1 + n > TEMPLATE_VALUE_MAX)
		return tpl_fail(r, "%s: value is too long (at most %d bytes)", defs[k].name,
				TEMPLATE_VALUE_MAX);
	if (!append) {
		s = malloc(n + 1);
		if (!s)
			return tpl_fail(r, "out of memory");
		memcpy(s, v, n);
		s[n] = '\0';
		free(r->t->text[k]);
	} else {
		s = realloc(r->t->text[k], old + 1 + n + 1);
		if (!s)
			return tpl_fail(r, "out of memory");
		s[old] = '\n';
		memcpy(s + old + 1, v, n);
		s[old + 1 + n] = '\0';
	}
	r->t->text[k] = s;
	return 1;
}

static int tpl_handler(void *user, const char *section, const char *name, const char *value)
{
	struct tpl_read *r = user;
	int k;

	if (r->failed)
		return 0;
	for (k = 0; k < TPL_NKEYS; k++)
		if (strcmp(defs[k].section, section) == 0 && strcmp(defs[k].name, name) == 0)
			break;
	if (k == TPL_NKEYS) {
		if (strcmp(section, "statement") && strcmp(section, "types") &&
		    strcmp(section, "format") && strcmp(section, "email"))
			return tpl_fail(r, "unknown section [%s] (expected [statement], [types], "
					"[format] or [email])", section);
		return tpl_fail(r, "unknown key \"%s\" in [%s]", name, section);
	}
	if (r->continuation && r->last == k) {
		if (!defs[k].multiline)
			return tpl_fail(r, "%s: a value of one line only (an indented line "
					"continues the value above it)", name);
		return tpl_check_vars(r, &defs[k], value) && tpl_set(r, k, value, 1);
	}
	if (r->seen[k])
		return tpl_fail(r, "%s: given twice (first on line %d)", name, r->seen[k]);
	r->seen[k] = r->line;
	r->last = k;
	return tpl_check_vars(r, &defs[k], value) && tpl_set(r, k, value, 0);
}

/* tpl_read_file's answer for a file that is not there (every exit status
 * is positive). */
#define TPL_NO_FILE (-1)

/* Read `path` over t.  TPL_NO_FILE when there is no such file, 0 read, else
 * the exit status (e filled). */
static int tpl_read_file(struct template *t, const char *path, struct err *e)
{
	struct tpl_read r;
	int rc;

	memset(&r, 0, sizeof(r));
	r.path = path;
	r.t = t;
	r.e = e;
	r.last = -1;
	if (!(r.f = fopen(path, "r"))) {
		if (errno == ENOENT)
			return TPL_NO_FILE;
		return err_set(e, EXIT_FAIL, "%s: cannot read the template: %s", path, strerror(errno));
	}
	rc = ini_parse_stream(tpl_reader, &r, tpl_handler, &r);
	fclose(r.f);
	if (r.failed && !(rc > 0 && rc < r.fail_line))
		return e->exit;
	if (rc != 0)
		return err_set(e, EXIT_FAIL, "%s:%d: not a valid INI line (expected [section] "
			       "or key = value)", path, rc > 0 ? rc : r.line);
	return 0;
}

/* [format] values in usable form. */
static int tpl_separator(const char *v, char out[8])
{
	if (strcmp(v, "space") == 0)
		v = " ";
	else if (strcmp(v, "nbsp") == 0)
		v = "\xc2\xa0";
	else if (strcmp(v, "none") == 0)
		v = "";
	if (strlen(v) >= 8)
		return -1;
	strcpy(out, v);
	return 0;
}

static int tpl_finish(struct template *t, const char *what, struct err *e)
{
	const char *m;
	int i;

	for (int k = 0; k < TPL_NKEYS; k++)
		if (!t->text[k])
			return err_set(e, EXIT_FAIL, "%s: [%s] %s is missing", what, defs[k].section,
				       defs[k].name);
	if (tpl_separator(t->text[TPL_THOUSANDS], t->thousands))
		return err_set(e, EXIT_FAIL, "%s: thousands_separator: at most 7 bytes, or space, "
			       "nbsp or none", what);
	if (tpl_separator(t->text[TPL_DECIMAL], t->decimal) || !t->decimal[0])
		return err_set(e, EXIT_FAIL, "%s: decimal_separator: 1 to 7 bytes", what);
	m = t->text[TPL_MONTHS];
	for (i = 0; i < 12; i++) {
		size_t n;

		m += strspn(m, " ");
		n = strcspn(m, " ");
		if (n == 0 || n >= sizeof(t->months[i]))
			break;
		memcpy(t->months[i], m, n);
		t->months[i][n] = '\0';
		m += n;
	}
	m += strspn(m, " ");
	if (i < 12 || *m)
		return err_set(e, EXIT_FAIL, "%s: months: twelve names separated by spaces "
			       "(each at most %zu bytes)", what, sizeof(t->months[0]) - 1);
	return 0;
}

/* A language code names a file: letters, digits, '_' and '-' only. */
static int tpl_lang_ok(const char *lang)
{
	size_t n = strlen(lang);

	if (n == 0 || n >= TEMPLATE_LANG_SIZE)
		return 0;
	return strspn(lang, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

int template_load(struct template *t, const char *dir, const char *lang, struct err *e)
{
	char path[TEMPLATE_PATH_SIZE];
	int rc;

	memset(t, 0, sizeof(*t));
	snprintf(t->lang, sizeof(t->lang), "%s", tpl_lang_ok(lang) ? lang : "en");
	if ((size_t)snprintf(path, sizeof(path), "%s/en.ini", dir) >= sizeof(path))
		return err_set(e, EXIT_FAIL, "%s: the template directory's path is too long", dir);
	rc = tpl_read_file(t, path, e);
	if (rc == TPL_NO_FILE)
		rc = err_set(e, EXIT_FAIL, "%s: the English template is missing (templates come "
			     "from $ACCRUE_TEMPLATES, else %s)", path, ACCRUE_TEMPLATES_DIR);
	if (!rc)
		rc = tpl_finish(t, path, e);
	if (!rc && strcmp(t->lang, "en") != 0) {
		snprintf(path, sizeof(path), "%s/%s.ini", dir, t->lang);
		rc = tpl_read_file(t, path, e);
		if (rc == TPL_NO_FILE)
			rc = 0;
		else if (!rc && !(rc = tpl_finish(t, path, e)))
			snprintf(t->file, sizeof(t->file), "%s", path);
	}
	if (rc)
		template_free(t);
	return rc;
}

void template_free(struct template *t)
{
	for (int k = 0; k < TPL_NKEYS; k++) {
		free(t->text[k]);
		t->text[k] = NULL;
	}
}

/* The lines of a reversal: the kind and the exact note the close gives
 * them (SPEC §4: the undone vesting, and the reversal of an expiry "paid
 * with reward units", are noted "payment reversed"; SPEC §6: a returned
 * redemption, "redemption reversed").  Any other note — "payment reversed
 * after N days" on an expiry, say — keeps the kind's label. */
static const struct {
	const char *kind, *note;
	enum tpl_key key;
} reversal_types[] = {
	{"vest", ACCT_NOTE_PAYMENT_REVERSED, TPL_TYPE_PAYMENT_REVERSED},
	{"reverse_expiry", ACCT_NOTE_PAYMENT_REVERSED, TPL_TYPE_PAYMENT_REVERSED},
	{"redeem", ACCT_NOTE_REDEMPTION_REVERSED, TPL_TYPE_REDEMPTION_REVERSED},
};

const char *template_type(const struct template *t, const char *kind, const char *note)
{
	for (size_t i = 0; note && i < sizeof(reversal_types) / sizeof(reversal_types[0]); i++)
		if (strcmp(reversal_types[i].kind, kind) == 0 && strcmp(reversal_types[i].note, note) == 0)
			return t->text[reversal_types[i].key];
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(types[i], kind) == 0)
			return t->text[TPL_TYPE_EARN + (int)i];
	return kind;
}

int template_expand(const char *text, const struct tpl_var *vars, size_t n, struct sbuf *out)
{
	const char *p = text;

	while (*p) {
		const char *open = strchr(p, '{'), *close;
		size_t i;

		if (!open)
			return sbuf_adds(out, p);
		if (sbuf_add(out, p, (size_t)(open - p)))
			return -1;
		close = strchr(open, '}');
		for (i = 0; close && i < n; i++)
			if (strlen(vars[i].name) == (size_t)(close - open - 1) &&
			    strncmp(vars[i].name, open + 1, (size_t)(close - open - 1)) == 0)
				break;
		if (close && i < n) {
			if (sbuf_adds(out, vars[i].value ? vars[i].value : ""))
				return -1;
			p = close + 1;
		} else {
			if (sbuf_addc(out, '{'))
				return -1;
			p = open + 1;
		}
	}
	return 0;
}

/* Amounts and dates are written digit by digit: a statement formats
 * thousands of them, and snprintf was a tenth of drawing one. */

char *template_amount(const struct template *t, int64_t v, char buf[TEMPLATE_AMOUNT_SIZE])
{
	char digits[24];
	/* the magnitude as unsigned: INT64_MIN has no positive twin */
	uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	size_t nd, len = 0, o = 0, ts = strlen(t->thousands), ds = strlen(t->decimal);

	/* at least three digits ("0.05"), most significant last */
	do {
		digits[len++] = (char)('0' + mag % 10);
		mag /= 10;
	} while (mag || len < 3);
	nd = len - 2;   /* digits of the whole part */
	if (v < 0)
		buf[o++] = '-';
	for (size_t i = 0; i < nd; i++) {
		if (i > 0 && (nd - i) % 3 == 0) {
			memcpy(buf + o, t->thousands, ts);
			o += ts;
		}
		buf[o++] = digits[len - 1 - i];
	}
	memcpy(buf + o, t->decimal, ds);
	o += ds;
	buf[o++] = digits[1];
	buf[o++] = digits[0];
	buf[o] = '\0';
	return buf;
}

/* v in decimal, zero-padded to `width` digits, at buf[o]; the new o. */
static size_t date_put_int(char *buf, size_t o, int v, int width)
{
	char rev[16];
	unsigned u = v < 0 ? 0u - (unsigned)v : (unsigned)v;
	int n = 0;

	do {
		rev[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	while (n < width)
		rev[n++] = '0';
	if (v < 0)
		rev[n++] = '-';
	while (n > 0 && o + 1 < TEMPLATE_DATE_SIZE)
		buf[o++] = rev[--n];
	return o;
}

char *template_date(const struct template *t, date_t d, char buf[TEMPLATE_DATE_SIZE])
{
	const char *f = t->text[TPL_DATE_FORMAT];
	size_t o = 0;
	int y, m, day;

	date_to_ymd(d, &y, &m, &day);
	while (*f && o + 1 < TEMPLATE_DATE_SIZE) {
		if (strncmp(f, "YYYY", 4) == 0) {
			o = date_put_int(buf, o, y, 4);
			f += 4;
		} else if (strncmp(f, "MMM", 3) == 0) {
			for (const char *c = t->months[m - 1]; *c && o + 1 < TEMPLATE_DATE_SIZE; c++)
				buf[o++] = *c;
			f += 3;
		} else if (strncmp(f, "MM", 2) == 0) {
			o = date_put_int(buf, o, m, 2);
			f += 2;
		} else if (strncmp(f, "DD", 2) == 0) {
			o = date_put_int(buf, o, day, 2);
			f += 2;
		} else if (*f == 'D') {
			o = date_put_int(buf, o, day, 1);
			f++;
		} else {
			buf[o++] = *f++;
		}
	}
	buf[o] = '\0';
	return buf;
}

/* The subject is one header line: nothing brought in may break it. */
static void tpl_one_line(struct sbuf *b, size_t from)
{
	for (size_t i = from; i < b->len; i++)
		if (b->p[i] == '\r' || b->p[i] == '\n')
			b->p[i] = ' ';
}

int template_mail(const struct template *t, const struct template_mail *m,
		  struct sbuf *subject, struct sbuf *body)
{
	char from[TEMPLATE_DATE_SIZE], to[TEMPLATE_DATE_SIZE];
	const struct tpl_var vars[] = {
		{"customer", m->customer},
		{"customer_name", m->customer_name},
		{"program", m->program},
		{"company", m->company},
		{"period_from", template_date(t, m->from, from)},
		{"period_to", template_date(t, m->to, to)},
	};
	size_t at = subject->len;

	if (template_expand(t->text[TPL_MAIL_SUBJECT], vars, 6, subject))
		return -1;
	tpl_one_line(subject, at);
	return template_expand(t->text[TPL_MAIL_BODY], vars, 6, body);
}

/* ---- the set of a run ---- */

void template_set_init(struct template_set *s, const char *dir)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->dir, sizeof(s->dir), "%s", dir);
}

const struct template *template_set_get(struct template_set *s, const char *lang,
					struct err *e)
{
	struct template *t;

	if (!lang || !*lang || strlen(lang) >= TEMPLATE_LANG_SIZE)
		lang = "en";
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i]->lang, lang) == 0)
			return s->v[i];
	if (s->n == TEMPLATE_SET_MAX) {
		/* more languages than anyone keys in: the oldest goes */
		template_free(s->v[0]);
		free(s->v[0]);
		memmove(s->v, s->v + 1, (s->n - 1) * sizeof(s->v[0]));
		s->n--;
	}
	if (!(t = malloc(sizeof(*t)))) {
		err_set(e, EXIT_FAIL, "out of memory");
		return NULL;
	}
	if (template_load(t, s->dir, lang, e)) {
		free(t);
		return NULL;
	}
	if (strcmp(lang, "en") != 0 && !t->file[0])
		log_warn("templates: no template for language \"%s\" in %s: English is used",
			 lang, s->dir);
	/* t->lang is the code as asked unless it could not name a file */
	snprintf(t->lang, sizeof(t->lang), "%s", lang);
	s->v[s->n++] = t;
	return t;
}

void template_set_free(struct template_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		template_free(s->v[i]);
		free(s->v[i]);
	}
	s->n = 0;
}
