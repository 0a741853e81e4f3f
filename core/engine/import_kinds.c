/*
 * The importable files: columns, staging tables, checks and upserts.
 *
 * Staged values are already converted: money in cents, rates in ppm,
 * blanks as the column default or NULL.  Every check returns (line, column,
 * message) rows, at most 1000, ordered by line.
 *
 * The files that can be big (customers, invoices, payments) list the lines
 * whose key is stored already in a temporary table `stored`, made before any
 * write, and the INSERT of the new rows leaves those out.  An INSERT that
 * looked for its rows in the very table it fills could be planned as a scan
 * of that table per row (after a VACUUM found it empty, say), which grows
 * with every row inserted: a million rows would never finish.
 *
 * Invoices and payments carry the account they belong to (the customer's
 * parent, or the customer itself), first in their keys, so that they can be
 * distributed by account (sql/007_citus_keys.sql, README "Beyond one
 * database server").  The imports write it from customers, and check
 * set-based what no unique index without the account can: a document
 * number, and a payment's allocation, is unique across accounts.
 */
#include "import_kinds.h"

#include "adjust.h"
#include "earning.h"

#include <string.h>

#define KEY 64      /* customer, invoice, payment numbers, codes */
#define NAME 200
#define TEXT 1000

static const char *const units[] = {"points", "dollars", NULL};
static const char *const vestings[] = {"immediate", "on_payment", NULL};
static const char *const bases[] = {"net", "total", NULL};
static const char *const points_types[] = {"client", "promotional", NULL};
static const char *const categories[] = {"sales", "rental", "service", NULL};
static const char *const kinds[] = {"invoice", "credit_note", NULL};
static const char *const statuses[] = {"posted", "unposted", "cancelled", NULL};
static const char *const methods[] = {"cash", "cheque", "card", "transfer", "reward", NULL};

#define MONEY_MAX IMPORT_MONEY_MAX

/* -- customers ------------------------------------------------------------ */

static const struct import_col customer_cols[] = {
	{"customer", COL_NAME, COL_REQUIRED, KEY, 0, 0, NULL, NULL},
	{"name", COL_NAME, COL_REQUIRED, NAME, 0, 0, NULL, NULL},
	{"parent", COL_NAME, 0, KEY, 0, 0, NULL, NULL},
	{"program", COL_NAME, 0, KEY, 0, 0, NULL, NULL},
	{"language", COL_LANG, 0, 8, 0, 0, NULL, "en"},
	{"email", COL_EMAILS, 0, TEXT, 0, 0, NULL, NULL},
	{"member_since", COL_DATE, 0, 10, 0, 0, NULL, NULL},
	{"points_expiry_date", COL_DATE, 0, 10, 0, 0, NULL, NULL},
	{"send_statements", COL_BOOL, 0, 5, 0, 0, NULL, "t"},
	{"address", COL_TEXT, 0, TEXT, 0, 0, NULL, NULL},
};

static const char *const customer_checks[] = {
	"SELECT line, 'customer', format('customer \"%s\" appears twice in the file (first on line %s)', customer, first)"
	"  FROM (SELECT line, customer, min(line) OVER (PARTITION BY customer) AS first FROM stage) d"
	" WHERE line > first ORDER BY line LIMIT 1000",

	"SELECT s.line, 'program', format('unknown program \"%s\" (import programs first)', s.program)"
	"  FROM stage s WHERE s.program IS NOT NULL"
	"   AND NOT EXISTS (SELECT 1 FROM programs p WHERE p.program = s.program)"
	" ORDER BY 1 LIMIT 1000",

	/* One level of parents, judged on the customers as they will be. */
	"WITH merged AS ("
	"  SELECT customer, parent FROM stage"
	"  UNION ALL"
	"  SELECT c.customer, c.parent FROM customers c"
	"   WHERE NOT EXISTS (SELECT 1 FROM stage s WHERE s.customer = c.customer))"
	" SELECT * FROM ("
	"  SELECT s.line, 'parent', CASE"
	"    WHEN s.parent = s.customer THEN 'a customer cannot be its own parent'"
	"    WHEN p.customer IS NULL THEN format('unknown parent \"%s\"', s.parent)"
	"    ELSE format('parent \"%s\" is itself a child of \"%s\": one level of parents only',"
	"                s.parent, p.parent) END"
	"  FROM stage s LEFT JOIN merged p ON p.customer = s.parent"
	"  WHERE s.parent IS NOT NULL"
	"    AND (s.parent = s.customer OR p.customer IS NULL OR p.parent IS NOT NULL)"
	"  UNION ALL"
	"  SELECT s.line, 'parent', format('customer \"%s\" is the parent of \"%s\" and cannot have a parent itself: ' ||"
	"                        'one level of parents only', s.customer, min(k.customer))"
	"  FROM stage s JOIN merged k ON k.parent = s.customer"
	"  WHERE s.parent IS NOT NULL AND s.parent <> s.customer"
	"  GROUP BY s.line, s.customer) e"
	" ORDER BY 1 LIMIT 1000",
	NULL,
	NULL,
};

#define CUSTOMER_COLS "name, parent, program, language, email, member_since, " \
	"points_expiry_date, send_statements, address"

