-- 004: what lets a close cost what the day holds (SPEC §8): which accounts
-- changed since they were last brought up to date, and when each account's
-- next dated event falls.
--
-- account_changes is a log the writers append to, one row per account and
-- statement, set-based, in the writer's own transaction (the triggers
-- below: every import kind, and the manual entries of `adjust` and `import
-- adjustments`).  [from_date, to_date] are the dates of the facts that
-- changed ('-infinity' for a change that reaches the whole history: the
-- customer row, its program, its tiers).  Only the close consumes rows:
-- it replays every account with a row whose from_date is on or before its
-- business date, then deletes the rows it saw (a row reaching past that
-- date keeps its later part).  Writers only ever insert, so an import that
-- commits while a close runs is never lost nor blocked: its rows are not
-- in the close's snapshot and stay for the next close.
CREATE TABLE account_changes (
    change_id   bigserial PRIMARY KEY,
    account     text COLLATE "C" NOT NULL,
    from_date   date NOT NULL,
    to_date     date NOT NULL,
    source      text NOT NULL,
    changed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX account_changes_due ON account_changes (from_date, account);

-- One row per account, written only by the closes in the transaction of
-- the account's entries: the business date it was last brought up to, and
-- the earliest date on which something will happen to it without new data
-- (an open invoice's payment deadline + 1, a lot's last usable day + 1,
-- the inactivity date, the points expiry date + 1, the next close when a
-- redemption stays refused).  NULL: nothing will.
CREATE TABLE account_state (
    account         text COLLATE "C" PRIMARY KEY,
    next_event      date,
    closed_through  date NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX account_state_next_event ON account_state (next_event) WHERE next_event IS NOT NULL;

-- An account's replay state at the end of checkpoint_day (core/account:
-- balances, lots, the invoices the rules can still reach), about a month
-- before the close that wrote it, with the account's entries.  The next
-- close resumes from it and reads only the facts dated after that day,
-- unless a change dated on or before it has come since.  No row: replay
-- the whole history.  Apart from account_state, which the closes scan.
CREATE TABLE account_checkpoints (
    account         text COLLATE "C" PRIMARY KEY,
    checkpoint_day  date NOT NULL,
    checkpoint      text NOT NULL
);

-- The units of every ledger entry so far per program and kind: what the
-- GL's running rounding starts from (SPEC §7), kept by the one writer of
-- the ledger (jobs/posting) in the transaction of the entries, so that a
-- close does not sum the whole ledger to post one day.
CREATE TABLE ledger_totals (
    program  text COLLATE "C" NOT NULL,
    kind     text NOT NULL,
    units    bigint NOT NULL,
    PRIMARY KEY (program, kind)
);
INSERT INTO ledger_totals (program, kind, units)
SELECT program, kind, sum(pending_units + usable_units) FROM ledger GROUP BY program, kind;

-- The close reads one account's documents and payments by customer.
CREATE INDEX invoices_customer ON invoices (customer, doc_date);
CREATE INDEX payments_customer ON payments (customer, pay_date);

-- Every account that exists when this migration runs starts out changed.
INSERT INTO account_changes (account, from_date, to_date, source)
SELECT customer, '-infinity', '-infinity', 'migrate'
  FROM customers WHERE parent IS NULL AND program IS NOT NULL;

-- Documents and payments: the account of their customer, from the first
-- to the last date among the rows the statement wrote (old and new).  A
-- credit note reaches back to its original's date: it recomputes that
-- invoice.
CREATE FUNCTION accrue_mark_invoices() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- per customer first: a million-row import joins customers once each
    INSERT INTO account_changes (account, from_date, to_date, source)
    SELECT COALESCE(c.parent, c.customer), min(d.first), max(d.last), 'invoices'
      FROM (SELECT customer, min(doc_date) AS first, max(doc_date) AS last
              FROM new_rows GROUP BY customer
            UNION ALL
            SELECT n.customer, min(o.doc_date), min(o.doc_date)
              FROM new_rows n JOIN invoices o ON o.invoice = n.original
             WHERE n.original IS NOT NULL GROUP BY n.customer) d
      JOIN customers c ON c.customer = d.customer
     GROUP BY 1;
    IF TG_OP = 'UPDATE' THEN
        INSERT INTO account_changes (account, from_date, to_date, source)
        SELECT COALESCE(c.parent, c.customer), min(d.first), max(d.last), 'invoices'
          FROM (SELECT customer, min(doc_date) AS first, max(doc_date) AS last
                  FROM old_rows GROUP BY customer
                UNION ALL
                SELECT r.customer, min(o.doc_date), min(o.doc_date)
                  FROM old_rows r JOIN invoices o ON o.invoice = r.original
                 WHERE r.original IS NOT NULL GROUP BY r.customer) d
          JOIN customers c ON c.customer = d.customer
         GROUP BY 1;
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION accrue_mark_payments() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO account_changes (account, from_date, to_date, source)
    SELECT COALESCE(c.parent, c.customer), min(d.first), max(d.last), 'payments'
      FROM (SELECT customer, min(pay_date) AS first, max(pay_date) AS last
              FROM new_rows GROUP BY customer) d
      JOIN customers c ON c.customer = d.customer
     GROUP BY 1;
    IF TG_OP = 'UPDATE' THEN
        INSERT INTO account_changes (account, from_date, to_date, source)
        SELECT COALESCE(c.parent, c.customer), min(d.first), max(d.last), 'payments'
          FROM (SELECT customer, min(pay_date) AS first, max(pay_date) AS last
                  FROM old_rows GROUP BY customer) d
          JOIN customers c ON c.customer = d.customer
         GROUP BY 1;
    END IF;
    RETURN NULL;
END $$;

-- A customer row: the account it belongs to before and after (a change of
-- parent marks the old parent and the new one).
CREATE FUNCTION accrue_mark_customers() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO account_changes (account, from_date, to_date, source)
    SELECT DISTINCT COALESCE(n.parent, n.customer), '-infinity'::date, '-infinity'::date, 'customers'
      FROM new_rows n;
    IF TG_OP = 'UPDATE' THEN
        INSERT INTO account_changes (account, from_date, to_date, source)
        SELECT DISTINCT COALESCE(o.parent, o.customer), '-infinity'::date, '-infinity'::date,
               'customers'
          FROM old_rows o JOIN new_rows n USING (customer)
         WHERE o.parent IS DISTINCT FROM n.parent;
    END IF;
    RETURN NULL;
END $$;

-- A program's row: every account of that program.
CREATE FUNCTION accrue_mark_programs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO account_changes (account, from_date, to_date, source)
    SELECT c.customer, '-infinity'::date, '-infinity'::date, 'programs'
      FROM customers c
     WHERE c.parent IS NULL AND c.program IN (SELECT program FROM new_rows);
    RETURN NULL;
END $$;

-- A tier set: the program's own set marks every account of the program
-- (those with a set of their own too: cheap, and never wrong); a
-- customer's own set marks that customer.
CREATE FUNCTION accrue_mark_tiers() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO account_changes (account, from_date, to_date, source)
        SELECT c.customer, '-infinity'::date, '-infinity'::date, 'tiers'
          FROM customers c
          JOIN (SELECT DISTINCT program, customer FROM old_rows) t
            ON (t.customer = '' AND c.program = t.program AND c.parent IS NULL)
            OR (t.customer <> '' AND c.customer = t.customer);
    ELSE
        INSERT INTO account_changes (account, from_date, to_date, source)
        SELECT c.customer, '-infinity'::date, '-infinity'::date, 'tiers'
          FROM customers c
          JOIN (SELECT DISTINCT program, customer FROM new_rows) t
            ON (t.customer = '' AND c.program = t.program AND c.parent IS NULL)
            OR (t.customer <> '' AND c.customer = t.customer);
    END IF;
    RETURN NULL;
END $$;

-- A manual entry (adjust, import adjustments): its account from its date;
-- a manual expiry or reversal of an invoice's expiry from the start (it
-- acts on an invoice of any date).  The closes' own entries (origin close,
-- month_end) bring an account up to date rather than change it, and mark
-- nothing.
CREATE FUNCTION accrue_mark_manual() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO account_changes (account, from_date, to_date, source)
    VALUES (NEW.account,
            CASE WHEN NEW.kind IN ('expire', 'reverse_expiry') THEN '-infinity' ELSE NEW.entry_date END,
            NEW.entry_date, 'adjust');
    RETURN NULL;
