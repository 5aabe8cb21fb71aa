#!/usr/bin/env bash
# Usage: tools/bench-serve/run.sh   (make bench-serve builds a release leash and runs this)
#
# `leash serve` under load on loopback, with no chain and no bundler (--chain-id 31337, no --rpc-url, no
# --bundler-url): for each store, SQLite in a temp data dir, then PostgreSQL in a throwaway cluster
# (scripts/postgres-lib.sh's pg_start/pg_stop; SKIPPED, visibly, when that file is absent):
#   1. start the server on a free port, bootstrap an admin key with the CLI, make an app key for a fixed
#      account over HTTP (leash_createApiKey);
#   2. grant one session with a server-held key (wallet_grantPermissions, chainId and address in the request);
#   3. warm up, then BENCH_REQUESTS leash_signCalls (prepare + sign + audit entry; not submitted) from
#      BENCH_CONCURRENCY keep-alive clients (tools/bench-serve/load.mjs), and the same count of
#      wallet_prepareCalls (prepare only) for an app-held session when the server accepts it;
#   4. stop the server (SIGTERM; it must exit 0).
# Last, node's raw secp256k1 signing rate for comparison (the Rust one is `cargo bench -p leash-userop`).
# Results: one human line and one JSON object per run; the JSON lines also go to $BENCH_OUT (default: a
# file in the run's temp dir, which keeps the logs). Everything started here is stopped on exit (trap).
#
# Environment: LEASH_CLI (the binary; default $CARGO_TARGET_DIR/release/leash), BENCH_CONCURRENCY (32),
# BENCH_REQUESTS (20000), BENCH_WARMUP (1000), BENCH_OUT, BENCH_STORES ("sqlite postgres"), LEASH_POSTGRES_LIB
# (default scripts/postgres-lib.sh). On PostgreSQL, LEASH_SERVE_SECRET is a fresh random one.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LOAD="$ROOT/tools/bench-serve/load.mjs"
LEASH="${LEASH_CLI:-${CARGO_TARGET_DIR:-$ROOT/target}/release/leash}"
CONCURRENCY="${BENCH_CONCURRENCY:-32}"
REQUESTS="${BENCH_REQUESTS:-20000}"
WARMUP="${BENCH_WARMUP:-1000}"
POSTGRES_LIB="${LEASH_POSTGRES_LIB:-$ROOT/scripts/postgres-lib.sh}"
STORES="${BENCH_STORES:-sqlite postgres}"
# A fixed counterfactual account and token: nothing is on a chain, the server signs without reading one.
ACCOUNT=0x00000000000000000000000000000000000acc01
TOKEN=0x00000000000000000000000000000000000070c1
# The app-held session's key (wallet_prepareCalls): any address, nothing is signed with it here.
APP_SIGNER=0x000000000000000000000000000000000000a99e

say() { printf 'bench-serve: %s\n' "$*" >&2; }
die() {
    say "error: $*"
    exit 1
}

[[ -x "$LEASH" ]] || die "no leash binary at $LEASH: run make bench-serve (or set LEASH_CLI)"
command -v node >/dev/null || die "node is required"
command -v curl >/dev/null || die "curl is required"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/leash-bench-serve.XXXXXX")"
BENCH_OUT="${BENCH_OUT:-$WORK/results.jsonl}"
: >"$BENCH_OUT"
SERVER_PID=""
PG_STARTED=0
UNCLEAN_STOPS=()

cleanup() {
    local status=$?
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    if ((PG_STARTED)); then
        pg_stop >/dev/null 2>&1 || true
    fi
    # The stores' data (session keys, the audit log) go; logs and results stay for reading.
    rm -rf "$WORK/sqlite" "$WORK/postgres"
    ((status == 0)) || say "failed (exit $status); logs in $WORK"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
    node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

json_field() {
    node -e 'let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
        let x = JSON.parse(s); for (const k of process.argv[1].split(".")) x = x[k];
        if (x === undefined) process.exit(1); process.stdout.write(String(x)); });' "$1"
}

# rpc SECRET METHOD PARAMS_JSON: prints the result (JSON); fails on an error.
rpc() {
    local answer
    answer="$(curl --silent --show-error --max-time 30 -H 'Content-Type: application/json' \
        -H "Authorization: Bearer $1" --data "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$2\",\"params\":$3}" "$URL")" ||
        die "$2: no answer from $URL"
    printf '%s' "$answer" | node -e 'let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
        const r = JSON.parse(s); if (r.error || r.result === undefined) { console.error(s); process.exit(1); }
        process.stdout.write(JSON.stringify(r.result)); });' || die "$2 failed"
}

