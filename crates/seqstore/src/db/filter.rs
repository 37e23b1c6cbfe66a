//! A `WHERE` clause built at run time with `$n` placeholders, which both backends understand
//! (sqlx's own `QueryBuilder` writes `?` for the `Any` driver, which PostgreSQL rejects).

use sqlx::Any;
use sqlx::any::AnyArguments;
use sqlx::query::Query;

/// A value bound to a placeholder.
#[derive(Debug, Clone)]
enum Arg {
    Text(String),
    Int(i64),
}

/// Conditions joined with `AND`, with their bound values.
#[derive(Debug, Default)]
pub struct Filter {
    conditions: Vec<String>,
    args: Vec<Arg>,
}

impl Filter {
    fn placeholder(&mut self, arg: Arg) -> String {
        self.args.push(arg);
        format!("${}", self.args.len())
    }

    /// `column = value`.
    pub fn text_eq(&mut self, column: &str, value: &str) -> &mut Self {
        let p = self.placeholder(Arg::Text(value.to_owned()));
        self.conditions.push(format!("{column} = {p}"));
        self
    }

    /// `column IS NULL`.
    pub fn is_null(&mut self, column: &str) -> &mut Self {
        self.conditions.push(format!("{column} IS NULL"));
        self
    }

    /// `column = value` when `value` is given.
    pub fn text_eq_opt(&mut self, column: &str, value: Option<&str>) -> &mut Self {
        if let Some(value) = value {
            self.text_eq(column, value);
        }
        self
    }

    /// `column >= value` when `value` is given.
    pub fn int_at_least(&mut self, column: &str, value: Option<i64>) -> &mut Self {
        if let Some(value) = value {
            let p = self.placeholder(Arg::Int(value));
            self.conditions.push(format!("{column} >= {p}"));
        }
        self
    }

    /// `column < value` when `value` is given.
    pub fn int_below(&mut self, column: &str, value: Option<i64>) -> &mut Self {
        if let Some(value) = value {
            let p = self.placeholder(Arg::Int(value));
            self.conditions.push(format!("{column} < {p}"));
        }
        self
    }

    /// Keyset pagination: rows strictly after `(time, id)` in `(time_column, id_column)` order,
    /// written as a row-value comparison so that both backends start an index range scan at the
    /// key (PostgreSQL applied the equivalent `t > $1 OR (t = $1 AND id > $2)` as a filter over
    /// every earlier row: a deep page cost O(depth)).
    pub fn after(&mut self, time_column: &str, id_column: &str, key: Option<&(i64, String)>) -> &mut Self {
        if let Some((time, id)) = key {
            let t = self.placeholder(Arg::Int(*time));
            let i = self.placeholder(Arg::Text(id.clone()));
            self.conditions.push(format!("({time_column}, {id_column}) > ({t}, {i})"));
        }
        self
    }

    /// The lower bound of a keyset list filtered by time: rows strictly after `after` when given,
    /// otherwise rows with `time_column >= from`. A next page's key already satisfies `from` (it is
    /// a row of the previous page), so the row value alone bounds it: both bounds together would
    /// let SQLite start its range at `from` and filter every row up to the key (a deep page of a
    /// `createdAfter` list cost O(depth)). A key before `from` (not a page of this filter) keeps
    /// both.
    pub fn from_or_after(
        &mut self,
        time_column: &str,
        id_column: &str,
        from: Option<i64>,
        after: Option<&(i64, String)>,
    ) -> &mut Self {
        match (from, after) {
            (Some(from), Some((time, _))) if *time < from => {
                self.int_at_least(time_column, Some(from)).after(time_column, id_column, after)
            }
            (_, Some(_)) => self.after(time_column, id_column, after),
            (from, None) => self.int_at_least(time_column, from),
        }
    }

    /// The SQL after `WHERE`, and the number of placeholders used so far.
    pub fn sql(&self) -> String {
        if self.conditions.is_empty() { "TRUE".to_owned() } else { self.conditions.join(" AND ") }
    }

    /// Adds a `LIMIT` placeholder and returns its SQL text.
    pub fn limit(&mut self, limit: i64) -> String {
        format!("LIMIT {}", self.placeholder(Arg::Int(limit)))
    }

    /// Binds every value, in placeholder order, to `query`.
    pub fn bind<'q>(&self, mut query: Query<'q, Any, AnyArguments<'q>>) -> Query<'q, Any, AnyArguments<'q>> {
        for arg in &self.args {
            query = match arg {
                Arg::Text(s) => query.bind(s.clone()),
                Arg::Int(i) => query.bind(*i),
            };
        }
        query
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_placeholders_in_order() {
        let mut f = Filter::default();
        f.text_eq("a", "x").int_at_least("t", Some(1)).int_below("t", None).after("t", "id", Some(&(5, "9".into())));
        let limit = f.limit(10);
        assert_eq!(f.sql(), "a = $1 AND t >= $2 AND (t, id) > ($3, $4)");
        assert_eq!(limit, "LIMIT $5");
    }

    #[test]
    fn a_key_replaces_the_lower_time_bound_it_satisfies() {
        let key = (5, "9".to_owned());
        let sql = |from, after| {
            let mut f = Filter::default();
            f.from_or_after("t", "id", from, after);
            f.sql()
        };
        assert_eq!(sql(Some(3), Some(&key)), "(t, id) > ($1, $2)");
        assert_eq!(sql(None, Some(&key)), "(t, id) > ($1, $2)");
        assert_eq!(sql(Some(3), None), "t >= $1");
        assert_eq!(sql(Some(7), Some(&key)), "t >= $1 AND (t, id) > ($2, $3)");
        assert_eq!(sql(None, None), "TRUE");
    }
}
