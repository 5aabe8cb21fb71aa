#!/usr/bin/env node
// Extracts the account bytecode that @rhinestone/modulekit ships precompiled (src/deployment/precompiles/)
// into tests/fixtures/accounts/precompiles.json, the fixture the account-matrix tests deploy from.
//
//   node tools/accounts/precompiles.mjs           write the fixture from the pinned tarball
//   node tools/accounts/precompiles.mjs --check   re-derive it and fail when it differs from the committed one
//
// The tarball comes from the npm registry (`npm pack`, which uses npm's cache when it has it) and must match
// the pinned integrity below, so the fixture is reproducible from the registry alone. modulekit itself is not
// installed: its package.json pulls GitHub dependencies, which a registry-only machine cannot fetch.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const PACKAGE = "@rhinestone/modulekit@0.5.9";
const INTEGRITY =
  "sha512-Zc5Qo3dkyVhBo7OQRKOltYd+jlGCtV18TWSmpSvIdXKwUgo5xj8zL73wAwFKTww00zt/wXMbW6Z6ysIQWH3Ezw==";
const DIR = "package/src/deployment/precompiles";
// The constants the fixtures deploy, by file: the creation code of each contract.
const WANTED = {
  "ERC7579Precompiles.sol": ["ERC7579_BYTECODE", "ERC7579_BOOTSTRAP_BYTECODE", "MSAPROXY_BYTECODE"],
  "NexusPrecompiles.sol": [
    "NEXUS_BYTECODE",
    "NEXUS_ACCOUNT_FACTORY_BYTECODE",
    "NEXUS_BOOTSTRAP_BYTECODE",
    "NEXUS_PROXY_BYTECODE",
  ],
  "Safe7579Precompiles.sol": [
    "SAFE7579_BYTECODE",
    "SAFE7579_LAUNCHPAD_BYTECODE",
    "SAFE_PROXY_BYTECODE",
    "SAFE_SINGLETON_BYTECODE",
    "SAFE_PROXY_FACTORY_BYTECODE",
  ],
  "KernelPrecompiles.sol": ["KERNEL_BYTECODE", "KERNEL_FACTORY_BYTECODE"],
};

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const out = join(root, "tests", "fixtures", "accounts", "precompiles.json");
const check = process.argv.includes("--check");

function fail(message) {
  console.error(`precompiles: ${message}`);
  process.exit(1);
}

const work = mkdtempSync(join(tmpdir(), "leash-precompiles-"));
try {
  try {
    execFileSync("npm", ["pack", PACKAGE, "--pack-destination", work, "--silent"], {
      stdio: ["ignore", "ignore", "inherit"],
    });
  } catch {
    fail(`\`npm pack ${PACKAGE}\` failed: the npm registry (or npm's cache) must be reachable`);
  }
  const tgz = readdirSync(work).find((f) => f.endsWith(".tgz"));
  if (!tgz) fail("npm pack produced no tarball");
  const bytes = readFileSync(join(work, tgz));
  const integrity = "sha512-" + createHash("sha512").update(bytes).digest("base64");
  if (integrity !== INTEGRITY) fail(`${PACKAGE} integrity ${integrity} is not the pinned ${INTEGRITY}`);
  execFileSync("tar", ["-xzf", join(work, tgz), "-C", work, DIR]);

  const fixture = { source: PACKAGE, integrity: INTEGRITY };
  for (const [file, names] of Object.entries(WANTED)) {
    const text = readFileSync(join(work, DIR, file), "utf8");
    for (const name of names) {
      const m = text.match(new RegExp(`bytes public constant ${name} =\\s*hex"([0-9a-fA-F]*)"`));
      if (!m) fail(`${name} not found in ${file}`);
      fixture[name] = "0x" + m[1].toLowerCase();
    }
  }
  const json = JSON.stringify(fixture, null, 1) + "\n";
  if (check) {
    let committed = "";
    try {
      committed = readFileSync(out, "utf8");
    } catch {
      fail(`${out} is missing: run \`node tools/accounts/precompiles.mjs\``);
    }
    if (committed !== json) fail(`${out} differs from ${PACKAGE}: run \`node tools/accounts/precompiles.mjs\``);
    console.log(`precompiles: ${out} matches ${PACKAGE} (${INTEGRITY.slice(0, 20)}...)`);
  } else {
    writeFileSync(out, json);
    console.log(`precompiles: wrote ${out} from ${PACKAGE}`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
