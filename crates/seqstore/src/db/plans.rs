//! The query plans of the list statements, as the backend would run them: for the scale benchmark
//! (`bench/scale` prints them) and the conformance suite (which asserts that indexes serve every
//! list and filter).

use sqlx::{AnyConnection, Row};

use super::filter::Filter;
use super::{Backend, Error};

/// The plan of `sql` with `filter`'s values bound, one line per plan row: SQLite's
/// `EXPLAIN QUERY PLAN` details, PostgreSQL's `EXPLAIN` text.
pub async fn explain(
    conn: &mut AnyConnection,
    backend: Backend,
    sql: &str,
    filter: &Filter,
) -> Result<Vec<String>, Error> {
    let (prefix, column) = match backend {
        Backend::Sqlite => ("EXPLAIN QUERY PLAN ", "detail"),
        Backend::Postgres => ("EXPLAIN ", "QUERY PLAN"),
    };
    let sql = format!("{prefix}{sql}");
    let rows = filter.bind(sqlx::query(&sql)).fetch_all(&mut *conn).await?;
    rows.iter().map(|row| Ok(row.try_get::<String, _>(column)?)).collect()
}

/// What is wrong with `plan` for a list that an index must serve in order: a full scan of the
/// table, a sort, or (PostgreSQL) the keyset applied as a filter over earlier rows; `None` when
/// nothing is.
pub fn defect(backend: Backend, table: &str, plan: &[String]) -> Option<String> {
    let text = plan.join("\n");
    let found = |needle: &str| text.contains(needle);
    let problem = match backend {
        Backend::Sqlite if found(&format!("SCAN {table}")) => "a full scan of the table or an index",
        Backend::Sqlite if found("TEMP B-TREE") => "a sort",
        Backend::Postgres if found("Seq Scan") => "a sequential scan",
        Backend::Postgres if text.lines().any(|l| l.trim_start().trim_start_matches("->  ").starts_with("Sort")) => {
            "a sort"
        }
        Backend::Postgres if text.lines().any(|l| l.trim_start().starts_with("Filter:") && l.contains("ROW(")) => {
            "the keyset as a filter"
        }
        _ => return None,
    };
    Some(format!("{problem} in\n{text}"))
}
