-- The tables as a VACUUM leaves them when they are empty (statistics of
-- zero rows), every statement of this database cut at 15 seconds, and the
-- files: 1,000 customers, 60,000 invoices, 60,000 payments.
VACUUM ANALYZE;
DO $$ BEGIN
	EXECUTE format('ALTER DATABASE %I SET statement_timeout = %L', current_database(), '15s');
END $$;
\copy (SELECT 'B' || lpad(g::text, 5, '0') AS customer, 'Customer ' || g AS name, 'YTD' AS program FROM generate_series(1, 1000) g) TO 'customers.csv' CSV HEADER
\copy (SELECT 'I' || lpad(g::text, 6, '0') AS invoice, 'B' || lpad((g % 1000 + 1)::text, 5, '0') AS customer, date '2026-01-01' + g % 300 AS date, '100.00' AS net, '113.00' AS total, 'posted' AS status FROM generate_series(1, 60000) g) TO 'invoices.csv' CSV HEADER
\copy (SELECT 'P' || lpad(g::text, 6, '0') AS payment, 'B' || lpad((g % 1000 + 1)::text, 5, '0') AS customer, date '2026-01-01' + g % 300 + 10 AS date, 'I' || lpad(g::text, 6, '0') AS invoice, '113.00' AS amount, 'cheque' AS method FROM generate_series(1, 60000) g) TO 'payments.csv' CSV HEADER