static const struct import_kind customers = {
	.name = "customers",
	.cols = customer_cols,
	.ncols = sizeof(customer_cols) / sizeof(customer_cols[0]),
	/* invoices and payments too: a customer that changes account takes
	 * its documents and payments with it (below), and an import of those
	 * must not write them to the old account meanwhile */
	.prepare_sql =
	"LOCK TABLE customers IN SHARE ROW EXCLUSIVE MODE;"
	"LOCK TABLE invoices, payments IN SHARE ROW EXCLUSIVE MODE;"
	"CREATE TEMP TABLE stage (line integer, customer text COLLATE \"C\", name text, parent text COLLATE \"C\","
	" program text COLLATE \"C\", language text, email text, member_since date,"
	" points_expiry_date date, send_statements boolean, address text) ON COMMIT DROP",
	.before_checks_sql =
	"CREATE TEMP TABLE stored ON COMMIT DROP AS"
	" SELECT s.line, c.program AS old_program FROM stage s JOIN customers c USING (customer)",
	.checks = customer_checks,
	/* A customer whose parent changes changes account (SPEC §2: a child's
	 * invoices earn into its parent's account): its invoices, payments and
	 * refused redemptions go to the new account, deleted from the old one
	 * and inserted whole (every column as it was, whatever a later
	 * migration adds, but the account).  Not an UPDATE of the account, which a single server would
	 * take: the account is the column the tables are distributed by past
	 * one server, and Citus never updates that column; a DELETE and an
	 * INSERT work on both.  The customers' triggers mark the old account
	 * and the new one changed (sql/004), so the next close replays both.
	 * Then a change of program (or a first one) is recorded with today's
	 * date. */
	.upsert_sql =
	"CREATE TEMP TABLE moved ON COMMIT DROP AS"
	" SELECT s.customer, COALESCE(c.parent, c.customer) AS old_account,"
	"        COALESCE(s.parent, s.customer) AS new_account"
	"   FROM stage s JOIN customers c USING (customer)"
	"  WHERE COALESCE(c.parent, c.customer) <> COALESCE(s.parent, s.customer);"
	"WITH gone AS ("
	"  DELETE FROM invoices i USING moved m"
	"   WHERE i.account = m.old_account AND i.customer = m.customer RETURNING i AS was)"
	" INSERT INTO invoices SELECT r.* FROM gone g JOIN moved m ON m.customer = (g.was).customer,"
	"  LATERAL jsonb_populate_record(g.was, jsonb_build_object('account', m.new_account)) r;"
	"WITH gone AS ("
	"  DELETE FROM payments y USING moved m"
	"   WHERE y.account = m.old_account AND y.customer = m.customer RETURNING y AS was)"
	" INSERT INTO payments SELECT r.* FROM gone g JOIN moved m ON m.customer = (g.was).customer,"
	"  LATERAL jsonb_populate_record(g.was, jsonb_build_object('account', m.new_account)) r;"
	"WITH gone AS ("
	"  DELETE FROM redemption_refusals y USING moved m"
	"   WHERE y.account = m.old_account AND y.customer = m.customer RETURNING y AS was)"
	" INSERT INTO redemption_refusals SELECT r.* FROM gone g JOIN moved m ON m.customer = (g.was).customer,"
	"  LATERAL jsonb_populate_record(g.was, jsonb_build_object('account', m.new_account)) r;"
	"WITH hist AS ("
	"  SELECT s.line, s.customer, current_date AS changed_on, t.old_program, s.program AS new_program"
	"    FROM stage s LEFT JOIN stored t USING (line)"
	"   WHERE (t.line IS NULL AND s.program IS NOT NULL)"
	"      OR (t.line IS NOT NULL AND t.old_program IS DISTINCT FROM s.program)),"
	" upd AS ("
	"  UPDATE customers c SET (" CUSTOMER_COLS ", updated_at) ="
	"   (s.name, s.parent, s.program, s.language, s.email, s.member_since,"
	"    s.points_expiry_date, s.send_statements, s.address, now())"
	"    FROM stage s WHERE c.customer = s.customer"
	"     AND (c.name, c.parent, c.program, c.language, c.email, c.member_since,"
	"          c.points_expiry_date, c.send_statements, c.address)"
	"         IS DISTINCT FROM"
	"         (s.name, s.parent, s.program, s.language, s.email, s.member_since,"
	"          s.points_expiry_date, s.send_statements, s.address)"
	"  RETURNING 1),"
	" ins AS ("
	"  INSERT INTO customers (customer, " CUSTOMER_COLS ")"
	"  SELECT customer, " CUSTOMER_COLS " FROM stage s"
	"   WHERE NOT EXISTS (SELECT 1 FROM stored t WHERE t.line = s.line)"
	"  RETURNING 1),"
	" h AS ("
	"  INSERT INTO customer_program_history (customer, changed_on, old_program, new_program)"
	"  SELECT customer, changed_on, old_program, new_program FROM hist ORDER BY line RETURNING 1)"
	" SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM upd),"
	"        (SELECT count(*) FROM stage) - (SELECT count(*) FROM ins) - (SELECT count(*) FROM upd)",
};

/* -- programs ------------------------------------------------------------- */

