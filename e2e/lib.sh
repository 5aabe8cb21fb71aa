# shellcheck shell=bash
# leash e2e library: a real chain (anvil) with the canonical EntryPoints, and a real ERC-4337 bundler
# (alto), all from the project's pinned npm toolchain. Source it from a bash script that runs with
# `set -euo pipefail`, call `leash_install_cleanup_trap` first, then the `leash_start_*` functions.
#
# Every process started here runs in its own process group (setsid); the trap kills each group on exit,
# so nothing outlives the script (alto's node workers included). Logs go to $LEASH_E2E_LOG_DIR.

LEASH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LEASH_BIN="$LEASH_ROOT/node_modules/.bin"

# anvil's well-known development keys (mnemonic "test test ... junk"), funded with 10000 ETH each.
# Account 0 deploys, 1 is alto's executor, 2 is alto's utility account; 3 and up are left to tests.
LEASH_DEV_KEY_DEPLOYER=0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
LEASH_DEV_KEY_EXECUTOR=0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d
LEASH_DEV_KEY_UTILITY=0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a
LEASH_DEV_KEY_FUNDER=0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6

LEASH_CHAIN_ID=31337
LEASH_DETERMINISTIC_DEPLOYER=0x4e59b44847b379578588920ca78fbf26c0b4956c
LEASH_ENTRYPOINT_V07=0x0000000071727De22E5E9d8BAf0edAc6f37da032
LEASH_ENTRYPOINT_V08=0x4337084D9E255Ff0702461CF8895CE9E3b5Ff108
# The salts with which the npm artifacts' creation code lands exactly at the canonical addresses.
LEASH_ENTRYPOINT_V07_SALT=0x90d8084deab30c2a37c45e8d47f49f2f7965183cb6990a98943ef94940681de3
LEASH_ENTRYPOINT_V08_SALT=0x0a59dbff790c23c976a548690c27297883cc66b4c67024f9117b0238995e35e9

: "${LEASH_ANVIL_WAIT_SECONDS:=20}"
: "${LEASH_ALTO_WAIT_SECONDS:=60}"

LEASH_STARTED_GROUPS=()
LEASH_E2E_LOG_DIR=""
LEASH_COMMAND_PID=""

leash_log() {
    printf 'e2e: %s\n' "$*" >&2
}

leash_die() {
    printf 'e2e: error: %s\n' "$*" >&2
    exit 1
}

# Kills the command of `leash_run_command` and every process group started by this library: TERM, up
# to 5 s of grace, then KILL.
leash_cleanup() {
    local group deadline
    if [[ -n "$LEASH_COMMAND_PID" ]]; then
        kill -TERM "$LEASH_COMMAND_PID" 2>/dev/null || true
        LEASH_COMMAND_PID=""
    fi
    for group in "${LEASH_STARTED_GROUPS[@]}"; do
        kill -TERM -- "-$group" 2>/dev/null || true
    done
    deadline=$((SECONDS + 5))
    for group in "${LEASH_STARTED_GROUPS[@]}"; do
        while kill -0 -- "-$group" 2>/dev/null && ((SECONDS < deadline)); do
            sleep 0.1
        done
        kill -KILL -- "-$group" 2>/dev/null || true
    done
    LEASH_STARTED_GROUPS=()
}

# Installs the exit trap (also on INT/TERM) and creates the log directory.
leash_install_cleanup_trap() {
    LEASH_E2E_LOG_DIR="${LEASH_E2E_LOG_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/leash-e2e.XXXXXX")}"
    trap 'leash_cleanup' EXIT
    trap 'leash_cleanup; exit 130' INT
    trap 'leash_cleanup; exit 143' TERM
}

leash_require_toolchain() {
    local tool
    for tool in anvil cast alto; do
        [[ -x "$LEASH_BIN/$tool" ]] || leash_die "$LEASH_BIN/$tool is missing: run 'make setup' (npm ci) first"
    done
    command -v setsid >/dev/null || leash_die "setsid (util-linux) is required to isolate started processes"
    command -v curl >/dev/null || leash_die "curl is required to probe the services"
}

