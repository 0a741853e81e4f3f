-- SPEC §7: per program, at every journal date, the liability account's
-- balance (credits - debits of its lines in journals up to that date) equals
-- the money value of all pending plus usable units up to that date,
-- round(units x unit_value_cents / 100) half away from zero.  Every journal
-- balances.  Prints ok, or the offending rows.
\pset format unaligned
\pset tuples_only on
WITH d AS (
  SELECT DISTINCT program, journal_date AS day FROM gl_journals
), liab AS (
  SELECT d.program, d.day, COALESCE(sum(gl.credit_cents - gl.debit_cents), 0) AS cents
    FROM d JOIN programs p ON p.program = d.program
    LEFT JOIN gl_journals j ON j.program = d.program AND j.journal_date <= d.day
    LEFT JOIN gl_lines gl ON gl.journal_id = j.journal_id AND gl.account = p.liability_account
   GROUP BY d.program, d.day
), val AS (
  SELECT d.program, d.day,
         round(COALESCE(sum(l.pending_units + l.usable_units), 0) * p.unit_value_cents / 100.0) AS cents
    FROM d JOIN programs p ON p.program = d.program
    LEFT JOIN ledger l ON l.program = d.program AND l.entry_date <= d.day
   GROUP BY d.program, d.day, p.unit_value_cents
), bad AS (
  SELECT format('%s %s: liability %s <> value %s', liab.program, liab.day, liab.cents, val.cents) AS msg
    FROM liab JOIN val USING (program, day)
   WHERE liab.cents <> val.cents
  UNION ALL
  SELECT format('journal %s: debits %s <> credits %s', journal_id, sum(debit_cents), sum(credit_cents))
    FROM gl_lines GROUP BY journal_id HAVING sum(debit_cents) <> sum(credit_cents)
)
SELECT COALESCE(string_agg(msg, E'\n' ORDER BY msg), 'ok') FROM bad;
-- The GL accounts' net (debit - credit) per program, in cents.
SELECT j.program, l.account, sum(l.debit_cents) - sum(l.credit_cents)
  FROM gl_lines l JOIN gl_journals j USING (journal_id)
 GROUP BY 1, 2 ORDER BY 1, 2;
