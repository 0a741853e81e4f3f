-- SPEC §5: for every account at every date of its ledger,
--   pending + usable = ltd_earned - ltd_used, where
--   ltd_expired = -(expiries + reversed expiries), ltd_used = -redemptions,
--   ltd_earned = earnings + accruals + adjustments - ltd_expired.
-- Prints ok, or the offending account, program and date.
\pset format unaligned
\pset tuples_only on
WITH d AS (
  SELECT DISTINCT account, program, entry_date FROM ledger
), c AS (
  SELECT d.account, d.program, d.entry_date,
         sum(l.pending_units) AS pending, sum(l.usable_units) AS usable,
         COALESCE(sum(l.pending_units + l.usable_units)
                  FILTER (WHERE l.kind IN ('earn', 'accrual', 'adjust')), 0) AS earnings,
         -COALESCE(sum(l.pending_units + l.usable_units)
                   FILTER (WHERE l.kind IN ('expire', 'reverse_expiry')), 0) AS expired,
         -COALESCE(sum(l.usable_units) FILTER (WHERE l.kind = 'redeem'), 0) AS used
    FROM d JOIN ledger l ON l.account = d.account AND l.program = d.program
                        AND l.entry_date <= d.entry_date
   GROUP BY d.account, d.program, d.entry_date
)
SELECT COALESCE(string_agg(format('%s %s %s: pending %s + usable %s <> ltd_earned %s - ltd_used %s',
                                  account, program, entry_date, pending, usable,
                                  earnings - expired, used), E'\n'
                           ORDER BY account, program, entry_date), 'ok')
  FROM c
 WHERE pending + usable <> (earnings - expired) - used;