static const struct import_col program_cols[] = {
	{"program", COL_NAME, COL_REQUIRED, KEY, 0, 0, NULL, NULL},
	{"name", COL_NAME, COL_REQUIRED, NAME, 0, 0, NULL, NULL},
	{"unit", COL_ENUM, COL_REQUIRED, 16, 0, 0, units, NULL},
	{"earning", COL_ENUM, COL_REQUIRED, 16, 0, 0, earning_names, NULL},
	{"vesting", COL_ENUM, 0, 16, 0, 0, vestings, "immediate"},
	{"basis", COL_ENUM, 0, 16, 0, 0, bases, "net"},
	{"max_payment_days", COL_INT, 0, 6, 0, 36600, NULL, NULL},
	{"expiry_months", COL_INT, 0, 6, 1, 1200, NULL, NULL},
	{"expiry_days", COL_INT, 0, 6, 1, 36600, NULL, NULL},
	{"inactivity_days", COL_INT, 0, 6, 1, 36600, NULL, NULL},
	{"points_type", COL_ENUM, 0, 16, 0, 0, points_types, "client"},
	{"unit_value", COL_MONEY, COL_REQUIRED, 24, 1, 0, NULL, NULL},
	{"fiscal_year_start", COL_INT, 0, 2, 1, 12, NULL, "1"},
	{"expense_account", COL_NAME, COL_REQUIRED, KEY, 0, 0, NULL, NULL},
	{"liability_account", COL_NAME, COL_REQUIRED, KEY, 0, 0, NULL, NULL},
	{"forfeit_account", COL_NAME, COL_REQUIRED, KEY, 0, 0, NULL, NULL},
	{"receivable_account", COL_NAME, COL_REQUIRED, KEY, 0, 0, NULL, NULL},
};

static const char *const program_checks[] = {
	"SELECT line, 'program', format('program \"%s\" appears twice in the file (first on line %s)', program, first)"
	"  FROM (SELECT line, program, min(line) OVER (PARTITION BY program) AS first FROM stage) d"
	" WHERE line > first ORDER BY line LIMIT 1000",

	"SELECT s.line, c.col, c.msg"
	"  FROM stage s LEFT JOIN earning_rules er ON er.earning = s.earning, LATERAL (VALUES"
	"  (s.expiry_months IS NOT NULL AND s.expiry_days IS NOT NULL, 'expiry_days',"
	"   'give expiry_months or expiry_days, not both'),"
	"  (s.vesting = 'on_payment' AND NOT er.per_invoice, 'vesting',"
	"   'vesting on_payment is for per_invoice programs only'),"
	"  (s.vesting = 'on_payment' AND s.max_payment_days IS NULL, 'max_payment_days',"
	"   'a value is required with vesting on_payment')"
	" ) c(bad, col, msg) WHERE c.bad ORDER BY 1 LIMIT 1000",
	NULL,
	NULL,
};

#define PROGRAM_COLS "name, unit, earning, vesting, basis, max_payment_days, expiry_months," \
	" expiry_days, inactivity_days, points_type, unit_value_cents, fiscal_year_start," \
	" expense_account, liability_account, forfeit_account, receivable_account"
#define PROGRAM_VALS(t) "(" t ".name, " t ".unit, " t ".earning, " t ".vesting, " t ".basis, " \
	t ".max_payment_days, " t ".expiry_months, " t ".expiry_days, " t ".inactivity_days, " \
	t ".points_type, " t ".unit_value_cents, " t ".fiscal_year_start, " t ".expense_account, " \
	t ".liability_account, " t ".forfeit_account, " t ".receivable_account"

static const struct import_kind programs = {
	.name = "programs",
	.cols = program_cols,
	.ncols = sizeof(program_cols) / sizeof(program_cols[0]),
	.prepare_sql =
	"LOCK TABLE programs IN SHARE ROW EXCLUSIVE MODE;"
	"CREATE TEMP TABLE stage (line integer, program text COLLATE \"C\", name text, unit text, earning text,"
	" vesting text, basis text, max_payment_days integer, expiry_months integer,"
	" expiry_days integer, inactivity_days integer, points_type text,"
	" unit_value_cents bigint, fiscal_year_start integer, expense_account text,"
	" liability_account text, forfeit_account text, receivable_account text) ON COMMIT DROP",
	.checks = program_checks,
	.upsert_sql =
	"WITH upd AS ("
	"  UPDATE programs p SET (" PROGRAM_COLS ", updated_at) = " PROGRAM_VALS("s") ", now())"
	"    FROM stage s WHERE p.program = s.program"
	"     AND " PROGRAM_VALS("p") ") IS DISTINCT FROM " PROGRAM_VALS("s") ")"
	"  RETURNING 1),"
	" ins AS ("
	"  INSERT INTO programs (program, " PROGRAM_COLS ")"
	"  SELECT program, " PROGRAM_COLS " FROM stage s"
	"   WHERE NOT EXISTS (SELECT 1 FROM programs p WHERE p.program = s.program)"
	"  RETURNING 1)"
	" SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM upd),"
	"        (SELECT count(*) FROM stage) - (SELECT count(*) FROM ins) - (SELECT count(*) FROM upd)",
};

/* -- tiers ---------------------------------------------------------------- */

