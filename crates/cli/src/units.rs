//! Human formatting of amounts, gas and times, and parsing of times.

use alloy::primitives::U256;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::exit::usage;

/// `amount` with `decimals` decimals (alloy's `format_units`), trailing zeros trimmed: `30`,
/// `0.00045`. More decimals than a U256 can scale by (> 77) leave the base units.
pub(crate) fn format_units(amount: U256, decimals: u8) -> String {
    match alloy::primitives::utils::format_units(amount, decimals) {
        Ok(text) if text.contains('.') => {
            text.trim_end_matches('0').trim_end_matches('.').to_owned()
        }
        Ok(text) => text,
        Err(_) => amount.to_string(),
    }
}

/// Wei in ether with the exact wei beside it: `0.5 ETH (500000000000000000 wei)`, `0 ETH (0
/// wei)`; `max` is "unlimited".
pub(crate) fn format_ether(wei: U256) -> String {
    if wei == U256::MAX {
        return "unlimited".to_owned();
    }
    format!("{} ETH ({wei} wei)", format_units(wei, 18))
}

/// A token amount: with the token's decimals and symbol when known (`12.5 USDC (12500000 base
/// units)`), else the base units, named as such.
pub(crate) fn format_token(amount: U256, token: Option<&crate::tokens::TokenInfo>) -> String {
    if amount == U256::MAX {
        return "unlimited".to_owned();
    }
    match token {
        Some(info) => format!(
            "{} {} ({amount} base units)",
            format_units(amount, info.decimals),
            info.symbol
        ),
        None => format!("{amount} base units"),
    }
}

/// An 18-decimal amount (ether, the demo token), `max` shown as "unlimited".
pub(crate) fn format_amount(amount: U256) -> String {
    if amount == U256::MAX {
        "unlimited".to_owned()
    } else {
        format_units(amount, 18)
    }
}

/// A count with thousands separators: `98,819`.
pub(crate) fn group(number: u64) -> String {
    let digits = number.to_string();
    let head = match digits.len() % 3 {
        0 => 3.min(digits.len()),
        n => n,
    };
    let mut out = digits[..head].to_owned();
    for chunk in digits.as_bytes()[head..].chunks(3) {
        out.push(',');
        out.push_str(std::str::from_utf8(chunk).expect("ASCII digits"));
    }
    out
}

/// Unix seconds as RFC 3339 UTC (`2023-11-14T22:13:20Z`), or the number when out of range.
pub(crate) fn format_time(unix: u64) -> String {
    i64::try_from(unix)
        .ok()
        .and_then(|secs| OffsetDateTime::from_unix_timestamp(secs).ok())
        .and_then(|time| time.format(&Rfc3339).ok())
        .unwrap_or_else(|| unix.to_string())
}

/// Parses unix seconds or an RFC 3339 time (`2026-01-01T00:00:00Z`).
pub(crate) fn parse_time(flag: &str, text: &str) -> anyhow::Result<u64> {
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(secs);
    }
    let time = OffsetDateTime::parse(text, &Rfc3339).map_err(|_| {
        usage(
            format!("{flag} {text:?}: not a unix time or an RFC 3339 time"),
            "write e.g. 1767225600 or 2026-01-01T00:00:00Z",
        )
    })?;
    u64::try_from(time.unix_timestamp())
        .map_err(|_| usage(format!("{flag} {text:?}: before 1970"), "use a later time"))
}

/// An amount of the native token in wei: an integer (wei), or a decimal with a unit
/// (`0.01ether`, `5gwei`, `100wei`), as cast writes them.
pub(crate) fn parse_amount(flag: &str, text: &str) -> anyhow::Result<U256> {
    let bad = || {
        usage(
            format!("{flag} {text:?}: not an amount"),
            "write wei (1000000000000000) or a unit: 0.001ether, 5gwei",
        )
    };
    let split = text
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(text.len());
    let (number, unit) = (text[..split].trim(), text[split..].trim());
    let decimals: usize = match unit.to_ascii_lowercase().as_str() {
        "" | "wei" => 0,
        "gwei" => 9,
        "ether" | "eth" => 18,
        _ => return Err(bad()),
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let digits_ok = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() && fraction.is_empty()
        || !digits_ok(whole)
        || !digits_ok(fraction)
        || fraction.len() > decimals
    {
        return Err(bad());
    }
    let padded = format!("{whole}{fraction:0<decimals$}");
    let digits = padded.trim_start_matches('0');
    if digits.is_empty() {
        return Ok(U256::ZERO);
    }
    U256::from_str_radix(digits, 10).map_err(|_| bad())
}

/// The wall clock in unix seconds.
pub(crate) fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_thousands() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(1_000), "1,000");
        assert_eq!(group(98_819), "98,819");
        assert_eq!(group(1_234_567), "1,234,567");
    }

    #[test]
    fn formats_units_without_trailing_zeros() {
        let ether = U256::from(10u64).pow(U256::from(18));
        assert_eq!(format_units(U256::from(30u64) * ether, 18), "30");
        assert_eq!(
            format_units(U256::from(450_000_000_000_000u64), 18),
            "0.00045"
        );
        assert_eq!(format_amount(U256::MAX), "unlimited");
        assert_eq!(format_units(U256::from(1000u64), 0), "1000");
        assert_eq!(format_units(U256::ZERO, 6), "0");
        assert_eq!(format_units(U256::from(7u64), 200), "7");
    }

    #[test]
    fn ether_and_token_amounts_name_their_unit() {
        assert_eq!(
            format_ether(U256::from(500_000_000_000_000_000u64)),
            "0.5 ETH (500000000000000000 wei)"
        );
        assert_eq!(format_ether(U256::ZERO), "0 ETH (0 wei)");
        let usdc = crate::tokens::TokenInfo {
            symbol: "USDC".to_owned(),
            decimals: 6,
        };
        assert_eq!(
            format_token(U256::from(12_500_000u64), Some(&usdc)),
            "12.5 USDC (12500000 base units)"
        );
        assert_eq!(
            format_token(U256::from(12_500_000u64), None),
            "12500000 base units"
        );
    }

    #[test]
    fn test_parse_amount_reads_wei_and_units() {
        assert_eq!(parse_amount("--f", "1000").unwrap(), U256::from(1000u64));
        assert_eq!(
            parse_amount("--f", "0.01ether").unwrap(),
            U256::from(10_000_000_000_000_000u64)
        );
        assert_eq!(
            parse_amount("--f", "5gwei").unwrap(),
            U256::from(5_000_000_000u64)
        );
        assert_eq!(parse_amount("--f", "0wei").unwrap(), U256::ZERO);
        for bad in [
            "",
            "ether",
            "1.5wei",
            "0.0000000001gwei",
            "1 btc",
            "-1",
            "1e18",
        ] {
            assert!(parse_amount("--f", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn parses_unix_and_rfc3339_times() {
        assert_eq!(parse_time("--t", "1767225600").unwrap(), 1_767_225_600);
        assert_eq!(
            parse_time("--t", "2026-01-01T00:00:00Z").unwrap(),
            1_767_225_600
        );
        assert!(parse_time("--t", "soon").is_err());
        assert_eq!(format_time(1_767_225_600), "2026-01-01T00:00:00Z");
    }
}
