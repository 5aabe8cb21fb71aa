//! What the chain says about a session's tokens (ERC-20 `decimals()` and `symbol()`), so
//! amounts can be shown in the token's own units. Read only when a node is given; a token
//! that does not answer both is shown in base units.

use std::collections::BTreeMap;

use alloy::primitives::Address;
use alloy::sol;
use alloy::sol_types::SolCall;
use leash_keys::permissions::Asset;
use leash_keys::SessionSpec;
use leash_rpc::{CallRequest, NodeClient};
use serde_json::{json, Value};

sol! {
    /// The optional metadata of ERC-20.
    interface IERC20Metadata {
        /// The number of decimals of one token.
        function decimals() external view returns (uint8);
        /// The token's ticker.
        function symbol() external view returns (string);
    }
}

/// A token's display units.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TokenInfo {
    /// `symbol()`.
    pub(crate) symbol: String,
    /// `decimals()`.
    pub(crate) decimals: u8,
}

/// What is known of each token (a token missing here is shown in base units).
pub(crate) type TokenBook = BTreeMap<Address, TokenInfo>;

/// Every token `spec` limits (allowances and periodic allowances).
pub(crate) fn tokens_of(spec: &SessionSpec) -> Vec<Address> {
    let mut tokens: Vec<Address> = spec.tokens.iter().map(|token| token.token).collect();
    tokens.extend(
        spec.periodic
            .iter()
            .filter_map(|periodic| match periodic.asset {
                Asset::Token(token) => Some(token),
                Asset::Native => None,
            }),
    );
    tokens.sort();
    tokens.dedup();
    tokens
}

/// Reads `decimals()` and `symbol()` of each of `spec`'s tokens at `node`. A token that
/// fails either (no code, no metadata, a `bytes32` symbol) is left out, never an error:
/// the amounts are then shown in base units.
pub(crate) async fn read_book(node: &NodeClient, spec: &SessionSpec) -> TokenBook {
    let mut book = TokenBook::new();
    for token in tokens_of(spec) {
        if let Some(info) = read_info(node, token).await {
            book.insert(token, info);
        }
    }
    book
}

async fn read_info(node: &NodeClient, token: Address) -> Option<TokenInfo> {
    let decimals = node
        .call(&CallRequest::call(
            token,
            IERC20Metadata::decimalsCall {}.abi_encode(),
        ))
        .await
        .ok()?;
    let decimals = IERC20Metadata::decimalsCall::abi_decode_returns(&decimals).ok()?;
    let symbol = node
        .call(&CallRequest::call(
            token,
            IERC20Metadata::symbolCall {}.abi_encode(),
        ))
        .await
        .ok()?;
    let symbol = IERC20Metadata::symbolCall::abi_decode_returns(&symbol).ok()?;
    // A symbol is shown next to amounts: keep it short and printable.
    let symbol: String = symbol
        .chars()
        .filter(|c| !c.is_control())
        .take(32)
        .collect();
    (!symbol.is_empty()).then_some(TokenInfo { symbol, decimals })
}

/// `book` as JSON: `[{"token", "symbol", "decimals"}]`.
pub(crate) fn book_json(book: &TokenBook) -> Value {
    Value::Array(
        book.iter()
            .map(|(token, info)| {
                json!({"token": token, "symbol": info.symbol, "decimals": info.decimals})
            })
            .collect(),
    )
}