static const struct import_col tier_cols[] = {
	{"program", COL_NAME, COL_REQUIRED, KEY, 0, 0, NULL, NULL},
	{"customer", COL_NAME, 0, KEY, 0, 0, NULL, ""},
	{"tier", COL_NAME, COL_REQUIRED, 63, 0, 0, NULL, NULL},
	{"category", COL_ENUM, 0, 16, 0, 0, categories, ""},
	{"lower", COL_MONEY, COL_REQUIRED, 24, 0, 0, NULL, NULL},
	{"upper", COL_MONEY, 0, 24, 0, 0, NULL, NULL},
	{"rate_percent", COL_RATE, 0, 24, 0, 0, NULL, NULL},
	{"collection_factor", COL_MONEY, 0, 24, 1, 0, NULL, NULL},
};

static const char *const tier_checks[] = {
	"SELECT line, 'tier', format('tier \"%s\"%s appears twice in the set (first on line %s)',"
	"       tier, CASE WHEN category <> '' THEN format(' for category %s', category) ELSE '' END, first)"
	"  FROM (SELECT line, tier, category,"
	"               min(line) OVER (PARTITION BY program, customer, category, tier) AS first"
	"          FROM stage) d"
	" WHERE line > first ORDER BY line LIMIT 1000",

	"SELECT * FROM ("
	" SELECT s.line, 'program', format('unknown program \"%s\" (import programs first)', s.program)"
	"   FROM stage s WHERE NOT EXISTS (SELECT 1 FROM programs p WHERE p.program = s.program)"
	" UNION ALL"
	" SELECT s.line, 'customer', format('unknown customer \"%s\" (import customers first)', s.customer)"
	"   FROM stage s WHERE s.customer <> ''"
	"    AND NOT EXISTS (SELECT 1 FROM customers c WHERE c.customer = s.customer)) e"
	" ORDER BY 1 LIMIT 1000",

	"SELECT s.line, c.col, c.msg FROM stage s LEFT JOIN programs p USING (program)"
	"  LEFT JOIN earning_rules er ON er.earning = p.earning, LATERAL (VALUES"
	"  (s.rate_ppm IS NOT NULL AND s.factor_cents IS NOT NULL, 'collection_factor',"
	"   'give rate_percent or collection_factor, not both'),"
	"  (s.rate_ppm IS NULL AND s.factor_cents IS NULL, 'rate_percent',"
	"   'a rate_percent or a collection_factor is required'),"
	"  (s.upper_cents < s.lower_cents, 'upper',"
	"   format('upper %s is below lower %s', money_text(s.upper_cents), money_text(s.lower_cents))),"
	"  (NOT er.per_invoice AND s.category <> '', 'category',"
	"   format('must be blank: program \"%s\" is %s', s.program, p.earning)),"
	"  (NOT er.per_invoice AND s.factor_cents IS NOT NULL, 'collection_factor',"
	"   format('collection factors are for per_invoice programs; \"%s\" is %s', s.program, p.earning))"
	" ) c(bad, col, msg) WHERE c.bad ORDER BY 1 LIMIT 1000",

	/* Rate tiers of one set and category must not overlap (ranges are
	 * inclusive); collection-factor tiers are picked by lower bound only. */
	"SELECT b.line, 'lower', format('the range %s..%s overlaps tier \"%s\" on line %s',"
	"       money_text(b.lower_cents), COALESCE(money_text(b.upper_cents), ''), a.tier, a.line)"
	"  FROM stage a JOIN stage b ON a.program = b.program AND a.customer = b.customer"
	"   AND a.category = b.category AND a.line < b.line"
	" WHERE a.rate_ppm IS NOT NULL AND b.rate_ppm IS NOT NULL"
	"   AND a.lower_cents <= COALESCE(b.upper_cents, 9223372036854775807)"
	"   AND b.lower_cents <= COALESCE(a.upper_cents, 9223372036854775807)"
	" ORDER BY 1 LIMIT 1000",

	"SELECT min(line), 'collection_factor',"
	"       format('the tier set of program \"%s\"%s mixes rate_percent and collection_factor rows',"
	"              program, CASE WHEN customer <> '' THEN format(' for customer \"%s\"', customer)"
	"                            ELSE '' END)"
	"  FROM stage GROUP BY program, customer"
	" HAVING count(rate_ppm) > 0 AND count(factor_cents) > 0 ORDER BY 1 LIMIT 1000",
	NULL,
	NULL,
};

/* A (program, customer) set in the file replaces the stored set whole; a
 * set that is identical is left alone. */
