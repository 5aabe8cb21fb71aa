# Sourced by e2e/test.sh (uses its helpers: step, fail, run_leash, expect_in, expect_balance, send_tx, create_contract,
# creation_code, new_session, transfer, json_field; and MODULE, TOKEN, NET, PW, WORK, E18, CAST).
#
# EIP-7702 through alto on EntryPoint v0.8: an EOA delegates to an ERC-7579 account (tests/fixtures/Eip7702Account.sol:
# OpenZeppelin AccountERC7579 + SignerEIP7702) and installs the module in the same type-4 transaction (cast send
# --auth), a session is enabled in its first op by the EOA's own signature, and `leash op send` sends session ops that
# carry an `eip7702Auth` (the bundler submits a type-4 bundle); an op whose initCode is the marker plus data is refused
# by leash before anything is signed.

step "EIP-7702: an EOA delegates to Eip7702Account and installs the module in one type-4 transaction (cast --auth)"
DELEGATE="$(create_contract "$(creation_code Eip7702Account)" "constructor(address)" "$LEASH_ENTRYPOINT_V08")" ||
    fail "deploying the Eip7702Account delegate"
LEASH_EOA_KEY="$("$CAST" keccak "leash e2e eip7702 eoa")"
export LEASH_EOA_KEY
EOA="$("$CAST" wallet address --private-key "$LEASH_EOA_KEY")"
RECIPIENT_7702=0x0000000000000000000000000000000000007702
send_tx --value 1ether "$EOA"
send_tx "$TOKEN" "mint(address,uint256)" "$EOA" "1000$E18"
"$CAST" send --rpc-url "$LEASH_RPC_URL" --private-key "$LEASH_EOA_KEY" --auth "$DELEGATE" "$EOA" \
    "installModule(uint256,address,bytes)" 1 "$MODULE" 0x >"$WORK/eip7702-delegate.log" 2>&1 ||
    fail "the type-4 delegation + installModule failed: $(tail -n 20 "$WORK/eip7702-delegate.log")"
code="$("$CAST" code --rpc-url "$LEASH_RPC_URL" "$EOA")"
[[ "${code,,}" == "0xef0100${DELEGATE:2}" || "${code,,}" == "0xef0100$(printf '%s' "${DELEGATE:2}" | tr 'A-F' 'a-f')" ]] ||
    fail "the EOA's code is $code, expected the designator of $DELEGATE"
installed="$("$CAST" call --rpc-url "$LEASH_RPC_URL" "$EOA" "isModuleInstalled(uint256,address,bytes)(bool)" 1 "$MODULE" 0x)"
[[ "$installed" == true ]] || fail "isModuleInstalled(1, module) is $installed on the delegated EOA"
leash_log "EOA $EOA delegated to $DELEGATE, module installed"

step "EIP-7702: a session enabled in its first op by the EOA's own signature; the op carries an eip7702Auth"
EIP7702_SESSION="$(new_session "$EOA" "$LEASH_ENTRYPOINT_V08" e2e-eip7702)"
run_leash "$WORK/grant-eip7702" 0 session grant "$EIP7702_SESSION" --enable-in-first-op --account-kind eip7702 \
    --rpc-url "$LEASH_RPC_URL" --owner-key-env LEASH_EOA_KEY
expect_in "$WORK/grant-eip7702" "enable grant for session $EIP7702_SESSION signed and stored"
run_leash "$WORK/spend-eip7702.json" 0 --json op send --session "$EIP7702_SESSION" \
    --call "$TOKEN,0,$(transfer "$RECIPIENT_7702" "30$E18")" --eip7702-delegate "$DELEGATE" \
    --owner-key-env LEASH_EOA_KEY "${NET[@]}" "${PW[@]}"
expect_balance "$RECIPIENT_7702" "30$E18"
run_leash "$WORK/spend-eip7702-2" 0 op send --session "$EIP7702_SESSION" \
    --call "$TOKEN,0,$(transfer "$RECIPIENT_7702" "30$E18")" --eip7702-delegate "$DELEGATE" \
    --owner-key-env LEASH_EOA_KEY "${NET[@]}" "${PW[@]}"
expect_in "$WORK/spend-eip7702-2" "included in transaction"
expect_balance "$RECIPIENT_7702" "60$E18"

step "EIP-7702: 50 more refused by the bundler with the module's reason (asked 50, left 40), exit 3"
run_leash "$WORK/overspend-eip7702" 3 op send --session "$EIP7702_SESSION" \
    --call "$TOKEN,0,$(transfer "$RECIPIENT_7702" "50$E18")" --eip7702-delegate "$DELEGATE" \
    --owner-key-env LEASH_EOA_KEY "${NET[@]}" "${PW[@]}"
expect_in "$WORK/overspend-eip7702.err" "TokenAllowanceExceeded("
expect_in "$WORK/overspend-eip7702.err" "asked=50$E18, left=40$E18"
expect_balance "$RECIPIENT_7702" "60$E18"
expect_balance "$EOA" "940$E18"
