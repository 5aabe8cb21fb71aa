//! Amounts as people read them: `session show` gives token amounts in the token's decimals and
//! symbol (read from a real ERC-20 on anvil with `--rpc-url`), in base units, named, without a
//! node, and native amounts in ether with the wei beside them; JSON keeps the exact base-unit
//! strings and only adds formatted fields.

mod common;

use common::anvil::{cast, create_contract, deploy_module, start_anvil};
use common::{path, Env, ACCOUNT, ENTRY_POINT};

#[test]
fn show_uses_the_tokens_decimals_and_symbol_and_ether() {
    let Some(anvil) = start_anvil() else { return };
    let url = anvil.url.as_str();
    let env = Env::new();
    let module = deploy_module(&env, url);
    // tests/fixtures/MockERC20.sol: 18 decimals, the symbol given to its constructor.
    let args = cast(&[
        "abi-encode",
        "constructor(string,string)",
        "Mock USD",
        "MUSD",
    ]);
    let token = create_contract(url, "MockERC20", &args);
    let permissions = env.file(
        "perm.json",
        &format!(
            r#"{{
  "validAfter": 0, "validUntil": 4102444800, "maxUses": 10,
  "nativeAllowance": "500000000000000000", "feeBudget": "1000000000000000",
  "calls": [{{ "target": "{token}", "selector": "transfer(address,uint256)" }}],
  "tokens": [{{ "token": "{token}", "amount": "100500000000000000000" }}]
}}"#
        ),
    );
    let created = env.run(&[
        "--json",
        "session",
        "create",
        "--permissions",
        path(&permissions),
        "--account",
        ACCOUNT,
        "--chain-id",
        "31337",
        "--entry-point",
        ENTRY_POINT,
        "--module",
        &module,
        "--password-env",
        "LEASH_TEST_PASSWORD",
    ]);
    created.expect_code(0);
    let id = created.json()["localId"].as_str().unwrap().to_owned();

    let offline = env.run(&["session", "show", &id]);
    offline.expect_code(0);
    assert!(
        offline
            .stdout
            .contains("up to 100500000000000000000 base units"),
        "{}",
        offline.stdout
    );
    assert!(
        offline
            .stdout
            .contains("native:    0.5 ETH (500000000000000000 wei)"),
        "{}",
        offline.stdout
    );
    assert!(
        offline
            .stdout
            .contains("fees:      0.001 ETH (1000000000000000 wei)"),
        "{}",
        offline.stdout
    );

    let online = env.run(&["session", "show", &id, "--rpc-url", url]);
    online.expect_code(0);
    for expected in [
        "up to 100.5 MUSD (100500000000000000000 base units)",
        "token left:      100.5 MUSD (100500000000000000000 base units) of 100.5 MUSD",
        "native left:     0.5 ETH (500000000000000000 wei)",
        "fee left:        0.001 ETH (1000000000000000 wei)",
    ] {
        assert!(
            online.stdout.contains(expected),
            "{expected}\n{}",
            online.stdout
        );
    }

    let json = env
        .run(&["--json", "session", "show", &id, "--rpc-url", url])
        .json();
    assert_eq!(
        json["permissions"]["tokens"][0]["amount"],
        "100500000000000000000"
    );
    assert_eq!(json["permissions"]["nativeAllowance"], "500000000000000000");
    let left = &json["remaining"];
    assert_eq!(left["tokensLeft"][0]["left"], "100500000000000000000");
    assert_eq!(left["tokensLeft"][0]["leftFormatted"], "100.5");
    assert_eq!(left["tokensLeft"][0]["symbol"], "MUSD");
    assert_eq!(left["tokensLeft"][0]["decimals"], 18);
    assert_eq!(left["nativeLeft"], "500000000000000000");
    assert_eq!(left["nativeLeftEther"], "0.5");
    assert_eq!(json["tokenInfo"][0]["symbol"], "MUSD");
}
