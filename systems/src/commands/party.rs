//! Text commands for parties: `party invite|kick|lead <player>`, `party accept`,
//! `party leave`, `party` (the members, as text) and party chat, `p <text>` or `/p <text>`.
//! They do what the typed `party_*` messages and `channel_say` with channel `party` do.

#![deny(clippy::arithmetic_side_effects)]

use bevy_ecs::prelude::*;
use emberkeep_components::protocol::ErrorCode;
use emberkeep_components::social::PARTY_CHANNEL;
use emberkeep_components::text::keys;

use crate::game::{channels, party};
use crate::text::say_error;

/// Runs a party command, or returns `false` if `verb` is not one.
pub(crate) fn run(world: &mut World, e: Entity, verb: &str, rest: &str) -> bool {
    match verb {
        "p" => channels::channel_say(world, e, PARTY_CHANNEL, rest),
        "party" => {
            let (word, name) = rest
                .split_once(char::is_whitespace)
                .map_or((rest, ""), |(w, n)| (w, n.trim()));
            match (word.to_ascii_lowercase().as_str(), name) {
                ("", _) => party::list(world, e),
                ("accept", "") => party::accept(world, e),
                ("leave", "") => party::leave(world, e),
                ("invite", n) if !n.is_empty() => party::invite(world, e, n),
                ("kick", n) if !n.is_empty() => party::kick(world, e, n),
                ("lead", n) if !n.is_empty() => party::lead(world, e, n),
                _ => say_error(world, e, ErrorCode::UnknownCommand, keys::PARTY_USAGE, &[]),
            }
        }
        _ => return false,
    }
    true
}
