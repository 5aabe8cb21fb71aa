//! One PostgreSQL connection: connecting with helpful errors, and running SQL in it.

use std::collections::HashMap;
use std::error::Error as _;
use std::time::Duration;

use postgres::config::Host;
use postgres::types::private::BytesMut;
use postgres::types::{IsNull, ToSql, Type};
use postgres::{Client, Config, NoTls, Statement, Transaction};

use crate::sql::{Row, Tx, Val};
use crate::StoreError;

/// Used when the URL sets no `connect_timeout`.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A connection and the statements prepared on it.
pub(crate) struct PgConn {
    pub(crate) client: Client,
    pub(crate) stmts: HashMap<String, Statement>,
}

/// A postgres error as a [`StoreError`], with the server's own message.
pub(crate) fn err(e: postgres::Error) -> StoreError {
    let message = match e.as_db_error() {
        Some(db) => format!("{} ({}: {})", db.message(), db.severity(), db.code().code()),
        None => match e.source() {
            Some(src) => format!("{e}: {src}"),
            None => e.to_string(),
        },
    };
    let hint = if e.is_closed() {
        " (the connection was lost; the next call reconnects)"
    } else {
        ""
    };
    StoreError::Backend {
        engine: "postgres",
        message: format!("{message}{hint}"),
    }
}

/// Where a config points, without its password: `host:port/database as user`.
pub(crate) fn describe(config: &Config) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let port = config
                .get_ports()
                .get(i)
                .or(config.get_ports().first())
                .copied()
                .unwrap_or(5432);
            match h {
                Host::Tcp(name) => format!("{name}:{port}"),
                #[cfg(unix)]
                Host::Unix(dir) => format!("{}/.s.PGSQL.{port}", dir.display()),
            }
        })
        .collect();
    let hosts = if hosts.is_empty() {
        "localhost:5432".to_owned()
    } else {
        hosts.join(",")
    };
    let user = config.get_user().unwrap_or("(current user)");
    format!(
        "{hosts}/{} as user {user}",
        config.get_dbname().unwrap_or(user)
    )
}

/// Parses a `postgres://` URL (or key=value string).
pub(crate) fn parse(url: &str) -> Result<Config, StoreError> {
    let mut config: Config = url.parse().map_err(|e| StoreError::Backend {
        engine: "postgres",
        message: format!(
            "invalid PostgreSQL URL ({e}); expected postgres://USER:PASSWORD@HOST:PORT/DATABASE"
        ),
    })?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    Ok(config)
}

/// Opens one connection (without TLS).
pub(crate) fn connect(config: &Config) -> Result<PgConn, StoreError> {
    let client = config.connect(NoTls).map_err(|e| {
        let why = err(e);
        let why = match why {
            StoreError::Backend { message, .. } => message,
            other => other.to_string(),
        };
        StoreError::Backend {
            engine: "postgres",
            message: format!(
                "cannot connect to PostgreSQL at {}: {why}; check that the server runs and \
                 accepts TCP connections there, and the URL's user, password and database \
                 (TLS is not supported: use sslmode=disable or prefer)",
                describe(config)
            ),
        }
    })?;
    Ok(PgConn {
        client,
        stmts: HashMap::new(),
    })
}

impl ToSql for Val {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Val::Null => Ok(IsNull::Yes),
            Val::Int(v) if *ty == Type::INT4 => i32::try_from(*v)?.to_sql(ty, out),
            Val::Int(v) => v.to_sql(ty, out),
            Val::Text(v) => v.as_str().to_sql(ty, out),
            Val::Blob(v) => v.as_slice().to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

fn val(row: &postgres::Row, i: usize) -> Result<Val, postgres::Error> {
    let ty = row.columns()[i].type_();
    Ok(if *ty == Type::INT8 {
        row.try_get::<_, Option<i64>>(i)?
            .map_or(Val::Null, Val::Int)
    } else if *ty == Type::INT4 {
        row.try_get::<_, Option<i32>>(i)?
            .map_or(Val::Null, |v| Val::Int(v.into()))
    } else if *ty == Type::INT2 {
        row.try_get::<_, Option<i16>>(i)?
            .map_or(Val::Null, |v| Val::Int(v.into()))
    } else if *ty == Type::BOOL {
        row.try_get::<_, Option<bool>>(i)?
            .map_or(Val::Null, |v| Val::Int(v.into()))
    } else if *ty == Type::BYTEA {
        row.try_get::<_, Option<Vec<u8>>>(i)?
            .map_or(Val::Null, Val::Blob)
    } else {
        row.try_get::<_, Option<String>>(i)?
            .map_or(Val::Null, Val::Text)
    })
}

/// A transaction on one PostgreSQL connection, reusing prepared statements.
pub(crate) struct PgTx<'a, 'c> {
    pub(crate) tx: &'a mut Transaction<'c>,
    pub(crate) stmts: &'a mut HashMap<String, Statement>,
}

impl PgTx<'_, '_> {
    fn statement(&mut self, sql: &str) -> Result<Statement, StoreError> {
        if let Some(s) = self.stmts.get(sql) {
            return Ok(s.clone());
        }
        let s = self.tx.prepare(sql).map_err(err)?;
        self.stmts.insert(sql.to_owned(), s.clone());
        Ok(s)
    }
}

fn refs(params: &[Val]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

impl Tx for PgTx<'_, '_> {
    fn engine_name(&self) -> &'static str {
        "postgres"
    }

    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>, StoreError> {
        let stmt = self.statement(sql)?;
        let rows = self.tx.query(&stmt, &refs(params)).map_err(err)?;
        rows.iter()
            .map(|r| {
                let vals = (0..r.len())
                    .map(|i| val(r, i))
                    .collect::<Result<_, _>>()
                    .map_err(err)?;
                Ok(Row {
                    engine: "postgres",
                    vals,
                })
            })
            .collect()
    }

    fn execute(&mut self, sql: &str, params: &[Val]) -> Result<u64, StoreError> {
        let stmt = self.statement(sql)?;
        self.tx.execute(&stmt, &refs(params)).map_err(err)
    }

    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        self.tx.batch_execute(sql).map_err(err)
    }
}
