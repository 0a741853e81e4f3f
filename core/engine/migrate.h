/* The migrations of sql/, compiled in by sql/embed.cmake. */
#ifndef ACCRUE_MIGRATE_H
#define ACCRUE_MIGRATE_H

struct migration {
	int version;
	const char *name;
	const char *sql;
};

extern const struct migration migrations[];
extern const int migrations_count;

#endif
