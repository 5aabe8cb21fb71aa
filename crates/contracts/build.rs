//! Compiles every Solidity file under `contracts/` and `tests/fixtures/` with the project's solc
//! adapter (foundry-compilers, no downloads) and writes, into `OUT_DIR`:
//!
//! - `artifacts/<Contract>.json`: `{ "abi", "bytecode", "deployedBytecode" }` per contract whose
//!   source lives in `contracts/` or `tests/fixtures/` (library code from `node_modules` is not
//!   exported);
//! - `entry_point_v07.bin` / `entry_point_v08.bin`: the npm EntryPoint creation code, raw bytes,
//!   and `entry_point_v07.abi.json` / `entry_point_v08.abi.json`;
//! - `artifacts.rs`: the static table `lib.rs` includes.
//!
//! The compiler cache lives in `OUT_DIR` too, so a rebuild with unchanged sources is fast.

use foundry_compilers::{
    artifacts::{
        remappings::Remapping, BytecodeHash, EvmVersion, Optimizer, Settings, SettingsMetadata,
        Severity,
    },
    multi::{MultiCompiler, MultiCompilerSettings},
    solc::{CliSettings, Solc, SolcCompiler, SolcSettings},
    Artifact, Project, ProjectPathsConfig,
};
use std::{
    collections::BTreeMap,
    env, fs,
    path::{Path, PathBuf},
    str::FromStr,
};

/// Optimizer runs; must equal `optimizer_runs` in foundry.toml.
const OPTIMIZER_RUNS: usize = 1_000;

fn main() {
    if let Err(message) = run() {
        eprintln!("leash-contracts build failed:\n{message}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").map_err(|e| e.to_string())?);
    let repo = manifest_dir
        .join("../..")
        .canonicalize()
        .map_err(|e| format!("cannot resolve the repository root: {e}"))?;
    let out_dir = PathBuf::from(env::var("OUT_DIR").map_err(|e| e.to_string())?);

    for watched in [
        "contracts",
        "tests/fixtures",
        "remappings.txt",
        "foundry.toml",
    ] {
        println!("cargo:rerun-if-changed={}", repo.join(watched).display());
    }
    println!("cargo:rerun-if-changed=build.rs");

    check_toolchain(&repo)?;
    let exported = compile_project(&repo, &out_dir)?;
    let entry_points = export_entry_points(&repo, &out_dir)?;
    write_table(&out_dir, &exported, &entry_points)
}

fn toolchain_missing(repo: &Path, what: &str) -> String {
    format!(
        "Solidity toolchain not installed: run `make setup` in {} ({what} is missing)",
        repo.display()
    )
}

fn check_toolchain(repo: &Path) -> Result<(), String> {
    let required = [
        "tools/solc/solc",
        "node_modules/solc/soljson.js",
        "node_modules/@openzeppelin/contracts",
        "node_modules/solady/src",
        "node_modules/aa-v07/artifacts/EntryPoint.json",
        "node_modules/aa-v08/artifacts/EntryPoint.json",
    ];
    for rel in required {
        if !repo.join(rel).exists() {
            return Err(toolchain_missing(repo, rel));
        }
    }
    Ok(())
}

fn read_remappings(repo: &Path) -> Result<Vec<Remapping>, String> {
    let path = repo.join("remappings.txt");
    let text =
        fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            let mut remapping = Remapping::from_str(line)
                .map_err(|e| format!("bad remapping `{line}` in {}: {e}", path.display()))?;
            remapping.path = repo.join(&remapping.path).display().to_string();
            if !remapping.path.ends_with('/') {
                remapping.path.push('/');
            }
            Ok(remapping)
        })
        .collect()
}

fn settings() -> MultiCompilerSettings {
    let optimizer = Optimizer {
        enabled: Some(true),
        runs: Some(OPTIMIZER_RUNS),
        details: None,
    };
    let settings = Settings {
        optimizer,
        evm_version: Some(EvmVersion::Cancun),
        // The IR pipeline, as foundry.toml sets `via_ir = true` (it inlines the validation path's many
        // small functions: about 860 gas less per session op than the legacy pipeline).
        via_ir: Some(true),
        // No metadata hash and no CBOR trailer: the bytecode then depends on the code alone, so the
        // Rust build and forge produce the same bytes and the same CREATE2 address (foundry.toml
        // sets `bytecode_hash = "none"` and `cbor_metadata = false` to match).
        metadata: Some(SettingsMetadata::new(BytecodeHash::None, false)),
        ..Settings::default()
    };
    MultiCompilerSettings {
        solc: SolcSettings {
            settings,
            cli_settings: CliSettings::default(),
        },
        vyper: Default::default(),
    }
}