static const struct import_kind tiers = {
	.name = "tiers",
	.cols = tier_cols,
	.ncols = sizeof(tier_cols) / sizeof(tier_cols[0]),
	.one_of = {"rate_percent", "collection_factor"},
	.prepare_sql =
	"LOCK TABLE tiers IN SHARE ROW EXCLUSIVE MODE;"
	"CREATE TEMP TABLE stage (line integer, program text COLLATE \"C\", customer text COLLATE \"C\", tier text COLLATE \"C\","
	" category text, lower_cents bigint, upper_cents bigint, rate_ppm bigint,"
	" factor_cents bigint) ON COMMIT DROP",
	.checks = tier_checks,
	.upsert_sql =
	"CREATE TEMP TABLE tier_cmp ON COMMIT DROP AS"
	" SELECT s.program, s.customer, o.tier IS NULL AS is_new,"
	"        o.tier IS NOT NULL AND (o.lower_cents, o.upper_cents, o.rate_ppm, o.factor_cents)"
	"          IS DISTINCT FROM (s.lower_cents, s.upper_cents, s.rate_ppm, s.factor_cents) AS is_changed"
	"   FROM stage s LEFT JOIN tiers o USING (program, customer, category, tier);"
	"CREATE TEMP TABLE tier_gone ON COMMIT DROP AS"
	" SELECT o.program, o.customer FROM tiers o"
	"  WHERE EXISTS (SELECT 1 FROM stage s WHERE s.program = o.program AND s.customer = o.customer)"
	"    AND NOT EXISTS (SELECT 1 FROM stage s WHERE (s.program, s.customer, s.category, s.tier)"
	"                                              = (o.program, o.customer, o.category, o.tier));"
	"CREATE TEMP TABLE tier_sets ON COMMIT DROP AS"
	" SELECT program, customer FROM tier_cmp WHERE is_new OR is_changed"
	" UNION SELECT program, customer FROM tier_gone;"
	"DELETE FROM tiers t USING tier_sets c WHERE t.program = c.program AND t.customer = c.customer;"
	"INSERT INTO tiers (program, customer, tier, category, lower_cents, upper_cents, rate_ppm, factor_cents)"
	" SELECT s.program, s.customer, s.tier, s.category, s.lower_cents, s.upper_cents, s.rate_ppm,"
	"        s.factor_cents FROM stage s JOIN tier_sets c USING (program, customer);"
	"SELECT count(*) FILTER (WHERE is_new), count(*) FILTER (WHERE is_changed),"
	"       count(*) FILTER (WHERE NOT is_new AND NOT is_changed), (SELECT count(*) FROM tier_gone)"
	"  FROM tier_cmp",
};

/* -- invoices ------------------------------------------------------------- */

static const struct import_col invoice_cols[] = {
	{"invoice", COL_NAME, COL_REQUIRED, KEY, 0, 0, NULL, NULL},
	{"customer", COL_NAME, COL_REQUIRED, KEY, 0, 0, NULL, NULL},
	{"kind", COL_ENUM, 0, 16, 0, 0, kinds, "invoice"},
	{"date", COL_DATE, COL_REQUIRED, 10, 0, 0, NULL, NULL},
	{"category", COL_ENUM, 0, 16, 0, 0, categories, "sales"},
	{"net", COL_MONEY, COL_REQUIRED, 24, 0, 0, NULL, NULL},
	{"total", COL_MONEY, COL_REQUIRED, 24, 0, 0, NULL, NULL},
	{"status", COL_ENUM, COL_REQUIRED, 16, 0, 0, statuses, NULL},
	{"no_points", COL_BOOL, 0, 5, 0, 0, NULL, "f"},
	{"original", COL_NAME, 0, KEY, 0, 0, NULL, NULL},
};

/* A document given twice in the file.  The primary key, (account,
 * invoice), would refuse a new number given twice for one account only: a
 * number is unique across accounts, so every repeated number is named here
 * before anything is written. */
#define DOCUMENT_TWICE \
	"WITH dup AS (SELECT invoice FROM stage GROUP BY invoice HAVING count(*) > 1)" \
	" SELECT line, 'invoice', format('document \"%s\" appears twice in the file (first on line %s)', invoice, first)" \
	"  FROM (SELECT line, invoice, min(line) OVER (PARTITION BY invoice) AS first" \
	"          FROM stage JOIN dup USING (invoice)) d" \
	" WHERE line > first ORDER BY line LIMIT 1000"

/* Checks before writing. */
static const char *const invoice_checks[] = {
	"SELECT s.line, 'customer', format('unknown customer \"%s\" (import customers first)', s.customer)"
	"  FROM stage s WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.customer = s.customer)"
	" ORDER BY 1 LIMIT 1000",

	DOCUMENT_TWICE,

	/* A number stored for one account stays in it: the documents of an
	 * account stay together (a customer's change of parent moves them
	 * all, with the customers import).  An unposted document of another
	 * customer of the same account may change customer; a posted or
	 * cancelled one no customer at all (the next check). */
	"SELECT s.line, 'invoice',"
	"       format('document \"%s\" is stored for customer \"%s\" of account \"%s\"; ' ||"
	"              'customer \"%s\" is of account \"%s\": a document number belongs to one account',"
	"              s.invoice, i.customer, i.account, s.customer, COALESCE(c.parent, c.customer))"
	"  FROM stage s JOIN stored t USING (line)"
	"  JOIN invoices i ON i.account = t.account AND i.invoice = s.invoice"
	"  JOIN customers c ON c.customer = s.customer"
	" WHERE i.status = 'unposted' AND i.account <> COALESCE(c.parent, c.customer)"
	" ORDER BY 1 LIMIT 1000",

	/* A posted document may only become cancelled; a cancelled one is final;
	 * an unposted one may change freely. */
	"SELECT s.line, d.col, CASE WHEN i.status = 'cancelled'"
	"         THEN format('document \"%s\" is cancelled and cannot change (%s was %s, now %s)',"
	"                     s.invoice, d.col, d.old, d.new)"
	"         ELSE format('posted document \"%s\" cannot change %s (was %s, now %s): ' ||"
	"                     'only a change to cancelled is allowed', s.invoice, d.col, d.old, d.new) END"
	"  FROM stage s JOIN invoices i USING (invoice), LATERAL ("
	"   SELECT v.col, COALESCE(v.old, '(blank)') AS old, COALESCE(v.new, '(blank)') AS new FROM (VALUES"
	"    (1, 'customer', i.customer, s.customer), (2, 'kind', i.kind, s.kind),"
	"    (3, 'date', i.doc_date::text, s.doc_date::text), (4, 'category', i.category, s.category),"
	"    (5, 'net', money_text(i.net_cents), money_text(s.net_cents)),"
	"    (6, 'total', money_text(i.total_cents), money_text(s.total_cents)),"
	"    (7, 'status', i.status, s.status), (8, 'no_points', i.no_points::text, s.no_points::text),"
	"    (9, 'original', i.original, s.original)) v(n, col, old, new)"
	"   WHERE v.old IS DISTINCT FROM v.new"
	"     AND NOT (v.col = 'status' AND v.old = 'posted' AND v.new = 'cancelled')"
	"   ORDER BY v.n LIMIT 1) d"
	" WHERE i.status IN ('posted', 'cancelled')"
	"   AND (i.customer, i.kind, i.doc_date, i.category, i.net_cents, i.total_cents, i.status,"
	"        i.no_points, i.original) IS DISTINCT FROM"
	"       (s.customer, s.kind, s.doc_date, s.category, s.net_cents, s.total_cents, s.status,"
	"        s.no_points, s.original)"
	" ORDER BY 1 LIMIT 1000",
	NULL,
};

