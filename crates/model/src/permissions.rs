//! Rules 3 to 6: whether each call is allowed, and what the op spends.

use crate::{
    decode::{Call, Decoded, EXECUTE, EXECUTE_FROM_EXECUTOR, EXECUTE_USER_OP},
    settlement::inner_range,
    Context, Rejection, Selector, Session, NATIVE_ASSET,
};
use alloy_primitives::{address, Address, U256};

/// Canonical EntryPoint v0.6.
pub const ENTRY_POINT_V06: Address = address!("0x5FF137D4b0FDCD49DcA30c7CF57E578a026d2789");
/// Canonical EntryPoint v0.7.
pub const ENTRY_POINT_V07: Address = address!("0x0000000071727De22E5E9d8BAf0edAc6f37da032");
/// Canonical EntryPoint v0.8.
pub const ENTRY_POINT_V08: Address = address!("0x4337084D9E255Ff0702461CF8895CE9E3b5Ff108");
/// Canonical EntryPoint v0.9.
pub const ENTRY_POINT_V09: Address = address!("0x433709009B8330FDa32311DF1C2AFA402eD8D009");
/// Most entries of `tokens` and `periodic` one op may charge (each a counter written during
/// validation; rule 15).
pub const MAX_CHARGED_ENTRIES: usize = 6;
/// Uniswap's Permit2.
pub const PERMIT2: Address = address!("0x000000000022D473030F116dDEE9F6B43aC78BA3");

/// `transfer(address,uint256)`.
pub const ERC20_TRANSFER: Selector = Selector::new([0xa9, 0x05, 0x9c, 0xbb]);
/// `approve(address,uint256)`.
pub const ERC20_APPROVE: Selector = Selector::new([0x09, 0x5e, 0xa7, 0xb3]);
/// `increaseAllowance(address,uint256)`.
pub const ERC20_INCREASE_ALLOWANCE: Selector = Selector::new([0x39, 0x50, 0x93, 0x51]);
/// `transferFrom(address,address,uint256)`.
pub const ERC20_TRANSFER_FROM: Selector = Selector::new([0x23, 0xb8, 0x72, 0xdd]);
/// Permit2 `approve(address,address,uint160,uint48)`.
pub const PERMIT2_APPROVE: Selector = Selector::new([0x87, 0x51, 0x7c, 0x45]);
/// Permit2 `transferFrom(address,address,uint160,address)`.
pub const PERMIT2_TRANSFER_FROM: Selector = Selector::new([0x36, 0xc7, 0x85, 0x16]);
/// Permit2 `transferFrom((address,address,uint160,address)[])`.
pub const PERMIT2_TRANSFER_FROM_BATCH: Selector = Selector::new([0x0d, 0x58, 0xb1, 0xdb]);

/// What the calls of one op spend, summed over the batch.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CallCharges {
    /// Native value.
    pub native: U256,
    /// Per entry of `Session::tokens`.
    pub tokens: Vec<U256>,
    /// Per entry of `Session::periodic`.
    pub periodic: Vec<U256>,
}

/// Checks every call of `decoded` against `session` and sums what they spend.
///
/// # Errors
///
/// The first violation, in call order, as the module reports it.
pub fn check_calls(
    session: &Session,
    decoded: &Decoded,
    ctx: &Context,
) -> Result<CallCharges, Rejection> {
    let mut charges = CallCharges {
        native: U256::ZERO,
        tokens: vec![U256::ZERO; session.tokens.len()],
        periodic: vec![U256::ZERO; session.periodic.len()],
    };
    match decoded {
        Decoded::Direct { selector } => {
            if *selector == EXECUTE_FROM_EXECUTOR || *selector == EXECUTE_USER_OP {
                return Err(Rejection::WrapperSelectorDenied(*selector));
            }
            if !session.root && !session.account_selectors.contains(selector) {
                return Err(Rejection::CallNotGranted {
                    index: 0,
                    target: ctx.account,
                    selector: *selector,
                });
            }
        }
        Decoded::Execute { calls, .. } => {
            // A settled op's first and last calls (the module's `settle`) are checked by rule 16.
            for index in inner_range(calls, ctx) {
                check_call(session, &calls[index], index, ctx, &mut charges)?;
            }
            let charged = charges
                .tokens
                .iter()
                .chain(&charges.periodic)
                .filter(|sum| !sum.is_zero())
                .count();
            if charged > MAX_CHARGED_ENTRIES {
                return Err(Rejection::TooManyAssetsCharged(charged));
            }
        }
    }
    Ok(charges)
}

/// Adds `amount` to a batch sum, saturating at `U256::MAX` (rules 8 and 10): every allowance is
/// below 2^128, so a saturated sum is rejected with the error of the allowance it is charged to.
fn add(into: &mut U256, amount: U256) {
    *into = into.saturating_add(amount);
}

fn is_denied_target(target: Address, ctx: &Context) -> bool {
    target == ctx.module
        || [
            ENTRY_POINT_V06,
            ENTRY_POINT_V07,
            ENTRY_POINT_V08,
            ENTRY_POINT_V09,
        ]
        .contains(&target)
}

