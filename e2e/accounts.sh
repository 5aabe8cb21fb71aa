# Sourced by e2e/test.sh (uses its helpers: step, fail, run_leash, expect_in, expect_balance, send_tx,
# new_session, spend, json_field; and VALIDATOR, MODULE, TOKEN, OWNER_FLAGS, NET, PW, WORK, ROOT, E18).
#
# Every third-party account kind, through alto on EntryPoint v0.7: MSAAdvanced, Nexus 1.0.1, Safe 1.4.1 +
# Safe7579 and Kernel v3.1, deployed from the bytecode @rhinestone/modulekit 0.5.9 ships
# (script/DeployAccountMatrix.s.sol, as the forge matrix deploys them). For each, with the account kind read
# from its accountId(): the module installed by an owner op, a session granted on-chain by an owner op, a
# session transfer of 30 MOCK sent by `leash op send`, and 80 more refused with the module's reason
# (on Safe7579, which re-raises every validator revert as ExecutionFailed(), the CLI recovers it).

step "every account kind: MSAAdvanced, Nexus, Safe7579, Kernel from modulekit's bytecode (forge script, v0.7)"
(cd "$ROOT" && LEASH_OWNER_VALIDATOR="$VALIDATOR" "$LEASH_BIN/forge" script script/DeployAccountMatrix.s.sol \
    --rpc-url "$LEASH_RPC_URL" --broadcast --skip-simulation --private-key "$LEASH_FUNDER_KEY" \
    --code-size-limit 40000 --json \
    >"$WORK/account-matrix.json" 2>"$WORK/account-matrix.log") ||
    fail "forge script DeployAccountMatrix failed: $(tail -n 30 "$WORK/account-matrix.log") $(tail -c 2000 "$WORK/account-matrix.json")"
# The script's return values: {"msa": {"value": "0x…"}, …} on the JSON line that carries "returns".
account_of() {
    node -e 'const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n");
        for (const l of lines) { let v; try { v = JSON.parse(l); } catch { continue; }
            if (v && v.returns && v.returns[process.argv[2]]) { process.stdout.write(v.returns[process.argv[2]].value); process.exit(0); } }
        process.exit(1);' "$WORK/account-matrix.json" "$1"
}

kind_number=0
for kind in msa nexus safe7579 kernel; do
    kind_number=$((kind_number + 1))
    account="$(account_of "$kind")" || fail "no $kind address in the script's output: $(tail -c 2000 "$WORK/account-matrix.json")"
    leash_has_code "$account" || fail "no code at the $kind account $account"
    recipient="0x00000000000000000000000000000000000a11c$kind_number"

    step "$kind ($account): module installed by an owner op, session granted on-chain, 30 MOCK sent through alto"
    send_tx --value 1ether "$account"
    send_tx "$TOKEN" "mint(address,uint256)" "$account" "1000$E18"
    run_leash "$WORK/install-$kind" 0 account install-module --account "$account" --module "$MODULE" \
        --entry-point v0.7 "${OWNER_FLAGS[@]}"
    expect_in "$WORK/install-$kind" "installed $MODULE as a validator of $account"
    session="$(new_session "$account" "$LEASH_ENTRYPOINT_V07" "e2e-$kind")"
    run_leash "$WORK/grant-$kind" 0 session grant "$session" "${OWNER_FLAGS[@]}"
    expect_in "$WORK/grant-$kind" ": active"
    spend "$session" "$recipient" "spend-$kind" 30
    expect_balance "$recipient" "30$E18"
    expect_in "$WORK/spend-$kind" "token left:      70 MOCK (70$E18 base units) of 100 MOCK"

    step "$kind: 80 more refused by the bundler with the module's reason (asked 80, left 70), exit 3"
    run_leash "$WORK/overspend-$kind" 3 op send --session "$session" \
        --call "$TOKEN,0,$(transfer "$recipient" "80$E18")" "${NET[@]}" "${PW[@]}"
    expect_in "$WORK/overspend-$kind.err" "TokenAllowanceExceeded("
    expect_in "$WORK/overspend-$kind.err" "asked=80$E18, left=70$E18"
    expect_balance "$recipient" "30$E18"
done
