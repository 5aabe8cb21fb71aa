//! EIP-5792 on the server: `wallet_sendCalls` (build, sign with the server-held session key,
//! submit through the bundler), `wallet_getCallsStatus`, `wallet_getCapabilities`; the
//! two-step form for apps holding their own session key (`wallet_prepareCalls` → the app signs
//! → `wallet_sendPreparedCalls`); and `leash_signCalls` (build and sign, not sent).
//!
//! Every op takes its nonce sequence from the store (atomic across replicas, audited as
//! `op.sign` before any key is used); a sequence whose op never reached the bundler is given
//! back when nothing was taken after it.

use alloy::dyn_abi::DynSolValue;
use alloy::primitives::{keccak256, Address, Bytes, B256, U256};
use leash_keys::enable::PendingEnable;
use leash_keys::envelope::{encode_v1, op_digest, sign_digest};
use leash_keys::permissions::SessionSpec;
use leash_store::{CallRecord, CallStatus, NewCall, ServedSession, SessionState};
use leash_userop::{RpcUserOperation, UserOperation};
use serde_json::{json, Map, Value};

use super::grant::{session_in_scope, signed_grant, spec_of};
use super::methods::Scope;
use super::params;
use super::rpc::{self, first_param, Failure};
use super::Service;
use crate::bundle::{read_nonce_seq, throwaway_signature};
use crate::module_error::ModuleError;
use crate::onchain::{self, OpGas};
use crate::settlement::{wrap_session, SessionOf};
use crate::units::now;
use leash_rpc::BundlerApi;

/// Gas of an op built without a bundler, unless `capabilities.leash.gas` says otherwise.
const DEFAULT_GAS: OpGas = OpGas {
    call_gas_limit: 200_000,
    verification_gas_limit: 300_000,
    pre_verification_gas: 60_000,
    max_fee_per_gas: 1_000_000_000,
    max_priority_fee_per_gas: 1_000_000_000,
};

/// Fields of a `wallet_sendCalls`-shaped request.
const CALL_FIELDS: &[&str] = &[
    "version",
    "id",
    "chainId",
    "from",
    "calls",
    "capabilities",
    "atomicRequired",
];

fn internal(error: impl std::fmt::Display) -> Failure {
    Failure::internal(error.to_string())
}

/// An op built for a served session, not signed yet.
struct Built {
    session: ServedSession,
    spec: SessionSpec,
    module: Address,
    session_id: B256,
    op: UserOperation,
    hash: B256,
    period: u32,
    grant: Option<PendingEnable>,
    seq: u64,
    audit_seq: u64,
}

impl Built {
    fn rehash(&mut self, service: &Service) {
        let chain = &service.chain;
        self.hash = self
            .op
            .hash(chain.version, chain.entry_point, self.session.new.chain_id);
    }

    fn digest(&self) -> B256 {
        op_digest(self.hash, self.session_id, self.period)
    }

    /// The op's signature field for `signature` (65 bytes by the session key).
    fn envelope(&self, signature: &[u8; 65]) -> Result<Bytes, Failure> {
        let session = self.spec.to_sol().map_err(internal)?;
        let grant = self.grant.as_ref().map(PendingEnable::grant);
        encode_v1(&session, self.period, signature, grant.as_ref()).map_err(internal)
    }
}

/// Refuses a session the server must not build for.
fn check_usable(session: &ServedSession, spec: &SessionSpec) -> Result<(), Failure> {
    if session.state == SessionState::Revoked {
        return Err(Failure::rejected(format!(
            "permission {} is revoked ({}): grant a new one",
            session.new.context,
            session
                .revoke_reason
                .as_deref()
                .unwrap_or("no reason given")
        ))
        .with_data(json!({"reason": "PermissionRevoked"})));
    }
    let now = now();
    if spec.valid_until < now {
        return Err(Failure::rejected(format!(
            "permission {} expired at {} (now {now}): grant a new one",
            session.new.context, spec.valid_until
        ))
        .with_data(json!({"reason": "PermissionExpired"})));
    }
    if spec.valid_after > now {
        return Err(Failure::rejected(format!(
            "permission {} is valid from {} on (now {now})",
            session.new.context, spec.valid_after
        ))
        .with_data(json!({"reason": "PermissionNotYetValid"})));
    }
    Ok(())
}

