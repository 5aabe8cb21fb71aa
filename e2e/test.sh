#!/usr/bin/env bash
# Usage: e2e/test.sh
#
# The demo scenario on a real chain, THROUGH A REAL BUNDLER, with the `leash` binary: anvil + the
# canonical EntryPoints + alto (e2e/run.sh), the module deployed by `leash deploy` (twice: the second
# run finds it), a test account (OwnerValidator, deployed through TestAccountFactory) holding 1,000
# MOCK, then: install the module, grant 100 MOCK / 1 hour / 5 uses, spend 30+30 in one batch and 30
# in a single op, 20 more refused by the bundler with the decoded TokenAllowanceExceeded (asked 20,
# left 10), rotate carrying over only what is left, the old key refused (locally, and its stale op by
# the bundler), the new key spends the 10 left, revoke on-chain, refused again; a second session enabled
# in its first op by the owner's EIP-712 grant (no owner op), a replayed grant dropped. On EntryPoint v0.8:
# grant, spend, refuse. Then every third-party account kind (e2e/accounts.sh: MSAAdvanced, Nexus, Safe7579,
# Kernel from modulekit's bytecode): install, grant, spend, refuse with the module's reason; and an EIP-7702 EOA on
# v0.8 (e2e/eip7702.sh): delegated by a type-4 transaction, session ops carrying eip7702Auth through alto. Last, `leash serve`
# driven by viem (e2e/serve.sh + e2e/serve.mjs): API keys (admin CLI, admin over HTTP, scope, rotation, revocation,
# rate limit), an ERC-7715 grant with a server-held key enabled by the owner's signed grant in the first op, EIP-5792
# sendCalls/getCallsStatus through alto, the op's use event decoded by viem with the module's committed ABI,
# an over-limit batch refused with TokenAllowanceExceeded, an app-held key
# (wallet_prepareCalls + wallet_sendPreparedCalls), revocation.
# Every step checks receipts, balances (cast call balanceOf) and refusals
# (exit code 3 + decoded text). Services stop by themselves; at the end nothing they started runs.
#
# The binary: $LEASH_CLI, else $CARGO_TARGET_DIR/debug/leash (make e2e builds it).
set -euo pipefail

E2E_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$E2E_DIR/.." && pwd)"

LEASH="${LEASH_CLI:-${CARGO_TARGET_DIR:-$ROOT/target}/debug/leash}"
if [[ "${1:-}" != "--inside" ]]; then
    if [[ ! -x "$LEASH" ]]; then
        printf 'e2e: error: no leash binary at %s: run make build-cli (or set LEASH_CLI)\n' "$LEASH" >&2
        exit 1
    fi
    started=$SECONDS
    ports_dir="$(mktemp -d "${TMPDIR:-/tmp}/leash-e2e-ports.XXXXXX")"
    export LEASH_E2E_PORTS_FILE="$ports_dir/ports"
    status=0
    "$E2E_DIR/run.sh" --no-module "$E2E_DIR/test.sh" --inside || status=$?
    # Nothing the run started may outlive it: anvil, alto and leash serve are found by their ports.
    leftover=""
    if [[ -f "$LEASH_E2E_PORTS_FILE" ]]; then
        while read -r port; do
            # anvil and alto take --port N, leash serve --listen 127.0.0.1:N.
            if pgrep -f -- "(--port |--listen 127\.0\.0\.1:)$port( |\$)" >/dev/null; then
                leftover+=" $(pgrep -f -- "(--port |--listen 127\.0\.0\.1:)$port( |\$)" | tr '\n' ' ')"
            fi
        done <"$LEASH_E2E_PORTS_FILE"
    fi
    rm -rf "$ports_dir"
    if [[ -n "$leftover" ]]; then
        printf 'e2e: error: processes still running after the run:%s\n' "$leftover" >&2
        exit 1
    fi
    if ((status == 0)); then
        printf 'e2e: PASSED in %ss; nothing left running\n' "$((SECONDS - started))"
    else
        printf 'e2e: FAILED (exit %s) after %ss (logs: see the log directory above)\n' "$status" "$((SECONDS - started))" >&2
    fi
    exit "$status"