fn check_call(
    session: &Session,
    call: &Call,
    index: usize,
    ctx: &Context,
    charges: &mut CallCharges,
) -> Result<(), Rejection> {
    let target = if call.target == Address::ZERO {
        ctx.account
    } else {
        call.target
    };
    let selector = call.selector();
    let is_self = target == ctx.account;
    let mut explicit = session.root;
    if !session.root {
        let wrapper = [EXECUTE, EXECUTE_FROM_EXECUTOR, EXECUTE_USER_OP].contains(&selector);
        if is_denied_target(target, ctx) || (is_self && wrapper) {
            return Err(Rejection::CallDenied {
                index,
                target,
                selector,
            });
        }
        if is_self {
            if !session.account_selectors.contains(&selector) {
                return Err(Rejection::CallNotGranted {
                    index,
                    target,
                    selector,
                });
            }
        } else {
            let exact = session.calls.iter().any(|g| {
                !g.any_target()
                    && g.target == target
                    && (g.any_selector() || g.selector == selector)
            });
            let any_target = session
                .calls
                .iter()
                .any(|g| g.any_target() && (g.any_selector() || g.selector == selector));
            if !exact {
                if !any_target {
                    return Err(Rejection::CallNotGranted {
                        index,
                        target,
                        selector,
                    });
                }
                if ctx.reports_installed(target, selector) {
                    return Err(Rejection::CallToInstalledModule { index, target });
                }
            }
            explicit = session.calls.iter().any(|g| {
                !g.any_target() && !g.any_selector() && g.target == target && g.selector == selector
            });
        }
    }
    if !call.value.is_zero() {
        if session.native_allowance.is_zero() {
            return Err(Rejection::NativeValueNotAllowed(call.value));
        }
        add(&mut charges.native, call.value);
        if let Some(p) = session.periodic_index(NATIVE_ASSET) {
            add(&mut charges.periodic[p], call.value);
        }
    }
    if is_self {
        return Ok(());
    }
    charge_token(session, call, index, target, ctx.account, explicit, charges)?;
    if target == PERMIT2 {
        charge_permit2(session, call, index, ctx.account, charges)?;
    }
    Ok(())
}

/// The `n`-th argument word of a call (data checked long enough by the caller).
fn arg(call: &Call, n: usize) -> U256 {
    U256::from_be_slice(&call.data[4 + 32 * n..4 + 32 * (n + 1)])
}

fn fits_address(w: U256) -> bool {
    w >> 160 == U256::ZERO
}

fn to_address(w: U256) -> Address {
    Address::from_word(w.into())
}

/// `Some(amount)` when the call is a spending call the module understands on `token`.
fn erc20_spending(
    call: &Call,
    index: usize,
    token: Address,
    account: Address,
) -> Result<Option<U256>, Rejection> {
    let selector = call.selector();
    let malformed = Rejection::TokenCallMalformed {
        index,
        token,
        selector,
    };
    if [ERC20_TRANSFER, ERC20_APPROVE, ERC20_INCREASE_ALLOWANCE].contains(&selector) {
        if call.data.len() != 4 + 64 || !fits_address(arg(call, 0)) {
            return Err(malformed);
        }
        return Ok(Some(arg(call, 1)));
    }
    if selector == ERC20_TRANSFER_FROM {
        if call.data.len() != 4 + 96 || !fits_address(arg(call, 0)) || !fits_address(arg(call, 1)) {
            return Err(malformed);
        }
        if to_address(arg(call, 0)) != account {
            return Ok(None);
        }
        return Ok(Some(arg(call, 2)));
    }
    Ok(None)
}

fn charge_token(
    session: &Session,
    call: &Call,
    index: usize,
    token: Address,
    account: Address,
    explicit: bool,
    charges: &mut CallCharges,
) -> Result<(), Rejection> {
    let t = session.token_index(token);
    let p = session.periodic_index(token);
    if t.is_none() && p.is_none() {
        return Ok(());
    }
    match erc20_spending(call, index, token, account)? {
        None if !explicit => Err(Rejection::TokenCallNotExplicit {
            index,
            token,
            selector: call.selector(),
        }),
        None => Ok(()),
        Some(amount) => {
            charge_asset(t, p, amount, charges);
            Ok(())
        }
    }
}

fn charge_asset(t: Option<usize>, p: Option<usize>, amount: U256, charges: &mut CallCharges) {
    if let Some(t) = t {
        add(&mut charges.tokens[t], amount);
    }
    if let Some(p) = p {
        add(&mut charges.periodic[p], amount);
    }
}

fn charge_permit2(
    session: &Session,
    call: &Call,
    index: usize,
    account: Address,
    charges: &mut CallCharges,
) -> Result<(), Rejection> {
    let selector = call.selector();
    if selector == PERMIT2_TRANSFER_FROM_BATCH {
        if session.limits_any_token() {
            return Err(Rejection::Permit2BatchDenied(index));
        }
        return Ok(());
    }
    if selector != PERMIT2_APPROVE && selector != PERMIT2_TRANSFER_FROM {
        return Ok(());
    }
    let malformed = Rejection::TokenCallMalformed {
        index,
        token: PERMIT2,
        selector,
    };
    if call.data.len() != 4 + 128 {
        return Err(malformed);
    }
    let words = [arg(call, 0), arg(call, 1), arg(call, 2), arg(call, 3)];
    if !words[..3].iter().all(|w| fits_address(*w)) {
        return Err(malformed);
    }
    let token = if selector == PERMIT2_APPROVE {
        if words[3] >> 48 != U256::ZERO {
            return Err(malformed);
        }
        to_address(words[0])
    } else {
        if !fits_address(words[3]) {
            return Err(malformed);
        }
        if to_address(words[0]) != account {
            return Ok(());
        }
        to_address(words[3])
    };
    charge_asset(
        session.token_index(token),
        session.periodic_index(token),
        words[2],
        charges,
    );
    Ok(())
}
