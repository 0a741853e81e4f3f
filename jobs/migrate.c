/*
 * accrue db migrate: apply the numbered migrations of sql/ that the database
 * has not seen, each in its own transaction, and record them.  Running it
 * again does nothing.  An advisory lock keeps two migrations apart.
 */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "commands.h"
#include "db.h"
#include "locks.h"
#include "log.h"
#include "migrate.h"


static const char help[] =
	"usage: accrue db migrate\n"
	"\n"
	"Creates or upgrades the schema: applies each migration the database has\n"
	"not seen yet, in order, each in its own transaction, and records it in\n"
	"schema_migrations.  Running it again does nothing.\n";

static int migrate(PGconn *db, struct err *e)
{
	const char *lock[] = {LOCK_MIGRATE};
	int applied = 0, rc;

	if ((rc = db_exec(db, e, "SELECT pg_advisory_lock($1::bigint)", 1, lock)))
		return rc;
	rc = db_exec(db, e,
		     "CREATE TABLE IF NOT EXISTS schema_migrations ("
		     " version integer PRIMARY KEY,"
		     " name text NOT NULL,"
		     " applied_at timestamptz NOT NULL DEFAULT now())", 0, NULL);
	for (int i = 0; !rc && i < migrations_count; i++) {
		const struct migration *m = &migrations[i];
		char ver[16];
		const char *p[2] = {ver, m->name};
		PGresult *r;
		int seen;

		snprintf(ver, sizeof(ver), "%d", m->version);
		r = db_query(db, e, "SELECT 1 FROM schema_migrations WHERE version = $1", 1, p);
		if (!r) {
			rc = e->exit;
			break;
		}
		seen = PQntuples(r) > 0;
		PQclear(r);
		if (seen)
			continue;
		if ((rc = db_exec(db, e, "BEGIN", 0, NULL)))
			break;
		rc = db_exec_script(db, e, m->sql);
		if (rc) {
			char msg[sizeof(e->msg)];
			memcpy(msg, e->msg, sizeof(msg));
			msg[sizeof(msg) - 200] = '\0';
			snprintf(e->msg, sizeof(e->msg), "migration %.100s failed: %s", m->name, msg);
		}
		if (!rc)
			rc = db_exec(db, e, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", 2, p);
		if (!rc)
			rc = db_exec(db, e, "COMMIT", 0, NULL);
		if (rc) {
			struct err ignored;
			db_exec(db, &ignored, "ROLLBACK", 0, NULL);
			break;
		}
		log_info("applied migration %s", m->name);
		applied++;
	}
	if (!rc) {
		if (applied)
			printf("schema upgraded: %d migration%s applied\n", applied, applied == 1 ? "" : "s");
		else
			printf("schema is up to date (%d migrations)\n", migrations_count);
	}
	{
		struct err ignored;
		db_exec(db, &ignored, "SELECT pg_advisory_unlock($1::bigint)", 1, lock);
	}
	return rc;
}

int cmd_db(struct app *a, int argc, char **argv)
{
	struct err e = {0};
	PGconn *db;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(help, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	if (strcmp(argv[1], "migrate") != 0)
		return app_usage("db", "unknown subcommand \"%s\"", argv[1]);
	if (app_wants_help(argc - 1, argv + 1)) {
		fputs(help, stdout);
		return EXIT_OK;
	}
	if (argc > 2)
		return app_usage("db migrate", "unexpected argument \"%s\"", argv[2]);
	if (!(db = app_db(a, &e)))
		return app_fail(&e);
	if (migrate(db, &e))
		return app_fail(&e);
	return EXIT_OK;
}