fi

# ---------------------------------------------------------------- inside e2e/run.sh from here on
# lib.sh resets LEASH_E2E_LOG_DIR: keep the one e2e/run.sh exported.
log_dir="${LEASH_E2E_LOG_DIR:?run me through e2e/test.sh (it starts e2e/run.sh)}"
# shellcheck source=e2e/lib.sh
source "$E2E_DIR/lib.sh"
LEASH_E2E_LOG_DIR="$log_dir"
[[ -d "$LEASH_E2E_LOG_DIR" ]] || leash_die "no log directory $LEASH_E2E_LOG_DIR"
for url in "$LEASH_RPC_URL" "$LEASH_BUNDLER_URL"; do
    printf '%s\n' "${url##*:}" >>"${LEASH_E2E_PORTS_FILE:?}"
done
leash_log "logs and work files in $LEASH_E2E_LOG_DIR"

[[ -x "$LEASH" ]] || leash_die "no leash binary at $LEASH: run 'cargo build -p leash-cli' (or set LEASH_CLI)"
CAST="$LEASH_BIN/cast"
WORK="$LEASH_E2E_LOG_DIR/work"
mkdir -p "$WORK"
export LEASH_DATA_DIR="$WORK/data"
export LEASH_PASSWORD="e2e password, not a secret"
export LEASH_DEPLOYER_KEY="$LEASH_DEV_KEY_DEPLOYER"
LEASH_OWNER_KEY="$("$CAST" keccak "leash e2e owner")"
export LEASH_OWNER_KEY
OWNER="$("$CAST" wallet address --private-key "$LEASH_OWNER_KEY")"
RECIPIENT=0x000000000000000000000000000000000000bEEF
RECIPIENT_V08=0x000000000000000000000000000000000000cAFE
E18=000000000000000000
STEP=0

step() {
    STEP=$((STEP + 1))
    printf '\ne2e: step %s: %s\n' "$STEP" "$*" >&2
}

fail() {
    leash_die "step $STEP: $*"
}

# run_leash OUT_FILE EXPECTED_EXIT ARGS...: runs leash, stdout to OUT_FILE, stderr to OUT_FILE.err;
# fails unless it exits with EXPECTED_EXIT.
run_leash() {
    local out="$1" expected="$2" status=0
    shift 2
    "$LEASH" "$@" >"$out" 2>"$out.err" || status=$?
    if ((status != expected)); then
        fail "leash $* exited $status, expected $expected
--- stdout
$(cat "$out")
--- stderr
$(cat "$out.err")"
    fi
}

expect_in() {
    local file="$1" text="$2"
    grep -qiF -- "$text" "$file" || fail "expected \"$text\" in $file:
$(cat "$file")"
}

json_field() {
    node -e 'const v = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
        const path = process.argv[2].split(".");
        let x = v; for (const k of path) x = x[k];
        process.stdout.write(String(x));' "$1" "$2"
}

balance_of() {
    "$CAST" call --rpc-url "$LEASH_RPC_URL" "$TOKEN" "balanceOf(address)(uint256)" "$1" | awk '{print $1}'
}

expect_balance() {
    local who="$1" want="$2" got
    got="$(balance_of "$who")"
    [[ "$got" == "$want" ]] || fail "balanceOf($who) = $got, expected $want"
    leash_log "balanceOf($who) = $got"
}

send_tx() {
    "$CAST" send --rpc-url "$LEASH_RPC_URL" --private-key "$LEASH_FUNDER_KEY" "$@" >/dev/null
}

create_contract() {
    local output
    output="$("$CAST" send --json --rpc-url "$LEASH_RPC_URL" --private-key "$LEASH_FUNDER_KEY" --create "$@")"
    printf '%s' "$output" | node -e 'let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
        const r = JSON.parse(s); if (r.status !== "0x1" || !r.contractAddress) process.exit(1);
        process.stdout.write(r.contractAddress); });'
}

