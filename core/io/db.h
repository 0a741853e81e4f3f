/*
 * db: the PostgreSQL adapter (libpq).  Every statement is parameterised
 * (PQexecParams); bulk rows move with COPY.  A failure fills a struct err
 * that keeps the SQLSTATE and maps to an exit status: 69 when the server
 * cannot be reached, 1 otherwise.
 *
 * A PGresult returned to the caller is the caller's to PQclear.
 */
#ifndef ACCRUE_DB_H
#define ACCRUE_DB_H

#include <stdint.h>
#include <stdio.h>

#include <libpq-fe.h>

#include "err.h"
#include "sbuf.h"

/* Seconds a connection may take, unless the connection string or
 * $PGCONNECT_TIMEOUT says otherwise. */
#define DB_CONNECT_TIMEOUT "10"

PGconn *db_connect(const char *conninfo, struct err *e);
void db_close(PGconn *db);

/* Run sql with text parameters; NULL on failure (e filled). */
PGresult *db_query(PGconn *db, struct err *e, const char *sql, int nparams,
		   const char *const *params);
/* The same when the rows are not wanted; returns 0 or the exit status. */
int db_exec(PGconn *db, struct err *e, const char *sql, int nparams,
	    const char *const *params);
/* Plain statements without parameters, several allowed (migrations). */
int db_exec_script(PGconn *db, struct err *e, const char *sql);

/* Try the advisory lock `key` (a bigint as text), for the session or, with
 * xact, for the transaction: *got is 1 when taken.  0 or the exit status. */
/* The one value of a query that returns one row of one column (a count,
 * a flag, a RETURNING id, a max): NULL when it is SQL NULL or the result
 * has another shape. */
const char *db_value(const PGresult *r);

int db_try_lock(PGconn *db, struct err *e, const char *key, int xact, int *got);

/* Several statements without parameters; the last one's rows, or NULL. */
PGresult *db_query_script(PGconn *db, struct err *e, const char *sql);

/* Affected-row count of a command result. */
long long db_affected(PGresult *r);

/* A whole number as PostgreSQL prints it (bigint, integer); NULL or an
 * empty value reads as 0. */
int64_t db_int64(const char *s);

/* COPY ... FROM STDIN (or TO STDOUT: then read with db_copy_row), text format. */
int db_copy_begin(PGconn *db, struct err *e, const char *sql);
int db_copy_put(PGconn *db, struct err *e, const char *data, size_t len);
/* abort_msg non-NULL cancels the COPY. */
int db_copy_end(PGconn *db, struct err *e, const char *abort_msg);

/* Append s to b escaped for COPY text format; NULL appends \N. */
int db_copy_field(struct sbuf *b, const char *s);
/* The same for the len bytes at s (no NUL among them). */
int db_copy_field_n(struct sbuf *b, const char *s, size_t len);

/* Split one row of COPY text output in place: fields[i] points into line,
 * unescaped, NULL for \N.  Returns the number of fields, at most max. */
int db_copy_split(char *line, size_t len, char **fields, int max);

/* Read the next COPY OUT row into *row (PQfreemem it); returns its length,
 * -1 at the end, -2 on failure (e filled). */
int db_copy_row(PGconn *db, struct err *e, char **row);

/* 1 when e holds this SQLSTATE. */
int db_is(const struct err *e, const char *sqlstate);

/* In a REPEATABLE READ transaction not yet begun reading: see exactly the
 * snapshot id another session exported (pg_export_snapshot). */
int db_set_snapshot(PGconn *db, struct err *e, const char *id);

/* COPY ... FROM STDIN (sql) fed with the whole of the temporary file f,
 * from its start; what names its rows in a failure. */
int db_copy_file(PGconn *db, struct err *e, const char *sql, FILE *f, const char *what);

#endif