/* A credit note's original: an invoice of the same customer, in the file
 * or stored.  After the writes the table holds exactly that. */
#define ORIGINAL_ERROR \
	"SELECT s.line, 'original', CASE" \
	"    WHEN s.kind <> 'credit_note' THEN 'only a credit note has an original invoice'" \
	"    WHEN o.invoice IS NULL THEN format('unknown original invoice \"%s\"', s.original)" \
	"    WHEN o.kind <> 'invoice' THEN format('\"%s\" is a credit note, not an invoice', s.original)" \
	"    ELSE format('original invoice \"%s\" belongs to customer \"%s\", not \"%s\"'," \
	"                s.original, o.customer, s.customer) END"
#define ORIGINAL_WHERE \
	" WHERE s.original IS NOT NULL" \
	"   AND (s.kind <> 'credit_note' OR o.invoice IS NULL OR o.kind <> 'invoice'" \
	"        OR o.customer <> s.customer)" \
	" ORDER BY 1 LIMIT 1000"

static const char *const invoice_checks_after[] = {
	/* one index probe per credit note (OFFSET 0 keeps the planner from
	 * hashing the whole table for them) */
	ORIGINAL_ERROR
	"  FROM stage s LEFT JOIN LATERAL (SELECT invoice, kind, customer FROM invoices o"
	"                                   WHERE o.invoice = s.original OFFSET 0) o ON true"
	ORIGINAL_WHERE,
	NULL,
};

static const char *const invoice_checks_unwritten[] = {
	ORIGINAL_ERROR
	"  FROM stage s"
	/* the file's first row of that number (a number given twice is an
	 * error of its own, named once) */
	"  LEFT JOIN (SELECT DISTINCT ON (invoice) invoice, customer, kind FROM stage"
	"              ORDER BY invoice, line) f ON f.invoice = s.original"
	"  LEFT JOIN invoices i ON f.invoice IS NULL AND i.invoice = s.original"
	"  CROSS JOIN LATERAL (SELECT COALESCE(f.invoice, i.invoice) AS invoice,"
	"                             COALESCE(f.customer, i.customer) AS customer,"
	"                             COALESCE(f.kind, i.kind) AS kind) o"
	ORIGINAL_WHERE,
	NULL,
};

#define INVOICE_COLS "customer, kind, doc_date, category, net_cents, total_cents, status, " \
	"no_points, original"
#define INVOICE_VALS(t) "(" t ".customer, " t ".kind, " t ".doc_date, " t ".category, " \
	t ".net_cents, " t ".total_cents, " t ".status, " t ".no_points, " t ".original)"

static const struct import_kind invoices = {
	.name = "invoices",
	.cols = invoice_cols,
	.ncols = sizeof(invoice_cols) / sizeof(invoice_cols[0]),
	.prepare_sql =
	"LOCK TABLE invoices IN SHARE ROW EXCLUSIVE MODE;"
	"CREATE TEMP TABLE stage (line integer, invoice text COLLATE \"C\", customer text COLLATE \"C\", kind text,"
	" doc_date date, category text, net_cents bigint, total_cents bigint, status text,"
	" no_points boolean, original text COLLATE \"C\") ON COMMIT DROP",
	/* the number looked up whatever its account (invoices_invoice) */
	.before_checks_sql =
	"CREATE TEMP TABLE stored ON COMMIT DROP AS"
	" SELECT s.line, i.account FROM stage s JOIN invoices i USING (invoice)",
	.checks = invoice_checks,
	/* (a stored document stays in its account: checked above) */
	.update_sql =
	"UPDATE invoices i SET (" INVOICE_COLS ", imported_at, status_at) ="
	" (s.customer, s.kind, s.doc_date, s.category, s.net_cents, s.total_cents, s.status,"
	"  s.no_points, s.original, now(),"
	"  CASE WHEN i.status <> s.status THEN now() ELSE i.status_at END)"
	"  FROM stage s JOIN stored t USING (line)"
	" WHERE i.account = t.account AND i.invoice = s.invoice"
	"   AND " INVOICE_VALS("i") " IS DISTINCT FROM " INVOICE_VALS("s"),
	/* the customer's account (an unknown customer was refused) */
	.insert_sql =
	"INSERT INTO invoices (account, invoice, " INVOICE_COLS ")"
	" SELECT COALESCE(c.parent, c.customer), s.invoice, " INVOICE_COLS
	"   FROM stage s JOIN customers c USING (customer)"
	"  WHERE NOT EXISTS (SELECT 1 FROM stored t WHERE t.line = s.line)",
	.checks_after = invoice_checks_after,
	.checks_unwritten = invoice_checks_unwritten,
};

