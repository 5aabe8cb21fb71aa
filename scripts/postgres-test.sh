#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL 15 cluster and LEASH_TEST_POSTGRES_URL set,
# then stops and removes the cluster (also on failure or Ctrl-C).
#
#   scripts/postgres-test.sh                       # cargo test --locked -p leash-store
#   scripts/postgres-test.sh cargo test -p leash-store --test postgres
#
# Without PostgreSQL installed it prints one SKIPPED line and runs the command anyway
# (the Postgres tests then print their own skip line).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/postgres-lib.sh
. "$here/postgres-lib.sh"

if [ $# -eq 0 ]; then
    set -- cargo test --locked -p leash-store
fi

trap pg_stop EXIT
trap 'exit 130' INT TERM
status=0
PG_EXTRA_OPTS=${PG_EXTRA_OPTS:--c fsync=off -c synchronous_commit=off} pg_start || status=$?
if [ "$status" -ne 0 ] && [ "$status" -ne 2 ]; then
    exit "$status"
fi
"$@"
