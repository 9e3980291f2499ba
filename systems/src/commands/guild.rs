//! Guild text commands: `guild` (the roster), `guild create <name>`, `guild invite <player>`,
//! `guild accept`, `guild leave`, `guild kick <player>`, `guild promote|demote <player>`,
//! `guild leader <player>`, `guild disband`, and `/gc <text>` for guild chat. They do what
//! the typed `guild_*` messages do.

use bevy_ecs::prelude::*;
use emberkeep_components::guild::GuildRank;
use emberkeep_components::protocol::ErrorCode;
use emberkeep_components::text::keys;

use crate::game::guild;
use crate::text::say_error;

/// Runs a guild command, or returns `false` if `verb` is not one.
pub(crate) fn run(world: &mut World, e: Entity, verb: &str, rest: &str) -> bool {
    match verb {
        "guild" => sub(world, e, rest),
        "gc" | "gchat" => guild::chat(world, e, rest),
        _ => return false,
    }
    true
}

/// `guild <word> [argument]`.
fn sub(world: &mut World, e: Entity, rest: &str) {
    let (word, arg) = match rest.split_once(char::is_whitespace) {
        Some((w, a)) => (w.to_ascii_lowercase(), a.trim()),
        None => (rest.to_ascii_lowercase(), ""),
    };
    match (word.as_str(), arg.is_empty()) {
        ("" | "info" | "roster", _) => guild::roster(world, e),
        ("create" | "found", false) => guild::create(world, e, arg),
        ("invite", false) => guild::invite(world, e, arg),
        ("accept" | "join", true) => guild::accept(world, e),
        ("leave" | "quit", true) => guild::leave(world, e),
        ("kick" | "remove", false) => guild::kick(world, e, arg),
        ("promote", false) => guild::set_rank(world, e, arg, GuildRank::Officer),
        ("demote", false) => guild::set_rank(world, e, arg, GuildRank::Member),
        ("leader" | "lead", false) => guild::set_rank(world, e, arg, GuildRank::Leader),
        ("disband", true) => guild::disband(world, e),
        _ => say_error(world, e, ErrorCode::UnknownCommand, keys::GUILD_USAGE, &[]),
    }
}
