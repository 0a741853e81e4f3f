#include "db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

static void db_quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* Trailing blanks and newlines off a libpq message. */
static void db_trim(char *msg)
{
	size_t n = strlen(msg);

	while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
}

PGconn *db_connect(const char *conninfo, struct err *e)
{
	/* connect_timeout first: the connection string's own (or
	 * $PGCONNECT_TIMEOUT) wins over accrue's default */
	const char *timeout = getenv("PGCONNECT_TIMEOUT");
	const char *keys[] = {"connect_timeout", "dbname", "application_name",
			      "fallback_application_name", NULL};
	const char *vals[] = {timeout && *timeout ? timeout : DB_CONNECT_TIMEOUT,
			      conninfo ? conninfo : "", "accrue", "accrue", NULL};
	PGconn *db;

	/* a connection string (key=value pairs or a URI) is checked first, so
	 * that a malformed one is a usage error, its password not quoted; a
	 * bare word is a database name, as libpq reads it */
	if (conninfo && (strchr(conninfo, '=') || !strncmp(conninfo, "postgresql://", 13) ||
			 !strncmp(conninfo, "postgres://", 11))) {
		char *why = NULL;
		PQconninfoOption *opts = PQconninfoParse(conninfo, &why);

		if (!opts) {
			char msg[512];

			snprintf(msg, sizeof(msg), "%s", why ? why : "out of memory");
			PQfreemem(why);
			text_redact_passwords(msg);
			db_trim(msg);
			err_set(e, EXIT_USAGE, "the connection string is not valid: %s\n"
				"(see --db in `accrue --help`; a password is better kept in PGPASSFILE "
				"or a service file than on the command line)", msg);
			return NULL;
		}
		PQconninfoFree(opts);
	}
	if (!(db = PQconnectdbParams(keys, vals, 1))) {
		err_set(e, EXIT_UNAVAILABLE, "cannot connect to the database: out of memory");
		return NULL;
	}
	if (PQstatus(db) != CONNECTION_OK) {
		char msg[1024];

		snprintf(msg, sizeof(msg), "%s", PQerrorMessage(db));
		text_redact_passwords(msg);
		db_trim(msg);
		err_set(e, EXIT_UNAVAILABLE,
			"cannot connect to the database: %s\n"
			"(give a connection with --db or ACCRUE_DB, or set PGHOST/PGDATABASE)",
			msg);
		PQfinish(db);
		return NULL;
	}
	PQsetNoticeProcessor(db, db_quiet, NULL);
	if (db_exec(db, e, "SET client_min_messages = warning", 0, NULL)) {
		PQfinish(db);
		return NULL;
	}
	return db;
}

void db_close(PGconn *db)
{
	if (db)
		PQfinish(db);
}

static int db_fail(PGconn *db, PGresult *r, struct err *e)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *detail = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL) : NULL;
	const char *hint = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_HINT) : NULL;
	int exit = EXIT_FAIL;

	if (PQstatus(db) != CONNECTION_OK || (state && strncmp(state, "08", 2) == 0) ||
	    (state && strcmp(state, "57P01") == 0))
		exit = EXIT_UNAVAILABLE;
	if (primary) {
		err_set(e, exit, "database: %s%s%s%s%s%s", primary,
			detail ? " (" : "", detail ? detail : "", detail ? ")" : "",
			hint ? "; " : "", hint ? hint : "");
	} else {
		char *msg = PQerrorMessage(db);
		size_t n = strlen(msg);

		while (n && msg[n - 1] == '\n')
			msg[--n] = '\0';
		err_set(e, exit, "database: %s", *msg ? msg : "unknown failure");
	}
	if (state && e)
		snprintf(e->sqlstate, sizeof(e->sqlstate), "%s", state);
	if (exit == EXIT_UNAVAILABLE && e) {
		size_t n = strlen(e->msg);
		snprintf(e->msg + n, sizeof(e->msg) - n,
			 "\n(the database server went away: what this run had not committed is "
			 "undone; run it again when the server is back)");
	}
	if (state && strcmp(state, "22003") == 0 && e) {
		/* a total beyond bigint: bad data, said as such */
		size_t n = strlen(e->msg);
		e->exit = EXIT_DATAERR;
		snprintf(e->msg + n, sizeof(e->msg) - n,
			 "\n(a total is beyond the amounts accrue can hold: see \"Caps\" in the README)");
	}
	if (state && strcmp(state, "42P01") == 0 && e) {
		size_t n = strlen(e->msg);
		snprintf(e->msg + n, sizeof(e->msg) - n,
			 "\n(is the schema there? create or upgrade it with `accrue db migrate`)");
	}
	if (state && strcmp(state, "42501") == 0 && e) {
		size_t n = strlen(e->msg);
		snprintf(e->msg + n, sizeof(e->msg) - n,
			 "\n(this database role may not do this: see \"Roles\" in the README)");
	}
	return e ? e->exit : exit;
}