/// `capabilities.leash.gas`, over the defaults.
fn gas_of(capabilities: Option<&Value>) -> Result<OpGas, Failure> {
    let mut gas = DEFAULT_GAS;
    let Some(given) = capabilities
        .and_then(|c| c.get("leash"))
        .and_then(|l| l.get("gas"))
    else {
        return Ok(gas);
    };
    let given = params::object(
        given,
        "capabilities.leash.gas",
        &[
            "callGasLimit",
            "verificationGasLimit",
            "preVerificationGas",
            "maxFeePerGas",
            "maxPriorityFeePerGas",
        ],
    )?;
    let read = |field: &str| -> Result<Option<u128>, Failure> {
        given
            .get(field)
            .map(|v| {
                let n = params::quantity(v, &format!("capabilities.leash.gas.{field}"))?;
                u128::try_from(n).map_err(|_| {
                    Failure::params(format!("capabilities.leash.gas.{field} is too large"))
                })
            })
            .transpose()
    };
    if let Some(v) = read("callGasLimit")? {
        gas.call_gas_limit = v;
    }
    if let Some(v) = read("verificationGasLimit")? {
        gas.verification_gas_limit = v;
    }
    if let Some(v) = read("preVerificationGas")? {
        gas.pre_verification_gas = u64::try_from(v).map_err(|_| {
            Failure::params("capabilities.leash.gas.preVerificationGas is too large")
        })?;
    }
    if let Some(v) = read("maxFeePerGas")? {
        gas.max_fee_per_gas = v;
    }
    if let Some(v) = read("maxPriorityFeePerGas")? {
        gas.max_priority_fee_per_gas = v;
    }
    Ok(gas)
}

/// Builds the op `object` asks for: calls checked, settled when the session needs it, nonce
/// taken from the store (audited), gas from the bundler when there is one.
async fn build(
    service: &Service,
    scope: &Scope<'_>,
    object: &Map<String, Value>,
    method: &str,
) -> Result<Built, Failure> {
    let chain = &service.chain;
    let context = params::permission_context(object.get("capabilities"))?;
    let session = session_in_scope(service, scope, &context).await?;
    let spec = spec_of(&session)?;
    check_usable(&session, &spec)?;
    let account: Address = session.new.account.parse().map_err(internal)?;
    if let Some(from) = object.get("from").filter(|v| !v.is_null()) {
        let from = params::address(from, "from")?;
        if from != account {
            return Err(Failure::params(format!(
                "from {from} is not the permission's account {account}"
            )));
        }
    }
    if let Some(chain_id) = object.get("chainId") {
        let asked = params::small(chain_id, "chainId")?;
        if asked != session.new.chain_id {
            return Err(Failure::new(
                rpc::UNSUPPORTED_CHAIN,
                format!(
                    "chainId {asked} is not the permission's chain {}",
                    session.new.chain_id
                ),
            ));
        }
    }
    let executions = params::calls(object.get("calls"))?;
    let now = now();
    let period = spec
        .period_index_at(now)
        .map_err(|e| Failure::rejected(e.to_string()))?;
    let module: Address = session.new.module.parse().map_err(internal)?;
    let executions = wrap_session(
        &SessionOf {
            name: &session.new.context,
            spec: &spec,
            module,
            account,
        },
        executions,
        || Ok(period),
    )
    .map_err(|e| Failure::params(e.to_string()))?;
    let call_data =
        onchain::execute_call_data(&executions).map_err(|e| Failure::params(e.to_string()))?;
    let nonce_key: U256 = session.new.nonce_key.parse().map_err(internal)?;
    let floor = match &chain.node {
        Some(node) => Some(
            read_nonce_seq(node, chain.entry_point, account, nonce_key)
                .await
                .map_err(|e| internal(format!("reading the nonce from the EntryPoint: {e}")))?,
        ),
        None => None,
    };
    let details = json!({
        "method": method,
        "calls": executions.len(),
        "callDataHash": keccak256(&call_data),
    });
    let actor = scope.actor();
    let key = session.new.context.clone();
    let taken = service
        .db(move |store| store.take_nonce(&key, floor, details, &actor))
        .await?;
    let nonce = (nonce_key << 64) | U256::from(taken.seq);
    let gas = gas_of(object.get("capabilities"))?;
    let op = onchain::session_user_op(account, nonce, call_data, gas, None).map_err(internal)?;
    let session_id: B256 = session.new.session_id.parse().map_err(internal)?;
    let grant = carried_grant(service, scope, &session, module, account, session_id).await?;
    let mut built = Built {
        session,
        spec,
        module,
        session_id,
        op,
        hash: B256::ZERO,
        period,
        grant,
        seq: taken.seq,
        audit_seq: taken.audit_seq,
    };
    built.rehash(service);
    if let Some(endpoints) = &chain.endpoints {
        let placeholder =
            built.envelope(&throwaway_signature(built.digest()).map_err(internal)?)?;
        let prepared = endpoints
            .prepare(&mut built.op, chain.entry_point, None, placeholder)
            .await;
        if let Err(error) = prepared {
            let failure = refusal(service, &built, error.to_string()).await;
            release(service, scope, &built).await;
            return Err(failure);
        }
        built.rehash(service);
    }
    Ok(built)
}