/* -- payments ------------------------------------------------------------- */

/* reversed_on (SPEC §2 Payments): blank, or the date the allocation was
 * undone.  Setting it on a stored allocation is the one change an import
 * may make to one; once set it never changes.  A file without the column
 * leaves the stored reversals as they are (before_checks_sql below). */
static const struct import_col payment_cols[] = {
	{"payment", COL_NAME, COL_REQUIRED, KEY, 0, 0, NULL, NULL},
	{"customer", COL_NAME, COL_REQUIRED, KEY, 0, 0, NULL, NULL},
	{"date", COL_DATE, COL_REQUIRED, 10, 0, 0, NULL, NULL},
	{"invoice", COL_NAME, 0, KEY, 0, 0, NULL, NULL},
	{"amount", COL_MONEY, COL_REQUIRED, 24, 1, 0, NULL, NULL},
	{"method", COL_ENUM, COL_REQUIRED, 16, 0, 0, methods, NULL},
	{"reversed_on", COL_DATE, 0, 10, 0, 0, NULL, NULL},
};

/* An allocation as messages name it: to its invoice, or on account (a
 * NULL is an empty string to format(), not a NULL). */
#define ALLOCATION_TO(s) \
	"CASE WHEN " s ".invoice IS NULL THEN 'on account'" \
	" ELSE format('to invoice \"%s\"', " s ".invoice) END"
#define ALLOCATION(s) "format('payment \"%s\" %s', " s ".payment, " ALLOCATION_TO(s) ")"

static const char *const payment_checks[] = {
	"SELECT line, 'payment', format('payment \"%s\" %s appears twice in the file (first on line %s)',"
	"       payment, " ALLOCATION_TO("d") ", first)"
	"  FROM (SELECT line, payment, invoice,"
	"               min(line) OVER (PARTITION BY payment, COALESCE(invoice, '')) AS first FROM stage) d"
	" WHERE line > first ORDER BY line LIMIT 1000",

	"SELECT s.line, 'customer', format('unknown customer \"%s\" (import customers first)', s.customer)"
	"  FROM stage s WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.customer = s.customer)"
	" ORDER BY 1 LIMIT 1000",

	/* The invoice must be the payer's own or one of its children's. */
	"SELECT s.line, 'invoice', CASE"
	"    WHEN i.invoice IS NULL THEN format('unknown invoice \"%s\" (import invoices first)', s.invoice)"
	"    WHEN i.kind <> 'invoice' THEN format('\"%s\" is a credit note: payments are allocated to invoices', s.invoice)"
	"    ELSE format('invoice \"%s\" belongs to customer \"%s\", not \"%s\"',"
	"                s.invoice, i.customer, s.customer) END"
	"  FROM stage s LEFT JOIN invoices i ON i.invoice = s.invoice"
	"       LEFT JOIN customers c ON c.customer = i.customer"
	" WHERE s.invoice IS NOT NULL"
	"   AND (i.invoice IS NULL OR i.kind <> 'invoice'"
	"        OR (i.customer <> s.customer AND c.parent IS DISTINCT FROM s.customer))"
	" ORDER BY 1 LIMIT 1000",

	/* An allocation already imported is a fact the closes have used: only
	 * its reversed_on may be set (the next two checks). */
	"SELECT s.line, CASE WHEN p.customer <> s.customer THEN 'customer'"
	"                    WHEN p.pay_date <> s.pay_date THEN 'date'"
	"                    WHEN p.amount_cents <> s.amount_cents THEN 'amount' ELSE 'method' END,"
	"       format('%s was imported before as %s %s by %s on %s: an allocation cannot change; ' ||"
	"              'reverse it (reversed_on) and import a new payment to correct it', "
	ALLOCATION("s") ","
	"              money_text(p.amount_cents), p.method, p.customer, p.pay_date)"
	"  FROM stage s JOIN payments p ON p.payment = s.payment"
	"   AND COALESCE(p.invoice, '') = COALESCE(s.invoice, '')"
	" WHERE (p.customer, p.pay_date, p.amount_cents, p.method)"
	"       IS DISTINCT FROM (s.customer, s.pay_date, s.amount_cents, s.method)"
	" ORDER BY 1 LIMIT 1000",

	/* A reversal stands: once set, a reversed_on never changes, and a
	 * file with the column cannot clear it. */
	"SELECT s.line, 'reversed_on',"
	"       format('%s was reversed on %s: a reversal cannot be changed or undone', "
	ALLOCATION("s") ", t.reversed_on)"
	"  FROM stage s JOIN stored t USING (line)"
	" WHERE t.reversed_on IS NOT NULL AND s.reversed_on IS DISTINCT FROM t.reversed_on"
	" ORDER BY 1 LIMIT 1000",

	/* The allocation counts from its date to the day before reversed_on:
	 * it is never reversed before it was made.  (A stored reversal that
	 * the file changes is named by the check above alone.) */
	"SELECT s.line, 'reversed_on',"
	"       format('reversed_on %s is before the payment''s date %s', s.reversed_on, s.pay_date)"
	"  FROM stage s LEFT JOIN stored t USING (line)"
	" WHERE s.reversed_on < s.pay_date AND t.reversed_on IS NULL"
	" ORDER BY 1 LIMIT 1000",
	NULL,
};

