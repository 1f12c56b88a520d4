-- The payments source of demo/payments-workload.ts (its PAYMENTS_DDL, statement for statement;
-- test/unit/compose.test.ts keeps the two equal): accounts, transfers, an insert-only ledger.
CREATE TABLE accounts (id bigint PRIMARY KEY, owner text NOT NULL, balance numeric(20,4) NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE transfers (id bigserial PRIMARY KEY, from_account bigint NOT NULL, to_account bigint NOT NULL,
     amount numeric(20,4) NOT NULL, status text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE ledger (id bigserial PRIMARY KEY, account_id bigint NOT NULL, transfer_id bigint, amount numeric(20,4) NOT NULL, created_at timestamptz NOT NULL DEFAULT clock_timestamp());
INSERT INTO accounts (id, owner, balance) SELECT g, 'owner ' || g, 1000.0000 FROM generate_series(1, 100) g;