creation_code() {
    node -e 'const a = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
        process.stdout.write(a.bytecode.object);' "$WORK/out/$1.sol/$1.json"
}

transfer() {
    "$CAST" calldata "transfer(address,uint256)" "$1" "$2"
}

# ---------------------------------------------------------------- the module, twice
step "leash deploy: the module at its deterministic address"
run_leash "$WORK/deploy1" 0 deploy --rpc-url "$LEASH_RPC_URL" --private-key-env LEASH_DEPLOYER_KEY
expect_in "$WORK/deploy1" "SessionKeyValidator deployed at"
expect_in "$WORK/deploy1" "runtime:         matches the compiled artifact byte for byte"
run_leash "$WORK/deploy2.json" 0 --json deploy --rpc-url "$LEASH_RPC_URL" --unlocked 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266
[[ "$(json_field "$WORK/deploy2.json" alreadyDeployed)" == true ]] || fail "second deploy did not find the module"
MODULE="$(json_field "$WORK/deploy2.json" address)"
run_leash "$WORK/deploy3" 0 deploy --rpc-url "$LEASH_RPC_URL" --private-key-env LEASH_DEPLOYER_KEY
expect_in "$WORK/deploy3" "SessionKeyValidator already deployed at $MODULE on chain 31337: nothing to do"
leash_log "module at $MODULE"

# ---------------------------------------------------------------- fixtures
step "fixtures: OwnerValidator, TestAccountFactory, MockERC20 (compiled by forge into $WORK/out)"
(cd "$ROOT" && "$LEASH_BIN/forge" build tests/fixtures/OwnerValidator.sol tests/fixtures/TestAccountFactory.sol \
    tests/fixtures/MockERC20.sol tests/fixtures/Eip7702Account.sol --out "$WORK/out" --cache-path "$WORK/cache" >"$WORK/forge.log" 2>&1) ||
    fail "forge build of the fixtures failed: $(tail -n 20 "$WORK/forge.log")"
VALIDATOR="$(create_contract "$(creation_code OwnerValidator)")" || fail "deploying OwnerValidator"
FACTORY="$(create_contract "$(creation_code TestAccountFactory)")" || fail "deploying TestAccountFactory"
TOKEN="$(create_contract "$(creation_code MockERC20)" "constructor(string,string)" "Mock" "MOCK")" ||
    fail "deploying MockERC20"
leash_log "OwnerValidator $VALIDATOR, TestAccountFactory $FACTORY, MockERC20 $TOKEN, owner $OWNER"

# new_account ENTRYPOINT [SALT]: deploys a TestAccount owned by OWNER for ENTRYPOINT (salt 1 unless given),
# funds it; prints its address.
new_account() {
    local entry_point="$1" install_data salt="${2:-0x0000000000000000000000000000000000000000000000000000000000000001}" account
    install_data="$("$CAST" abi-encode "f(address)" "$OWNER")"
    account="$("$CAST" call --rpc-url "$LEASH_RPC_URL" "$FACTORY" \
        "getAddress(address,address,bytes,bytes32)(address)" "$entry_point" "$VALIDATOR" "$install_data" "$salt")"
    send_tx "$FACTORY" "createAccount(address,address,bytes,bytes32)" "$entry_point" "$VALIDATOR" "$install_data" "$salt"
    leash_has_code "$account" || return 1
    send_tx --value 1ether "$account"
    printf '%s' "$account"
}

OWNER_FLAGS=(--rpc-url "$LEASH_RPC_URL" --bundler-url "$LEASH_BUNDLER_URL" --owner-key-env LEASH_OWNER_KEY
    --owner-validator "$VALIDATOR")
NET=(--rpc-url "$LEASH_RPC_URL" --bundler-url "$LEASH_BUNDLER_URL")
PW=(--password-env LEASH_PASSWORD)

