//! Text commands for duels: `duel <player>` (challenge, or accept their challenge) and
//! `duel cancel` (withdraw, decline or forfeit). They do what the typed messages do.

use bevy_ecs::prelude::*;
use emberkeep_components::protocol::ErrorCode;
use emberkeep_components::text::keys;

use crate::game::duel;
use crate::text::say_error;

/// Runs `duel ...` (`rest` is what follows the verb).
pub(crate) fn run(world: &mut World, e: Entity, rest: &str) {
    match rest.to_ascii_lowercase().as_str() {
        "" => say_error(world, e, ErrorCode::UnknownCommand, keys::DUEL_USAGE, &[]),
        "cancel" | "forfeit" | "decline" | "yield" => duel::cancel(world, e),
        _ if rest.contains(char::is_whitespace) => {
            say_error(world, e, ErrorCode::UnknownCommand, keys::DUEL_USAGE, &[])
        }
        _ => duel::request(world, e, rest),
    }
}
