//! Enable in the first op: `leash session grant ID --enable-in-first-op` signs the account
//! owner's EIP-712 `EnableSession` grant and stores it; `leash op sign|send` carry it in the
//! session's envelope (flag ENABLE) while the module does not know the session yet.

use alloy::primitives::{Address, B256, U256};
use alloy::sol_types::SolCall;
use leash_contracts::bindings::session::ISessionKeyValidator;
use leash_keys::enable::PendingEnable;
use leash_keys::envelope::{enable_digest, sign_digest};
use leash_keys::{SessionRecord, Status, Store};
use leash_rpc::{CallRequest, NodeClient};
use leash_userop::account::AccountKind;
use serde_json::json;

use super::{parse_address, runtime};
use crate::cli::GrantArgs;
use crate::exit::{fail, usage, Exit};
use crate::onchain::status_name;
use crate::output::Ui;
use crate::render::record_json;
use crate::txsend::connect_node;

/// `statusOf` of a session the module has never seen.
const STATUS_NONE: u8 = 0;
/// `statusOf` of an active session.
const STATUS_ACTIVE: u8 = 1;
/// Random nonces drawn before giving up (a used one is astronomically unlikely).
const NONCE_ATTEMPTS: usize = 4;

/// The module's `statusOf(account, id)`.
pub(crate) async fn session_status(
    node: &NodeClient,
    module: Address,
    account: Address,
    id: B256,
) -> anyhow::Result<u8> {
    let call = ISessionKeyValidator::statusOfCall {
        account,
        sessionId: id,
    };
    let output = node
        .call(&CallRequest::call(module, call.abi_encode()))
        .await?;
    ISessionKeyValidator::statusOfCall::abi_decode_returns(&output)
        .map_err(|error| no_module(module, &error.to_string()))
}

/// The module's `enableNonceUsed(account, nonce)`.
pub(crate) async fn nonce_used(
    node: &NodeClient,
    module: Address,
    account: Address,
    nonce: U256,
) -> anyhow::Result<bool> {
    let call = ISessionKeyValidator::enableNonceUsedCall { account, nonce };
    let output = node
        .call(&CallRequest::call(module, call.abi_encode()))
        .await?;
    ISessionKeyValidator::enableNonceUsedCall::abi_decode_returns(&output)
        .map_err(|error| no_module(module, &error.to_string()))
}

/// The module's `installGeneration(account)`: an enable nonce must carry it in its top 32 bits.
pub(crate) async fn install_generation(
    node: &NodeClient,
    module: Address,
    account: Address,
) -> anyhow::Result<u32> {
    let call = ISessionKeyValidator::installGenerationCall { account };
    let output = node
        .call(&CallRequest::call(module, call.abi_encode()))
        .await?;
    ISessionKeyValidator::installGenerationCall::abi_decode_returns(&output)
        .map_err(|error| no_module(module, &error.to_string()))
}

/// The module's own `enableDigest(account, id, nonce)`.
pub(crate) async fn module_digest(
    node: &NodeClient,
    module: Address,
    account: Address,
    id: B256,
    nonce: U256,
) -> anyhow::Result<B256> {
    let call = ISessionKeyValidator::enableDigestCall {
        account,
        sessionId: id,
        nonce,
    };
    let output = node
        .call(&CallRequest::call(module, call.abi_encode()))
        .await?;
    ISessionKeyValidator::enableDigestCall::abi_decode_returns(&output)
        .map_err(|error| no_module(module, &error.to_string()))
}

fn no_module(module: Address, reason: &str) -> anyhow::Error {
    usage(
        format!("{module} does not answer as the session-key validator ({reason})"),
        "check the session's module address and that `leash deploy` ran on this chain",
    )
}

/// `--enable-nonce`: decimal or 0x hex, up to 2^256 - 1.
fn parse_nonce(text: &str) -> anyhow::Result<U256> {
    text.trim().parse().map_err(|_| {
        usage(
            format!("--enable-nonce {text:?}: not an unsigned 256-bit number"),
            "write the nonce in decimal or as 0x hex",
        )
    })
}

