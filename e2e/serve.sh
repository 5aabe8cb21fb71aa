# Sourced by e2e/test.sh (uses its helpers: step, fail, run_leash, expect_in, json_field, setup_account; and LEASH,
# MODULE, TOKEN, VALIDATOR, OWNER, WORK, E2E_DIR, STEP).
#
# `leash serve` driven by viem, through alto on EntryPoint v0.7: a fresh test account (1,000 MOCK, module
# installed), the server on a free loopback port with its own SQLite store, an admin key made by the CLI,
# then e2e/serve.mjs: app keys made by the admin key over HTTP, an ERC-7715 grant with a server-held key
# enabled by the owner's signed grant in its first op, EIP-5792 sendCalls/getCallsStatus, an over-limit
# batch refused with the module's TokenAllowanceExceeded, leash_listPermissions, an app-held key
# (wallet_prepareCalls, signed by the app, wallet_sendPreparedCalls), key scope, session revocation, key
# rotation, revocation, disabling and the rate limit, the server's audit log. The server is stopped with SIGTERM and must exit 0;
# if anything fails first, the EXIT/INT/TERM trap stops it (lib.sh's leash_cleanup).

SERVE_SALT=0x0000000000000000000000000000000000000000000000000000000000005e7e
SERVE_DATA="$WORK/serve-data"
SERVE_LOG="$WORK/serve.log"

# The server is started with leash_spawn (own process group, recorded in LEASH_STARTED_GROUPS): this trap
# stops it whatever happens from here on. e2e/test.sh installs no trap of its own.
trap 'leash_cleanup' EXIT
trap 'leash_cleanup; exit 130' INT
trap 'leash_cleanup; exit 143' TERM

step "leash serve: a fresh v0.7 test account with 1,000 MOCK and the module installed"
SERVE_ACCOUNT="$(setup_account "$LEASH_ENTRYPOINT_V07" serve "$SERVE_SALT")"
leash_log "leash serve account $SERVE_ACCOUNT"

step "leash serve: started on a free loopback port (SQLite store, alto, module $MODULE)"
SERVE_PORT="$(leash_free_port)"
printf '%s\n' "$SERVE_PORT" >>"${LEASH_E2E_PORTS_FILE:?}"
SERVE_URL="http://127.0.0.1:$SERVE_PORT"
leash_spawn "$SERVE_LOG" "$LEASH" --data-dir "$SERVE_DATA" serve --listen "127.0.0.1:$SERVE_PORT" \
    --rpc-url "$LEASH_RPC_URL" --bundler-url "$LEASH_BUNDLER_URL" --chain-id "$LEASH_CHAIN_ID" \
    --module "$MODULE" --entry-point "$LEASH_ENTRYPOINT_V07"
SERVE_PID="$LEASH_SPAWNED_PID"
serve_deadline=$((SECONDS + 30))
until grep -qF "leash serve: listening on $SERVE_URL (store sqlite" "$SERVE_LOG" 2>/dev/null; do
    kill -0 "$SERVE_PID" 2>/dev/null || fail "leash serve exited before listening; last lines of $SERVE_LOG:
$(tail -n 30 "$SERVE_LOG")"
    ((SECONDS < serve_deadline)) || fail "leash serve did not print its listening line within 30s:
$(tail -n 30 "$SERVE_LOG")"
    sleep 0.2
done
health="$(curl --silent --show-error --max-time 5 --write-out '\n%{http_code}' "$SERVE_URL/healthz")" ||
    fail "GET /healthz failed"
[[ "${health##*$'\n'}" == 200 && "$health" == *'"status":"ok"'* ]] || fail "GET /healthz answered: $health"
leash_log "leash serve ready at $SERVE_URL (log: $SERVE_LOG)"

step "leash serve: an admin key bootstrapped by the CLI on the store (leash apikey create --role admin)"
run_leash "$WORK/serve-admin.json" 0 --json --data-dir "$SERVE_DATA" apikey create --name e2e-admin --role admin
SERVE_ADMIN_ID="$(json_field "$WORK/serve-admin.json" id)"
SERVE_ADMIN_SECRET="$(json_field "$WORK/serve-admin.json" secret)"
[[ "$SERVE_ADMIN_SECRET" == "leash_${SERVE_ADMIN_ID}_"* ]] || fail "admin secret is not leash_<id>_<hex>: $SERVE_ADMIN_SECRET"
run_leash "$WORK/serve-apikeys" 0 --data-dir "$SERVE_DATA" apikey list
expect_in "$WORK/serve-apikeys" "$SERVE_ADMIN_ID"
if grep -qF "${SERVE_ADMIN_SECRET##*_}" "$WORK/serve-apikeys"; then
    fail "apikey list shows the admin secret"
fi

# serve.mjs prints its own steps (numbered on from STEP) and leaves the last number in this file.
SERVE_STEP_FILE="$WORK/serve-last-step"
serve_status=0
LEASH_SERVE_URL="$SERVE_URL" LEASH_SERVE_ADMIN_SECRET="$SERVE_ADMIN_SECRET" LEASH_SERVE_ACCOUNT="$SERVE_ACCOUNT" \
    LEASH_SERVE_DATA="$SERVE_DATA" LEASH_SERVE_STEP="$STEP" LEASH_SERVE_STEP_FILE="$SERVE_STEP_FILE" \
    LEASH_CLI_PATH="$LEASH" LEASH_E2E_TOKEN="$TOKEN" LEASH_E2E_MODULE="$MODULE" LEASH_E2E_VALIDATOR="$VALIDATOR" \
    leash_run_command node "$E2E_DIR/serve.mjs" || serve_status=$?
[[ -s "$SERVE_STEP_FILE" ]] && STEP="$(cat "$SERVE_STEP_FILE")"
((serve_status == 0)) || fail "e2e/serve.mjs failed (exit $serve_status); server log: $SERVE_LOG
$(tail -n 20 "$SERVE_LOG")"

step "leash serve: stops cleanly on SIGTERM (exit 0)"
kill -TERM "$SERVE_PID"
serve_exit=0
serve_deadline=$((SECONDS + 15))
while kill -0 "$SERVE_PID" 2>/dev/null && ((SECONDS < serve_deadline)); do
    sleep 0.1
done
kill -0 "$SERVE_PID" 2>/dev/null && fail "leash serve still running 15s after SIGTERM"
wait "$SERVE_PID" || serve_exit=$?
((serve_exit == 0)) || fail "leash serve exited $serve_exit on SIGTERM; last lines of $SERVE_LOG:
$(tail -n 20 "$SERVE_LOG")"
if curl --silent --max-time 2 "$SERVE_URL/healthz" >/dev/null 2>&1; then
    fail "something still answers at $SERVE_URL after the server exited"
fi
leash_log "leash serve stopped (exit 0)"
