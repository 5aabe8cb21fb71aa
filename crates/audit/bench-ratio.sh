#!/usr/bin/env bash
# Session ops validated and executed per second: the revm harness (cargo bench) beside a forge
# invariant campaign of the same scenario (tests/invariant/SessionInvariant.t.sol), and their
# ratio. Wall time of the forge campaign is measured here, after a separate untimed build.
#
# Usage: crates/audit/bench-ratio.sh            (INV_RUNS=64 INV_DEPTH=64 by default)
# Needs: npm ci (forge in node_modules/.bin), cargo. Writes only to temporary directories and
# to the cargo target directory.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RUNS=${INV_RUNS:-64}
DEPTH=${INV_DEPTH:-64}
FORGE="$ROOT/node_modules/.bin/forge"
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
[[ "$RUNS" =~ ^[0-9]+$ && "$DEPTH" =~ ^[0-9]+$ ]] || { echo "INV_RUNS and INV_DEPTH must be integers" >&2; exit 2; }
[[ -x "$FORGE" ]] || { echo "forge not found at $FORGE (run npm ci)" >&2; exit 2; }

# The campaign's runs and depth are inline config (so `forge test` stays small): run a copy whose
# inline numbers are RUNS and DEPTH, in a shadow root of symlinks (nothing in the repo changes).
SHADOW=$(mktemp -d)
trap 'rm -rf "$SHADOW"' EXIT
for entry in contracts node_modules tools remappings.txt foundry.toml; do
  ln -s "$ROOT/$entry" "$SHADOW/$entry"
done
mkdir -p "$SHADOW/tests/invariant"
for entry in "$ROOT"/tests/*; do
  [[ "$(basename "$entry")" == invariant ]] || ln -s "$entry" "$SHADOW/tests/$(basename "$entry")"
done
ln -s "$ROOT/tests/invariant/SessionOpsHandler.sol" "$SHADOW/tests/invariant/SessionOpsHandler.sol"
sed -e "s/invariant\.runs = [0-9]*/invariant.runs = $RUNS/" -e "s/invariant\.depth = [0-9]*/invariant.depth = $DEPTH/" \
  "$ROOT/tests/invariant/SessionInvariant.t.sol" > "$SHADOW/tests/invariant/SessionInvariant.t.sol"

cd "$SHADOW"
forge_args=(--match-contract SessionInvariantTest --out "$SHADOW/out" --cache-path "$SHADOW/cache")
"$FORGE" build "${forge_args[@]:2}" > "$SHADOW/build.log" 2>&1 || { cat "$SHADOW/build.log" >&2; exit 1; }
start=$(date +%s.%N)
"$FORGE" test "${forge_args[@]}" --match-test invariant_ledger > "$SHADOW/forge.log" 2>&1 || { cat "$SHADOW/forge.log" >&2; exit 1; }
end=$(date +%s.%N)
calls=$(sed -n 's/.*invariant_ledger() (runs: [0-9]*, calls: \([0-9]*\),.*/\1/p' "$SHADOW/forge.log")
[[ -n "$calls" ]] || { cat "$SHADOW/forge.log" >&2; echo "no call count in forge's output" >&2; exit 1; }

# Every handler call sends exactly one op (SessionOpsHandler never reverts).
forge_ops_per_s=$(awk -v n="$calls" -v a="$start" -v b="$end" 'BEGIN { printf "%.0f", n / (b - a) }')

cd "$ROOT"
cargo bench -p leash-audit --bench ops -- invariant_scenario > "$SHADOW/bench.log" 2>&1 || { cat "$SHADOW/bench.log" >&2; exit 1; }
estimates="$TARGET/criterion/invariant_scenario/V07_transfers_one_op_per_handleOps/new/estimates.json"
[[ -f "$estimates" ]] || { echo "criterion estimates not found at $estimates" >&2; exit 1; }
# 3 ops per iteration (token transfer, native transfer, batch), mean time in ns.
harness_ops_per_s=$(python3 -c 'import json,sys; e=json.load(open(sys.argv[1])); print(round(3e9 / e["mean"]["point_estimate"]))' "$estimates")

ratio=$(awk -v h="$harness_ops_per_s" -v f="$forge_ops_per_s" 'BEGIN { printf "%.1f", h / f }')
echo "forge invariant campaign: $calls ops (runs $RUNS x depth $DEPTH) in $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }') s = $forge_ops_per_s ops/s"
echo "revm harness (cargo bench, invariant_scenario): $harness_ops_per_s ops/s"
echo "ratio harness / forge: $ratio"
