//! `--account-kind`: the op's nonce takes the account's layout, and a lane the account cannot
//! express is a usage error.

mod common;

use common::{Env, TOKEN};

fn build(env: &Env, id: &str, extra: &[&str]) -> common::Run {
    let mut args = vec![
        "--json",
        "op",
        "build",
        "--session",
        id,
        "--nonce-seq",
        "7",
        "--call",
    ];
    // transfer(0x3333…3333, 1000)
    let call = format!(
        "{TOKEN},0,0xa9059cbb0000000000000000000000003333333333333333333333333333333333333333{:064x}",
        1000
    );
    args.push(&call);
    args.extend_from_slice(extra);
    env.run(&args)
}

#[test]
fn build_puts_the_module_where_each_account_reads_it() {
    let env = Env::new();
    let id = env.create("checkout");
    // The module of the test sessions is 0x2222…2222; quantities drop leading zeros.
    for (kind, key, nonce) in [
        (
            "openzeppelin",
            "5",
            "0x2222222222222222222222222222222222222222000000050000000000000007",
        ),
        (
            "msa",
            "5",
            "0x2222222222222222222222222222222222222222000000050000000000000007",
        ),
        (
            "safe7579",
            "5",
            "0x2222222222222222222222222222222222222222000000050000000000000007",
        ),
        (
            "nexus",
            "0",
            "0x22222222222222222222222222222222222222220000000000000007",
        ),
        (
            "kernel",
            "5",
            "0x1222222222222222222222222222222222222222200050000000000000007",
        ),
    ] {
        let run = build(&env, &id, &["--account-kind", kind, "--nonce-key", key]);
        run.expect_code(0);
        assert_eq!(run.json()["userOperation"]["nonce"], nonce, "{kind}");
    }
}

#[test]
fn a_lane_the_account_cannot_express_is_exit_2() {
    let env = Env::new();
    let id = env.create("checkout");
    let run = build(&env, &id, &["--account-kind", "nexus", "--nonce-key", "1"]);
    run.expect_code(2);
    assert!(run.stderr.contains("free bits"), "{}", run.stderr);
    let run = build(
        &env,
        &id,
        &["--account-kind", "kernel", "--nonce-key", "65536"],
    );
    run.expect_code(2);
    let run = build(&env, &id, &["--account-kind", "alchemy"]);
    run.expect_code(2);
    assert!(
        run.stderr.contains("unknown account kind"),
        "{}",
        run.stderr
    );
}
