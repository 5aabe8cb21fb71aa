//! Planted bugs: each mutant is a copy of `contracts/session/` with one check removed, built
//! with the project's forge and solc adapter in a temporary directory.

use crate::AuditError;
use alloy::primitives::Bytes;
use std::{
    collections::BTreeMap,
    fs,
    path::{Path, PathBuf},
    process::Command,
    str::FromStr,
};

/// One textual change of one source file.
#[derive(Debug, Clone, Copy)]
pub struct Patch {
    /// File under `contracts/session/`.
    pub file: &'static str,
    /// Text to replace: it must occur exactly once in `file`, so that a patch whose code moved,
    /// disappeared or was duplicated is an error instead of a silently different mutant.
    pub original: &'static str,
    /// Replacement.
    pub replacement: &'static str,
}

/// A planted bug.
#[derive(Debug, Clone, Copy)]
pub struct Mutant {
    /// Short name.
    pub name: &'static str,
    /// What the bug does.
    pub description: &'static str,
    /// Its patches.
    pub patches: &'static [Patch],
}

/// Every mutant the suite must catch.
pub const MUTANTS: &[Mutant] = &[
    Mutant {
        name: "batch-summing-off",
        description: "a batch is charged only its last call's value and token amount",
        patches: &[
            Patch {
                file: "PermissionChecks.sol",
                original: "let nativeSum := add(mload(charges), value)",
                replacement: "let nativeSum := value",
            },
            Patch {
                file: "PermissionChecks.sol",
                original: "let tokenSum := add(mload(slot), amount)",
                replacement: "let tokenSum := amount",
            },
        ],
    },
    Mutant {
        name: "self-call-denial-off",
        description: "self-calls to execute/executeFromExecutor/executeUserOp are not denied",
        patches: &[Patch {
            file: "PermissionChecks.sol",
            original:
                "and(self, or(or(eq(sel, 0xe9ae5c53), eq(sel, 0xd691c964)), eq(sel, 0x8dd7712f)))",
            replacement:
                "and(0, or(or(eq(sel, 0xe9ae5c53), eq(sel, 0xd691c964)), eq(sel, 0x8dd7712f)))",
        }],
    },
    Mutant {
        name: "canonical-check-off",
        description: "batch element offsets are not checked against the canonical layout",
        patches: &[Patch {
            file: "CallDecoder.sol",
            original: "if iszero(eq(calldataload(add(base, add(64, shl(5, i)))), expected)) {",
            replacement: "if 0 {",
        }],
    },
    Mutant {
        name: "counter-not-written",
        description: "the native counter and the record's fee field are checked but never written",
        patches: &[
            Patch {
                file: "SessionCharging.sol",
                original: "counter[op.account] = nativeSpent + native;",
                replacement: "",
            },
            Patch {
                file: "SessionCharging.sol",
                original: "sstore(slot, add(record, shl(48, fee)))",
                replacement: "pop(slot)",
            },
        ],
    },
    Mutant {
        name: "period-not-bound",
        description: "the op digest does not cover the period index",
        patches: &[Patch {
            file: "SessionKeyValidator.sol",
            original: "mstore(add(m, 0x60), and(periodIndex, 0xffffffff))",
            replacement: "mstore(add(m, 0x60), 0)",
        }],
    },
    Mutant {
        name: "paymaster-check-off",
        description: "any paymaster may sponsor",
        patches: &[Patch {
            file: "SessionCharging.sol",
            original: "if (!listed) revert PaymasterNotAllowed(sessionId, paymaster);",
            replacement: "",
        }],
    },
    Mutant {
        name: "fee-budget-off",
        description: "the fee budget is not enforced",
        patches: &[Patch {
            file: "SessionCharging.sol",
            original: "if (fee > feeLeft) revert FeeBudgetExceeded(sessionId, fee, feeLeft);",
            replacement: "",
        }],
    },
    Mutant {
        name: "window-not-returned",
        description: "validation data carries no validAfter/validUntil",
        patches: &[Patch {
            file: "SessionKeyValidator.sol",
            original: "return failed | _authorize(userOp, account, sessionId, periodIndex, s);",
            replacement:
                "return failed | (0 * _authorize(userOp, account, sessionId, periodIndex, s));",
        }],
    },
    Mutant {
        name: "permit2-charging-off",
        description: "Permit2 approve/transferFrom of a limited token are charged nothing",
        patches: &[Patch {
            file: "PermissionChecks.sol",
            original: "amount = a2;",
            replacement: "amount = 0;",
        }],
    },
    Mutant {
        name: "fallback-answer-reused",
        description: "the fallback-handler answer for one call's selector is reused for a later call to the same target with another selector",
        patches: &[
            Patch {
                file: "PermissionChecks.sol",
                original: "if (_isInstalledAnyType(account, target)) revert",
                replacement: "if (_isInstalledAnyType(account, target) || _isFallbackFor(account, target, call.selector)) revert",
            },
            Patch {
                file: "PermissionChecks.sol",
                original: "            if (_isFallbackFor(account, target, call.selector)) revert CallToInstalledModule(index, target);\n",
                replacement: "",
            },
        ],
    },
    // Realistic one-line slips of the kinds issue 11 lists (off-by-one, wrong operand, a loop
    // from 1, a bitmap overwritten, a digest field masked too narrow, a constant typo).
    Mutant {
        name: "rate-limit-off-by-one",
        description: "the rate limit lets one op more per period through (`>` for `>=`)",
        patches: &[Patch {
            file: "SessionCharging.sol",
            original: "if (count >= rateLimit) revert",
            replacement: "if (count > rateLimit) revert",
        }],
    },
    Mutant {
        name: "max-uses-off-by-one",
        description: "maxUses lets one op more through (`used > maxUses` for `used >= maxUses`)",
        patches: &[Patch {
            file: "SessionCharging.sol",
            original: "iszero(lt(used, maxUses))",
            replacement: "gt(used, maxUses)",
        }],
    },
    Mutant {
        name: "token-entry-wrong-operand",
        description:
            "tokens[i] (i >= 1) is charged against entry i-1 (its allowance and counter key)",
        patches: &[Patch {
            file: "SessionCharging.sol",
            original: "uint256 entry = tokens + SessionPacking.ASSET_SIZE * i;",
            replacement: "uint256 entry = tokens + SessionPacking.ASSET_SIZE * (i - 1);",
        }],
    },
    Mutant {
        name: "batch-check-from-1",
        description:
            "the loop over a batch's calls starts at 1: the first call is never checked or charged",
        patches: &[Patch {
            file: "PermissionChecks.sol",
            original: "for (; i < end;) {",
            replacement: "for (i = i + 1; i < end;) {",
        }],
    },
    Mutant {
        name: "token-lookup-from-1",
        description:
            "the lookup of a call's target in the token list starts at 1: tokens[0] is not limited",
        patches: &[Patch {
            file: "PermissionChecks.sol",
            original: "for { let i := 0 } lt(i, tokenCount) { i := add(i, 1) } {",
            replacement: "for { let i := 1 } lt(i, tokenCount) { i := add(i, 1) } {",
        }],
    },
    Mutant {
        name: "nonce-bitmap-overwritten",
        description:
            "consuming an enable nonce overwrites its bitmap word instead of OR-ing the bit in",
        patches: &[Patch {
            file: "SessionAdmin.sol",
            original: "word[account] = bits | bit;",
            replacement: "word[account] = bit;",
        }],
    },
    Mutant {
        name: "period-digest-16-bits",
        description: "the op digest keeps only 16 bits of the period index",
        patches: &[Patch {
            file: "SessionKeyValidator.sol",
            original: "mstore(add(m, 0x60), and(periodIndex, 0xffffffff))",
            replacement: "mstore(add(m, 0x60), and(periodIndex, 0xffff))",
        }],
    },
    Mutant {
        name: "entrypoint-v07-typo",
        description: "the hard denial's EntryPoint v0.7 address has two digits swapped",
        patches: &[Patch {
            file: "PermissionChecks.sol",
            original: "eq(target, 0x0000000071727De22E5E9d8BAf0edAc6f37da032)",
            replacement: "eq(target, 0x0000000071727De22E5E9d8BAf0edAc6f37da023)",
        }],
    },
    Mutant {
        name: "batch-cap-typo",
        description: "the batch cap constant is 9 instead of 8",
        patches: &[Patch {
            file: "CallDecoder.sol",
            original: "uint256 internal constant MAX_BATCH_CALLS = 8;",
            replacement: "uint256 internal constant MAX_BATCH_CALLS = 9;",
        }],
    },
    Mutant {
        name: "period-end-off-by-one",
        description:
            "a period's window ends one second late (`start + period` for `start + period - 1`)",
        patches: &[Patch {
            file: "SessionWindow.sol",
            original: "uint256 end = start + period - 1;",
            replacement: "uint256 end = start + period;",
        }],
    },
    // Settlement (rule 16): the pulls validation cannot see must be charged at execution.
    Mutant {
        name: "settlement-required-off",
        description: "an op that needs settlement validates unsettled: a router or Permit2 pull through an earlier allowance is charged nothing",
        patches: &[Patch {
            file: "SettlementChecks.sol",
            original: "if (failure == 3) revert SettlementRequired(sessionId, at);",
            replacement: "",
        }],
    },
    Mutant {
        name: "settle-charge-off",
        description: "the closing settle checks what the balances lost against what is left but never writes the charge",
        patches: &[Patch {
            file: "SessionSettlement.sol",
            original: "sstore(slot, add(word, shl(shift, amount)))",
            replacement: "pop(slot)",
        }],
    },
    Mutant {
        name: "settle-period-unbound",
        description: "a settle call's period argument is not compared with the op's period",
        patches: &[Patch {
            file: "SettlementChecks.sol",
            original: "eq(calldataload(add(data, 4)), periodIndex)",
            replacement: "1",
        }],
    },
    // Rule 7 on the short path of SessionCharging.charge (round 8): an op whose only charges are
    // tokens[0] and its fee (the common self-paid op).
    Mutant {
        name: "fee-only-op-uncharged",
        description: "a self-paid op that charges nothing but tokens[0] and its fee is neither checked against the fee budget nor charged",
        patches: &[Patch {
            file: "SessionCharging.sol",
            original: "_chargeFee(sessionId, recordSlot, s, fee);",
            replacement: "",
        }],
    },
    // Rule 1: an EIP-7702 init call in a session op's initCode.
    Mutant {
        name: "eip7702-init-call-allowed",
        description: "a session op whose initCode is the EIP-7702 marker and an init call (run on the sender before validation) is validated",
        patches: &[Patch {
            file: "SessionKeyValidator.sol",
            original: "if gt(calldataload(initCode), 20) {",
            replacement: "if gt(calldataload(initCode), not(0)) {",
        }],
    },
    // TokenCallFastPath (round 10): one ERC-20 spending call of a limited token decided in one pass. Each
    // check it makes stands for one of the general path's; each mutant drops one.
    Mutant {
        name: "fast-path-deny-off",
        description: "the fast path takes a transfer to a hard-denied address (the module, an EntryPoint) listed as a token",
        patches: &[Patch {
            file: "TokenCallFastPath.sol",
            original: "if (!taken || PermissionChecks.isDeniedTarget(target)) return 0;",
            replacement: "if (!taken) return 0;",
        }],
    },
    Mutant {
        name: "fast-path-value-ignored",
        description: "the fast path takes a token call that also sends native value, which is then never checked or charged",
        patches: &[Patch {
            file: "TokenCallFastPath.sol",
            original: "iszero(calldataload(add(data, 120))), // value",
            replacement: "1, // value",
        }],
    },
    Mutant {
        name: "fast-path-grant-selector-ignored",
        description: "the fast path accepts a grant naming the target for another selector",
        patches: &[Patch {
            file: "TokenCallFastPath.sol",
            original: "or(iszero(iszero(and(flags, 2))), eq(and(shr(64, w), 0xffffffff), sel))",
            replacement: "1",
        }],
    },
    Mutant {
        name: "fast-path-periodic-ignored",
        description: "the fast path takes ops of sessions with periodic allowances, whose periodic counters are then never charged",
        patches: &[Patch {
            file: "TokenCallFastPath.sol",
            original: "and(iszero(and(byte(20, h), 1)), iszero(byte(23, h)))",
            replacement: "iszero(and(byte(20, h), 1))",
        }],
    },
    Mutant {
        name: "fast-path-first-entry",
        description: "the fast path charges a token call to tokens[0] whatever entry the target is",
        patches: &[Patch {
            file: "TokenCallFastPath.sol",
            original: "shl(5, tokenIndex)), amount)",
            replacement: "0), amount)",
        }],
    },
];

