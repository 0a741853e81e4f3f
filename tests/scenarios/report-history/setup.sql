-- Data for the report scenarios (report-balances, report-history: the same
-- file in both).  Hand-computed results are in the comments; amounts in the
-- tables are cents and hundredths of a unit.
--
-- Programs: YTD (points, ytd_tiered, net basis, fiscal year from April) and
-- RD (dollars, per_invoice, on_payment within 30 days, total basis, fiscal
-- year from January).
-- Customers: parent P1 (YTD) with children C1 (no program of its own) and C2
-- (own YTD tier set, which must be ignored: the account is P1's); standalone
-- S1 (RD), S2 (YTD, own tier set with a gap), 20 (YTD), 100 (RD, nothing but
-- a credit note), N1 (no program: no balances row).
--
-- Loading it twice changes nothing (it only loads into an empty database).
\set ON_ERROR_STOP on
\set QUIET on
SELECT NOT EXISTS (SELECT 1 FROM programs) AS fresh \gset
\if :fresh
BEGIN;

INSERT INTO programs (program, name, unit, earning, vesting, basis, max_payment_days,
                      expiry_months, expiry_days, unit_value_cents, fiscal_year_start,
                      expense_account, liability_account, forfeit_account, receivable_account)
VALUES ('YTD', 'Year points', 'points', 'ytd_tiered', 'immediate', 'net', NULL,
        12, NULL, 1, 4, '6100', '2400', '4900', '1200'),
       ('RD', 'Reward dollars', 'dollars', 'per_invoice', 'on_payment', 'total', 30,
        NULL, 365, 100, 1, '6110', '2410', '4910', '1200');

-- YTD program set: Bronze 0–999.99 1%, Silver 1000–4999.99 2%, Gold 5000– 3%.
-- S2's own set (replaces the program's): Low 0–499.99, High 1000– (a gap
-- between).  C2's own set is never used: C2 reports its parent's account.
INSERT INTO tiers (program, customer, tier, category, lower_cents, upper_cents, rate_ppm, factor_cents)
VALUES ('YTD', '', 'Bronze', '', 0, 99999, 10000, NULL),
       ('YTD', '', 'Silver', '', 100000, 499999, 20000, NULL),
       ('YTD', '', 'Gold', '', 500000, NULL, 30000, NULL),
       ('YTD', 'S2', 'Low', '', 0, 49999, 40000, NULL),
       ('YTD', 'S2', 'High', '', 100000, NULL, 50000, NULL),
       ('YTD', 'C2', 'ChildSet', '', 0, NULL, 90000, NULL),
       ('RD', '', 'Std', '', 0, NULL, 20000, NULL);

INSERT INTO customers (customer, name, parent, program)
VALUES ('P1', 'Parent Co', NULL, 'YTD'),
       ('C1', 'Child One', 'P1', NULL),
       ('C2', 'Child, Two', 'P1', 'YTD'),
       ('S1', 'Solo "Quoted" Ltd', NULL, 'RD'),
       ('S2', 'Zoë Café', NULL, 'YTD'),
       ('20', 'Twenty Inc', NULL, 'YTD'),
       ('100', 'Hundred LLC', NULL, 'RD'),
       ('N1', 'Nobody', NULL, NULL);