# setup_account ENTRYPOINT NAME [SALT]: account + 1,000 MOCK + module installed through the bundler.
setup_account() {
    local entry_point="$1" name="$2" account
    account="$(new_account "$entry_point" "${3:-}")" || fail "deploying the $name test account"
    send_tx "$TOKEN" "mint(address,uint256)" "$account" "1000$E18"
    [[ "$(balance_of "$account")" == "1000$E18" ]] || fail "mint to $account"
    run_leash "$WORK/install-$name" 0 account install-module --account "$account" --module "$MODULE" \
        --entry-point "$entry_point" "${OWNER_FLAGS[@]}"
    expect_in "$WORK/install-$name" "installed $MODULE as a validator of $account"
    local installed
    installed="$("$CAST" call --rpc-url "$LEASH_RPC_URL" "$account" \
        "isModuleInstalled(uint256,address,bytes)(bool)" 1 "$MODULE" 0x)"
    [[ "$installed" == true ]] || fail "isModuleInstalled(1, module) is $installed on $account"
    printf '%s' "$account"
}

# new_session ACCOUNT ENTRYPOINT LABEL: a session granting transfer() on MOCK, 100 MOCK, 5 uses, 1 hour.
new_session() {
    local account="$1" entry_point="$2" label="$3" now file="$WORK/permissions-$3.json"
    now="$("$CAST" block latest --field timestamp --rpc-url "$LEASH_RPC_URL")"
    cat >"$file" <<EOF
{
  "validAfter": $((now - 60)),
  "validUntil": $((now + 3600)),
  "maxUses": 5,
  "feeBudget": "1000000000000000000",
  "calls": [{ "target": "$TOKEN", "selector": "transfer(address,uint256)" }],
  "tokens": [{ "token": "$TOKEN", "amount": "100$E18" }]
}
EOF
    run_leash "$WORK/create-$label.json" 0 --json session create --permissions "$file" --account "$account" \
        --chain-id "$LEASH_CHAIN_ID" --entry-point "$entry_point" --module "$MODULE" --label "$label" "${PW[@]}"
    json_field "$WORK/create-$label.json" localId
}

# spend SESSION RECIPIENT NAME AMOUNT...: one op (a batch for more than one amount) through the bundler.
spend() {
    local session="$1" to="$2" name="$3"
    shift 3
    local calls=() amount
    for amount in "$@"; do
        calls+=(--call "$TOKEN,0,$(transfer "$to" "$amount$E18")")
    done
    run_leash "$WORK/$name" 0 op send --session "$session" "${calls[@]}" "${NET[@]}" "${PW[@]}"
    expect_in "$WORK/$name" "included in transaction"
}

# ---------------------------------------------------------------- EntryPoint v0.7: the whole story
step "v0.7: test account with 1,000 MOCK, module installed by an owner op through alto"
ACCOUNT="$(setup_account "$LEASH_ENTRYPOINT_V07" v07)"
leash_log "v0.7 account $ACCOUNT"

step "v0.7: session key granting 100 MOCK / 1 hour / 5 uses, granted on-chain by an owner op"
OLD="$(new_session "$ACCOUNT" "$LEASH_ENTRYPOINT_V07" e2e-v07)"
run_leash "$WORK/grant-old" 0 session grant "$OLD" "${OWNER_FLAGS[@]}"
expect_in "$WORK/grant-old" "granted session $OLD on-chain"
expect_in "$WORK/grant-old" ": active"

step "v0.7: spend 30 + 30 in ONE batch op"
spend "$OLD" "$RECIPIENT" batch 30 30
expect_balance "$RECIPIENT" "60$E18"
expect_in "$WORK/batch" "token left:      40 MOCK (40$E18 base units) of 100 MOCK"
expect_in "$WORK/batch" "uses left:       4"

step "v0.7: spend 30 in a single op"
spend "$OLD" "$RECIPIENT" single 30
expect_balance "$RECIPIENT" "90$E18"
expect_in "$WORK/single" "token left:      10 MOCK (10$E18 base units) of 100 MOCK"

