-- 001: the whole data model of SPEC §2 and what the closes write.
--
-- Units: *_cents columns are money in cents; *_units columns are reward units
-- in hundredths of a unit; rate_ppm is a percent rate in parts per million.
-- Dates are business dates (no time zone); *_at columns are wall-clock times.

-- Cents as text with exactly 2 decimals, '-' for negatives (messages, reports).
CREATE FUNCTION money_text(c bigint) RETURNS text LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT CASE WHEN c < 0 THEN '-' ELSE '' END || (abs(c) / 100)::text || '.' ||
           lpad((abs(c) % 100)::text, 2, '0')
$$;

CREATE TABLE programs (
    program            text COLLATE "C" PRIMARY KEY,
    name               text NOT NULL,
    unit               text NOT NULL CHECK (unit IN ('points', 'dollars')),
    earning            text NOT NULL CHECK (earning IN ('ytd_tiered', 'month_tiered', 'per_invoice')),
    vesting            text NOT NULL DEFAULT 'immediate' CHECK (vesting IN ('immediate', 'on_payment')),
    basis              text NOT NULL DEFAULT 'net' CHECK (basis IN ('net', 'total')),
    max_payment_days   integer CHECK (max_payment_days >= 0),
    expiry_months      integer CHECK (expiry_months > 0),
    expiry_days        integer CHECK (expiry_days > 0),
    inactivity_days    integer CHECK (inactivity_days > 0),
    points_type        text NOT NULL DEFAULT 'client' CHECK (points_type IN ('client', 'promotional')),
    unit_value_cents   bigint NOT NULL CHECK (unit_value_cents > 0),
    fiscal_year_start  integer NOT NULL DEFAULT 1 CHECK (fiscal_year_start BETWEEN 1 AND 12),
    expense_account    text NOT NULL,
    liability_account  text NOT NULL,
    forfeit_account    text NOT NULL,
    receivable_account text NOT NULL,
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CHECK (expiry_months IS NULL OR expiry_days IS NULL),
    CHECK (vesting = 'immediate' OR (earning = 'per_invoice' AND max_payment_days IS NOT NULL))
);

-- A tier set is every row of one (program, customer); customer '' is the
-- program's own set.  Importing a set replaces it whole.
CREATE TABLE tiers (
    program       text COLLATE "C" NOT NULL REFERENCES programs,
    customer      text COLLATE "C" NOT NULL DEFAULT '',
    tier          text COLLATE "C" NOT NULL,
    category      text NOT NULL DEFAULT '' CHECK (category IN ('', 'sales', 'rental', 'service')),
    lower_cents   bigint NOT NULL CHECK (lower_cents >= 0),
    upper_cents   bigint CHECK (upper_cents >= lower_cents),
    rate_ppm      bigint CHECK (rate_ppm >= 0),
    factor_cents  bigint CHECK (factor_cents > 0),
    imported_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (program, customer, category, tier),
    CHECK ((rate_ppm IS NULL) <> (factor_cents IS NULL))
);

CREATE TABLE customers (
    customer            text COLLATE "C" PRIMARY KEY,
    name                text NOT NULL,
    parent              text COLLATE "C" REFERENCES customers DEFERRABLE INITIALLY DEFERRED,
    program             text COLLATE "C" REFERENCES programs,
    language            text NOT NULL DEFAULT 'en',
    email               text,          -- addresses separated by ';'
    member_since        date,
    points_expiry_date  date,
    send_statements     boolean NOT NULL DEFAULT true,
    address             text,          -- lines separated by newlines
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CHECK (parent IS DISTINCT FROM customer)
);
CREATE INDEX customers_parent ON customers (parent) WHERE parent IS NOT NULL;

CREATE TABLE customer_program_history (
    id           bigserial PRIMARY KEY,
    customer     text COLLATE "C" NOT NULL REFERENCES customers,
    changed_on   date NOT NULL,
    old_program  text COLLATE "C",
    new_program  text COLLATE "C",
    changed_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX customer_program_history_customer ON customer_program_history (customer, changed_on);

CREATE TABLE invoices (
    invoice      text COLLATE "C" PRIMARY KEY,
    customer     text COLLATE "C" NOT NULL,
    kind         text NOT NULL DEFAULT 'invoice' CHECK (kind IN ('invoice', 'credit_note')),
    doc_date     date NOT NULL,
    category     text NOT NULL DEFAULT 'sales' CHECK (category IN ('sales', 'rental', 'service')),
    net_cents    bigint NOT NULL CHECK (net_cents >= 0),
    total_cents  bigint NOT NULL CHECK (total_cents >= 0),
    status       text NOT NULL CHECK (status IN ('posted', 'unposted', 'cancelled')),
    no_points    boolean NOT NULL DEFAULT false,
    original     text COLLATE "C",
    imported_at  timestamptz NOT NULL DEFAULT now(),
    status_at    timestamptz NOT NULL DEFAULT now(),  -- when status last changed
    CHECK (kind = 'credit_note' OR original IS NULL)
);
CREATE INDEX invoices_original ON invoices (original) WHERE original IS NOT NULL;

-- One row per allocation; invoice NULL is a payment on account.
CREATE TABLE payments (
    payment       text COLLATE "C" NOT NULL,
    invoice       text COLLATE "C",
    customer      text COLLATE "C" NOT NULL,
    pay_date      date NOT NULL,
    amount_cents  bigint NOT NULL CHECK (amount_cents > 0),
    method        text NOT NULL CHECK (method IN ('cash', 'cheque', 'card', 'transfer', 'reward')),
    imported_at   timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX payments_key ON payments (payment, COALESCE(invoice, ''));
CREATE INDEX payments_invoice ON payments (invoice) WHERE invoice IS NOT NULL;

-- The high-volume tables (invoices, payments, ledger) carry
-- no foreign keys: a row-by-row RI check would cost more than the rest of a
-- bulk import or close together.  Their only writers — the import and the
-- jobs — check every reference set-based before they write.

-- Every run of a job that posts or sends.
CREATE TABLE runs (
    run_id         bigserial PRIMARY KEY,
    job            text NOT NULL,
    business_date  date,
    period         date,
    status         text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'done', 'failed')),
    counts         jsonb NOT NULL DEFAULT '{}',
    host           text,
    pid            integer,
    started_at     timestamptz NOT NULL DEFAULT now(),
    ended_at       timestamptz,
    message        text
);
CREATE INDEX runs_job ON runs (job, business_date);