-- YTD sales of account P1 (net, children included):
--   as of 2026-03-31 (fiscal year from 2025-04-01):
--     INV-P1-2 1200.00 + INV-C1-1 800.00 - CN-C1-1 100.00 + INV-C2-4 150.00
--     = 2050.00 (Silver); INV-P1-1 is before the year, INV-C2-1 is no_points
--     and CN-C2-1 credits it, INV-C2-2 unposted, INV-C2-3 cancelled,
--     INV-C2-5 after the date.
--   as of 2026-06-30 (year from 2026-04-01): INV-C2-5 400.00 (Bronze).
-- 20: 5000.00 - 0.01 = 4999.99 as of 2026-03-31 (Silver, upper bound
--   inclusive); 5000.00 as of 2026-01-14 (Gold, lower bound inclusive);
--   0.00 as of 2026-06-30 (Bronze).
-- S2: 700.00 as of 2026-03-31 (in the gap of its own set: no tier); 0.00
--   from 2026-04-01 (Low).
-- S1 (total basis, year from January): 100.00 + 1150.00 + 230.00 = 1480.00;
--   INV-S1-0 is in the previous year.
-- 100: a credit note alone, -25.50 (total basis).
-- (account: the customer's parent, or the customer itself)
INSERT INTO invoices (account, invoice, customer, kind, doc_date, net_cents, total_cents, status, no_points, original)
VALUES ('P1', 'INV-P1-1', 'P1', 'invoice', '2025-03-15', 50000, 57500, 'posted', false, NULL),
       ('P1', 'INV-P1-2', 'P1', 'invoice', '2025-05-10', 120000, 138000, 'posted', false, NULL),
       ('P1', 'INV-C1-1', 'C1', 'invoice', '2025-08-01', 80000, 92000, 'posted', false, NULL),
       ('P1', 'CN-C1-1', 'C1', 'credit_note', '2025-09-01', 10000, 11500, 'posted', false, 'INV-C1-1'),
       ('P1', 'INV-C2-1', 'C2', 'invoice', '2026-01-20', 30000, 34500, 'posted', true, NULL),
       ('P1', 'CN-C2-1', 'C2', 'credit_note', '2026-01-25', 5000, 5750, 'posted', false, 'INV-C2-1'),
       ('P1', 'INV-C2-2', 'C2', 'invoice', '2026-02-10', 250000, 287500, 'unposted', false, NULL),
       ('P1', 'INV-C2-3', 'C2', 'invoice', '2026-03-05', 70000, 80500, 'cancelled', false, NULL),
       ('P1', 'INV-C2-4', 'C2', 'invoice', '2026-03-31', 15000, 17250, 'posted', false, NULL),
       ('P1', 'INV-C2-5', 'C2', 'invoice', '2026-04-01', 40000, 46000, 'posted', false, NULL),
       ('S2', 'INV-S2-1', 'S2', 'invoice', '2025-06-01', 70000, 80500, 'posted', false, NULL),
       ('20', 'INV-20-1', '20', 'invoice', '2025-12-01', 500000, 575000, 'posted', false, NULL),
       ('20', 'CN-20-1', '20', 'credit_note', '2026-01-15', 1, 1, 'posted', false, NULL),
       ('S1', 'INV-S1-0', 'S1', 'invoice', '2025-12-15', 90000, 99900, 'posted', false, NULL),
       ('S1', 'INV-S1-3', 'S1', 'invoice', '2026-01-05', 9000, 10000, 'posted', false, NULL),
       ('S1', 'INV-S1-1', 'S1', 'invoice', '2026-02-01', 100000, 115000, 'posted', false, NULL),
       ('S1', 'INV-S1-2', 'S1', 'invoice', '2026-02-10', 20000, 23000, 'posted', false, NULL),
       ('100', 'CN-100-1', '100', 'credit_note', '2026-02-01', 2200, 2550, 'posted', false, NULL),
       ('N1', 'INV-N1-1', 'N1', 'invoice', '2026-01-01', 100, 100, 'posted', false, NULL);

-- The ledger, deliberately not inserted in date order (history sorts by
-- date, then entry).  Entry ids follow the order of the rows below.
--
-- Account P1 (YTD):                       usable  earned  used  expired
--    1 2025-05-31 accrual        +24.00     24.00   24.00
--    2 2025-08-31 accrual        +16.00     40.00   40.00
--    3 2025-09-30 accrual         -2.00     38.00   38.00
--    4 2025-10-15 adjust (by C2)  +5.00     43.00   43.00
--    6 2025-11-20 redeem         -10.00     33.00   43.00  10.00
--    5 2026-01-10 adjust          -3.00     30.00   40.00  10.00
--    7 2026-03-31 accrual         +3.00     33.00   43.00  10.00   0.00  <- as of 2026-03-31
--    8 2026-06-01 expire          -9.00     24.00   34.00  10.00   9.00
--    9 2026-06-30 adjust (by C1)  +4.00     28.00   38.00  10.00   9.00  <- as of 2026-06-30
INSERT INTO ledger (account, customer, program, kind, entry_date, document, pending_units, usable_units, expires_on, note)
VALUES ('P1', 'P1', 'YTD', 'accrual', '2025-05-31', 'YTD-2025-05', 0, 2400, '2026-05-31', 'ytd accrual'),
       ('P1', 'P1', 'YTD', 'accrual', '2025-08-31', 'YTD-2025-08', 0, 1600, '2026-08-31', 'ytd accrual'),
       ('P1', 'P1', 'YTD', 'accrual', '2025-09-30', 'YTD-2025-09', 0, -200, NULL, 'ytd accrual'),
       ('P1', 'C2', 'YTD', 'adjust', '2025-10-15', 'MANUALADJ', 0, 500, '2026-10-15', 'goodwill, for "C2"'),
       ('P1', 'P1', 'YTD', 'adjust', '2026-01-10', 'MANUALADJ', 0, -300, NULL, 'correction'),
       ('P1', 'P1', 'YTD', 'redeem', '2025-11-20', 'PAY-77', 0, -1000, NULL, 'redemption'),
       ('P1', 'P1', 'YTD', 'accrual', '2026-03-31', 'YTD-2026-03', 0, 300, '2027-03-31', 'ytd accrual'),
       ('P1', 'P1', 'YTD', 'expire', '2026-06-01', '', 0, -900, NULL, 'expired'),
       ('P1', 'C1', 'YTD', 'adjust', '2026-06-30', 'MANUALADJ', 0, 400, '2027-06-30', 'child credit');

-- Account S2 (YTD): 28.00 accrued, all expired on 2026-07-01.  Its line of
-- program RD (an earlier program) is in neither report.
INSERT INTO ledger (account, customer, program, kind, entry_date, document, pending_units, usable_units, expires_on, note)
VALUES ('S2', 'S2', 'YTD', 'accrual', '2025-06-30', 'YTD-2025-06', 0, 2800, '2026-06-30', 'ytd accrual'),
       ('S2', 'S2', 'YTD', 'expire', '2026-07-01', '', 0, -2800, NULL, 'expired'),
       ('S2', 'S2', 'RD', 'adjust', '2025-01-10', 'MANUALADJ', 0, 999, NULL, 'old program');

-- Account S1 (RD, on_payment):         pending  usable
--   14 2026-01-05 earn INV-S1-3  +2.00     2.00    0.00
--   13 2026-02-01 earn INV-S1-1 +23.00    25.00    0.00
--   15 2026-02-05 expire INV-S1-3 -2.00   23.00    0.00
--   16 2026-02-10 earn INV-S1-2  +4.60    27.60    0.00
--   17 2026-02-20 vest INV-S1-1 -23.00/+23.00  4.60  23.00
--   18 2026-03-13 expire INV-S1-2 -4.60    0.00   23.00
--   20 2026-03-20 reverse_expiry +4.60     4.60   23.00
--   19 2026-03-25 adjust         +1.50     4.60   24.50
--   21 2026-03-25 redeem         -5.00     4.60   19.50
-- earned = 23.00 + 2.00 + 4.60 + 1.50 = 31.10; expired = 2.00 + 4.60 - 4.60
-- = 2.00; ltd_earned = 31.10 - 2.00 = 29.10; used 5.00;
-- 4.60 + 19.50 = 29.10 - 5.00.
INSERT INTO ledger (account, customer, program, kind, entry_date, document, pending_units, usable_units, expires_on, note, tier)
VALUES ('S1', 'S1', 'RD', 'earn', '2026-02-01', 'INV-S1-1', 2300, 0, NULL, '', 'Std'),
       ('S1', 'S1', 'RD', 'earn', '2026-01-05', 'INV-S1-3', 200, 0, NULL, '', 'Std'),
       ('S1', 'S1', 'RD', 'expire', '2026-02-05', 'INV-S1-3', -200, 0, NULL, 'not paid within 30 days', NULL),
       ('S1', 'S1', 'RD', 'earn', '2026-02-10', 'INV-S1-2', 460, 0, NULL, '', 'Std'),
       ('S1', 'S1', 'RD', 'vest', '2026-02-20', 'INV-S1-1', -2300, 2300, '2027-02-20', 'paid in full', NULL),
       ('S1', 'S1', 'RD', 'expire', '2026-03-13', 'INV-S1-2', -460, 0, NULL, 'not paid within 30 days', NULL),
       ('S1', 'S1', 'RD', 'adjust', '2026-03-25', 'MANUALADJ', 0, 150, '2027-03-25', E'service credit\nper call', NULL),
       ('S1', 'S1', 'RD', 'reverse_expiry', '2026-03-20', 'INV-S1-2', 460, 0, NULL, 'customer disputed', NULL),
       ('S1', 'S1', 'RD', 'redeem', '2026-03-25', 'PAY-9', 0, -500, NULL, 'redemption', NULL);

-- The entries above posted as the closes would post them (SPEC §7), so that
-- the books pass `accrue verify` like every scenario's: the running totals
-- per program and kind, one journal per program with a line per GL role
-- worth its units, and every entry that moves value pointing at it (the
-- ledger is append-only: its guard is lifted for that one UPDATE).
INSERT INTO ledger_totals (program, kind, units)
SELECT program, kind, sum(pending_units + usable_units) FROM ledger GROUP BY program, kind;
WITH j AS (
    INSERT INTO gl_journals (program, journal_date, memo)
    SELECT program, max(entry_date), 'report fixture' FROM ledger GROUP BY program
    RETURNING journal_id, program
), u AS (
    SELECT program,
           COALESCE(sum(pending_units + usable_units)
                    FILTER (WHERE kind IN ('earn', 'accrual', 'adjust')), 0) AS expense,
           COALESCE(sum(pending_units + usable_units)
                    FILTER (WHERE kind IN ('expire', 'reverse_expiry')), 0) AS forfeit,
           COALESCE(sum(pending_units + usable_units) FILTER (WHERE kind = 'redeem'), 0) AS receivable,
           -sum(pending_units + usable_units) AS liability
      FROM ledger GROUP BY program
)
INSERT INTO gl_lines (journal_id, account, debit_cents, credit_cents, role)
SELECT j.journal_id, v.account, greatest(v.cents, 0), greatest(-v.cents, 0), v.role
  FROM j JOIN u USING (program) JOIN programs p USING (program)
 CROSS JOIN LATERAL (VALUES
       ('expense', p.expense_account, round(u.expense * p.unit_value_cents / 100.0)::bigint),
       ('forfeit', p.forfeit_account, round(u.forfeit * p.unit_value_cents / 100.0)::bigint),
       ('receivable', p.receivable_account, round(u.receivable * p.unit_value_cents / 100.0)::bigint),
       ('liability', p.liability_account, round(u.liability * p.unit_value_cents / 100.0)::bigint)
       ) v(role, account, cents)
 WHERE v.cents <> 0;
ALTER TABLE ledger DISABLE TRIGGER ledger_append_only;
UPDATE ledger l SET journal_id = j.journal_id
  FROM gl_journals j WHERE j.program = l.program AND l.pending_units + l.usable_units <> 0;
ALTER TABLE ledger ENABLE TRIGGER ledger_append_only;

COMMIT;
\endif
