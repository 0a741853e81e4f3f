\pset format unaligned
\pset tuples_only on
SELECT account || ' ' || source || ' ' || from_date || ' ' || to_date
  FROM account_changes ORDER BY change_id;
