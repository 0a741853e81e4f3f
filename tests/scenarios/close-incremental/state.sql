\pset format unaligned
\pset tuples_only on
SELECT account || ' ' || COALESCE(next_event::text, '-') || ' ' || closed_through
  FROM account_state ORDER BY account;