CREATE TABLE periods (
    period     date PRIMARY KEY CHECK (extract(day FROM period) = 1),
    closed_at  timestamptz NOT NULL DEFAULT now(),
    run_id     bigint REFERENCES runs
);

CREATE TABLE gl_journals (
    journal_id    bigserial PRIMARY KEY,
    run_id        bigint REFERENCES runs,
    program       text COLLATE "C" NOT NULL REFERENCES programs,
    journal_date  date NOT NULL,
    memo          text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX gl_journals_date ON gl_journals (journal_date);

CREATE TABLE gl_lines (
    line_id       bigserial PRIMARY KEY,
    journal_id    bigint NOT NULL REFERENCES gl_journals,
    account       text NOT NULL,
    debit_cents   bigint NOT NULL DEFAULT 0 CHECK (debit_cents >= 0),
    credit_cents  bigint NOT NULL DEFAULT 0 CHECK (credit_cents >= 0),
    memo          text NOT NULL DEFAULT '',
    CHECK (debit_cents = 0 OR credit_cents = 0)
);
CREATE INDEX gl_lines_journal ON gl_lines (journal_id);

-- The reward ledger: every movement of pending or usable units.
CREATE TABLE ledger (
    entry_id       bigserial PRIMARY KEY,
    account        text COLLATE "C" NOT NULL,  -- the parent account
    customer       text COLLATE "C" NOT NULL,  -- whose document it is
    program        text COLLATE "C" NOT NULL,
    kind           text NOT NULL CHECK (kind IN ('earn', 'vest', 'expire', 'accrual', 'adjust',
                                                 'redeem', 'reverse_expiry')),
    entry_date     date NOT NULL,
    document       text COLLATE "C" NOT NULL DEFAULT '',
    pending_units  bigint NOT NULL DEFAULT 0,
    usable_units   bigint NOT NULL DEFAULT 0,
    expires_on     date,          -- last usable day of the lot this entry opens
    note           text NOT NULL DEFAULT '',
    tier           text,          -- the tier an earning used
    run_id         bigint,
    journal_id     bigint,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ledger_account ON ledger (account, entry_date, entry_id);

CREATE TABLE statements (
    statement_id  bigserial PRIMARY KEY,
    customer      text COLLATE "C" NOT NULL REFERENCES customers,
    date_from     date NOT NULL,
    date_to       date NOT NULL,
    run_id        bigint REFERENCES runs,
    path          text NOT NULL,
    sha256        text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX statements_customer ON statements (customer, date_from, date_to);

CREATE TABLE mail_outbox (
    mail_id       bigserial PRIMARY KEY,
    statement_id  bigint NOT NULL REFERENCES statements,
    recipient     text NOT NULL CHECK (recipient !~ '[\r\n]'),
    status        text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
    attempts      integer NOT NULL DEFAULT 0,
    last_error    text,
    message_id    text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    sent_at       timestamptz,
    UNIQUE (statement_id, recipient)
);

-- The ledger and the GL are append-only: corrections are new entries.
CREATE FUNCTION accrue_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'post a correcting entry instead';
END $$;

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['ledger', 'gl_journals', 'gl_lines'] LOOP
        EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON %I
                        FOR EACH ROW EXECUTE FUNCTION accrue_append_only()', t || '_append_only', t);
        EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I
                        FOR EACH STATEMENT EXECUTE FUNCTION accrue_append_only()', t || '_no_truncate', t);
    END LOOP;
END $$;

-- Every GL journal balances at commit (debits = credits).
CREATE FUNCTION gl_check_balance() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d bigint;
    c bigint;
BEGIN
    SELECT COALESCE(sum(debit_cents), 0), COALESCE(sum(credit_cents), 0)
      INTO d, c FROM gl_lines WHERE journal_id = NEW.journal_id;
    IF d <> c THEN
        RAISE EXCEPTION 'GL journal % does not balance: debits % cents, credits % cents',
            NEW.journal_id, d, c USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER gl_lines_balance AFTER INSERT ON gl_lines
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION gl_check_balance();