/// The owner's enable grant the op carries: the stored one while the module does not know the
/// session yet. Once the session exists on-chain (an earlier op carried the grant and landed,
/// whether or not anyone asked `wallet_getCallsStatus`) it is dropped: carrying a used grant
/// would get the op refused. Without a node the stored grant is carried.
async fn carried_grant(
    service: &Service,
    scope: &Scope<'_>,
    session: &ServedSession,
    module: Address,
    account: Address,
    session_id: B256,
) -> Result<Option<PendingEnable>, Failure> {
    let Some(grant) = signed_grant(session)? else {
        return Ok(None);
    };
    let Some(node) = &service.chain.node else {
        return Ok(Some(grant));
    };
    let status = crate::commands::enable::session_status(node, module, account, session_id)
        .await
        .map_err(|e| internal(format!("reading the session's status on the module: {e}")))?;
    if status == 0 {
        return Ok(Some(grant));
    }
    let key = session.new.context.clone();
    let actor = scope.actor();
    service
        .db(move |store| store.clear_enable_grant(&key, &actor))
        .await?;
    Ok(None)
}

/// Gives the op's nonce back (best effort: only when nothing was taken after it).
async fn release(service: &Service, scope: &Scope<'_>, built: &Built) {
    let key = built.session.new.context.clone();
    let seq = built.seq;
    let actor = scope.actor();
    let _ = service
        .db(move |store| store.release_nonce(&key, seq, &actor))
        .await;
}

/// The failure for an op the bundler refused: the module's named reason when it gives one.
async fn refusal(service: &Service, built: &Built, said: String) -> Failure {
    let reason = match &service.chain.node {
        Some(node) => crate::reason::module_reason(node, built.module, &built.op, built.hash).await,
        None => None,
    };
    match reason {
        Some(reason) => Failure::rejected(format!("the module refused the op: {reason}"))
            .with_data(json!({
                "reason": reason.name,
                "message": reason.to_string(),
                "fields": fields_json(&reason),
                "bundler": said,
            })),
        None => Failure::rejected(format!("the bundler refused the op: {said}"))
            .with_data(json!({"reason": "BundlerRejected", "bundler": said})),
    }
}

fn fields_json(reason: &ModuleError) -> Value {
    let mut fields = Map::new();
    for (name, value) in &reason.fields {
        let text = match value {
            DynSolValue::Uint(n, _) => n.to_string(),
            DynSolValue::Int(n, _) => n.to_string(),
            DynSolValue::Address(a) => a.to_string(),
            DynSolValue::FixedBytes(word, size) => format!("0x{}", hex::encode(&word[..*size])),
            DynSolValue::Bool(b) => b.to_string(),
            other => format!("{other:?}"),
        };
        fields.insert(name.clone(), Value::String(text));
    }
    Value::Object(fields)
}

