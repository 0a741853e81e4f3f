/*
 * config: the INI configuration of SPEC §12, read with libinih.  Every key
 * has a default, so no file at all is a valid configuration.  An unknown
 * section or key, or a bad value, is an error naming the file and line.
 */
#ifndef ACCRUE_CONFIG_H
#define ACCRUE_CONFIG_H

#include "err.h"

#define CONFIG_STR 512

enum mail_transport { MAIL_OUTBOX, MAIL_MSMTP };

struct config {
	char company_name[CONFIG_STR];
	char company_address[CONFIG_STR];  /* "\n" in the file is a newline here */
	char statements_out_dir[CONFIG_STR];
	int expiring_days;
	enum mail_transport transport;
	char outbox_dir[CONFIG_STR];
	char msmtp[CONFIG_STR];
	char msmtp_config[CONFIG_STR];
	char msmtp_account[CONFIG_STR];
	char mail_from[CONFIG_STR];
	int parallel;
	int max_attempts;
	char timezone[CONFIG_STR];  /* "local" or an IANA name */
	char xero_tax_rate[CONFIG_STR];  /* [gl]: the TaxRate of a Xero export's lines */
	char templates_dir[CONFIG_STR];  /* [statements]: "" for the built-in folder */
	int max_future_days;        /* [run]: how far ahead a business date may be */
	int workers;                /* [run]: the default of --workers (1: one process) */
	int lease_seconds;          /* [run]: how long a worker's claim on a chunk holds */
	char path[CONFIG_STR];      /* the file read, or "" */
};

void config_defaults(struct config *c);

/* Read `path` over the defaults.  Returns 0, or fills e (exit 2 for a bad
 * file, naming FILE:LINE). */
int config_load(struct config *c, const char *path, struct err *e);

/* The file to read: explicit, else $ACCRUE_CONFIG, else config/accrue.conf
 * when it exists, else NULL (defaults only). */
const char *config_pick(const char *explicit_path);

#endif
