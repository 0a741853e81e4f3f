-- 009: the tiers import's marks by two keyed joins instead of one join on
-- an OR (sql/004, accrue_mark_tiers).  The join on
--   (program set: c.program = t.program) OR (customer set: c.customer = t.customer)
-- can use no index nor hash: it compared every customer with every set the
-- statement touched, 2,000 customer sets against 1,060,000 customers
-- taking over 7 minutes at 100% CPU in the 1,000,000-account benches.  A
-- program's own set (customer '') marks every parent account of the
-- program; a customer's own set marks that customer.  The same rows as
-- before.
CREATE OR REPLACE FUNCTION accrue_mark_tiers() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO account_changes (account, from_date, to_date, source)
        SELECT c.customer, '-infinity'::date, '-infinity'::date, 'tiers'
          FROM customers c
          JOIN (SELECT DISTINCT program FROM old_rows WHERE customer = '') t
            ON c.program = t.program AND c.parent IS NULL
        UNION ALL
        SELECT c.customer, '-infinity'::date, '-infinity'::date, 'tiers'
          FROM customers c
          JOIN (SELECT DISTINCT customer FROM old_rows WHERE customer <> '') t
            ON c.customer = t.customer;
    ELSE
        INSERT INTO account_changes (account, from_date, to_date, source)
        SELECT c.customer, '-infinity'::date, '-infinity'::date, 'tiers'
          FROM customers c
          JOIN (SELECT DISTINCT program FROM new_rows WHERE customer = '') t
            ON c.program = t.program AND c.parent IS NULL
        UNION ALL
        SELECT c.customer, '-infinity'::date, '-infinity'::date, 'tiers'
          FROM customers c
          JOIN (SELECT DISTINCT customer FROM new_rows WHERE customer <> '') t
            ON c.customer = t.customer;
    END IF;
    RETURN NULL;
END $$;
