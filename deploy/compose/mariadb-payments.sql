-- The compose pipeline's MariaDB target: apply creates the tables in it (run once, when the
-- mariadb service first makes its data directory).
CREATE DATABASE payments;
GRANT ALL PRIVILEGES ON payments.* TO 'paysync'@'%';
