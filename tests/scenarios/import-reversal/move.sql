-- The trigger lets the account change alone (a move, not a change of the
-- allocation); rolled back, the account is the customer's.
BEGIN;
UPDATE payments SET account = 'SOMEWHERE' WHERE payment = 'P102';
SELECT account, payment, reversed_on FROM payments WHERE payment = 'P102';
ROLLBACK;
