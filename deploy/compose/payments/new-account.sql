-- A new, empty account (demo/payments-workload.ts opens them too); a pgbench script.
\set id random(1000, 1000000000)
INSERT INTO accounts (id, owner, balance) VALUES (:id, 'new owner', 0) ON CONFLICT (id) DO NOTHING;
