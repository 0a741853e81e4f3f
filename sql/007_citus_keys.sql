-- 007: every large table carries the account it belongs to in its primary
-- key and in every unique and foreign key, so that it can be distributed by
-- account past one database server (SPEC §14; README "Beyond one database
-- server").  The account is the parent account, COALESCE(customers.parent,
-- customers.customer), as in ledger.account.
--
-- Citus needs the distribution column in every primary key, unique index
-- and foreign key between distributed tables, and never lets it change:
--   - invoices and payments get an account column, written by the imports
--     from the customer's account; their keys become account-first.  An
--     invoice number and a payment allocation stay unique across accounts:
--     the imports check it set-based against the whole table before they
--     write (core/engine/import_kinds.c), under the table lock they hold,
--     instead of a unique index without the account;
--   - a customer whose parent changes takes its invoices, payments and
--     refused redemptions to its new account by DELETE ... RETURNING and
--     INSERT in the customers import, never by an UPDATE of the account;
--   - the ledger, account_changes, statements, the mail outbox and the
--     refused redemptions get their account into their keys.
-- Lookups by number alone (the imports' checks) keep plain indexes: a
-- non-unique index needs no distribution column.
-- tests/lib/citus-keys-test reads the catalog and fails when a large table
-- breaks this.

-- -- invoices ------------------------------------------------------------

ALTER TABLE invoices ADD COLUMN account text COLLATE "C";
-- (the backfill is no change of data: the close is not told of it)
ALTER TABLE invoices DISABLE TRIGGER invoices_mark_upd;
UPDATE invoices i SET account = COALESCE(c.parent, c.customer)
  FROM customers c WHERE c.customer = i.customer;
-- an invoice of a customer not on file (the import never writes one) is
-- its customer's own account rather than a failed migration
UPDATE invoices SET account = customer WHERE account IS NULL;
ALTER TABLE invoices ENABLE TRIGGER invoices_mark_upd;
ALTER TABLE invoices ALTER COLUMN account SET NOT NULL,
    DROP CONSTRAINT invoices_pkey,
    ADD PRIMARY KEY (account, invoice);
-- the imports look a number up whatever its account
CREATE INDEX invoices_invoice ON invoices (invoice);

-- -- payments ------------------------------------------------------------

ALTER TABLE payments ADD COLUMN account text COLLATE "C";
ALTER TABLE payments DISABLE TRIGGER payments_mark_upd;
UPDATE payments y SET account = COALESCE(c.parent, c.customer)
  FROM customers c WHERE c.customer = y.customer;
UPDATE payments SET account = customer WHERE account IS NULL;
ALTER TABLE payments ENABLE TRIGGER payments_mark_upd;
ALTER TABLE payments ALTER COLUMN account SET NOT NULL;
DROP INDEX payments_key;
CREATE UNIQUE INDEX payments_key ON payments (account, payment, COALESCE(invoice, ''));
-- the import looks an allocation up whatever its account
CREATE INDEX payments_number ON payments (payment, COALESCE(invoice, ''));

-- The close reads one customer's documents and payments through
-- invoices_customer and payments_customer (sql/004): they stay as they
-- are, customer first.  A customer's rows all have one account, so the
-- same indexes serve a lookup that names the account too.

-- -- the ledger and the marks ----------------------------------------------

ALTER TABLE ledger DROP CONSTRAINT ledger_pkey, ADD PRIMARY KEY (account, entry_id);
ALTER TABLE account_changes DROP CONSTRAINT account_changes_pkey,
    ADD PRIMARY KEY (account, change_id);

-- -- statements and the outbox ---------------------------------------------

-- statements.customer is the statement's account (statements are made for
-- parents only).
ALTER TABLE mail_outbox ADD COLUMN account text COLLATE "C";
UPDATE mail_outbox o SET account = s.customer FROM statements s
 WHERE s.statement_id = o.statement_id;
