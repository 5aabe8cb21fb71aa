#!/usr/bin/env bash
# Checks the solc adapter the way forge and foundry-compilers use it: `--version` parses as
# semver, and a standard-JSON compile of the whole project (OpenZeppelin account + EntryPoint
# sources, hundreds of files) succeeds with JSON only on stdout.
set -euo pipefail
cd "$(dirname "$0")/../.."
adapter=tools/solc/solc

version_line=$("$adapter" --version | tail -n1)
[[ "$version_line" =~ ^Version:\ 0\.8\.[0-9]+\+commit\.[0-9a-f]+ ]] || { echo "FAIL: bad --version line: $version_line"; exit 1; }

# Unsupported flags are an error, not silently ignored.
if "$adapter" --bogus </dev/null >/dev/null 2>&1; then echo "FAIL: --bogus accepted"; exit 1; fi

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# Large input: the whole EntryPoint v0.8 package and the OZ account and token trees, by content;
# the rest of their imports come through the adapter's import callback.
python3 - "$tmp/input.json" <<'PY'
import json, pathlib, sys
roots = [pathlib.Path("node_modules/aa-v08"), pathlib.Path("node_modules/@openzeppelin/contracts/account"), pathlib.Path("node_modules/@openzeppelin/contracts/token")]
sources = {}
for root in roots:
    for p in sorted(root.rglob("*.sol")):
        sources[str(p)] = {"content": p.read_text()}
remaps = ["@openzeppelin/contracts/=node_modules/@openzeppelin/contracts/"]
inp = {"language": "Solidity", "sources": sources,
       "settings": {"remappings": remaps, "optimizer": {"enabled": False},
                    "outputSelection": {"*": {"*": ["evm.bytecode.object"]}}}}
json.dump(inp, open(sys.argv[1], "w"))
print(f"{len(sources)} sources", file=sys.stderr)
PY
"$adapter" --base-path . --include-path node_modules --allow-paths . --standard-json <"$tmp/input.json" >"$tmp/out.json"
python3 - "$tmp/out.json" <<'PY'
import json, sys
out = json.load(open(sys.argv[1]))  # fails if stdout holds anything but JSON
errors = [e for e in out.get("errors", []) if e["severity"] == "error"]
if errors:
    print("FAIL:", errors[0]["formattedMessage"]); sys.exit(1)
n = sum(len(c) for c in out["contracts"].values())
assert n > 100, f"only {n} contracts compiled"
print(f"solc adapter OK: {n} contracts compiled")
PY
