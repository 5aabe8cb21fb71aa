//! Planted bugs: each mutant is a copy of `contracts/session/` with one check removed, built
//! with the project's forge and solc adapter in a temporary directory.

use crate::AuditError;
use alloy::primitives::Bytes;
use std::{
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
    /// Text to replace (every occurrence; at least one must exist).
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
                original: "charges.native += value;",
                replacement: "charges.native = value;",
            },
            Patch {
                file: "PermissionChecks.sol",
                original: "charges.tokens[t] += amount;",
                replacement: "charges.tokens[t] = amount;",
            },
        ],
    },
    Mutant {
        name: "self-call-denial-off",
        description: "self-calls to execute/executeFromExecutor/executeUserOp are not denied",
        patches: &[Patch {
            file: "PermissionChecks.sol",
            original: "|| (self\n",
            replacement: "|| (false\n",
        }],
    },
    Mutant {
        name: "canonical-check-off",
        description: "batch element offsets are not checked against the canonical layout",
        patches: &[Patch {
            file: "CallDecoder.sol",
            original:
                "if (_load(heads + 32 * i) != expected) revert NonCanonicalCallData(164 + 32 * i);",
            replacement: "",
        }],
    },
    Mutant {
        name: "counter-not-written",
        description: "the native/fee lifetime counter is checked but never written",
        patches: &[Patch {
            file: "SessionCharging.sol",
            original: "counter[op.account] = (nativeSpent + native) | ((feeSpent + fee) << 128);",
            replacement: "",
        }],
    },
    Mutant {
        name: "period-not-bound",
        description: "the op digest does not cover the period index",
        patches: &[Patch {
            file: "SessionKeyValidator.sol",
            original: "SignatureEnvelope.opDigest(userOpHash, sessionId, env.periodIndex)",
            replacement: "SignatureEnvelope.opDigest(userOpHash, sessionId, 0)",
        }],
    },
    Mutant {
        name: "paymaster-check-off",
        description: "any paymaster may sponsor",
        patches: &[Patch {
            file: "SessionCharging.sol",
            original: "revert PaymasterNotAllowed(sessionId, paymaster);",
            replacement: "return b;",
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
            original:
                "return failed | (uint256(validUntil) << 160) | (uint256(validAfter) << 208);",
            replacement: "return failed | (0 * uint256(validUntil)) | (0 * uint256(validAfter));",
        }],
    },
];

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
    for patch in mutant.patches {
        let path = sources.join(patch.file);
        let text = fs::read_to_string(&path).map_err(|e| err(e.to_string()))?;
        if !text.contains(patch.original) {
            return Err(err(format!(
                "`{}` not found in {} (the source changed)",
                patch.original.trim(),
                patch.file
            )));
        }
        fs::write(&path, text.replace(patch.original, patch.replacement))
            .map_err(|e| err(e.to_string()))?;
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