/// Signs `built` with the server-held key.
fn sign_with_server_key(service: &Service, built: &mut Built) -> Result<(), Failure> {
    let sealed = built.session.new.sealed_key.as_deref().ok_or_else(|| {
        Failure::params(format!(
            "permission {} is held by the app (its own signer): use wallet_prepareCalls, sign, then wallet_sendPreparedCalls",
            built.session.new.context
        ))
    })?;
    let signer = service
        .sealer
        .open(sealed, &built.session.new.context)
        .map_err(internal)?;
    let signature = sign_digest(&signer, &built.digest()).map_err(internal)?;
    built.op.signature = built.envelope(&signature)?;
    Ok(())
}

/// Hands `built` (signed) to the bundler and records the batch.
async fn submit(service: &Service, scope: &Scope<'_>, built: &Built) -> Result<Value, Failure> {
    let chain = &service.chain;
    let endpoints = chain.endpoints("sending calls")?;
    let sent = endpoints
        .bundler
        .send_user_operation(&RpcUserOperation::from(&built.op), chain.entry_point)
        .await;
    let hash = match sent {
        Ok(hash) => hash,
        Err(error) => {
            let failure = refusal(service, built, error.to_string()).await;
            release(service, scope, built).await;
            return Err(failure);
        }
    };
    let call = NewCall {
        id: format!("{hash:#x}"),
        context: built.session.new.context.clone(),
        chain_id: built.session.new.chain_id,
        nonce_seq: built.seq,
        user_op: serde_json::to_string(&RpcUserOperation::from(&built.op)).map_err(internal)?,
    };
    let actor = scope.actor();
    service
        .db(move |store| store.insert_call(call, &actor))
        .await?;
    Ok(json!({ "id": hash }))
}

/// `wallet_sendCalls`.
pub(crate) async fn send(
    service: &Service,
    scope: &Scope<'_>,
    param: &Value,
) -> Result<Value, Failure> {
    let object = params::object(param, "wallet_sendCalls", CALL_FIELDS)?;
    service.chain.endpoints("wallet_sendCalls")?;
    let mut built = build(service, scope, object, "wallet_sendCalls").await?;
    if let Err(failure) = sign_with_server_key(service, &mut built) {
        release(service, scope, &built).await;
        return Err(failure);
    }
    submit(service, scope, &built).await
}

/// `leash_signCalls`: built and signed with the server-held key, returned unsent.
pub(crate) async fn sign(
    service: &Service,
    scope: &Scope<'_>,
    param: &Value,
) -> Result<Value, Failure> {
    let object = params::object(param, "leash_signCalls", CALL_FIELDS)?;
    let mut built = build(service, scope, object, "leash_signCalls").await?;
    sign_with_server_key(service, &mut built)?;
    Ok(json!({
        "id": built.hash,
        "userOperation": RpcUserOperation::from(&built.op),
        "entryPoint": service.chain.entry_point,
        "chainId": format!("{:#x}", built.session.new.chain_id),
        "nonceSeq": built.seq,
        "auditSeq": built.audit_seq,
    }))
}

fn op_type(service: &Service) -> String {
    format!(
        "user-operation-{}",
        service.chain.version.as_str().replace('.', "")
    )
}

/// `wallet_prepareCalls`: the op and the digest the app's session key signs.
pub(crate) async fn prepare(
    service: &Service,
    scope: &Scope<'_>,
    param: &Value,
) -> Result<Value, Failure> {
    let object = params::object(param, "wallet_prepareCalls", CALL_FIELDS)?;
    let built = build(service, scope, object, "wallet_prepareCalls").await?;
    Ok(json!({
        "type": op_type(service),
        "data": RpcUserOperation::from(&built.op),
        "chainId": format!("{:#x}", built.session.new.chain_id),
        "userOpHash": built.hash,
        "signatureRequest": {
            "type": "secp256k1-digest",
            "hash": built.digest(),
            "note": "sign hash raw (no EIP-191 prefix) with the session key; hand back 65 bytes r ‖ s ‖ v",
        },
        "capabilities": { "permissions": { "context": built.session.new.context } },
        "nonceSeq": built.seq,
    }))
}