/// `leash session grant ID --enable-in-first-op`: no op is sent; the owner's grant is signed
/// and stored for the session's first op.
pub(crate) fn grant_in_first_op(store: &mut Store, args: GrantArgs, ui: Ui) -> anyhow::Result<()> {
    let record = store.show(&args.id)?;
    if record.status != Status::Active {
        return Err(usage(
            format!(
                "session {} is {}: only an active session is granted",
                record.local_id, record.status
            ),
            "resume it first, or create a new session",
        ));
    }
    let owner = &args.owner;
    // An EIP-7702 EOA checks its own key's signature: it has no owner validator.
    let eip7702 = owner.account_kind == Some(AccountKind::Eip7702);
    let no_key = owner.key_source_or_env()?.is_none();
    let missing: Vec<&str> = [
        ("--rpc-url", owner.rpc_url.is_none()),
        (crate::owner::OWNER_KEY_FLAGS, no_key),
        (
            "--owner-validator",
            owner.owner_validator.is_none() && !eip7702,
        ),
    ]
    .into_iter()
    .filter_map(|(flag, absent)| absent.then_some(flag))
    .collect();
    if !missing.is_empty() {
        return Err(usage(
            format!("session grant --enable-in-first-op needs {}", missing.join(", ")),
            "the grant needs the node (chain id, module state), the owner's key (an environment variable, a keystore or a foundry account) and the account's owner validator (none with --account-kind eip7702)",
        ));
    }
    let owner_key = owner
        .signer(ui)?
        .expect("a key source was checked to be given");
    let validator = owner
        .owner_validator
        .as_deref()
        .map(|text| parse_address("--owner-validator", text))
        .transpose()?;
    let asked_nonce = args.enable_nonce.as_deref().map(parse_nonce).transpose()?;
    let rpc_url = owner.rpc_url.clone().unwrap_or_default();
    ui.progress(&format!("reading the module's state from {rpc_url}…"));
    let (nonce, digest, kind) = runtime()?.block_on(check_on_chain(
        &rpc_url,
        &record,
        asked_nonce,
        owner.account_kind,
        ui,
    ))?;
    // The module asks the account's ERC-1271 about `digest`; each account routes it to the
    // owner validator its own way (OpenZeppelin, MSAAdvanced, Nexus, Safe7579: the first 20
    // bytes name the validator; Kernel: type byte 0x00 = root, over its EIP-712-wrapped hash).
    let validator = match (kind, validator) {
        (AccountKind::Eip7702, _) => {
            if owner_key.address() != record.account {
                return Err(usage(
                    format!(
                        "the owner's key is the key of {}, not of the EIP-7702 account {}",
                        owner_key.address(),
                        record.account
                    ),
                    "an EIP-7702 account's ERC-1271 accepts only the EOA's own signature: give its key",
                ));
            }
            None
        }
        (_, Some(validator)) => Some(validator),
        (_, None) => {
            return Err(usage(
                format!(
                "session grant --enable-in-first-op for a {kind} account needs --owner-validator"
            ),
                "pass the account's owner validator (only an eip7702 account signs without one)",
            ))
        }
    };
    let signed = kind.erc1271_hash(record.account, record.chain_id, digest);
    let owner_signature = sign_digest(&owner_key, &signed)?;
    // eip7702: the EOA's raw 65-byte signature (the validator is not used).
    let signature = kind.erc1271_signature(validator.unwrap_or_default(), true, &owner_signature);
    let pending = PendingEnable {
        session_id: record.session_id,
        account: record.account,
        module: record.module,
        chain_id: record.chain_id,
        nonce,
        digest,
        signature,
    };
    store.save_enable_grant(&record.local_id, &pending)?;
    let mut value = record_json(&record);
    value["enableGrant"] = json!({
        "nonce": pending.nonce.to_string(),
        "digest": pending.digest,
        "signature": pending.signature,
        "owner": owner_key.address(),
        "ownerValidator": validator,
        "onChainStatus": status_name(STATUS_NONE),
    });
    ui.result(&value, || {
        [
            format!(
                "enable grant for session {} signed and stored: its next `leash op send` creates it on-chain (envelope flag ENABLE)",
                record.local_id
            ),
            format!("  account:      {}", record.account),
            format!("  session id:   {}", record.session_id),
            format!("  enable nonce: {}", pending.nonce),
            format!(
                "  digest:       {} (EIP-712 EnableSession, LeashSessionKeyValidator v1, chain {}, module {})",
                pending.digest, record.chain_id, record.module
            ),
            match validator {
                Some(validator) => format!(
                    "  signed by:    owner {} through validator {validator}",
                    owner_key.address()
                ),
                None => format!(
                    "  signed by:    the EIP-7702 EOA {} itself (its own ERC-1271)",
                    owner_key.address()
                ),
            },
            format!("  on-chain status now: {}", status_name(STATUS_NONE)),
        ]
        .join("\n")
    });
    Ok(())
}

