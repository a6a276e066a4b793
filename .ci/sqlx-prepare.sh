#!/usr/bin/env bash
# Regenerates `.sqlx/`, the schema facts the sqlx::query! macros check SQL against at build time,
# from a fresh database with every migration applied. Run it after changing a checked query or a
# migration. `--check` regenerates into a temporary folder and fails if `.sqlx/` differs (CI).
set -euo pipefail
cd "$(dirname "$0")/.."

server=${TEST_DATABASE_SERVER:-postgres://postgres@127.0.0.1:5432}
database=marketfront_sqlx_prepare_$$
psql "$server/postgres" -qc "CREATE DATABASE $database"
out=$(mktemp -d)
trap 'psql "$server/postgres" -qc "DROP DATABASE IF EXISTS $database WITH (FORCE)"; rm -rf "$out"' EXIT
for migration in migrations/*.sql; do
  psql -v ON_ERROR_STOP=1 -q "$server/$database" -f "$migration" > /dev/null
done

# The macros describe (and record) a query only when the file holding it compiles again.
touch src/db/*.rs
SQLX_OFFLINE=false DATABASE_URL="$server/$database" SQLX_OFFLINE_DIR="$out" cargo check --all-targets --quiet
touch src/db/*.rs

if [ "${1:-}" = --check ]; then
  if ! diff -r "$out" .sqlx > /dev/null 2>&1; then
    diff -r "$out" .sqlx || true
    echo "sqlx-prepare: .sqlx/ does not match the queries and migrations; run .ci/sqlx-prepare.sh and commit it" >&2
    exit 1
  fi
  echo "sqlx-prepare: .sqlx/ matches the queries and the migrations"
else
  rm -rf .sqlx
  cp -r "$out" .sqlx
  echo "sqlx-prepare: wrote $(ls .sqlx | wc -l) query descriptions to .sqlx/"
fi