/// One exported contract: its name and the artifact file written for it.
struct Exported {
    name: String,
    source: PathBuf,
    file: PathBuf,
}

fn compile_project(repo: &Path, out_dir: &Path) -> Result<Vec<Exported>, String> {
    let sources_dir = repo.join("contracts");
    let build_dir = out_dir.join("solc");
    // Fixtures are optional: without the directory, point the test path at an empty one.
    let fixtures_dir = if repo.join("tests/fixtures").is_dir() {
        repo.join("tests/fixtures")
    } else {
        let empty = build_dir.join("no-fixtures");
        fs::create_dir_all(&empty)
            .map_err(|e| format!("cannot create {}: {e}", empty.display()))?;
        empty
    };

    let paths = ProjectPathsConfig::builder()
        .root(repo)
        .sources(&sources_dir)
        .tests(&fixtures_dir)
        .scripts(build_dir.join("no-scripts"))
        .libs([repo.join("node_modules")])
        .remappings(read_remappings(repo)?)
        .cache(build_dir.join("cache/solidity-files-cache.json"))
        .artifacts(build_dir.join("out"))
        .build_infos(build_dir.join("build-info"))
        .allowed_path(repo)
        .build()
        .map_err(|e| format!("bad project paths: {e}"))?;

    let solc = Solc::new(repo.join("tools/solc/solc")).map_err(|e| {
        format!(
            "{} ({e})",
            toolchain_missing(repo, "a working tools/solc/solc")
        )
    })?;
    let compiler = MultiCompiler {
        solc: Some(SolcCompiler::Specific(solc)),
        vyper: None,
    };
    let project = Project::builder()
        .paths(paths)
        .settings(settings())
        .set_compiler_severity_filter(Severity::Error)
        .offline()
        .single_solc_jobs()
        .build(compiler)
        .map_err(|e| format!("cannot set up the Solidity project: {e}"))?;

    let output = project
        .compile()
        .map_err(|e| format!("Solidity compilation failed: {e}"))?;
    if output.has_compiler_errors() {
        return Err(format!("Solidity compilation failed:\n{output}"));
    }

    let artifacts_dir = out_dir.join("artifacts");
    if artifacts_dir.exists() {
        fs::remove_dir_all(&artifacts_dir)
            .map_err(|e| format!("cannot clean {}: {e}", artifacts_dir.display()))?;
    }
    fs::create_dir_all(&artifacts_dir)
        .map_err(|e| format!("cannot create {}: {e}", artifacts_dir.display()))?;

    let mut exported: BTreeMap<String, Exported> = BTreeMap::new();
    for (id, artifact) in output.artifact_ids() {
        let source = if id.source.is_absolute() {
            id.source.clone()
        } else {
            repo.join(&id.source)
        };
        if !(source.starts_with(&sources_dir) || source.starts_with(&fixtures_dir)) {
            continue;
        }
        if let Some(previous) = exported.get(&id.name) {
            if previous.source != source {
                return Err(format!(
                    "two contracts are named `{}` ({} and {}): rename one, artifacts are keyed by name",
                    id.name,
                    previous.source.display(),
                    source.display()
                ));
            }
            continue;
        }
        let abi = artifact
            .abi
            .as_ref()
            .ok_or_else(|| format!("no ABI produced for {}", id.name))?;
        let bytecode = linked_hex(
            artifact.get_bytecode_bytes().as_deref().map(|b| &b[..]),
            artifact.get_bytecode_object().as_deref(),
            &id.name,
            "bytecode",
        )?;
        let deployed = linked_hex(
            artifact
                .get_deployed_bytecode_bytes()
                .as_deref()
                .map(|b| &b[..]),
            artifact.get_deployed_bytecode_object().as_deref(),
            &id.name,
            "deployedBytecode",
        )?;
        let json = serde_json::json!({
            "abi": abi,
            "bytecode": bytecode,
            "deployedBytecode": deployed,
        });
        let file = artifacts_dir.join(format!("{}.json", id.name));
        fs::write(&file, json.to_string())
            .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
        exported.insert(
            id.name.clone(),
            Exported {
                name: id.name.clone(),
                source,
                file,
            },
        );
    }
    Ok(exported.into_values().collect())
}