/// Checks the node's chain, that the module does not know the session yet and that the nonce
/// is unused; returns the nonce and the digest (computed here and checked against the
/// module's own `enableDigest`).
async fn check_on_chain(
    rpc_url: &str,
    record: &SessionRecord,
    asked_nonce: Option<U256>,
    account_kind: Option<AccountKind>,
    ui: Ui,
) -> anyhow::Result<(U256, B256, AccountKind)> {
    let (node, chain_id) = connect_node("--rpc-url", rpc_url).await?;
    if chain_id != record.chain_id {
        return Err(usage(
            format!(
                "{rpc_url} is chain {chain_id}, session {} is for chain {}",
                record.local_id, record.chain_id
            ),
            "use a node of the session's chain",
        ));
    }
    let status = session_status(&node, record.module, record.account, record.session_id).await?;
    if status != STATUS_NONE {
        return Err(usage(
            format!(
                "session {} is already {} on-chain for {}: there is nothing to enable",
                record.local_id,
                status_name(status),
                record.account
            ),
            "an enable grant only creates a session the module has never seen",
        ));
    }
    let generation = install_generation(&node, record.module, record.account).await?;
    let nonce = match asked_nonce {
        Some(nonce) => {
            if nonce >> 224 != U256::from(generation) {
                return Err(usage(
                    format!(
                        "--enable-nonce {nonce}: its top 32 bits name install generation {}, but the module is in install generation {generation} on {} (a grant works only in the install it was signed for)",
                        nonce >> 224,
                        record.account
                    ),
                    &format!(
                        "use a nonce of this install, {generation} << 224 | n, or leave --enable-nonce out for a fresh one"
                    ),
                ));
            }
            if nonce_used(&node, record.module, record.account, nonce).await? {
                return Err(usage(
                    format!(
                        "--enable-nonce {nonce}: used or invalidated for {} on the module",
                        record.account
                    ),
                    "pick another nonce, or leave --enable-nonce out for a fresh random one",
                ));
            }
            nonce
        }
        None => fresh_nonce(&node, record.module, record.account, generation).await?,
    };
    let digest = enable_digest(
        chain_id,
        record.module,
        record.account,
        record.session_id,
        nonce,
    );
    let on_chain = module_digest(
        &node,
        record.module,
        record.account,
        record.session_id,
        nonce,
    )
    .await?;
    if on_chain != digest {
        return Err(fail(
            Exit::Integrity,
            format!(
                "the module at {} computes enable digest {on_chain}, leash computes {digest}",
                record.module
            ),
            Some("the code at the module's address is not the leash SessionKeyValidator; check it with `leash deploy`"),
        ));
    }
    let kind = crate::account_kind::resolve(account_kind, &node, record.account, ui).await?;
    Ok((nonce, digest, kind))
}

/// A random unused enable nonce of install `generation`: the generation in the top 32 bits,
/// 224 random bits below.
pub(crate) async fn fresh_nonce(
    node: &NodeClient,
    module: Address,
    account: Address,
    generation: u32,
) -> anyhow::Result<U256> {
    for _ in 0..NONCE_ATTEMPTS {
        let random = U256::from_be_bytes(rand::random::<[u8; 32]>()) >> 32;
        let nonce = (U256::from(generation) << 224) | random;
        if !nonce_used(node, module, account, nonce).await? {
            return Ok(nonce);
        }
    }
    Err(fail(
        Exit::Failure,
        format!("{NONCE_ATTEMPTS} random enable nonces were all reported used for {account}"),
        Some("the module's answers are not plausible; check the node and the module address"),
    ))
}

/// What an op of `record` does with its pending enable grant.
pub(crate) enum Carry {
    /// No grant is stored.
    Nothing,
    /// The op carries the grant.
    Grant(PendingEnable),
    /// A grant was stored but the module already knows the session (status named); the
    /// grant was dropped.
    Dropped(&'static str),
}

impl Carry {
    /// The grant to sign with, if carried.
    pub(crate) fn grant(&self) -> Option<&PendingEnable> {
        match self {
            Carry::Grant(grant) => Some(grant),
            Carry::Nothing | Carry::Dropped(_) => None,
        }
    }
}

/// Whether `record`'s next op carries its pending grant: with a node, only while the module
/// does not know the session (a grant for a session it knows is dropped, a grant whose nonce
/// was burnt is refused); without one, whenever a grant is stored.
pub(crate) async fn carry(
    store: &mut Store,
    record: &SessionRecord,
    node: Option<&NodeClient>,
    ui: Ui,
) -> anyhow::Result<Carry> {
    let Some(pending) = store.pending_enable(&record.local_id)? else {
        return Ok(Carry::Nothing);
    };
    let Some(node) = node else {
        ui.progress("carrying the stored enable grant (offline: the session's on-chain status is not checked)");
        return Ok(Carry::Grant(pending));
    };
    let status = session_status(node, record.module, record.account, record.session_id).await?;
    if status != STATUS_NONE {
        store.clear_enable_grant(&record.local_id)?;
        ui.progress(&format!(
            "session is {} on-chain: the stored enable grant is not needed and was dropped",
            status_name(status)
        ));
        return Ok(Carry::Dropped(status_name(status)));
    }
    if nonce_used(node, record.module, record.account, pending.nonce).await? {
        return Err(usage(
            format!(
                "session {}'s enable grant (nonce {}) was used or invalidated on-chain, but the session is not active",
                record.local_id, pending.nonce
            ),
            "sign a new grant with `leash session grant ID --enable-in-first-op`, or grant it with an owner op",
        ));
    }
    ui.progress(&format!(
        "the session is not on-chain yet: the op carries the enable grant (nonce {})",
        pending.nonce
    ));
    Ok(Carry::Grant(pending))
}

/// After the op that carried `record`'s grant was included: the session is active now, so
/// the grant is dropped. Returns the module's status.
pub(crate) async fn settle(
    store: &mut Store,
    record: &SessionRecord,
    node: &NodeClient,
) -> anyhow::Result<&'static str> {
    let status = session_status(node, record.module, record.account, record.session_id).await?;
    if status == STATUS_ACTIVE {
        store.clear_enable_grant(&record.local_id)?;
    }
    Ok(status_name(status))
}
