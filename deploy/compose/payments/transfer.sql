-- One transfer, as demo/payments-workload.ts makes them: debit one account and credit another in
-- one UPDATE (rows locked in key order), the transfer row and its two ledger rows, one transaction.
-- A pgbench script (docker-compose.yml's payments-load); amounts in cents, so they stay exact.
\set from random(1, 100)
\set to 1 + (:from + random(0, 98)) % 100
\set cents random(1, 500000)
BEGIN;
UPDATE accounts SET balance = balance + CASE WHEN id = :from THEN -:cents ELSE :cents END / 10000.0, updated_at = now()
  WHERE id IN (:from, :to);
INSERT INTO transfers (from_account, to_account, amount, status) VALUES (:from, :to, :cents / 10000.0, 'done') RETURNING id AS transfer_id \gset
INSERT INTO ledger (account_id, transfer_id, amount) VALUES (:from, :transfer_id, -:cents / 10000.0), (:to, :transfer_id, :cents / 10000.0);
COMMIT;
