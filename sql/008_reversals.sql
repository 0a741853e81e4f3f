-- 008: payment reversals (SPEC §2 Payments, §4, §6).  An allocation may be
-- undone — a bounced cheque, a misapplied payment, a withdrawn reward
-- payment — by giving its reversed_on: the allocation counts from its own
-- date to the day before.  Setting reversed_on is the one change an
-- allocation may take; once set it never changes, and it is never before
-- the allocation's date.
--
-- The import (core/engine/import_kinds.c, the payments kind) checks all of
-- this set-based and names each bad line; the CHECK and the trigger below
-- keep it true whoever writes: the closes replay an account from its
-- allocations, so a changed one would change books already posted.

ALTER TABLE payments ADD COLUMN reversed_on date,
    ADD CONSTRAINT payments_reversed_on_after_pay_date
        CHECK (reversed_on IS NULL OR reversed_on >= pay_date);

-- Refuses any update of an allocation but the setting of its reversed_on
-- from NULL.  The account may change: that moves the allocation, it does
-- not change it (the customers import moves a customer's allocations by
-- DELETE and INSERT, sql/007, which this trigger does not see).  The
-- statement-level payments_mark_upd (sql/004) marks the account changed
-- from the allocation's pay_date, so the next close brings it up to date
-- with the reversal (SPEC §8).
CREATE FUNCTION accrue_payments_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    what text;
    was text;
    now_ text;
    alloc text := format('payment "%s" %s', OLD.payment,
                         CASE WHEN OLD.invoice IS NULL THEN 'on account'
                              ELSE format('to invoice "%s"', OLD.invoice) END);
BEGIN
    IF (NEW.payment, NEW.customer, NEW.pay_date, NEW.invoice, NEW.amount_cents, NEW.method,
        COALESCE(OLD.reversed_on, NEW.reversed_on))
       IS NOT DISTINCT FROM
       (OLD.payment, OLD.customer, OLD.pay_date, OLD.invoice, OLD.amount_cents, OLD.method,
        NEW.reversed_on) THEN
        RETURN NEW;  -- the account moved, reversed_on set, or nothing changed
    END IF;
    SELECT c.col, COALESCE(c.o, '(blank)'), COALESCE(c.nw, '(blank)') INTO what, was, now_
      FROM (VALUES
        (1, 'payment', OLD.payment, NEW.payment),
        (2, 'customer', OLD.customer, NEW.customer),
        (3, 'pay_date', OLD.pay_date::text, NEW.pay_date::text),
        (4, 'invoice', OLD.invoice, NEW.invoice),
        (5, 'amount_cents', OLD.amount_cents::text, NEW.amount_cents::text),
        (6, 'method', OLD.method, NEW.method)) c(pos, col, o, nw)
     WHERE c.o IS DISTINCT FROM c.nw
     ORDER BY c.pos LIMIT 1;
    IF what IS NOT NULL THEN
        RAISE EXCEPTION '%: % cannot change (was %, now %)', alloc, what, was, now_
            USING ERRCODE = 'integrity_constraint_violation',
                  HINT = 'an allocation is a fact the closes have used: set its reversed_on '
                         'and import a new payment to correct it';
    END IF;
    IF OLD.reversed_on IS NOT NULL AND NEW.reversed_on IS DISTINCT FROM OLD.reversed_on THEN
        RAISE EXCEPTION '% was reversed on %: a reversal cannot be changed or undone (now %)',
            alloc, OLD.reversed_on, COALESCE(NEW.reversed_on::text, '(blank)')
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER payments_frozen BEFORE UPDATE ON payments
    FOR EACH ROW EXECUTE FUNCTION accrue_payments_frozen();

-- (accrue_maint's INSERT, UPDATE and DELETE on payments, sql/002 and 007,
-- and accrue_view's SELECT are table-wide: they cover the new column.)