step "v0.7: a stale backend signs one more op with the old key (kept for after the rotation)"
run_leash "$WORK/stale-old.json" 0 --json op sign --session "$OLD" --call "$TOKEN,0,$(transfer "$RECIPIENT" "5$E18")" \
    "${NET[@]}" "${PW[@]}"

step "v0.7: 20 more -> refused by the bundler: TokenAllowanceExceeded (asked 20, left 10), exit 3"
run_leash "$WORK/overspend" 3 op send --session "$OLD" --call "$TOKEN,0,$(transfer "$RECIPIENT" "20$E18")" \
    "${NET[@]}" "${PW[@]}"
expect_in "$WORK/overspend.err" "error: the bundler rejected the op"
expect_in "$WORK/overspend.err" "TokenAllowanceExceeded("
expect_in "$WORK/overspend.err" "asked=20$E18, left=10$E18"
expect_balance "$RECIPIENT" "90$E18"
run_leash "$WORK/show-old" 0 session show "$OLD" --rpc-url "$LEASH_RPC_URL"
expect_in "$WORK/show-old" "token left:      10 MOCK (10$E18 base units) of 100 MOCK"
expect_in "$WORK/show-old" "uses left:       3"

step "v0.7: rotation without --rpc-url is refused (it would re-grant the full budget)"
run_leash "$WORK/rotate-blind" 2 session rotate "$OLD" "${PW[@]}"
expect_in "$WORK/rotate-blind.err" "would give the new key the old grant in full"

step "v0.7: rotate: the new key gets only what is left (10 MOCK, 3 uses), on-chain in one owner op"
run_leash "$WORK/rotate.json" 0 --json session rotate "$OLD" "${OWNER_FLAGS[@]}" "${PW[@]}"
NEW="$(json_field "$WORK/rotate.json" new.localId)"
[[ "$(json_field "$WORK/rotate.json" new.permissions.tokens.0.amount)" == "10$E18" ]] || fail "new grant is not 10 MOCK"
[[ "$(json_field "$WORK/rotate.json" new.permissions.maxUses)" == 3 ]] || fail "new grant is not 3 uses"
[[ "$(json_field "$WORK/rotate.json" old.rotatedTo)" == "$NEW" ]] || fail "rotatedTo not set"
[[ "$(json_field "$WORK/rotate.json" onChain.statuses.0.status)" == active ]] || fail "new session not active on-chain"
[[ "$(json_field "$WORK/rotate.json" onChain.statuses.1.status)" == revoked ]] || fail "old session not revoked on-chain"

step "v0.7: the old key is refused: locally (exit 2), and its stale op by the bundler (SessionIsRevoked, exit 3)"
run_leash "$WORK/old-local" 2 op send --session "$OLD" --call "$TOKEN,0,$(transfer "$RECIPIENT" "1$E18")" \
    "${NET[@]}" "${PW[@]}"
expect_in "$WORK/old-local.err" "revoked"
run_leash "$WORK/old-stale" 3 op send --session "$OLD" --signed-op "$WORK/stale-old.json" "${NET[@]}"
expect_in "$WORK/old-stale.err" "SessionIsRevoked("
expect_balance "$RECIPIENT" "90$E18"

step "v0.7: the new key signs a stale op too (for after the revocation), then spends the 10 left"
run_leash "$WORK/stale-new.json" 0 --json op sign --session "$NEW" --call "$TOKEN,0,$(transfer "$RECIPIENT" "1$E18")" \
    --nonce-key 1 "${NET[@]}" "${PW[@]}"
spend "$NEW" "$RECIPIENT" new-spend 10
expect_balance "$RECIPIENT" "100$E18"
expect_in "$WORK/new-spend" "token left:      0 MOCK (0 base units) of 10 MOCK"

step "v0.7: revoke the new session, in the registry and on-chain"
run_leash "$WORK/revoke" 0 session revoke "$NEW" --reason "e2e done" "${OWNER_FLAGS[@]}"
expect_in "$WORK/revoke" "revoked, in the registry and on-chain"
expect_in "$WORK/revoke" ": revoked"