# bench_store LABEL [DATABASE_URL]: one server, its keys and session, the load runs, a clean stop.
bench_store() {
    local label="$1" database="${2:-}" data="$WORK/$1" port log deadline
    local db_flags=()
    [[ -n "$database" ]] && db_flags=(--database "$database")
    mkdir -p "$data"
    port="$(free_port)"
    URL="http://127.0.0.1:$port"
    log="$WORK/serve-$label.log"
    say "$label: starting leash serve on $URL (no chain, no bundler, chain id 31337)"
    setsid "$LEASH" --data-dir "$data" serve --listen "127.0.0.1:$port" --chain-id 31337 "${db_flags[@]}" \
        >"$log" 2>&1 </dev/null &
    SERVER_PID=$!
    deadline=$((SECONDS + 30))
    until grep -qF "leash serve: listening on $URL" "$log" 2>/dev/null; do
        kill -0 "$SERVER_PID" 2>/dev/null || die "$label: leash serve exited: $(tail -n 20 "$log")"
        ((SECONDS < deadline)) || die "$label: leash serve not listening after 30 s: $(tail -n 20 "$log")"
        sleep 0.2
    done
    say "$label: $(grep -F 'listening on' "$log" | head -n 1)"
    grep -qF "leash serve: listening on $URL (store $label" "$log" ||
        die "$label: the server does not say it runs on the $label store: $(grep -F 'listening on' "$log")"

    local admin app app_secret context app_context
    admin="$("$LEASH" --json --data-dir "$data" apikey create --name bench-admin --role admin "${db_flags[@]}" |
        json_field secret)" || die "$label: leash apikey create --role admin failed"
    app="$(rpc "$admin" leash_createApiKey \
        "[{\"name\":\"bench-app\",\"role\":\"app\",\"accounts\":[\"$ACCOUNT\"],\"rateLimitPerMinute\":100000000}]")"
    app_secret="$(printf '%s' "$app" | json_field secret)" || die "$label: no secret in $app"
    context="$(node "$LOAD" grant --url "$URL" --secret "$app_secret" --account "$ACCOUNT" --token "$TOKEN")" ||
        die "$label: wallet_grantPermissions failed"
    say "$label: session granted (server-held key), context ${context:0:18}…"

    local common=(--url "$URL" --secret "$app_secret" --account "$ACCOUNT" --token "$TOKEN" --concurrency "$CONCURRENCY")
    node "$LOAD" load "${common[@]}" --context "$context" --requests "$WARMUP" --label "$label-warmup" >/dev/null ||
        die "$label: warm-up failed"
    node "$LOAD" load "${common[@]}" --context "$context" --requests "$REQUESTS" --label "$label" \
        --method leash_signCalls >>"$BENCH_OUT" || die "$label: leash_signCalls load failed"

    # wallet_prepareCalls (no signature, no nonce taken) for an app-held session, when the server takes it.
    if app_context="$(node "$LOAD" grant --url "$URL" --secret "$app_secret" --account "$ACCOUNT" --token "$TOKEN" \
        --signer "$APP_SIGNER" 2>"$WORK/grant-app-$label.err")"; then
        if node "$LOAD" load "${common[@]}" --context "$app_context" --requests 20 --concurrency 1 \
            --label "$label-probe" --method wallet_prepareCalls >/dev/null 2>"$WORK/prepare-probe-$label.err"; then
            node "$LOAD" load "${common[@]}" --context "$app_context" --requests "$REQUESTS" --label "$label" \
                --method wallet_prepareCalls >>"$BENCH_OUT" || die "$label: wallet_prepareCalls load failed"
        else
            say "$label: wallet_prepareCalls SKIPPED: the probe failed: $(tail -n 2 "$WORK/prepare-probe-$label.err")"
        fi
    else
        say "$label: wallet_prepareCalls SKIPPED: granting an app-held session failed: $(cat "$WORK/grant-app-$label.err")"
    fi

    local verify
    verify="$(rpc "$admin" leash_verifyAudit '[]')"
    say "$label: leash_verifyAudit: ${verify:0:300}"

    kill -TERM "$SERVER_PID"
    local exit_status=0
    wait "$SERVER_PID" || exit_status=$?
    SERVER_PID=""
    if ((exit_status != 0)); then
        # The figures stand; the run still fails at the end (a server must stop cleanly).
        say "error: $label: leash serve exited $exit_status on SIGTERM; log $log: $(grep -m 3 -F 'panicked' "$log" || tail -n 5 "$log")"
        UNCLEAN_STOPS+=("$label (exit $exit_status)")
    else
        say "$label: leash serve stopped (exit 0)"
    fi
}

say "leash $("$LEASH" --version 2>/dev/null || echo '(version unknown)'), $(nproc) cores, node $(node --version)"
say "C=$CONCURRENCY clients, N=$REQUESTS requests per run, $WARMUP warm-up requests"

if [[ " $STORES " == *" sqlite "* ]]; then
    bench_store sqlite
fi

if [[ " $STORES " != *" postgres "* ]]; then
    :
elif [[ -f "$POSTGRES_LIB" ]]; then
    # shellcheck source=/dev/null
    source "$POSTGRES_LIB"
    PG_STARTED=1
    pg_status=0
    pg_start || pg_status=$?
    if ((pg_status == 0)); then
        [[ -n "${PG_URL:-}" ]] || die "pg_start did not set PG_URL"
        # On PostgreSQL the server takes the secret sealing its session keys from the environment only.
        LEASH_SERVE_SECRET="$(node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("hex"))')"
        export LEASH_SERVE_SECRET
        bench_store postgres "$PG_URL"
        pg_stop
        PG_STARTED=0
    elif ((pg_status == 2)); then
        say "postgres: SKIPPED: PostgreSQL is not installed (pg_start found no initdb)"
    else
        die "postgres: pg_start failed (exit $pg_status)"
    fi
else
    say "postgres: SKIPPED: $POSTGRES_LIB is not there (no throwaway cluster to start)"
fi

node "$LOAD" sign-raw --requests "$REQUESTS" >>"$BENCH_OUT"
say "done; results (one JSON object a line): $BENCH_OUT"
cat "$BENCH_OUT"
((${#UNCLEAN_STOPS[@]} == 0)) || die "the server did not stop cleanly on SIGTERM: ${UNCLEAN_STOPS[*]}"