/// `wallet_sendPreparedCalls`: the op from `wallet_prepareCalls` with the app's signature.
pub(crate) async fn send_prepared(
    service: &Service,
    scope: &Scope<'_>,
    param: &Value,
) -> Result<Value, Failure> {
    let object = params::object(
        param,
        "wallet_sendPreparedCalls",
        &[
            "type",
            "data",
            "chainId",
            "signature",
            "capabilities",
            // What wallet_prepareCalls returned next to the op; sent back as is, ignored.
            "userOpHash",
            "signatureRequest",
            "nonceSeq",
        ],
    )?;
    let chain = &service.chain;
    if let Some(chain_id) = object.get("chainId") {
        chain.chain_for(Some(params::small(chain_id, "chainId")?))?;
    }
    let context = params::permission_context(object.get("capabilities"))?;
    let session = session_in_scope(service, scope, &context).await?;
    let spec = spec_of(&session)?;
    check_usable(&session, &spec)?;
    let rpc_op: RpcUserOperation = serde_json::from_value(
        object.get("data").cloned().unwrap_or(Value::Null),
    )
    .map_err(|e| {
        Failure::params(format!(
            "data: not the user operation wallet_prepareCalls returned: {e}"
        ))
    })?;
    let op = UserOperation::try_from(rpc_op).map_err(|e| Failure::params(format!("data: {e}")))?;
    let account: Address = session.new.account.parse().map_err(internal)?;
    if op.sender != account {
        return Err(Failure::params(format!(
            "data.sender {} is not the permission's account {account}",
            op.sender
        )));
    }
    let nonce_key: U256 = session.new.nonce_key.parse().map_err(internal)?;
    if op.nonce >> 64 != nonce_key {
        return Err(Failure::params("data.nonce is not in this permission's nonce lane: send the op wallet_prepareCalls returned"));
    }
    let signature = object
        .get("signature")
        .map(|s| s.get("data").unwrap_or(s))
        .ok_or_else(|| {
            Failure::params(
                "signature is required: {\"type\": \"secp256k1\", \"data\": \"0x…65 bytes\"}",
            )
        })?;
    let raw = params::bytes(signature, "signature.data")?;
    let raw: [u8; 65] = raw.as_ref().try_into().map_err(|_| {
        Failure::params(format!(
            "signature.data: {} bytes, a session key's signature is 65 (r ‖ s ‖ v)",
            raw.len()
        ))
    })?;
    let seq: u64 = (op.nonce & U256::from(u64::MAX)).to::<u64>();
    let session_id: B256 = session.new.session_id.parse().map_err(internal)?;
    let module: Address = session.new.module.parse().map_err(internal)?;
    let grant = carried_grant(service, scope, &session, module, account, session_id).await?;
    let mut built = Built {
        period: spec
            .period_index_at(now())
            .map_err(|e| Failure::rejected(e.to_string()))?,
        grant,
        session_id,
        module,
        session,
        spec,
        op,
        hash: B256::ZERO,
        seq,
        audit_seq: 0,
    };
    built.rehash(service);
    let signer: Address = built.session.new.signer.parse().map_err(internal)?;
    let recovered = alloy::primitives::Signature::try_from(raw.as_slice())
        .ok()
        .and_then(|s| s.recover_address_from_prehash(&built.digest()).ok());
    if recovered != Some(signer) {
        return Err(Failure::params(format!(
            "the signature is not by the permission's session key {signer} over signatureRequest.hash {} (recovered {recovered:?})",
            built.digest()
        )));
    }
    built.op.signature = built.envelope(&raw)?;
    submit(service, scope, &built).await
}

