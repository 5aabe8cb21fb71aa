//! The store suite on PostgreSQL, each test in its own fresh schema of the database named by
//! `LEASH_TEST_POSTGRES_URL` (the store is pointed at it with
//! `?options=-csearch_path%3D<schema>`). Without the variable every test prints one skip
//! line and returns; `scripts/postgres-test.sh` provides a throwaway server.

mod common;

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Once};

use common::{Harness, Opener};
use leash_store::{PostgresStore, Store};

static COUNTER: AtomicUsize = AtomicUsize::new(0);
static SKIP_NOTICE: Once = Once::new();

struct Schema {
    name: String,
    url: String,
}

struct Pg {
    admin: Mutex<postgres::Client>,
    base: String,
    store: PostgresStore,
    schemas: Mutex<Vec<Schema>>,
}

/// The base URL, or None after telling (once per test binary, past the output capture).
fn base_url() -> Option<String> {
    match std::env::var("LEASH_TEST_POSTGRES_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            SKIP_NOTICE.call_once(|| {
                let _ = writeln!(
                    std::io::stderr(),
                    "postgres tests SKIPPED: LEASH_TEST_POSTGRES_URL unset (run scripts/postgres-test.sh)"
                );
            });
            None
        }
    }
}

fn with_schema(base: &str, schema: &str) -> String {
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}options=-csearch_path%3D{schema}")
}

fn create_schema(admin: &mut postgres::Client) -> String {
    let name = format!(
        "leash_t{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    admin
        .batch_execute(&format!("CREATE SCHEMA {name}"))
        .unwrap();
    name
}

impl Pg {
    fn new_schema(&self) -> String {
        let name = create_schema(&mut self.admin.lock().unwrap());
        let url = with_schema(&self.base, &name);
        self.schemas.lock().unwrap().push(Schema {
            name,
            url: url.clone(),
        });
        url
    }

    fn url(&self) -> String {
        self.schemas.lock().unwrap()[0].url.clone()
    }
}

fn setup() -> Option<Pg> {
    let base = base_url()?;
    let mut admin = postgres::Client::connect(&base, postgres::NoTls)
        .unwrap_or_else(|e| panic!("LEASH_TEST_POSTGRES_URL is set but unreachable: {e}"));
    let name = create_schema(&mut admin);
    let url = with_schema(&base, &name);
    let store = PostgresStore::connect_with(&url, 4).unwrap();
    Some(Pg {
        admin: Mutex::new(admin),
        base,
        store,
        schemas: Mutex::new(vec![Schema { name, url }]),
    })
}

impl Drop for Pg {
    fn drop(&mut self) {
        let mut admin = self.admin.lock().unwrap();
        for s in self.schemas.lock().unwrap().iter() {
            let _ = admin.batch_execute(&format!("DROP SCHEMA {} CASCADE", s.name));
        }
    }
}

impl Harness for Pg {
    fn store(&self) -> &dyn Store {
        &self.store
    }

    fn opener(&self) -> Opener {
        let url = self.url();
        Arc::new(move || Ok(Box::new(PostgresStore::connect_with(&url, 4)?) as Box<dyn Store>))
    }

    fn with_fixed_clock(&self, t: u64) -> Box<dyn Store> {
        Box::new(
            PostgresStore::connect(&self.url())
                .unwrap()
                .with_clock(Arc::new(move || t)),
        )
    }

    fn empty_opener(&self) -> Opener {
        let url = self.new_schema();
        // Through the public entry point.
        Arc::new(move || leash_store::open(&url))
    }

    fn raw(&self, sql: &str) -> Result<(), String> {
        let mut c =
            postgres::Client::connect(&self.url(), postgres::NoTls).map_err(|e| e.to_string())?;
        c.batch_execute(sql).map_err(|e| match e.as_db_error() {
            Some(db) => db.message().to_owned(),
            None => e.to_string(),
        })
    }

    fn drop_guards_sql(&self) -> &'static str {
        "ALTER TABLE audit_log DISABLE TRIGGER USER; ALTER TABLE audit_head DISABLE TRIGGER USER;"
    }
}

store_suite!(setup);
