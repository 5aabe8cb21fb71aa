#!/usr/bin/env bash
# Usage: e2e/run.sh [--no-module] COMMAND [ARG...]
#
# Brings up a real local chain and bundler, runs COMMAND against them, tears everything down:
#   1. anvil on 127.0.0.1 (free port, chain id 31337, code size limit 40,000 bytes for third-party accounts);
#   2. EntryPoint v0.7 and v0.8 at their canonical addresses (deterministic deployer, real constructors);
#   3. SessionKeyValidator through script/DeploySessionKeyValidator.s.sol (skipped with --no-module);
#   4. alto serving both EntryPoints.
# COMMAND sees LEASH_RPC_URL, LEASH_BUNDLER_URL, LEASH_CHAIN_ID, LEASH_ENTRYPOINT_V07, LEASH_ENTRYPOINT_V08,
# LEASH_SESSION_MODULE (unless --no-module), LEASH_FUNDER_KEY (a funded anvil dev key no service uses) and
# LEASH_E2E_LOG_DIR (anvil.log, alto.log). The exit status is COMMAND's.
set -euo pipefail

# shellcheck source=e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

deploy_module=1
if [[ "${1:-}" == "--no-module" ]]; then
    deploy_module=0
    shift
fi
[[ $# -gt 0 ]] || leash_die "usage: e2e/run.sh [--no-module] COMMAND [ARG...]"

leash_install_cleanup_trap
leash_require_toolchain
# MSAAdvanced and Kernel v3.1 as modulekit ships them are over EIP-170 (e2e/accounts.sh deploys them).
leash_start_anvil --code-size-limit 40000
leash_deploy_entrypoints
if ((deploy_module)); then
    leash_deploy_session_module
    export LEASH_SESSION_MODULE
fi
leash_start_alto "$LEASH_ENTRYPOINT_V07,$LEASH_ENTRYPOINT_V08"

export LEASH_RPC_URL LEASH_BUNDLER_URL LEASH_CHAIN_ID LEASH_ENTRYPOINT_V07 LEASH_ENTRYPOINT_V08 LEASH_E2E_LOG_DIR
export LEASH_FUNDER_KEY="$LEASH_DEV_KEY_FUNDER"

status=0
leash_run_command "$@" || status=$?
exit "$status"