/// Applies `patches` to `files` (file name → source text) in order.
///
/// # Errors
///
/// A message naming the patch when a file is missing or the patch's `original` does not occur
/// exactly once in its file (the source changed since the mutant was written).
pub fn apply_patches(
    files: &mut BTreeMap<String, String>,
    patches: &[Patch],
) -> Result<(), String> {
    for patch in patches {
        let text = files
            .get_mut(patch.file)
            .ok_or_else(|| format!("{} is not in contracts/session/", patch.file))?;
        let count = text.matches(patch.original).count();
        if count != 1 {
            return Err(format!(
                "`{}` occurs {count} times in {} (expected exactly once: the source changed)",
                patch.original.trim(),
                patch.file
            ));
        }
        *text = text.replacen(patch.original, patch.replacement, 1);
    }
    Ok(())
}

/// The `.sol` files directly under `dir`, by file name.
///
/// # Errors
///
/// Any I/O error.
pub fn read_sources(dir: &Path) -> std::io::Result<BTreeMap<String, String>> {
    let mut files = BTreeMap::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type()?.is_file() && name.ends_with(".sol") {
            files.insert(name, fs::read_to_string(entry.path())?);
        }
    }
    Ok(files)
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// Builds `mutant` and returns its `SessionKeyValidator` creation code.
///
/// # Errors
///
/// [`AuditError::Mutant`] when a patch no longer applies (the source changed) or the build fails.
pub fn build(mutant: &Mutant) -> Result<Bytes, AuditError> {
    let err = |reason: String| AuditError::Mutant {
        name: mutant.name.to_owned(),
        reason,
    };
    let repo = repo_root().canonicalize().map_err(|e| err(e.to_string()))?;
    let dir = std::env::temp_dir().join(format!(
        "leash-mutant-{}-{}",
        mutant.name,
        std::process::id()
    ));
    if dir.exists() {
        fs::remove_dir_all(&dir).map_err(|e| err(e.to_string()))?;
    }
    let sources = dir.join("contracts/session");
    copy_dir(&repo.join("contracts/session"), &sources).map_err(|e| err(e.to_string()))?;
    for file in ["foundry.toml", "remappings.txt"] {
        fs::copy(repo.join(file), dir.join(file)).map_err(|e| err(e.to_string()))?;
    }
    for link in ["node_modules", "tools"] {
        std::os::unix::fs::symlink(repo.join(link), dir.join(link))
            .map_err(|e| err(e.to_string()))?;
    }
    let mut files = read_sources(&sources).map_err(|e| err(e.to_string()))?;
    apply_patches(&mut files, mutant.patches).map_err(err)?;
    for patch in mutant.patches {
        fs::write(sources.join(patch.file), &files[patch.file]).map_err(|e| err(e.to_string()))?;
    }
    let output = Command::new(repo.join("node_modules/.bin/forge"))
        .args(["build", "--skip", "test", "--skip", "script"])
        .current_dir(&dir)
        .output()
        .map_err(|e| err(format!("cannot run forge: {e}")))?;
    if !output.status.success() {
        return Err(err(format!(
            "forge build failed:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    let artifact = dir.join("out/SessionKeyValidator.sol/SessionKeyValidator.json");
    let json =
        fs::read_to_string(&artifact).map_err(|e| err(format!("{}: {e}", artifact.display())))?;
    let value: serde_json::Value = serde_json::from_str(&json).map_err(|e| err(e.to_string()))?;
    let object = value["bytecode"]["object"]
        .as_str()
        .ok_or_else(|| err("no bytecode.object".to_owned()))?;
    let code = Bytes::from_str(object).map_err(|e| err(e.to_string()))?;
    fs::remove_dir_all(&dir).map_err(|e| err(e.to_string()))?;
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Every patch applies to the current `contracts/session/` exactly once and changes it; names
    /// are unique. (Building and running each mutant is `leash-audit mutants`.)
    #[test]
    fn every_patch_applies_to_the_current_source() {
        let sources = read_sources(&repo_root().join("contracts/session")).unwrap();
        let mut names = BTreeSet::new();
        for mutant in MUTANTS {
            assert!(
                names.insert(mutant.name),
                "duplicate mutant {}",
                mutant.name
            );
            let mut files = sources.clone();
            if let Err(reason) = apply_patches(&mut files, mutant.patches) {
                panic!("{}: {reason}", mutant.name);
            }
            assert_ne!(files, sources, "{} changes nothing", mutant.name);
        }
    }

    #[test]
    fn a_patch_that_no_longer_matches_is_an_error() {
        let mut files = BTreeMap::from([("A.sol".to_owned(), "x += 1; x += 1;".to_owned())]);
        let twice = Patch {
            file: "A.sol",
            original: "x += 1;",
            replacement: "x = 1;",
        };
        assert!(apply_patches(&mut files, &[twice])
            .unwrap_err()
            .contains("2 times"));
        let gone = Patch {
            file: "A.sol",
            original: "y += 1;",
            replacement: "y = 1;",
        };
        assert!(apply_patches(&mut files, &[gone])
            .unwrap_err()
            .contains("0 times"));
        let missing = Patch {
            file: "B.sol",
            original: "x",
            replacement: "y",
        };
        assert!(apply_patches(&mut files, &[missing]).is_err());
    }
}