PGresult *db_query(PGconn *db, struct err *e, const char *sql, int nparams,
		   const char *const *params)
{
	PGresult *r = PQexecParams(db, sql, nparams, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(r);

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return r;
	db_fail(db, r, e);
	PQclear(r);
	return NULL;
}

int db_exec(PGconn *db, struct err *e, const char *sql, int nparams,
	    const char *const *params)
{
	PGresult *r = db_query(db, e, sql, nparams, params);

	if (!r)
		return e->exit;
	PQclear(r);
	return 0;
}

const char *db_value(const PGresult *r)
{
	if (PQntuples(r) != 1 || PQnfields(r) != 1 || PQgetisnull(r, 0, 0))
		return NULL;
	return PQgetvalue(r, 0, 0);
}

int db_try_lock(PGconn *db, struct err *e, const char *key, int xact, int *got)
{
	const char *p[1] = {key};
	PGresult *r = db_query(db, e, xact ? "SELECT pg_try_advisory_xact_lock($1::bigint)"
					   : "SELECT pg_try_advisory_lock($1::bigint)", 1, p);

	*got = 0;
	if (!r)
		return e->exit;
	*got = db_value(r) && strcmp(db_value(r), "t") == 0;
	PQclear(r);
	return 0;
}

int db_exec_script(PGconn *db, struct err *e, const char *sql)
{
	PGresult *r = PQexec(db, sql);
	ExecStatusType st = PQresultStatus(r);
	int rc = 0;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		rc = db_fail(db, r, e);
	PQclear(r);
	return rc;
}

PGresult *db_query_script(PGconn *db, struct err *e, const char *sql)
{
	PGresult *r = PQexec(db, sql);
	ExecStatusType st = PQresultStatus(r);

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return r;
	db_fail(db, r, e);
	PQclear(r);
	return NULL;
}

long long db_affected(PGresult *r)
{
	const char *n = PQcmdTuples(r);

	return n && *n ? atoll(n) : 0;
}

int db_copy_begin(PGconn *db, struct err *e, const char *sql)
{
	PGresult *r = PQexec(db, sql);
	int rc = 0;

	if (PQresultStatus(r) != PGRES_COPY_IN && PQresultStatus(r) != PGRES_COPY_OUT)
		rc = db_fail(db, r, e);
	PQclear(r);
	return rc;
}

int db_copy_put(PGconn *db, struct err *e, const char *data, size_t len)
{
	if (len && PQputCopyData(db, data, (int)len) != 1)
		return db_fail(db, NULL, e);
	return 0;
}

int db_copy_end(PGconn *db, struct err *e, const char *abort_msg)
{
	PGresult *r;
	int rc = 0;

	if (PQputCopyEnd(db, abort_msg) != 1)
		return db_fail(db, NULL, e);
	while ((r = PQgetResult(db))) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK && !abort_msg && !rc)
			rc = db_fail(db, r, e);
		PQclear(r);
	}
	return rc;
}

int db_copy_field(struct sbuf *b, const char *s)
{
	if (!s)
		return sbuf_add(b, "\\N", 2);
	return db_copy_field_n(b, s, strlen(s));
}

