-- 006: a close in chunks, shared by many workers (SPEC §14).
--
-- A close plans its work once: the accounts it will bring up to date,
-- sorted by key and cut into ranges, one row of run_chunks each.  The
-- ranges cover every key between them (the first from the lowest, the last
-- to the highest), so an account that changes while the close runs is
-- still in exactly one chunk.  A worker (a process of the close, or `accrue
-- worker` on any host) claims a chunk with FOR UPDATE SKIP LOCKED and a
-- lease, then does it in one transaction: its entries go to run_entries,
-- its refused redemptions to run_refusals, its accounts' state and
-- checkpoints to account_state / account_checkpoints, its marks out of
-- account_changes, and the chunk becomes done.  When every chunk is done,
-- the close makes the journals from run_entries (so they do not depend on
-- how many workers there were) and moves the entries into the ledger, in
-- one transaction.  A run with done chunks that did not finish is finished
-- by the next close, whatever its date.

CREATE TABLE run_chunks (
    run_id         bigint NOT NULL REFERENCES runs,
    chunk          integer NOT NULL,
    first_account  text COLLATE "C",          -- NULL: from the lowest key
    next_account   text COLLATE "C",          -- NULL: to the highest (exclusive)
    planned        integer NOT NULL,          -- accounts in it when planned
    status         text NOT NULL DEFAULT 'todo' CHECK (status IN ('todo', 'done')),
    claims         integer NOT NULL DEFAULT 0,
    claimed_by     text,                      -- host:pid of the worker
    claim_pid      integer,                   -- its database session
    claim_started  timestamptz,               -- (pid and start name one session)
    lease_until    timestamptz,
    accounts       integer,                   -- brought up to date
    changed        integer,
    due            integer,
    resumed        integer,                   -- from a checkpoint
    accrual_only   integer,
    warnings       integer,
    done_by        text,
    done_at        timestamptz,
    PRIMARY KEY (run_id, chunk)
);

-- The entries of a run's done chunks, until the run posts them.  seq
-- orders an account's entries as its replay made them.
CREATE TABLE run_entries (
    account            text COLLATE "C" NOT NULL,
    run_id             bigint NOT NULL,
    seq                integer NOT NULL,
    customer           text COLLATE "C" NOT NULL,
    program            text COLLATE "C" NOT NULL,
    origin             text NOT NULL,
    kind               text NOT NULL,
    entry_date         date NOT NULL,
    jdate              date NOT NULL,
    document           text COLLATE "C" NOT NULL,
    pending            bigint NOT NULL,
    usable             bigint NOT NULL,
    expires_on         date,
    note               text NOT NULL,
    tier               text,
    tier_rate_ppm      bigint,
    tier_factor_cents  bigint,
    PRIMARY KEY (account, run_id, seq)
);
-- (Only the run being finished has rows here: no index by run.)

-- The redemptions a run's chunks refused, until the run records them.
CREATE TABLE run_refusals (
    account   text COLLATE "C" NOT NULL,
    run_id    bigint NOT NULL,
    seq       integer NOT NULL,
    payment   text COLLATE "C" NOT NULL,
    invoice   text COLLATE "C" NOT NULL,
    customer  text COLLATE "C" NOT NULL,
    pay_date  date NOT NULL,
    amount_cents  bigint NOT NULL,
    reason    text NOT NULL,
    PRIMARY KEY (account, run_id, seq)
);

-- What a run was asked: every worker reads it from here.
ALTER TABLE runs ADD COLUMN full_replay boolean NOT NULL DEFAULT false,
                 ADD COLUMN workers integer;

GRANT SELECT ON run_chunks, run_entries, run_refusals TO accrue_view;
GRANT SELECT, INSERT, UPDATE, DELETE ON run_chunks, run_entries, run_refusals TO accrue_batch;
GRANT TRUNCATE ON run_entries, run_refusals TO accrue_batch;