step "v0.7: refused again: locally (exit 2) and on-chain (SessionIsRevoked, exit 3)"
run_leash "$WORK/new-local" 2 op send --session "$NEW" --call "$TOKEN,0,$(transfer "$RECIPIENT" "1$E18")" \
    "${NET[@]}" "${PW[@]}"
run_leash "$WORK/new-stale" 3 op send --session "$NEW" --signed-op "$WORK/stale-new.json" "${NET[@]}"
expect_in "$WORK/new-stale.err" "SessionIsRevoked("
expect_balance "$RECIPIENT" "100$E18"
expect_balance "$ACCOUNT" "900$E18"

# ---------------------------------------------------------------- EntryPoint v0.7: enable in the first op
RECIPIENT_ENABLE=0x000000000000000000000000000000000000dEaD
session_status() {
    "$CAST" call --rpc-url "$LEASH_RPC_URL" "$MODULE" "statusOf(address,bytes32)(uint8)" "$ACCOUNT" "$1"
}

step "v0.7: a second session granted by the owner's EIP-712 EnableSession signature (no owner op)"
ENABLED="$(new_session "$ACCOUNT" "$LEASH_ENTRYPOINT_V07" e2e-enable)"
ENABLED_ID="$(json_field "$WORK/create-e2e-enable.json" sessionId)"
run_leash "$WORK/grant-enable" 0 session grant "$ENABLED" --enable-in-first-op --rpc-url "$LEASH_RPC_URL" \
    --owner-key-env LEASH_OWNER_KEY --owner-validator "$VALIDATOR"
expect_in "$WORK/grant-enable" "enable grant for session $ENABLED signed and stored"
expect_in "$WORK/grant-enable" "on-chain status now: none"
[[ "$(session_status "$ENABLED_ID")" == 0 ]] || fail "the session is known on-chain before its first op"
cp "$LEASH_DATA_DIR/enable/$ENABLED.json" "$WORK/enable-grant-copy.json"

step "v0.7: its first op through alto carries the grant (flag ENABLE): session created, 25 MOCK moved"
spend "$ENABLED" "$RECIPIENT_ENABLE" enable-first 25
expect_in "$WORK/enable-first" "enabled in this op (owner grant, nonce"
expect_in "$WORK/enable-first" "on-chain status active"
expect_balance "$RECIPIENT_ENABLE" "25$E18"
[[ "$(session_status "$ENABLED_ID")" == 1 ]] || fail "the session is not active after its first op"
[[ ! -e "$LEASH_DATA_DIR/enable/$ENABLED.json" ]] || fail "the grant is still stored after the session was enabled"

step "v0.7: the same grant again is not needed: a second grant is refused, a replayed copy is dropped"
run_leash "$WORK/grant-enable-again" 2 session grant "$ENABLED" --enable-in-first-op --rpc-url "$LEASH_RPC_URL" \
    --owner-key-env LEASH_OWNER_KEY --owner-validator "$VALIDATOR"
expect_in "$WORK/grant-enable-again.err" "is already active on-chain"
cp "$WORK/enable-grant-copy.json" "$LEASH_DATA_DIR/enable/$ENABLED.json"
run_leash "$WORK/enable-second.json" 0 --json op send --session "$ENABLED" \
    --call "$TOKEN,0,$(transfer "$RECIPIENT_ENABLE" "5$E18")" "${NET[@]}" "${PW[@]}"
[[ "$(json_field "$WORK/enable-second.json" enable.carried)" == false ]] || fail "the second op carried the grant"
[[ "$(json_field "$WORK/enable-second.json" enable.status)" == active ]] || fail "the dropped grant's status is not active"
[[ ! -e "$LEASH_DATA_DIR/enable/$ENABLED.json" ]] || fail "the replayed grant was not dropped"
expect_balance "$RECIPIENT_ENABLE" "30$E18"
expect_balance "$ACCOUNT" "870$E18"

# ---------------------------------------------------------------- EntryPoint v0.8: grant, spend, refuse
step "v0.8: test account with 1,000 MOCK, module installed"
ACCOUNT_V08="$(setup_account "$LEASH_ENTRYPOINT_V08" v08)"
leash_log "v0.8 account $ACCOUNT_V08"

