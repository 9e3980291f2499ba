//! What a player may type in: character names, usernames and passwords, and the class a new
//! character gets when none is asked for. A refusal is a [`Text`], rendered in the reader's
//! language when it is sent.

use bevy_ecs::prelude::*;
use emberkeep_components::content::GameContent;
use emberkeep_components::text::{Text, keys};

pub(crate) use emberkeep_components::limits::NAME_LEN;
/// Shortest and longest username.
pub(crate) const USERNAME_LEN: std::ops::RangeInclusive<usize> = 3..=20;
/// Shortest and longest password.
pub(crate) const PASSWORD_LEN: std::ops::RangeInclusive<usize> = 8..=128;

/// Why a character name is refused, if it is.
pub(crate) fn name_problem(name: &str) -> Option<Text> {
    let len = name.chars().count();
    if !NAME_LEN.contains(&len) {
        return Some(
            Text::new(keys::NAME_LENGTH)
                .arg("min", NAME_LEN.start())
                .arg("max", NAME_LEN.end())
                .arg("name", format!("{name:?}"))
                .arg("len", len),
        );
    }
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Some(Text::new(keys::NAME_FIRST_LETTER).arg("name", format!("{name:?}")));
    }
    name.chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
        .map(|c| Text::new(keys::NAME_CHARACTER).arg("char", format!("{c:?}")))
}

/// Why a username is refused, if it is.
pub(crate) fn username_problem(name: &str) -> Option<Text> {
    let len = name.chars().count();
    if !USERNAME_LEN.contains(&len) {
        return Some(
            Text::new(keys::NAME_USERNAME_LENGTH)
                .arg("min", USERNAME_LEN.start())
                .arg("max", USERNAME_LEN.end())
                .arg("len", len),
        );
    }
    name.chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_'))
        .map(|c| Text::new(keys::NAME_USERNAME_CHARACTER).arg("char", format!("{c:?}")))
}

/// Why a password is refused, if it is.
pub(crate) fn password_problem(password: &str) -> Option<Text> {
    let len = password.chars().count();
    (!PASSWORD_LEN.contains(&len)).then(|| {
        Text::new(keys::NAME_PASSWORD_LENGTH)
            .arg("min", PASSWORD_LEN.start())
            .arg("max", PASSWORD_LEN.end())
            .arg("len", len)
    })
}

/// The class asked for, or the rules' default class when none is; why not, if it is unknown.
pub(crate) fn class_or_default(world: &World, class: Option<String>) -> Result<String, Text> {
    let content = world.resource::<GameContent>();
    let class = class.unwrap_or_else(|| content.rules.default_class.clone());
    if content.classes.contains_key(&class) {
        return Ok(class);
    }
    let known: Vec<&str> = content.classes.keys().map(String::as_str).collect();
    Err(Text::new(keys::CHARACTER_UNKNOWN_CLASS)
        .arg("class", format!("{class:?}"))
        .arg("classes", known.join(", ")))
}