static const struct import_kind payments = {
	.name = "payments",
	.cols = payment_cols,
	.ncols = sizeof(payment_cols) / sizeof(payment_cols[0]),
	.prepare_sql =
	"LOCK TABLE payments IN SHARE ROW EXCLUSIVE MODE;"
	"CREATE TEMP TABLE stage (line integer, payment text COLLATE \"C\", customer text COLLATE \"C\", pay_date date,"
	" invoice text COLLATE \"C\", amount_cents bigint, method text, reversed_on date) ON COMMIT DROP",
	/* The allocations stored already, whatever their account (payments_number),
	 * with their account and reversal.  A file without reversed_on
	 * states no reversal: a stored one is kept, as if the file gave it. */
	.before_checks_sql =
	"CREATE TEMP TABLE stored ON COMMIT DROP AS"
	" SELECT s.line, p.account, p.reversed_on FROM stage s JOIN payments p ON p.payment = s.payment"
	"   AND COALESCE(p.invoice, '') = COALESCE(s.invoice, '');"
	"UPDATE stage s SET reversed_on = t.reversed_on FROM stored t"
	" WHERE t.line = s.line AND t.reversed_on IS NOT NULL"
	"   AND position(',reversed_on,' IN current_setting('accrue.columns')) = 0",
	.checks = payment_checks,
	/* New allocations go to the customer's account (an unknown customer
	 * was refused) with their reversal; a stored one, the same as the
	 * file's but for reversed_on (checked above), takes the file's
	 * reversed_on when it had none: counted as updated.  The UPDATE marks
	 * the account changed from the allocation's date (payments_mark_upd,
	 * sql/004), so the next close brings it up to date. */
	.upsert_sql =
	"WITH ins AS ("
	"  INSERT INTO payments (account, payment, invoice, customer, pay_date, amount_cents, method,"
	"                        reversed_on)"
	"  SELECT COALESCE(c.parent, c.customer), s.payment, s.invoice, s.customer, s.pay_date,"
	"         s.amount_cents, s.method, s.reversed_on"
	"    FROM stage s JOIN customers c USING (customer)"
	"   WHERE NOT EXISTS (SELECT 1 FROM stored t WHERE t.line = s.line)"
	"  RETURNING 1),"
	" upd AS ("
	"  UPDATE payments p SET reversed_on = s.reversed_on"
	"    FROM stage s JOIN stored t USING (line)"
	"   WHERE p.account = t.account AND p.payment = s.payment"
	"     AND COALESCE(p.invoice, '') = COALESCE(s.invoice, '')"
	"     AND p.reversed_on IS NULL AND s.reversed_on IS NOT NULL"
	"  RETURNING 1)"
	" SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM upd),"
	"        (SELECT count(*) FROM stage) - (SELECT count(*) FROM ins) - (SELECT count(*) FROM upd)",
};


/* -- adjustments (SPEC §6) ------------------------------------------------- */

static const char *const actions[] = {"add", "expire_invoice", "reverse_expiry", NULL};

static const struct import_col adjustment_cols[] = {
	{"customer", COL_NAME, COL_REQUIRED, KEY, 0, 0, NULL, NULL},
	{"action", COL_ENUM, COL_REQUIRED, 16, 0, 0, actions, NULL},
	{"amount", COL_MONEY, 0, 24, -MONEY_MAX, 0, NULL, NULL},
	{"invoice", COL_NAME, 0, KEY, 0, 0, NULL, NULL},
	{"invoice_date", COL_DATE, 0, 10, 0, 0, NULL, NULL},
	{"reference", COL_NAME, 0, KEY, 0, 0, NULL, NULL},
	{"reason", COL_NAME, COL_REQUIRED, NAME, 0, 0, NULL, NULL},
	{"date", COL_DATE, 0, 10, 0, 0, NULL, NULL},
};

static const struct import_kind adjustments = {
	.name = "adjustments",
	.cols = adjustment_cols,
	.ncols = sizeof(adjustment_cols) / sizeof(adjustment_cols[0]),
	.prepare_sql = ADJUST_STAGE_SQL,
	.checks = adjust_checks,
	.post = adjust_post_staged,
	.before_checks_sql = ADJUST_DEDUPE_SQL,
};

const struct import_kind *import_kind_find(const char *name)
{
	static const struct import_kind *const all[] = {
		&customers, &programs, &tiers, &invoices, &payments, &adjustments,
	};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(all[i]->name, name) == 0)
			return all[i];
	return NULL;
}