END $$;

CREATE TRIGGER invoices_mark_ins AFTER INSERT ON invoices REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION accrue_mark_invoices();
CREATE TRIGGER invoices_mark_upd AFTER UPDATE ON invoices
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION accrue_mark_invoices();
CREATE TRIGGER payments_mark_ins AFTER INSERT ON payments REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION accrue_mark_payments();
CREATE TRIGGER payments_mark_upd AFTER UPDATE ON payments
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION accrue_mark_payments();
CREATE TRIGGER customers_mark_ins AFTER INSERT ON customers REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION accrue_mark_customers();
CREATE TRIGGER customers_mark_upd AFTER UPDATE ON customers
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION accrue_mark_customers();
CREATE TRIGGER programs_mark_upd AFTER UPDATE ON programs REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION accrue_mark_programs();
CREATE TRIGGER tiers_mark_ins AFTER INSERT ON tiers REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION accrue_mark_tiers();
CREATE TRIGGER tiers_mark_del AFTER DELETE ON tiers REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION accrue_mark_tiers();
CREATE TRIGGER ledger_mark_manual AFTER INSERT ON ledger
    FOR EACH ROW WHEN (NEW.origin = 'manual') EXECUTE FUNCTION accrue_mark_manual();

GRANT SELECT ON account_changes, account_state, account_checkpoints, ledger_totals TO accrue_view;
GRANT INSERT, UPDATE ON ledger_totals TO accrue_maint, accrue_batch;
GRANT INSERT ON account_changes TO accrue_maint;
GRANT SELECT, INSERT, UPDATE, DELETE ON account_changes, account_state, account_checkpoints
    TO accrue_batch;
GRANT USAGE ON SEQUENCE account_changes_change_id_seq TO accrue_maint, accrue_batch;
