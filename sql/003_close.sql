-- 003: what the daily close needs beside the ledger of 001.

-- Who made an entry: the closes (recomputed and diffed on every run) or a
-- person / the month-end (facts the closes build on).  The rate or factor an
-- earning used is kept with its tier, so a later credit note recomputes the
-- invoice with the same tier whatever the tier set says by then.
ALTER TABLE ledger
    ADD COLUMN origin text NOT NULL DEFAULT 'close'
        CHECK (origin IN ('close', 'manual', 'month_end')),
    ADD COLUMN tier_rate_ppm bigint,
    ADD COLUMN tier_factor_cents bigint;

-- A redemption refused by a close stays refused; it is reported once.
CREATE TABLE redemption_refusals (
    payment     text COLLATE "C" NOT NULL,
    invoice     text COLLATE "C" NOT NULL DEFAULT '',
    customer    text COLLATE "C" NOT NULL,
    pay_date    date NOT NULL,
    reason      text NOT NULL,
    run_id      bigint REFERENCES runs,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (payment, invoice)
);

-- Each GL line keeps the units behind it, per role, so the next journal can
-- round the running total (SPEC §7: amounts never drift by rounding).
ALTER TABLE gl_lines ADD COLUMN role text;

GRANT SELECT ON redemption_refusals TO accrue_view;
GRANT INSERT ON redemption_refusals TO accrue_batch;
