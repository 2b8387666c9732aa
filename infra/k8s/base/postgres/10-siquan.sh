#!/bin/sh
# Runs once, on the first start of an empty data folder: one role and one database per
# service (and the bank simulator's, owned by disbursement), in byte-order collation
# (`siquan.shared.provision.DATABASE_OPTIONS`), each role's password read from
# the Secret siquan-postgres-roles (one key per role), never from a committed file.
set -eu
for role in siquan_eligibility siquan_fund_custody siquan_disbursement siquan_oversight; do
    password=$(cat "/etc/siquan/postgres-roles/$role")
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
        -v role="$role" -v password="$password" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"role" OWNER :"role" TEMPLATE template0 LC_COLLATE 'C';
REVOKE ALL ON DATABASE :"role" FROM PUBLIC;
SQL
done
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<'SQL'
CREATE DATABASE siquan_banksim OWNER siquan_disbursement TEMPLATE template0 LC_COLLATE 'C';
REVOKE ALL ON DATABASE siquan_banksim FROM PUBLIC;
SQL
