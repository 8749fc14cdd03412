//! What the project's JSON condition languages share: the chart rules of
//! `bazi-rules` and the desk rules of `fengshui` are each a JSON object with
//! one key per condition, compiled once into a typed tree, and a bad node is
//! refused with its JSON path (`$.all[1].item_in_cell.cell`) and the kind of
//! mistake. Each language keeps its own vocabulary and tree; this crate holds
//! the error type and the structural checks, so both refuse alike.

use serde_json::{Map, Value};

/// What was wrong with a refused node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CompileErrorKind {
    /// A key the language does not know (a condition name or a field).
    UnknownKey,
    /// A required field is absent.
    MissingKey,
    /// The value has the wrong JSON type (a number where a string is expected, …).
    WrongType,
    /// The value has the right type but cannot be meant: an unknown name, an
    /// empty list, a count out of range, …
    ImpossibleValue,
}

impl CompileErrorKind {
    /// Stable machine name: `unknown_key`, `missing_key`, `wrong_type`, `impossible_value`.
    pub const fn as_str(self) -> &'static str {
        match self {
            CompileErrorKind::UnknownKey => "unknown_key",
            CompileErrorKind::MissingKey => "missing_key",
            CompileErrorKind::WrongType => "wrong_type",
            CompileErrorKind::ImpossibleValue => "impossible_value",
        }
    }
}

/// A condition refused by a compiler.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct CompileError {
    /// JSON path of the bad node, e.g. `$.all[2].element_count.op`.
    pub path: String,
    /// What kind of mistake it is.
    pub kind: CompileErrorKind,
    /// What was expected, in words.
    pub message: String,
}

/// The result of compiling a node.
pub type Compiled<T> = Result<T, CompileError>;

/// Refuses the node at `path`.
pub fn fail<T>(kind: CompileErrorKind, path: &str, message: impl Into<String>) -> Compiled<T> {
    Err(CompileError {
        path: path.to_owned(),
        kind,
        message: message.into(),
    })
}

/// The JSON type of a value, for messages ("a number").
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Refuses `v` at `path` for having the wrong JSON type.
pub fn wrong_type<T>(v: &Value, path: &str, expected: &str) -> Compiled<T> {
    fail(
        CompileErrorKind::WrongType,
        path,
        format!("expected {expected}; found {}", type_name(v)),
    )
}

/// `path.key`, or `path["key"]` for a key that is not an identifier.
pub fn child(path: &str, key: &str) -> String {
    let ident = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ident {
        format!("{path}.{key}")
    } else {
        format!("{path}[{}]", Value::String(key.to_owned()))
    }
}

/// `path[i]`.
pub fn item(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

/// Refuses a condition name the language does not have, listing `known`.
pub fn unknown_condition<T>(path: &str, key: &str, known: &[&str]) -> Compiled<T> {
    fail(
        CompileErrorKind::UnknownKey,
        path,
        format!("unknown condition {key:?}; known: {}", known.join(", ")),
    )
}

/// A non-empty array of conditions (`all`, `any`), each compiled by
/// `compile` at its own path.
pub fn conditions<T>(
    v: &Value,
    path: &str,
    compile: impl Fn(&Value, &str) -> Compiled<T>,
) -> Compiled<Vec<T>> {
    let Some(items) = v.as_array() else {
        return wrong_type(v, path, "a non-empty array of conditions");
    };
    if items.is_empty() {
        return fail(
            CompileErrorKind::ImpossibleValue,
            path,
            "an empty list of conditions means nothing; give at least one",
        );
    }
    items
        .iter()
        .enumerate()
        .map(|(i, c)| compile(c, &item(path, i)))
        .collect()
}

/// The argument object of a condition, with its keys checked against `allowed`.
pub fn object<'v>(v: &'v Value, path: &str, allowed: &[&str]) -> Compiled<&'v Map<String, Value>> {
    let Some(map) = v.as_object() else {
        return wrong_type(
            v,
            path,
            &format!("an object with the fields {}", allowed.join(", ")),
        );
    };
    if let Some(k) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
        return fail(
            CompileErrorKind::UnknownKey,
            &child(path, k),
            format!("unknown field {k:?}; allowed: {}", allowed.join(", ")),
        );
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_quote_keys_that_are_not_identifiers() {
        assert_eq!(child("$", "all"), "$.all");
        assert_eq!(child("$", "1x"), "$[\"1x\"]");
        assert_eq!(child("$.a", "天干"), "$.a[\"天干\"]");
        assert_eq!(item("$.all", 2), "$.all[2]");
    }

    #[test]
    fn structural_refusals_name_the_node_and_the_kind() {
        let err = object(&json!({"cell": 1, "x": 2}), "$.n", &["cell"]).unwrap_err();
        assert_eq!(
            (err.path.as_str(), err.kind),
            ("$.n.x", CompileErrorKind::UnknownKey)
        );
        let err = object(&json!(3), "$.n", &["cell"]).unwrap_err();
        assert_eq!(err.kind, CompileErrorKind::WrongType);
        assert_eq!(
            err.to_string(),
            "$.n: expected an object with the fields cell; found a number"
        );
        let compile = |v: &Value, p: &str| match v {
            Value::Bool(b) => Ok(*b),
            other => wrong_type(other, p, "a boolean"),
        };
        let err = conditions(&json!([]), "$.all", compile).unwrap_err();
        assert_eq!(err.kind, CompileErrorKind::ImpossibleValue);
        let err = conditions(&json!([true, "x"]), "$.all", compile).unwrap_err();
        assert_eq!(err.path, "$.all[1]");
        assert_eq!(
            conditions(&json!([true, false]), "$.all", compile),
            Ok(vec![true, false])
        );
        let err = unknown_condition::<()>("$", "zz", &["all", "any"]).unwrap_err();
        assert_eq!(err.message, "unknown condition \"zz\"; known: all, any");
    }
}