/// Hex of a fully linked bytecode (empty for interfaces and abstract contracts). Unlinked
/// library references are an error: the harness deploys bytecode as is.
fn linked_hex(
    bytes: Option<&[u8]>,
    object: Option<&foundry_compilers::artifacts::BytecodeObject>,
    name: &str,
    which: &str,
) -> Result<String, String> {
    match (bytes, object) {
        (Some(bytes), _) => Ok(format!("0x{}", hex_encode(bytes))),
        (None, Some(foundry_compilers::artifacts::BytecodeObject::Unlinked(_))) => Err(format!(
            "{name}.{which} references an external library that is not linked: make the library functions internal"
        )),
        (None, _) => Ok("0x".to_owned()),
    }
}

fn hex_encode(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(DIGITS[usize::from(byte >> 4)] as char);
        out.push(DIGITS[usize::from(byte & 0x0f)] as char);
    }
    out
}

fn hex_decode(text: &str, what: &str) -> Result<Vec<u8>, String> {
    let digits = text.strip_prefix("0x").unwrap_or(text);
    if !digits.len().is_multiple_of(2) {
        return Err(format!("{what}: odd-length hex"));
    }
    (0..digits.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(&digits[i..i + 2], 16)
                .map_err(|e| format!("{what}: bad hex at {i}: {e}"))
        })
        .collect()
}

/// Paths of one EntryPoint version's exported files.
struct EntryPointFiles {
    creation: PathBuf,
    abi: PathBuf,
}

fn export_entry_points(repo: &Path, out_dir: &Path) -> Result<[EntryPointFiles; 2], String> {
    let export = |package: &str, tag: &str| -> Result<EntryPointFiles, String> {
        let source = repo
            .join("node_modules")
            .join(package)
            .join("artifacts/EntryPoint.json");
        println!("cargo:rerun-if-changed={}", source.display());
        let text = fs::read_to_string(&source).map_err(|e| {
            format!(
                "{} ({e})",
                toolchain_missing(repo, &source.display().to_string())
            )
        })?;
        let json: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| format!("{} is not JSON: {e}", source.display()))?;
        let bytecode = json["bytecode"]
            .as_str()
            .ok_or_else(|| format!("{} has no `bytecode` string", source.display()))?;
        let creation_bytes = hex_decode(bytecode, &source.display().to_string())?;
        if creation_bytes.is_empty() {
            return Err(format!("{} has empty `bytecode`", source.display()));
        }
        let creation = out_dir.join(format!("entry_point_{tag}.bin"));
        fs::write(&creation, creation_bytes)
            .map_err(|e| format!("cannot write {}: {e}", creation.display()))?;
        let abi = out_dir.join(format!("entry_point_{tag}.abi.json"));
        fs::write(&abi, json["abi"].to_string())
            .map_err(|e| format!("cannot write {}: {e}", abi.display()))?;
        Ok(EntryPointFiles { creation, abi })
    };
    Ok([export("aa-v07", "v07")?, export("aa-v08", "v08")?])
}

fn write_table(
    out_dir: &Path,
    exported: &[Exported],
    entry_points: &[EntryPointFiles; 2],
) -> Result<(), String> {
    let mut table = String::new();
    table.push_str("/// Compiled contracts: (name, artifact JSON).\n");
    table.push_str("pub(crate) static COMPILED: &[(&str, &str)] = &[\n");
    for contract in exported {
        table.push_str(&format!(
            "    ({:?}, include_str!({:?})),\n",
            contract.name,
            contract.file.display().to_string()
        ));
    }
    table.push_str("];\n");
    let [v07, v08] = entry_points;
    for (tag, files) in [("V07", v07), ("V08", v08)] {
        table.push_str(&format!(
            "/// EntryPoint {tag} creation code (npm artifact `bytecode`).\n\
             pub(crate) static ENTRY_POINT_{tag}_CREATION: &[u8] = include_bytes!({:?});\n\
             /// EntryPoint {tag} ABI (npm artifact `abi`).\n\
             pub(crate) static ENTRY_POINT_{tag}_ABI: &str = include_str!({:?});\n",
            files.creation.display().to_string(),
            files.abi.display().to_string()
        ));
    }
    let path = out_dir.join("artifacts.rs");
    fs::write(&path, table).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
