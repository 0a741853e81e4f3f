-- The database refuses what the import refuses, whoever writes (sql/008):
-- each statement below fails on its own (ON_ERROR_STOP off here), its
-- error on stderr without the PL/pgSQL context (line numbers of the
-- function, not of this file).
\set ON_ERROR_STOP off
\set SHOW_CONTEXT never
-- any other column of an allocation (trigger payments_frozen), naming the
-- column and both values
UPDATE payments SET amount_cents = 1 WHERE payment = 'P101';
UPDATE payments SET pay_date = '2026-03-01' WHERE payment = 'P201';
UPDATE payments SET method = 'cash', customer = '100' WHERE payment = 'R201';
UPDATE payments SET invoice = NULL WHERE payment = 'P201';
-- a reversal changed, or cleared (on account: P103)
UPDATE payments SET reversed_on = '2026-03-21' WHERE payment = 'P102';
UPDATE payments SET reversed_on = NULL WHERE payment = 'P103';
-- a reversal before the allocation's date (the CHECK; terse: the full
-- message prints the row, with its import time)
\set VERBOSITY terse
UPDATE payments SET reversed_on = '2026-03-01' WHERE payment = 'P201';