int db_copy_field_n(struct sbuf *b, const char *s, size_t len)
{
	const char *run = s, *end = s + len;

	for (const char *p = s; p < end; p++) {
		const char *esc;

		if ((unsigned char)*p >= ' ' && *p != '\\')
			continue;  /* the common case: nothing to escape */
		switch (*p) {
		case '\\': esc = "\\\\"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		default: continue;
		}
		if (sbuf_add(b, run, (size_t)(p - run)) || sbuf_add(b, esc, 2))
			return -1;
		run = p + 1;
	}
	return sbuf_add(b, run, (size_t)(end - run));
}

int db_is(const struct err *e, const char *sqlstate)
{
	return strcmp(e->sqlstate, sqlstate) == 0;
}

int db_copy_split(char *line, size_t len, char **fields, int max)
{
	char *r = line, *w = line, *end = line + len;
	int n = 0;

	if (len && end[-1] == '\n')
		end--;
	if (max <= 0)
		return 0;
	fields[n++] = w;
	while (r < end) {
		char c = *r++;

		if (c == '\t') {
			*w++ = '\0';
			if (n == max)
				return n;
			fields[n++] = w;
			continue;
		}
		if (c == '\\' && r < end) {
			char x = *r++;

			switch (x) {
			case 'N': c = 0; fields[n - 1] = NULL; break;
			case 't': c = '\t'; break;
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'v': c = '\v'; break;
			default: c = x; break;
			}
			if (!fields[n - 1])
				continue;
		}
		*w++ = c;
	}
	*w = '\0';
	return n;
}

int db_copy_row(PGconn *db, struct err *e, char **row)
{
	int n = PQgetCopyData(db, row, 0);

	if (n >= 0)
		return n;
	if (n == -1) {
		PGresult *r;
		int rc = 0;

		while ((r = PQgetResult(db))) {
			if (PQresultStatus(r) != PGRES_COMMAND_OK && !rc)
				rc = db_fail(db, r, e);
			PQclear(r);
		}
		return rc ? -2 : -1;
	}
	db_fail(db, NULL, e);
	return -2;
}

int64_t db_int64(const char *s)
{
	return s && *s ? strtoll(s, NULL, 10) : 0;
}

int db_set_snapshot(PGconn *db, struct err *e, const char *id)
{
	struct sbuf sql;
	char *lit;
	int rc;

	/* SET TRANSACTION SNAPSHOT takes no parameter: the id, which the
	 * server made, is checked and quoted as a literal */
	if (!*id || strspn(id, "0123456789ABCDEFabcdef-") != strlen(id))
		return err_set(e, EXIT_FAIL, "internal: unexpected snapshot id \"%.40s\"", id);
	lit = PQescapeLiteral(db, id, strlen(id));
	if (!lit)
		return err_set(e, EXIT_FAIL, "out of memory");
	sbuf_init(&sql, 256);
	if (sbuf_adds(&sql, "SET TRANSACTION SNAPSHOT ") || sbuf_adds(&sql, lit))
		rc = err_set(e, EXIT_FAIL, "internal: snapshot id too long");
	else
		rc = db_exec(db, e, sbuf_str(&sql), 0, NULL);
	PQfreemem(lit);
	sbuf_free(&sql);
	return rc;
}

int db_copy_file(PGconn *db, struct err *e, const char *sql, FILE *f, const char *what)
{
	char buf[64 * 1024];
	struct err ignored;
	size_t n;
	int rc;

	if (fflush(f) || fseek(f, 0, SEEK_SET))
		return err_set(e, EXIT_FAIL, "cannot read back %s from its temporary file", what);
	if ((rc = db_copy_begin(db, e, sql)))
		return rc;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		if ((rc = db_copy_put(db, e, buf, n))) {
			db_copy_end(db, &ignored, "failed");
			return rc;
		}
	if (ferror(f)) {
		db_copy_end(db, &ignored, "failed");
		return err_set(e, EXIT_FAIL, "cannot read back %s from its temporary file", what);
	}
	return db_copy_end(db, e, NULL);
}
