//! Sends owner-signed user operations through a real bundler, for EntryPoint v0.7 and v0.8,
//! and shows how a validation revert comes back. Run it inside the e2e environment:
//!
//! ```text
//! e2e/run.sh cargo run -p leash-rpc --example owner_op
//! ```
//!
//! Steps per EntryPoint: deploy the fixtures (OwnerValidator, TestAccountFactory,
//! RecordingTarget) from an unlocked anvil account, fund the counterfactual TestAccount,
//! build an op that deploys it through the factory and calls the target, let the bundler
//! estimate gas (with a wrong signature of the right length, then signed), apply the estimate
//! and alto's fees, sign, send, wait for the receipt. With `LEASH_SESSION_MODULE` set
//! (e2e/run.sh sets it unless `--no-module`), an account whose validator is the session module
//! sends a malformed session envelope, and the bundler's refusal (AA23) is printed with its
//! decoded revert.

use alloy::{
    json_abi::JsonAbi,
    primitives::{address, keccak256, Address, Bytes, B256, U256},
    sol_types::{SolCall, SolValue},
};
use k256::ecdsa::SigningKey;
use leash_contracts::{artifact, bindings::account::TestAccountFactory, entry_point_abi};
use leash_rpc::{
    decode_revert, revert_data, BundlerApi, BundlerClient, CallRequest, NodeClient, RpcError,
    UserOperationReceipt,
};
use leash_userop::{
    address_of,
    erc7579::{execute_single, validator_nonce},
    EntryPointVersion, RpcUserOperation, UserOperation,
};
use std::{env, error::Error, time::Duration};

/// anvil's fourth dev account (`LEASH_FUNDER_KEY` of e2e/run.sh), unlocked on anvil.
const FUNDER: Address = address!("0x90F79bf6EB2c4f870365E785982E1f101E93b906");
const WAIT: Duration = Duration::from_secs(30);

type Outcome<T> = Result<T, Box<dyn Error>>;

struct Chain {
    node: NodeClient,
    bundler: BundlerClient,
    chain_id: u64,
}

#[tokio::main]
async fn main() -> Outcome<()> {
    let chain = Chain {
        node: NodeClient::new(&required_env("LEASH_RPC_URL")?)?,
        bundler: BundlerClient::new(&required_env("LEASH_BUNDLER_URL")?)?,
        chain_id: 0,
    };
    let chain = Chain {
        chain_id: chain.node.chain_id().await?,
        ..chain
    };
    println!(
        "bundler serves {:?}",
        chain.bundler.supported_entry_points().await?
    );
    println!(
        "alto fees now: {:?}",
        chain.bundler.pimlico_gas_price().await?
    );

    let owner = SigningKey::from_bytes(&keccak256("leash example owner").0.into())?;
    let validator = deploy(&chain.node, "OwnerValidator").await?;
    let factory = deploy(&chain.node, "TestAccountFactory").await?;
    let target = deploy(&chain.node, "RecordingTarget").await?;

    for version in EntryPointVersion::ALL {
        let install_data = Bytes::from(address_of(&owner).abi_encode());
        let (account, op) =
            counterfactual_op(&chain, version, factory, validator, install_data, target).await?;
        let receipt = sign_estimate_send(&chain, version, op, &owner).await?;
        println!(
            "{}: account {account} deployed and called the target: success={} gas used={} cost={} wei",
            version.as_str(),
            receipt.success,
            receipt.actual_gas_used,
            receipt.actual_gas_cost
        );
        let lookup = chain
            .bundler
            .get_user_operation_by_hash(receipt.user_op_hash)
            .await?;
        println!(
            "{}: eth_getUserOperationByHash -> {lookup:?}",
            version.as_str()
        );
        if chain.node.get_code(account).await?.is_empty() {
            return Err(format!("no code at {account} after the op").into());
        }
    }

    if let Ok(module) = env::var("LEASH_SESSION_MODULE") {
        show_validation_revert(&chain, module.parse()?, factory, target).await?;
    }
    Ok(())
}

fn required_env(name: &str) -> Outcome<String> {
    env::var(name).map_err(|_| format!("{name} is not set: run this under e2e/run.sh").into())
}

/// Deploys a fixture (no constructor arguments) from the unlocked funder account.
async fn deploy(node: &NodeClient, name: &str) -> Outcome<Address> {
    let request = CallRequest::create(artifact(name)?.bytecode.clone()).from(FUNDER);
    let receipt = node.send_and_confirm(&request, WAIT).await?;
    let address = receipt
        .contract_address
        .ok_or("creation receipt without contract address")?;
    println!("deployed {name} at {address}");
    Ok(address)
}

