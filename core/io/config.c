#include "config.h"

#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define COPY(dst, src) snprintf((dst), sizeof(dst), "%s", (src))

void config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	COPY(c->company_name, "");
	COPY(c->statements_out_dir, "out/statements");
	c->expiring_days = 90;
	c->transport = MAIL_OUTBOX;
	COPY(c->outbox_dir, "out/mail");
	COPY(c->msmtp, "/usr/bin/msmtp");
	COPY(c->msmtp_config, "/etc/msmtprc");
	COPY(c->msmtp_account, "default");
	COPY(c->mail_from, "");
	c->parallel = 4;
	c->max_attempts = 5;
	COPY(c->timezone, "local");
	COPY(c->xero_tax_rate, "Tax Exempt");
	c->max_future_days = 1;
	c->workers = 1;
	c->lease_seconds = 300;
}

struct reader {
	FILE *f;
	int line;
	struct parse *p;
};

struct parse {
	struct config *c;
	struct reader *r;
	const char *path;
	struct err *e;
	int failed;
	int fail_line;
};

static int fail(struct parse *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct parse *p, const char *fmt, ...)
{
	va_list ap;

	if (p->failed)
		return 0;
	va_start(ap, fmt);
	err_vset_at(p->e, EXIT_USAGE, p->path, p->r->line, fmt, ap);
	va_end(ap);
	p->failed = 1;
	p->fail_line = p->r->line;
	return 0;
}

static int known_section(const char *name, size_t n)
{
	static const char *const sections[] = {"company", "statements", "mail", "run", "gl"};

	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
		if (strlen(sections[i]) == n && strncmp(sections[i], name, n) == 0)
			return 1;
	return 0;
}

/*
 * Hands inih one line at a time, counting lines for the messages.  It also
 * makes two checks inih cannot: a line longer than inih's buffer would be
 * cut into pieces parsed as separate lines, and inih shows a section to the
 * handler only through the keys under it, so an unknown section would be
 * reported at its first key, or not at all when it is empty.  Returning NULL
 * after a failure stops the parse.
 */
static char *config_reader(char *str, int num, void *stream)
{
	struct reader *r = stream;
	char *s = fgets(str, num, r->f);
	const char *h, *end;
	size_t n;

	if (!s)
		return NULL;
	r->line++;
	n = strlen(s);
	if (n > 0 && s[n - 1] != '\n') {
		int next = getc(r->f);

		if (next != EOF && next != '\n') {
			fail(r->p, "line is too long (at most %d characters)", num - 1);
			return NULL;
		}
	}
	for (h = s; *h == ' ' || *h == '\t'; h++)
		;
	if (*h == '[' && (end = strchr(h, ']')) && !known_section(h + 1, (size_t)(end - h - 1))) {
		fail(r->p, "unknown section [%.*s]", (int)(end - h - 1), h + 1);
		return NULL;
	}
	return s;
}

static int set_str(struct parse *p, char *dst, size_t n, const char *v,
		   const char *key, int unescape)
{
	size_t o = 0;

	for (const char *s = v; *s; s++) {
		char ch = *s;
		if (unescape && s[0] == '\\' && s[1] == 'n') {
			ch = '\n';
			s++;
		}
		if (o + 1 >= n)
			return fail(p, "%s: value is too long", key);
		dst[o++] = ch;
	}
	dst[o] = '\0';
	return 1;
}

/* local, UTC, or a zone of the tz database ($TZDIR, else
 * /usr/share/zoneinfo): a misspelt zone would quietly be UTC. */
static int timezone_known(const char *v)
{
	const char *dir = getenv("TZDIR");
	char path[512];

	if (!strcmp(v, "local") || !strcmp(v, "UTC"))
		return 1;
	if (!*v || *v == '/' || strstr(v, "..") || strlen(v) > 200)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", v);
	return access(path, R_OK) == 0;
}

static int set_int(struct parse *p, int *dst, const char *v, const char *key,
		   int lo, int hi)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < lo || n > hi) {
		char range[64];
		snprintf(range, sizeof(range), "a whole number from %d to %d", lo, hi);
		return fail(p, "%s: expected %s", key, range);
	}
	*dst = (int)n;
	return 1;
}

