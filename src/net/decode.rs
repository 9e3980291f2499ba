//! Turns a client's text frame into a [`ClientMsg`], or into an error event that says what
//! was wrong with it.

use emberkeep_components::protocol::{ClientMsg, ErrorCode};
use serde_json::Value;

/// Longest name a `hello` may carry before the world even looks at it, in bytes.
const MAX_NAME_BYTES: usize = 64;

/// Decodes one text frame.
pub fn decode(text: &str) -> Result<ClientMsg, (ErrorCode, String)> {
    match serde_json::from_str::<ClientMsg>(text) {
        Ok(msg) => check_ranges(msg),
        Err(e) => Err(classify(text, e)),
    }
}

fn check_ranges(msg: ClientMsg) -> Result<ClientMsg, (ErrorCode, String)> {
    if let ClientMsg::Hello {
        name: Some(name), ..
    } = &msg
        && name.len() > MAX_NAME_BYTES
    {
        return Err((
            ErrorCode::BadName,
            format!(
                "name is {} bytes; names are at most 16 characters",
                name.len()
            ),
        ));
    }
    Ok(msg)
}

/// Works out why a frame did not decode (only on the error path, so the extra parse is free
/// for well-behaved clients).
fn classify(text: &str, typed_error: serde_json::Error) -> (ErrorCode, String) {
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => return (ErrorCode::BadJson, format!("frame is not valid JSON: {e}")),
    };
    let expected = ClientMsg::KINDS.join(", ");
    let Some(obj) = value.as_object() else {
        return (
            ErrorCode::BadField,
            "a message is a JSON object with a \"type\" field".into(),
        );
    };
    match obj.get("type") {
        None => (
            ErrorCode::UnknownType,
            format!("message has no \"type\"; expected one of: {expected}"),
        ),
        Some(Value::String(t)) if !ClientMsg::KINDS.contains(&t.as_str()) => (
            ErrorCode::UnknownType,
            format!("unknown message type {t:?}; expected one of: {expected}"),
        ),
        Some(Value::String(t)) => (
            ErrorCode::BadField,
            format!("bad {t:?} message: {typed_error}"),
        ),
        Some(other) => (
            ErrorCode::UnknownType,
            format!("\"type\" must be a string, got {other}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str) -> ErrorCode {
        decode(text).unwrap_err().0
    }

    #[test]
    fn each_kind_of_bad_frame_gets_its_own_code() {
        assert_eq!(code("hello there"), ErrorCode::BadJson);
        assert_eq!(code("[1,2]"), ErrorCode::BadField);
        assert_eq!(code(r#"{"x":1}"#), ErrorCode::UnknownType);
        assert_eq!(code(r#"{"type":"fly"}"#), ErrorCode::UnknownType);
        assert_eq!(code(r#"{"type":7}"#), ErrorCode::UnknownType);
        assert_eq!(
            code(r#"{"type":"move","x":"a","y":1}"#),
            ErrorCode::BadField
        );
        assert_eq!(code(r#"{"type":"move","x":1}"#), ErrorCode::BadField);
        assert_eq!(
            code(r#"{"type":"move","x":99999999999,"y":1}"#),
            ErrorCode::BadField
        );
        let long = format!(
            r#"{{"type":"hello","version":1,"name":"{}"}}"#,
            "a".repeat(100)
        );
        assert_eq!(code(&long), ErrorCode::BadName);
    }

    #[test]
    fn messages_name_the_problem() {
        let (_, msg) = decode(r#"{"type":"move","x":"a","y":1}"#).unwrap_err();
        assert!(
            msg.contains("move") && msg.contains("invalid type"),
            "{msg}"
        );
        let (_, msg) = decode(r#"{"type":"fly"}"#).unwrap_err();
        assert!(
            msg.contains("fly") && msg.contains("hello, register"),
            "{msg}"
        );
    }
}