# leash_run_command COMMAND...: runs COMMAND (stdin kept) and returns its exit status. It runs in the
# background so that a TERM or INT sent to this script is handled at once (bash runs traps only
# between commands) and the trap can stop it.
leash_run_command() {
    "$@" <&0 &
    LEASH_COMMAND_PID=$!
    local status=0
    wait "$LEASH_COMMAND_PID" || status=$?
    LEASH_COMMAND_PID=""
    return "$status"
}

# Prints a TCP port that is free on 127.0.0.1 right now (the OS picks it).
leash_free_port() {
    node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

# leash_spawn LOG COMMAND...: starts COMMAND in a new process group (its pid is the group id), output to
# LOG; sets LEASH_SPAWNED_PID. Not to be called in a subshell: the group must be recorded here.
leash_spawn() {
    local log="$1"
    shift
    setsid "$@" >"$log" 2>&1 </dev/null &
    LEASH_SPAWNED_PID=$!
    LEASH_STARTED_GROUPS+=("$LEASH_SPAWNED_PID")
}

# leash_rpc URL METHOD PARAMS_JSON: one JSON-RPC call; prints the response body (fails on HTTP errors).
leash_rpc() {
    curl --silent --show-error --fail --max-time 5 -H 'Content-Type: application/json' \
        --data "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$2\",\"params\":$3}" "$1"
}

# leash_wait_rpc NAME PID LOG URL METHOD SECONDS: polls METHOD until it answers with a result.
leash_wait_rpc() {
    local name="$1" pid="$2" log="$3" url="$4" method="$5" seconds="$6"
    local deadline=$((SECONDS + seconds)) answer
    while ((SECONDS < deadline)); do
        if ! kill -0 "$pid" 2>/dev/null; then
            leash_die "$name exited before answering $method; last lines of $log:
$(tail -n 30 "$log")"
        fi
        if answer="$(leash_rpc "$url" "$method" '[]' 2>/dev/null)" && [[ "$answer" == *'"result"'* ]]; then
            return 0
        fi
        sleep 0.25
    done
    leash_die "$name did not answer $method at $url within ${seconds}s; last lines of $log:
$(tail -n 30 "$log")"
}

# Starts anvil on 127.0.0.1 (free port, chain id 31337); sets LEASH_RPC_URL. Extra arguments go to anvil.
leash_start_anvil() {
    local attempt port log pid
    for attempt in 1 2 3; do
        port="$(leash_free_port)"
        log="$LEASH_E2E_LOG_DIR/anvil.log"
        leash_spawn "$log" "$LEASH_BIN/anvil" --host 127.0.0.1 --port "$port" \
            --chain-id "$LEASH_CHAIN_ID" --silent "$@"
        pid="$LEASH_SPAWNED_PID"
        sleep 0.2
        if kill -0 "$pid" 2>/dev/null; then
            LEASH_RPC_URL="http://127.0.0.1:$port"
            leash_wait_rpc anvil "$pid" "$log" "$LEASH_RPC_URL" eth_chainId "$LEASH_ANVIL_WAIT_SECONDS"
            leash_log "anvil ready at $LEASH_RPC_URL (log: $log)"
            return 0
        fi
        leash_log "anvil failed to start on port $port (attempt $attempt); last lines of $log:"
        tail -n 10 "$log" >&2
    done
    leash_die "anvil could not start after 3 attempts"
}

# Hex of the `bytecode` (creation code) field of a hardhat-style artifact, without 0x.
leash_artifact_creation_code() {
    node -e '
        const artifact = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
        const code = String(artifact.bytecode || "").replace(/^0x/, "");
        if (!/^([0-9a-fA-F]{2})+$/.test(code)) { console.error("no creation code in " + process.argv[1]); process.exit(1); }
        process.stdout.write(code);' "$1"
}

# leash_has_code ADDRESS: true when ADDRESS has code on $LEASH_RPC_URL.
leash_has_code() {
    local code
    code="$("$LEASH_BIN/cast" code --rpc-url "$LEASH_RPC_URL" "$1")"
    [[ "$code" != "0x" && -n "$code" ]]
}

# leash_deploy_deterministic NAME SALT INITCODE_HEX EXPECTED: CREATE2 through the deterministic deployer;
# idempotent; fails unless EXPECTED has code afterwards.
leash_deploy_deterministic() {
    local name="$1" salt="$2" init_code="$3" expected="$4" predicted
    predicted="$("$LEASH_BIN/cast" create2 --deployer "$LEASH_DETERMINISTIC_DEPLOYER" --salt "$salt" \
        --init-code "0x$init_code")"
    if [[ "${predicted,,}" != "${expected,,}" ]]; then
        leash_die "$name: salt and creation code give $predicted, not $expected (wrong artifact?)"
    fi
    if leash_has_code "$expected"; then
        leash_log "$name already at $expected"
        return 0
    fi
    leash_has_code "$LEASH_DETERMINISTIC_DEPLOYER" ||
        leash_die "no deterministic deployer at $LEASH_DETERMINISTIC_DEPLOYER on $LEASH_RPC_URL"
    "$LEASH_BIN/cast" send --rpc-url "$LEASH_RPC_URL" --private-key "$LEASH_DEV_KEY_DEPLOYER" \
        "$LEASH_DETERMINISTIC_DEPLOYER" "${salt}${init_code}" >/dev/null ||
        leash_die "$name: deployment transaction failed"
    leash_has_code "$expected" || leash_die "$name: no code at $expected after deployment"
    leash_log "$name deployed at $expected"
}

# Puts EntryPoint v0.7 and v0.8 at their canonical addresses, constructors run (real immutables).
leash_deploy_entrypoints() {
    leash_deploy_deterministic "EntryPoint v0.7" "$LEASH_ENTRYPOINT_V07_SALT" \
        "$(leash_artifact_creation_code "$LEASH_ROOT/node_modules/aa-v07/artifacts/EntryPoint.json")" \
        "$LEASH_ENTRYPOINT_V07"
    leash_deploy_deterministic "EntryPoint v0.8" "$LEASH_ENTRYPOINT_V08_SALT" \
        "$(leash_artifact_creation_code "$LEASH_ROOT/node_modules/aa-v08/artifacts/EntryPoint.json")" \
        "$LEASH_ENTRYPOINT_V08"
}

# Deploys SessionKeyValidator with script/DeploySessionKeyValidator.s.sol; sets LEASH_SESSION_MODULE.
# Extra arguments go to `forge script` (e.g. --out/--cache-path).
leash_deploy_session_module() {
    local output
    output="$(cd "$LEASH_ROOT" && "$LEASH_BIN/forge" script script/DeploySessionKeyValidator.s.sol \
        --rpc-url "$LEASH_RPC_URL" --private-key "$LEASH_DEV_KEY_DEPLOYER" --broadcast "$@" 2>&1)" ||
        leash_die "forge script DeploySessionKeyValidator failed:
$output"
    LEASH_SESSION_MODULE="$(printf '%s\n' "$output" | awk '/predicted address:/ { print $3; exit }')"
    [[ "$LEASH_SESSION_MODULE" =~ ^0x[0-9a-fA-F]{40}$ ]] ||
        leash_die "could not read the module address from the forge output:
$output"
    leash_has_code "$LEASH_SESSION_MODULE" || leash_die "no code at $LEASH_SESSION_MODULE after the script"
    leash_log "SessionKeyValidator at $LEASH_SESSION_MODULE"
}

# leash_start_alto ENTRYPOINTS: starts alto for the comma-separated EntryPoints on $LEASH_RPC_URL;
# sets LEASH_BUNDLER_URL. Safe mode is off: it needs a JS tracer anvil does not offer.
leash_start_alto() {
    local entrypoints="$1" port log pid
    port="$(leash_free_port)"
    log="$LEASH_E2E_LOG_DIR/alto.log"
    leash_spawn "$log" "$LEASH_BIN/alto" \
        --entrypoints "$entrypoints" \
        --rpc-url "$LEASH_RPC_URL" \
        --executor-private-keys "$LEASH_DEV_KEY_EXECUTOR" \
        --utility-private-key "$LEASH_DEV_KEY_UTILITY" \
        --safe-mode false \
        --port "$port"
    pid="$LEASH_SPAWNED_PID"
    LEASH_BUNDLER_URL="http://127.0.0.1:$port"
    leash_wait_rpc alto "$pid" "$log" "$LEASH_BUNDLER_URL" eth_supportedEntryPoints "$LEASH_ALTO_WAIT_SECONDS"
    leash_log "alto ready at $LEASH_BUNDLER_URL for $entrypoints (log: $log)"
}