static int config_handler(void *user, const char *section, const char *name,
			  const char *value)
{
	struct parse *p = user;
	struct config *c = p->c;

#define IS(s, k) (strcmp(section, s) == 0 && strcmp(name, k) == 0)
	if (IS("company", "name"))
		return set_str(p, c->company_name, sizeof(c->company_name), value, name, 0);
	if (IS("company", "address"))
		return set_str(p, c->company_address, sizeof(c->company_address), value, name, 1);
	if (IS("statements", "out_dir"))
		return set_str(p, c->statements_out_dir, sizeof(c->statements_out_dir), value, name, 0);
	if (IS("statements", "expiring_days"))
		return set_int(p, &c->expiring_days, value, name, 0, 3660);
	if (IS("mail", "transport")) {
		if (strcmp(value, "outbox") == 0)
			c->transport = MAIL_OUTBOX;
		else if (strcmp(value, "msmtp") == 0)
			c->transport = MAIL_MSMTP;
		else
			return fail(p, "transport: \"%s\" is not outbox or msmtp", value);
		return 1;
	}
	if (IS("mail", "outbox_dir"))
		return set_str(p, c->outbox_dir, sizeof(c->outbox_dir), value, name, 0);
	if (IS("mail", "msmtp"))
		return set_str(p, c->msmtp, sizeof(c->msmtp), value, name, 0);
	if (IS("mail", "msmtp_config"))
		return set_str(p, c->msmtp_config, sizeof(c->msmtp_config), value, name, 0);
	if (IS("mail", "msmtp_account"))
		return set_str(p, c->msmtp_account, sizeof(c->msmtp_account), value, name, 0);
	if (IS("mail", "from")) {
		if (strpbrk(value, "\r\n"))
			return fail(p, "from: must not hold a line break");
		return set_str(p, c->mail_from, sizeof(c->mail_from), value, name, 0);
	}
	if (IS("mail", "parallel"))
		return set_int(p, &c->parallel, value, name, 1, 64);
	if (IS("mail", "max_attempts"))
		return set_int(p, &c->max_attempts, value, name, 1, 100);
	if (IS("run", "timezone")) {
		if (!timezone_known(value))
			return fail(p, "timezone: unknown time zone \"%s\" (local, UTC or a name "
				    "of the tz database such as Europe/Paris)", value);
		return set_str(p, c->timezone, sizeof(c->timezone), value, name, 0);
	}
	if (IS("statements", "templates_dir"))
		return set_str(p, c->templates_dir, sizeof(c->templates_dir), value, name, 0);
	if (IS("run", "max_future_days"))
		return set_int(p, &c->max_future_days, value, name, 0, 36600);
	if (IS("run", "workers"))
		return set_int(p, &c->workers, value, name, 1, 1024);
	if (IS("run", "lease_seconds"))
		return set_int(p, &c->lease_seconds, value, name, 5, 86400);
	if (IS("gl", "xero_tax_rate")) {
		if (!*value || strpbrk(value, "\r\n"))
			return fail(p, "xero_tax_rate: give the name of a tax rate of the Xero organisation "
				    "(default: Tax Exempt)");
		return set_str(p, c->xero_tax_rate, sizeof(c->xero_tax_rate), value, name, 0);
	}
#undef IS
	if (!*section)
		return fail(p, "%s: key outside a section ([company], [statements], [mail], [run] or "
			    "[gl])", name);
	if (strcmp(section, "company") && strcmp(section, "statements") &&
	    strcmp(section, "mail") && strcmp(section, "run") && strcmp(section, "gl"))
		return fail(p, "unknown section [%s]", section);
	return fail(p, "unknown key \"%s\" in [%s]", name, section);
}

int config_load(struct config *c, const char *path, struct err *e)
{
	struct reader r = {0};
	struct parse p = {c, &r, path, e, 0, 0};
	int rc;

	r.p = &p;
	r.f = fopen(path, "r");
	if (!r.f)
		return err_set(e, EXIT_USAGE, "%s: cannot read the configuration: %s",
			       path, strerror(errno));
	{
		struct stat st;

		if (fstat(fileno(r.f), &st) == 0 && S_ISDIR(st.st_mode)) {
			fclose(r.f);
			return err_set(e, EXIT_USAGE, "%s: the configuration must be a file, not a "
				       "directory", path);
		}
	}
	rc = ini_parse_stream(config_reader, &r, config_handler, &p);
	fclose(r.f);
	/* inih keeps going after a line it cannot parse: report whichever
	 * error comes first in the file. */
	if (p.failed && !(rc > 0 && rc < p.fail_line))
		return e->exit;
	if (rc != 0)
		return err_set(e, EXIT_USAGE, "%s:%d: not a valid INI line (expected "
			       "[section] or key = value)", path, rc > 0 ? rc : r.line);
	snprintf(c->path, sizeof(c->path), "%s", path);
	return 0;
}

const char *config_pick(const char *explicit_path)
{
	const char *env;

	if (explicit_path)
		return explicit_path;
	env = getenv("ACCRUE_CONFIG");
	if (env && *env)
		return env;
	if (access("config/accrue.conf", F_OK) == 0)
		return "config/accrue.conf";
	return NULL;
}