ALTER TABLE mail_outbox ALTER COLUMN account SET NOT NULL,
    DROP CONSTRAINT mail_outbox_statement_id_fkey,
    DROP CONSTRAINT mail_outbox_statement_id_recipient_key,
    DROP CONSTRAINT mail_outbox_pkey;
ALTER TABLE statements DROP CONSTRAINT statements_pkey,
    ADD PRIMARY KEY (customer, statement_id);
ALTER TABLE mail_outbox ADD PRIMARY KEY (account, mail_id),
    ADD UNIQUE (account, statement_id, recipient),
    ADD FOREIGN KEY (account, statement_id) REFERENCES statements (customer, statement_id);
-- the sender reads the queue in mail_id order across accounts
CREATE INDEX mail_outbox_mail_id ON mail_outbox (mail_id);

-- -- refused redemptions -----------------------------------------------------

ALTER TABLE redemption_refusals ADD COLUMN account text COLLATE "C";
UPDATE redemption_refusals r SET account = COALESCE(c.parent, c.customer)
  FROM customers c WHERE c.customer = r.customer;
UPDATE redemption_refusals SET account = customer WHERE account IS NULL;
ALTER TABLE redemption_refusals ALTER COLUMN account SET NOT NULL,
    DROP CONSTRAINT redemption_refusals_pkey,
    ADD PRIMARY KEY (account, payment, invoice);

-- -- queries that look up one account's rows name the account ------------------

-- Whether a credit note's original is a no_points invoice (sql/005), asked
-- within the credit note's account: a credit note's original is an
-- invoice of the same customer (the import checks it), so of the same
-- account.  The form without the account stays until the close's stream
-- (core/engine/close.c) passes the account; it is the same rule.
CREATE FUNCTION against_no_points(doc_kind text, doc_account text, doc_original text)
    RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT doc_kind = 'credit_note'
           AND EXISTS (SELECT 1 FROM invoices o
                        WHERE o.account = doc_account AND o.invoice = doc_original
                          AND o.no_points)
$$;

-- (account comes last: a view's columns can only be added at its end)
CREATE OR REPLACE VIEW sales_documents AS
SELECT i.invoice, i.customer, i.doc_date, i.kind,
       CASE WHEN i.kind = 'credit_note' THEN -i.net_cents ELSE i.net_cents END AS net_cents,
       CASE WHEN i.kind = 'credit_note' THEN -i.total_cents ELSE i.total_cents END AS total_cents,
       i.account
  FROM invoices i
 WHERE i.status = 'posted' AND NOT i.no_points
   AND NOT (i.kind = 'credit_note' AND against_no_points(i.kind, i.account, i.original));

-- The marks of sql/004: a credit note's original is found in its account.
CREATE OR REPLACE FUNCTION accrue_mark_invoices() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- per customer first: a million-row import joins customers once each
    INSERT INTO account_changes (account, from_date, to_date, source)
    SELECT COALESCE(c.parent, c.customer), min(d.first), max(d.last), 'invoices'
      FROM (SELECT customer, min(doc_date) AS first, max(doc_date) AS last
              FROM new_rows GROUP BY customer
            UNION ALL
            SELECT n.customer, min(o.doc_date), min(o.doc_date)
              FROM new_rows n JOIN invoices o ON o.account = n.account AND o.invoice = n.original
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
                  FROM old_rows r JOIN invoices o ON o.account = r.account AND o.invoice = r.original
                 WHERE r.original IS NOT NULL GROUP BY r.customer) d
          JOIN customers c ON c.customer = d.customer
         GROUP BY 1;
    END IF;
    RETURN NULL;
END $$;

-- The customers import moves a customer's invoices, payments and refused
-- redemptions to its new account (DELETE and INSERT: see above).
GRANT DELETE ON invoices, payments TO accrue_maint;
GRANT DELETE, INSERT ON redemption_refusals TO accrue_maint;