/// `wallet_getCallsStatus`.
pub(crate) async fn status(
    service: &Service,
    scope: &Scope<'_>,
    params_value: &Value,
) -> Result<Value, Failure> {
    let first = first_param(params_value, "wallet_getCallsStatus")?;
    let id = first
        .as_str()
        .or_else(|| first.get("id").and_then(Value::as_str))
        .ok_or_else(|| {
            Failure::params("wallet_getCallsStatus takes [\"<id from wallet_sendCalls>\"]")
        })?
        .to_lowercase();
    let key = id.clone();
    let call = service
        .db(move |store| store.call(&key))
        .await
        .map_err(|f| {
            if f.code == rpc::NOT_FOUND {
                Failure::new(
                    rpc::UNKNOWN_BUNDLE,
                    format!("no batch {id} was sent through this server"),
                )
            } else {
                f
            }
        })?;
    let session = session_in_scope(service, scope, &call.new.context).await?;
    let call = refresh(service, scope, call, &session).await?;
    let code = match call.status {
        CallStatus::Pending => 100,
        CallStatus::Confirmed => 200,
        CallStatus::Failed => 400,
        CallStatus::Reverted => 500,
    };
    let receipts = call
        .receipt
        .as_deref()
        .and_then(|text| serde_json::from_str::<Value>(text).ok())
        .map(|r| vec![r])
        .unwrap_or_default();
    Ok(json!({
        "version": "2.0.0",
        "id": call.new.id,
        "chainId": format!("{:#x}", call.new.chain_id),
        "status": code,
        "atomic": true,
        "receipts": receipts,
    }))
}

/// Asks the bundler about a pending batch and stores what it says.
async fn refresh(
    service: &Service,
    scope: &Scope<'_>,
    call: CallRecord,
    session: &ServedSession,
) -> Result<CallRecord, Failure> {
    if call.status != CallStatus::Pending {
        return Ok(call);
    }
    let Some(endpoints) = &service.chain.endpoints else {
        return Ok(call);
    };
    let hash: B256 = call.new.id.parse().map_err(internal)?;
    let receipt = endpoints
        .bundler
        .get_user_operation_receipt(hash)
        .await
        .map_err(|e| internal(format!("asking the bundler for {hash}: {e}")))?;
    let Some(receipt) = receipt else {
        return Ok(call);
    };
    let status = if receipt.success {
        CallStatus::Confirmed
    } else {
        CallStatus::Reverted
    };
    let json_receipt = json!({
        "logs": receipt.logs.iter().map(|l| json!({"address": l.address, "data": l.data, "topics": l.topics})).collect::<Vec<_>>(),
        "status": if receipt.success { "0x1" } else { "0x0" },
        "blockHash": receipt.receipt.block_hash,
        "blockNumber": receipt.receipt.block_number,
        "gasUsed": format!("{:#x}", receipt.actual_gas_used),
        "transactionHash": receipt.receipt.transaction_hash,
    })
    .to_string();
    let id = call.new.id.clone();
    let updated = service
        .db(move |store| store.set_call_outcome(&id, status, Some(&json_receipt)))
        .await?;
    if session.enable_grant.is_some() && signed_grant(session)?.is_some() {
        // The op that carried the grant landed (validation passed, so the session exists now):
        // later ops must not carry it again.
        let key = session.new.context.clone();
        let actor = scope.actor();
        service
            .db(move |store| store.clear_enable_grant(&key, &actor))
            .await?;
    }
    Ok(updated)
}

/// `wallet_getCapabilities`: what this server supports for the asked account.
pub(crate) fn capabilities(
    service: &Service,
    scope: &Scope<'_>,
    params_value: &Value,
) -> Result<Value, Failure> {
    if let Some(account) = params_value
        .as_array()
        .and_then(|a| a.first())
        .filter(|v| v.is_string())
    {
        scope.account(params::address(account, "params[0]")?)?;
    }
    let asked: Vec<u64> = params_value
        .as_array()
        .and_then(|a| a.get(1))
        .and_then(Value::as_array)
        .map(|ids| {
            ids.iter()
                .map(|id| params::small(id, "params[1]"))
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?
        .unwrap_or_default();
    let chains = match service.chain.chain_id {
        Some(id) => vec![id],
        None => asked,
    };
    let mut out = Map::new();
    for id in chains {
        out.insert(
            format!("{id:#x}"),
            json!({
                "atomic": { "status": "supported" },
                "permissions": { "supported": true },
                "leash": {
                    "module": service.chain.module,
                    "entryPoint": service.chain.entry_point,
                    "sends": service.chain.endpoints.is_some(),
                }
            }),
        );
    }
    Ok(Value::Object(out))
}