step "v0.8: grant 100 MOCK, spend 30 + 30 (batch) and 30, 20 more refused"
V08="$(new_session "$ACCOUNT_V08" "$LEASH_ENTRYPOINT_V08" e2e-v08)"
run_leash "$WORK/grant-v08" 0 session grant "$V08" "${OWNER_FLAGS[@]}"
spend "$V08" "$RECIPIENT_V08" v08-batch 30 30
spend "$V08" "$RECIPIENT_V08" v08-single 30
expect_balance "$RECIPIENT_V08" "90$E18"
run_leash "$WORK/v08-overspend" 3 op send --session "$V08" --call "$TOKEN,0,$(transfer "$RECIPIENT_V08" "20$E18")" \
    "${NET[@]}" "${PW[@]}"
expect_in "$WORK/v08-overspend.err" "TokenAllowanceExceeded("
expect_in "$WORK/v08-overspend.err" "asked=20$E18, left=10$E18"
expect_balance "$RECIPIENT_V08" "90$E18"

# ---------------------------------------------------------------- a counterfactual account (--factory)
step "counterfactual v0.8 account: the owner's first op carries --factory/--factory-data through alto and deploys it"
CF_SALT=0x00000000000000000000000000000000000000000000000000000000000000cf
CF_INSTALL="$("$CAST" abi-encode "f(address)" "$OWNER")"
CF_ACCOUNT="$("$CAST" call --rpc-url "$LEASH_RPC_URL" "$FACTORY" \
    "getAddress(address,address,bytes,bytes32)(address)" "$LEASH_ENTRYPOINT_V08" "$VALIDATOR" "$CF_INSTALL" "$CF_SALT")"
leash_has_code "$CF_ACCOUNT" && fail "the counterfactual account $CF_ACCOUNT already has code"
send_tx --value 1ether "$CF_ACCOUNT"
CF_DATA="$("$CAST" calldata "createAccount(address,address,bytes,bytes32)" "$LEASH_ENTRYPOINT_V08" "$VALIDATOR" \
    "$CF_INSTALL" "$CF_SALT")"
run_leash "$WORK/install-cf" 0 account install-module --account "$CF_ACCOUNT" --module "$MODULE" \
    --entry-point v0.8 --factory "$FACTORY" --factory-data "$CF_DATA" "${OWNER_FLAGS[@]}"
expect_in "$WORK/install-cf" "installed $MODULE as a validator of $CF_ACCOUNT"
leash_has_code "$CF_ACCOUNT" || fail "the op did not deploy $CF_ACCOUNT"
[[ "$("$CAST" call --rpc-url "$LEASH_RPC_URL" "$CF_ACCOUNT" "isModuleInstalled(uint256,address,bytes)(bool)" 1 "$MODULE" 0x)" == true ]] ||
    fail "the module is not installed on $CF_ACCOUNT"
run_leash "$WORK/install-cf-again" 2 account install-module --account "$CF_ACCOUNT" --module "$MODULE" \
    --entry-point v0.8 --factory "$FACTORY" --factory-data "$CF_DATA" "${OWNER_FLAGS[@]}"
expect_in "$WORK/install-cf-again.err" "already deployed"

# ---------------------------------------------------------------- every account kind (e2e/accounts.sh)
# shellcheck source=e2e/accounts.sh
source "$E2E_DIR/accounts.sh"

# ---------------------------------------------------------------- EIP-7702 on v0.8 (e2e/eip7702.sh)
# shellcheck source=e2e/eip7702.sh
source "$E2E_DIR/eip7702.sh"

step "the audit log of everything above verifies"
run_leash "$WORK/audit" 0 audit verify
cat "$WORK/audit" >&2

# ---------------------------------------------------------------- leash serve through viem (e2e/serve.sh)
# shellcheck source=e2e/serve.sh
source "$E2E_DIR/serve.sh"

leash_log "all steps passed"
