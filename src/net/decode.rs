//! Turns a client's text frame into a [`ClientMsg`], or into an error event that says what
//! was wrong with it (as a [`Text`], rendered in the client's language by the world thread).
//! Also reads the language a client asks for: the `locale` some messages carry, and the
//! `Accept-Language` header of its handshake.

use emberkeep_components::protocol::{
    ClientMsg, ErrorCode, LOCALE_KINDS, LocaleField, version_problem,
};
use emberkeep_components::text::{Locales, Text, keys, normalize_tag};
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

/// Most languages of an `Accept-Language` header looked at: a browser sends a handful.
const MAX_ACCEPTED_LANGUAGES: usize = 16;

/// The language an `Accept-Language` header (`de-CH, de;q=0.9, en;q=0.8`) asks for that
/// `locales` has: the one with the highest weight (the first among equals), or `None` when it
/// names none the server has (or is not a header of that form). `*` and weight 0 never pick.
pub fn accept_language(header: &str, locales: &Locales) -> Option<String> {
    let mut best: Option<(f32, String)> = None;
    for entry in header.split(',').take(MAX_ACCEPTED_LANGUAGES) {
        let mut parts = entry.split(';');
        let Some(tag) = parts.next().and_then(normalize_tag) else {
            continue;
        };
        let weight = parts
            .find_map(|p| p.trim().strip_prefix("q="))
            .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())
            .filter(|q| (0.0..=1.0).contains(q) && *q > 0.0);
        if let Some(weight) = weight
            && locales.has(&tag)
            && best.as_ref().is_none_or(|(w, _)| weight > *w)
        {
            best = Some((weight, tag));
        }
    }
    best.map(|(_, tag)| tag)
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
    fn accept_language_picks_the_weightiest_language_the_server_has() {
        let locales = crate::assets::shipped_locales();
        let pick = |header: &str| accept_language(header, &locales);
        assert_eq!(pick("de-DE,de;q=0.9,en;q=0.8").as_deref(), Some("de-de"));
        assert_eq!(
            pick("fr-FR, fr;q=0.9, de;q=0.7, en;q=0.5").as_deref(),
            Some("de")
        );
        assert_eq!(
            pick("en;q=0.5, de;q=0.8").as_deref(),
            Some("de"),
            "weight, not order"
        );
        assert_eq!(
            pick("en, de").as_deref(),
            Some("en"),
            "the first among equals"
        );
        assert_eq!(
            pick("de;q=0, en;q=0.1").as_deref(),
            Some("en"),
            "q=0 means not this one"
        );
        assert_eq!(pick("fr, ja"), None, "none the server has");
        assert_eq!(pick("*"), None);
        assert_eq!(pick("de;q=abc"), None, "a weight that is no number");
        assert_eq!(pick(""), None);
        assert_eq!(pick(&"x,".repeat(10_000)), None);
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
