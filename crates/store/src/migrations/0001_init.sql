-- leash-store schema 1: API keys, served sessions, calls, the audit log and its head.
-- Common SQL of SQLite and PostgreSQL; {autoid} and {blob} are replaced per engine.

CREATE TABLE api_keys (
    ord {autoid},
    id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    accounts TEXT NOT NULL,
    methods TEXT,
    rate_limit_per_minute BIGINT NOT NULL,
    secret_sha256 TEXT NOT NULL,
    secret_prefix TEXT NOT NULL,
    secret_suffix TEXT NOT NULL,
    status TEXT NOT NULL,
    revoke_reason TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    rotated_at BIGINT,
    deleted_at BIGINT
);

CREATE TABLE sessions (
    ord {autoid},
    context TEXT NOT NULL UNIQUE,
    session_id TEXT NOT NULL,
    account TEXT NOT NULL,
    chain_id BIGINT NOT NULL,
    entry_point TEXT NOT NULL,
    module TEXT NOT NULL,
    signer TEXT NOT NULL,
    spec TEXT NOT NULL,
    request TEXT NOT NULL,
    sealed_key {blob},
    nonce_key TEXT NOT NULL,
    created_by TEXT NOT NULL,
    state TEXT NOT NULL,
    revoke_reason TEXT,
    enable_grant TEXT,
    next_nonce BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE INDEX sessions_by_account ON sessions (account, chain_id, ord);

CREATE TABLE calls (
    id TEXT PRIMARY KEY,
    context TEXT NOT NULL REFERENCES sessions (context),
    chain_id BIGINT NOT NULL,
    nonce_seq BIGINT NOT NULL,
    user_op TEXT NOT NULL,
    status TEXT NOT NULL,
    receipt TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE INDEX calls_by_context ON calls (context);

CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    logged_at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT,
    details TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);

CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);

INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