/// The account's address for these arguments, funded with 1 ETH, and an unsigned op that
/// deploys it and calls `target`.
async fn counterfactual_op(
    chain: &Chain,
    version: EntryPointVersion,
    factory: Address,
    validator: Address,
    install_data: Bytes,
    target: Address,
) -> Outcome<(Address, UserOperation)> {
    let entry_point = version.canonical_address();
    let salt = B256::ZERO;
    let get_address = TestAccountFactory::getAddressCall {
        entryPoint: entry_point,
        validator,
        validatorData: install_data.clone(),
        salt,
    };
    let answer = chain
        .node
        .call(&CallRequest::call(factory, get_address.abi_encode()))
        .await?;
    let account = TestAccountFactory::getAddressCall::abi_decode_returns(&answer)?;
    let one_eth = U256::from(10u64).pow(U256::from(18u64));
    chain
        .node
        .send_and_confirm(
            &CallRequest::call(account, Bytes::new())
                .from(FUNDER)
                .value(one_eth),
            WAIT,
        )
        .await?;

    let create = TestAccountFactory::createAccountCall {
        entryPoint: entry_point,
        validator,
        validatorData: install_data,
        salt,
    };
    let op = UserOperation::builder()
        .sender(account)
        .nonce(validator_nonce(validator, 0, 0))
        .factory(factory)
        .factory_data(create.abi_encode())
        .call_data(execute_single(target, U256::ZERO, b"leash e2e ping"))
        .call_gas_limit(200_000)
        .verification_gas_limit(1_000_000)
        .pre_verification_gas(100_000)
        .max_fee_per_gas(10_000_000_000u64)
        .max_priority_fee_per_gas(1_000_000_000u64)
        .build()?;
    Ok((account, op))
}

/// Signs with placeholder gas, lets the bundler estimate, applies the estimate and alto's
/// `standard` fees, signs again, sends and waits for the receipt.
async fn sign_estimate_send(
    chain: &Chain,
    version: EntryPointVersion,
    mut op: UserOperation,
    owner: &SigningKey,
) -> Outcome<UserOperationReceipt> {
    let entry_point = version.canonical_address();
    // A wrong signature of the right length: the validator returns SIG_VALIDATION_FAILED.
    op.signature = Bytes::from(vec![0x11u8; 65]);
    let dummy = chain
        .bundler
        .estimate_user_operation_gas(&RpcUserOperation::from(&op), entry_point)
        .await;
    println!(
        "{}: estimate with a wrong signature: {dummy:?}",
        version.as_str()
    );
    op.sign_with(owner, version, entry_point, chain.chain_id);
    let estimate = chain
        .bundler
        .estimate_user_operation_gas(&RpcUserOperation::from(&op), entry_point)
        .await?;
    println!("{}: estimate {estimate:?}", version.as_str());
    let fees = chain.bundler.pimlico_gas_price().await?.standard;
    op.pre_verification_gas = estimate.pre_verification_gas;
    op.verification_gas_limit = estimate.verification_gas_limit.to();
    op.call_gas_limit = estimate.call_gas_limit.to();
    op.max_fee_per_gas = fees.max_fee_per_gas.to();
    op.max_priority_fee_per_gas = fees.max_priority_fee_per_gas.to();
    let hash = op.sign_with(owner, version, entry_point, chain.chain_id);
    let sent = chain
        .bundler
        .send_user_operation(&RpcUserOperation::from(&op), entry_point)
        .await?;
    assert_eq!(sent, hash, "the bundler's userOpHash must equal ours");
    println!(
        "{}: sent {} ({})",
        version.as_str(),
        sent,
        RpcUserOperation::from(&op).to_json()
    );
    Ok(chain.bundler.wait_for_receipt(sent, WAIT).await?)
}

/// An account whose validator is the session module sends an envelope with version 0x02:
/// the module reverts `UnsupportedEnvelopeVersion(2)` during validation.
async fn show_validation_revert(
    chain: &Chain,
    module: Address,
    factory: Address,
    target: Address,
) -> Outcome<()> {
    let module_abi = &artifact("SessionKeyValidator")?.abi;
    for version in EntryPointVersion::ALL {
        let entry_point = version.canonical_address();
        let (_, mut op) =
            counterfactual_op(chain, version, factory, module, Bytes::new(), target).await?;
        op.nonce = validator_nonce(module, 0, 0);
        // The fixed part and a packed session header: long enough to be parsed.
        let mut envelope = vec![0u8; 71 + 58];
        envelope[0] = 0x02;
        op.signature = envelope.into();
        op.verification_gas_limit = 5_000_000;
        let fees = chain.bundler.pimlico_gas_price().await?.standard;
        op.max_fee_per_gas = fees.max_fee_per_gas.to();
        op.max_priority_fee_per_gas = fees.max_priority_fee_per_gas.to();
        let rpc_op = RpcUserOperation::from(&op);
        let abis: [&JsonAbi; 2] = [module_abi, entry_point_abi(version)];
        for (method, outcome) in [
            (
                "eth_estimateUserOperationGas",
                chain
                    .bundler
                    .estimate_user_operation_gas(&rpc_op, entry_point)
                    .await
                    .map(|_| ()),
            ),
            (
                "eth_sendUserOperation",
                chain
                    .bundler
                    .send_user_operation(&rpc_op, entry_point)
                    .await
                    .map(|_| ()),
            ),
        ] {
            match outcome {
                Err(RpcError::JsonRpc { error, .. }) => {
                    println!(
                        "{} {method}: code={} message={:?} data={:?}",
                        version.as_str(),
                        error.code,
                        error.message,
                        error.data
                    );
                    let data = revert_data(&error);
                    println!("  revert data: {data:?}");
                    println!(
                        "  decoded: {:?}",
                        data.as_ref().and_then(|data| decode_revert(data, &abis))
                    );
                }
                other => println!("{} {method}: unexpected {other:?}", version.as_str()),
            }
        }
    }
    Ok(())
}
