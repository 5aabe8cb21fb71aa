#!/usr/bin/env python3
"""Gas of one contract's frames in a forge test, per source line.

Reads the step dump of `forge test --debug --dump FILE` (every executed opcode with its gas, and
each contract's runtime source map and sources) and prints the gas each source file and line spent
inside every frame of the contract during the test (views the test itself calls included), the gas
a call forwards excluded (the callee spends it; profile
the callee by its own name). Storage, logs and hashing show as the lines that run them.

Usage:

    node_modules/.bin/forge test --isolate --match-contract SessionTxGasTest \
        --match-test 'test_txgas_sessionErc20Transfer\\b' --debug --dump /tmp/dump.json
    python3 tools/gas-profile/profile.py /tmp/dump.json SessionKeyValidator [LINES]

Why a script: forge reports gas per call (traces, snapshots) but not per source line, and its
interactive debugger cannot be scripted; the source-map decoding below is what neither forge nor
a maintained library offers from the dump.

Note: `forge test --debug` rewrites the gas snapshots of the test it runs with only that test's
entry; restore them (`git checkout snapshots/`) or rerun `make gas-snapshot`.
"""

import collections
import json
import sys

CALLS = {0xF1, 0xF2, 0xF4, 0xFA}  # CALL, CALLCODE, DELEGATECALL, STATICCALL


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    dump = json.load(open(sys.argv[1]))
    name = sys.argv[2]
    lines_shown = int(sys.argv[3]) if len(sys.argv) > 3 else 40
    contracts = dump["contracts"]
    addresses = {a.lower() for a, n in contracts["identified_contracts"].items() if n == name}
    artifacts = contracts["sources"]["artifacts_by_name"].get(name)
    if not addresses or not artifacts:
        known = sorted(set(contracts["identified_contracts"].values()))
        sys.exit(f"{name} ran no frame in this dump (contracts that did: {known})")
    # The dump carries, per contract, the runtime source map (decoded), the program counter to
    # instruction index map and the build whose sources the map's file indices name.
    artifact = artifacts[0]
    source_map = artifact["source_map_runtime"]
    pc_to_index = artifact["pc_ic_map_runtime"]
    sources = contracts["sources"]["sources_by_id"][artifact["build_id"]]

    def where(pc):
        entry = source_map[pc_to_index[str(pc)]]
        source = sources.get(str(entry.get("index")))
        if source is None:
            return ("(compiler)", 0)
        return (source["path"], source["source"].count("\n", 0, entry["offset"]) + 1)

    gas, steps = collections.Counter(), collections.Counter()
    for frame in dump["debug_arena"]:
        if frame["address"].lower() not in addresses:
            continue
        for step in frame["steps"]:
            cost = 0 if step["op"] in CALLS else step["gas_cost"]
            key = where(step["pc"])
            gas[key] += cost
            steps[key] += 1
    per_file = collections.Counter()
    for (path, _), g in gas.items():
        per_file[path] += g
    print(f"{name}: {sum(gas.values())} gas in {sum(steps.values())} steps (calls it made excluded)")
    for path, g in per_file.most_common():
        print(f"  {path:48} {g:7}")
    print()
    for (path, line), g in gas.most_common(lines_shown):
        print(f"  {path}:{line:<6} {g:7} gas {steps[(path, line)]:5} steps")


if __name__ == "__main__":
    main()
