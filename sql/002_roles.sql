-- 002: the three roles a DBA grants to people and jobs (see README "Roles").
--   accrue_view   reads everything (reports, exports)
--   accrue_maint  imports master data and documents, keys manual adjustments
--   accrue_batch  runs the closes, statements and mail
-- Roles are cluster-wide, so they are created only when missing.

DO $$
DECLARE r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['accrue_view', 'accrue_maint', 'accrue_batch'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', r);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL;  -- another database's migration made it just now
            END;
        END IF;
    END LOOP;
END $$;

GRANT USAGE ON SCHEMA public TO accrue_view, accrue_maint, accrue_batch;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO accrue_view;
GRANT accrue_view TO accrue_maint, accrue_batch;

GRANT INSERT, UPDATE ON programs, tiers, customers, invoices, payments TO accrue_maint;
GRANT DELETE ON tiers TO accrue_maint;
GRANT INSERT ON customer_program_history TO accrue_maint;
GRANT INSERT ON ledger, gl_journals, gl_lines TO accrue_maint;
GRANT INSERT, UPDATE ON runs TO accrue_maint;

GRANT INSERT ON ledger, gl_journals, gl_lines TO accrue_batch;
GRANT INSERT, UPDATE ON runs, periods, statements, mail_outbox TO accrue_batch;

GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO accrue_maint, accrue_batch;
