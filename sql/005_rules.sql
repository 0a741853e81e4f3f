-- 005: the rules that set-based SQL needs, written once, here; C uses the
-- same rules in core/rules, and tests/lib/rules-test feeds the same data
-- through both wherever the two must remain (ARCHITECTURE.md, "Each rule
-- once").

-- The earning rules (SPEC §3).  One row per rule, the same as the table of
-- core/rules/earning.c (rules-test compares them):
--   per_invoice  the close earns on each posted invoice (tiers by cumulative
--                spend, categories, collection factors, vesting on payment,
--                unposted pending); otherwise the month-end accrues a target
--                computed on period sales
--   sales_by     for a month-end rule, the period its tiers apply to:
--                'fiscal_year' (the year-to-date total) or 'month' (each
--                month of the fiscal year on its own)
-- A new rule is a row here, its entry and functions in core/rules/earning.c,
-- and its tests.
CREATE TABLE earning_rules (
    earning      text PRIMARY KEY,
    per_invoice  boolean NOT NULL,
    sales_by     text CHECK (sales_by IN ('fiscal_year', 'month')),
    CHECK (per_invoice = (sales_by IS NULL))
);
INSERT INTO earning_rules VALUES
    ('ytd_tiered', false, 'fiscal_year'),
    ('month_tiered', false, 'month'),
    ('per_invoice', true, NULL);

ALTER TABLE programs DROP CONSTRAINT programs_earning_check;
ALTER TABLE programs ADD CONSTRAINT programs_earning_fkey
    FOREIGN KEY (earning) REFERENCES earning_rules;

-- The first day of the fiscal year holding d, for a fiscal year starting
-- on the first of month first_month (SPEC §3); core/rules/date.c's
-- date_fiscal_year_start is the same rule.  (Plain SQL, not STRICT: the
-- planner inlines it.)
CREATE FUNCTION fiscal_year_start(d date, first_month integer) RETURNS date
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT make_date(extract(year FROM d)::int - (extract(month FROM d) < first_month)::int,
                     first_month, 1)
$$;

-- The life-to-date figure a ledger line counts in (SPEC §5, README
-- Reports): 'earned' (earnings, accruals, adjustments), 'expired'
-- (expiries net of reversed expiries), 'used' (redemptions), NULL (vesting
-- moves units from pending to usable).  The reports sum by it; the
-- statements read it with each line.
CREATE FUNCTION ledger_ltd(kind text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN kind IN ('earn', 'accrual', 'adjust') THEN 'earned'
                WHEN kind IN ('expire', 'reverse_expiry') THEN 'expired'
                WHEN kind = 'redeem' THEN 'used' END
$$;

-- The documents that count as eligible sales (SPEC §3): posted invoices
-- and credit notes, a credit note negative, leaving out no_points
-- documents and credit notes against no_points invoices; net and total
-- both, the program's basis picks one.  The month-end's summed sales and
-- the balances' ytd_sales read this view; core/rules/account.c's accrual
-- applies the same rule to an account's documents when it replays them one
-- by one.
--
-- Whether a credit note's original is a no_points invoice is asked of the
-- whole table (the original may be unposted, or dated after the close):
-- the close's stream sends against_no_points with each document for the
-- C replay, so that C decides nothing here on its own.
-- (The parameters are named doc_kind and doc_original: inside the query a
-- column of invoices would win over a parameter of the same name.)
CREATE FUNCTION against_no_points(doc_kind text, doc_original text) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT doc_kind = 'credit_note'
           AND EXISTS (SELECT 1 FROM invoices o WHERE o.invoice = doc_original AND o.no_points)
$$;

CREATE VIEW sales_documents AS
SELECT i.invoice, i.customer, i.doc_date, i.kind,
       CASE WHEN i.kind = 'credit_note' THEN -i.net_cents ELSE i.net_cents END AS net_cents,
       CASE WHEN i.kind = 'credit_note' THEN -i.total_cents ELSE i.total_cents END AS total_cents
  FROM invoices i
 WHERE i.status = 'posted' AND NOT i.no_points
   -- (the kind first: the function reads the table, so only credit notes
   -- should call it; it is not inlined)
   AND NOT (i.kind = 'credit_note' AND against_no_points(i.kind, i.original));

-- The ledger documents of manual work on an invoice (SPEC §6): its manual
-- expiry is E<invoice>, the reversal of an expiry R<invoice>; the same
-- prefixes as core/rules/account.h's ACCT_DOC_EXPIRY and ACCT_DOC_REVERSAL.
CREATE FUNCTION manual_expiry_document(invoice text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT 'E' || invoice $$;
CREATE FUNCTION expiry_reversal_document(invoice text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT 'R' || invoice $$;

-- Everyone reads the rules (functions are executable by PUBLIC already).
GRANT SELECT ON earning_rules, sales_documents TO accrue_view;
