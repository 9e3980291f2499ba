//! What a player may type in: character names, usernames and passwords, and the class a new
//! character gets when none is asked for.

use bevy_ecs::prelude::*;
use emberkeep_components::content::GameContent;

pub(crate) use emberkeep_components::limits::NAME_LEN;
/// Shortest and longest username.
pub(crate) const USERNAME_LEN: std::ops::RangeInclusive<usize> = 3..=20;
/// Shortest and longest password.
pub(crate) const PASSWORD_LEN: std::ops::RangeInclusive<usize> = 8..=128;

/// Why a character name is refused, if it is.
pub(crate) fn name_problem(name: &str) -> Option<String> {
    let len = name.chars().count();
    if !NAME_LEN.contains(&len) {
        return Some(format!(
            "names are {} to {} characters long; {name:?} has {len}",
            NAME_LEN.start(),
            NAME_LEN.end()
        ));
    }
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Some(format!("names start with a letter; {name:?} does not"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
    {
        return Some(format!(
            "names use letters, digits, '_' and '-'; {c:?} is not allowed"
        ));
    }
    None
}

/// Why a username is refused, if it is.
pub(crate) fn username_problem(name: &str) -> Option<String> {
    let len = name.chars().count();
    if !USERNAME_LEN.contains(&len) {
        return Some(format!(
            "usernames are {} to {} characters; this one has {len}",
            USERNAME_LEN.start(),
            USERNAME_LEN.end()
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_'))
    {
        return Some(format!(
            "usernames use letters, digits and '_'; {c:?} is not allowed"
        ));
    }
    None
}

/// Why a password is refused, if it is.
pub(crate) fn password_problem(password: &str) -> Option<String> {
    let len = password.chars().count();
    (!PASSWORD_LEN.contains(&len)).then(|| {
        format!(
            "passwords are {} to {} characters; this one has {len}",
            PASSWORD_LEN.start(),
            PASSWORD_LEN.end()
        )
    })
}

/// The class asked for, or the rules' default class when none is; why not, if it is unknown.
pub(crate) fn class_or_default(world: &World, class: Option<String>) -> Result<String, String> {
    let content = world.resource::<GameContent>();
    let class = class.unwrap_or_else(|| content.rules.default_class.clone());
    if content.classes.contains_key(&class) {
        return Ok(class);
    }
    let known: Vec<&str> = content.classes.keys().map(String::as_str).collect();
    Err(format!(
        "there is no class {class:?}; choose one of: {}",
        known.join(", ")
    ))
}
