//! Turns a client's text frame into a [`ClientMsg`], or into an error event that says what
//! was wrong with it (as a [`Text`], rendered in the client's language by the world thread).
//! Also reads the `locale` some messages carry.

use emberkeep_components::protocol::{
    ClientMsg, ErrorCode, LOCALE_KINDS, LocaleField, version_problem,
};
use emberkeep_components::text::{Text, keys};
use serde_json::Value;

/// Longest name a `hello` may carry before the world even looks at it, in bytes.
const MAX_NAME_BYTES: usize = 64;

/// Decodes one text frame.
pub fn decode(text: &str) -> Result<ClientMsg, (ErrorCode, Text)> {
    match serde_json::from_str::<ClientMsg>(text) {
        Ok(msg) => check_ranges(msg),
        Err(e) => Err(classify(text, e)),
    }
}

/// The `locale` of a `hello`, `login`, `register` or `resume` frame, decoded as `decoded`
/// (the frame is parsed again only for those, or for a frame that did not decode).
pub fn locale_of(text: &str, decoded: Option<&ClientMsg>) -> Option<String> {
    if decoded.is_some_and(|msg| !LOCALE_KINDS.contains(&msg.kind())) {
        return None;
    }
    let field: LocaleField = serde_json::from_str(text).ok()?;
    field
        .locale
        .filter(|_| LOCALE_KINDS.contains(&field.kind.as_str()))
}

fn check_ranges(msg: ClientMsg) -> Result<ClientMsg, (ErrorCode, Text)> {
    if let ClientMsg::Hello { version, .. } = &msg
        && let Some(text) = version_problem(*version)
    {
        return Err((ErrorCode::VersionMismatch, text));
    }
    if let ClientMsg::Hello {
        name: Some(name), ..
    } = &msg
        && name.len() > MAX_NAME_BYTES
    {
        let text = Text::new(keys::PROTOCOL_NAME_TOO_LONG)
            .arg("bytes", name.len())
            .arg("max", emberkeep_components::limits::NAME_LEN.end());
        return Err((ErrorCode::BadName, text));
    }
    Ok(msg)
}

/// Works out why a frame did not decode (only on the error path, so the extra parse is free
/// for well-behaved clients).
fn classify(text: &str, typed_error: serde_json::Error) -> (ErrorCode, Text) {
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            return (
                ErrorCode::BadJson,
                Text::new(keys::PROTOCOL_BAD_JSON).arg("error", e),
            );
        }
    };
    let expected = ClientMsg::KINDS.join(", ");
    let Some(obj) = value.as_object() else {
        return (ErrorCode::BadField, Text::new(keys::PROTOCOL_NOT_AN_OBJECT));
    };
    match obj.get("type") {
        None => (
            ErrorCode::UnknownType,
            Text::new(keys::PROTOCOL_NO_TYPE).arg("expected", expected),
        ),
        Some(Value::String(t)) if !ClientMsg::KINDS.contains(&t.as_str()) => (
            ErrorCode::UnknownType,
            Text::new(keys::PROTOCOL_UNKNOWN_TYPE)
                .arg("type", format!("{t:?}"))
                .arg("expected", expected),
        ),
        Some(Value::String(t)) => (
            ErrorCode::BadField,
            Text::new(keys::PROTOCOL_BAD_MESSAGE)
                .arg("type", format!("{t:?}"))
                .arg("error", typed_error),
        ),
        Some(other) => (
            ErrorCode::UnknownType,
            Text::new(keys::PROTOCOL_TYPE_NOT_STRING).arg("got", other),
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
        assert_eq!(
            code(r#"{"type":"hello","version":2,"name":"Ann"}"#),
            ErrorCode::VersionMismatch
        );
    }

    #[test]
    fn messages_name_the_problem() {
        let english = crate::assets::shipped_locales();
        let message = |frame: &str| english.render_text("en", &decode(frame).unwrap_err().1);
        let msg = message(r#"{"type":"move","x":"a","y":1}"#);
        assert!(
            msg.contains("move") && msg.contains("invalid type"),
            "{msg}"
        );
        let msg = message(r#"{"type":"fly"}"#);
        assert!(
            msg.contains("fly") && msg.contains("hello, register"),
            "{msg}"
        );
        let msg = message(r#"{"type":"hello","version":7,"name":"Ann"}"#);
        assert!(
            msg.contains("protocol 1 to 1") && msg.contains("sent 7"),
            "{msg}"
        );
    }

    #[test]
    fn the_locale_is_read_from_the_four_kinds_that_carry_it_even_when_refused() {
        let locale = |frame: &str| locale_of(frame, decode(frame).as_ref().ok());
        assert_eq!(
            locale(r#"{"type":"hello","version":1,"locale":"de"}"#).as_deref(),
            Some("de")
        );
        assert_eq!(
            locale(r#"{"type":"hello","version":99,"locale":"de"}"#).as_deref(),
            Some("de"),
            "a refused hello still names the language of its refusal"
        );
        assert_eq!(
            locale(r#"{"type":"login","username":5,"locale":"de"}"#).as_deref(),
            Some("de")
        );
        assert_eq!(locale(r#"{"type":"say","text":"hi","locale":"de"}"#), None);
        assert_eq!(locale(r#"{"type":"hello","version":1}"#), None);
        assert_eq!(locale(r#"{"type":"hello","version":1,"locale":7}"#), None);
        assert_eq!(locale("not json"), None);
    }
}
