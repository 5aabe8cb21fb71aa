//! `leash apikey …`: the API keys of `leash serve`, on its store directly. This is how the
//! first admin key is made; admin keys then manage the others over HTTP too.

use std::path::Path;

use leash_store::Role;

use crate::cli::{ApikeyCommand, ApikeyCreateArgs, DatabaseArgs};
use crate::exit::usage;
use crate::output::Ui;
use crate::serve::{self, apikeys, KeyRequest};

/// Runs an `apikey` subcommand.
pub(crate) fn run(command: ApikeyCommand, dir: &Path, ui: Ui) -> anyhow::Result<()> {
    let actor = format!("cli:{}", leash_keys::store::default_actor());
    let open = |database: &DatabaseArgs| serve::open_database(database, dir);
    let failure = |f: serve::Failure| usage(f.message, "see `leash apikey --help`");
    match command {
        ApikeyCommand::Create(args) => {
            let store = open(&args.database)?;
            let request = create_request(&args)?;
            let (key, secret) =
                apikeys::create(store.as_ref(), &request, &actor).map_err(failure)?;
            ui.result(&apikeys::key_json_with_secret(&key, &secret), || {
                format!(
                    "API key {} ({}, {}) created; its secret, shown only now:\n  {secret}\nsend it as `Authorization: Bearer <secret>`",
                    key.id,
                    key.name,
                    role_name(key.role)
                )
            });
        }
        ApikeyCommand::List(database) => {
            let store = open(&database)?;
            let keys = store.list_api_keys()?;
            let value: Vec<_> = keys.iter().map(apikeys::key_json).collect();
            ui.result(&serde_json::json!(value), || {
                if keys.is_empty() {
                    return "no API keys (create one with `leash apikey create`)".to_owned();
                }
                keys.iter()
                    .map(|key| {
                        format!(
                            "{}  {:<6} {:<9} {}  {}",
                            key.id,
                            role_name(key.role),
                            format!("{:?}", key.status).to_lowercase(),
                            crate::serve::auth::masked(&key.secret),
                            key.name
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        ApikeyCommand::Show(args) => {
            let key = open(&args.database)?.api_key(&args.id)?;
            print_key(&key, "", ui);
        }
        ApikeyCommand::Enable(args) => {
            let key = open(&args.database)?.set_api_key_enabled(&args.id, true, &actor)?;
            print_key(&key, "enabled: ", ui);
        }
        ApikeyCommand::Disable(args) => {
            let key = open(&args.database)?.set_api_key_enabled(&args.id, false, &actor)?;
            print_key(&key, "disabled: ", ui);
        }
        ApikeyCommand::Rotate(args) => {
            let store = open(&args.database)?;
            let (key, secret) =
                apikeys::rotate(store.as_ref(), &args.id, &actor).map_err(failure)?;
            ui.result(&apikeys::key_json_with_secret(&key, &secret), || {
                format!(
                    "API key {} rotated: the old secret fails from now on; the new one, shown only now:\n  {secret}",
                    key.id
                )
            });
        }
        ApikeyCommand::Revoke(args) => {
            let key = open(&args.database)?.revoke_api_key(&args.id, &args.reason, &actor)?;
            print_key(&key, "revoked: ", ui);
        }
        ApikeyCommand::Delete(args) => {
            let key = open(&args.database)?.delete_api_key(&args.id, &actor)?;
            print_key(&key, "deleted: ", ui);
        }
    }
    Ok(())
}

fn create_request(args: &ApikeyCreateArgs) -> anyhow::Result<KeyRequest> {
    let accounts = args
        .accounts
        .iter()
        .map(|text| super::parse_address("--account", text))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let request = KeyRequest {
        name: args.name.clone(),
        role: if args.role == "admin" {
            Role::Admin
        } else {
            Role::App
        },
        accounts,
        methods: (!args.methods.is_empty()).then(|| args.methods.clone()),
        rate_limit_per_minute: args.rate_limit,
    };
    request
        .check()
        .map_err(|f| usage(f.message, "see `leash apikey create --help`"))?;
    Ok(request)
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Admin => "admin",
        Role::App => "app",
    }
}

fn print_key(key: &leash_store::ApiKey, what: &str, ui: Ui) {
    ui.result(&apikeys::key_json(key), || {
        format!(
            "{what}API key {} ({}, {}, {:?}){}\n  secret:     {}\n  accounts:   {}\n  methods:    {}\n  rate limit: {} per minute",
            key.id,
            key.name,
            role_name(key.role),
            key.status,
            key.revoke_reason
                .as_deref()
                .map(|r| format!(", revoked: {r}"))
                .unwrap_or_default(),
            crate::serve::auth::masked(&key.secret),
            if key.accounts.is_empty() { "every account".to_owned() } else { key.accounts.join(", ") },
            key.methods.as_ref().map(|m| m.join(", ")).unwrap_or_else(|| "every app method".to_owned()),
            key.rate_limit_per_minute
        )
    });
}
