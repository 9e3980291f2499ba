//! Ability words: `cast <ability> [target name or id | x y]` and `abilities` (the list with
//! cooldowns). `interrupt` is with the work words (`craft.rs`): it stops casts too.

use bevy_ecs::prelude::*;
use emberkeep_components::abilities::AbilityKind;
use emberkeep_components::map::Tile;
use emberkeep_components::mobs::Mob;
use emberkeep_components::protocol::ErrorCode;
use emberkeep_components::text::{Text, keys};
use emberkeep_components::world::{DisplayName, NetId, Position};

use crate::game::abilities;
use crate::text::{render, say_error, say_error_text, say_info};

/// How far (tiles) a target named in a `cast` line may stand.
const NAMING_RANGE: i32 = 16;

/// Runs an ability word; false when `verb` is not one.
pub(super) fn run(world: &mut World, e: Entity, verb: &str, rest: &str) -> bool {
    match verb {
        "cast" => cast(world, e, rest),
        "abilities" | "spells" => list(world, e),
        _ => return false,
    }
    true
}

/// `cast firebolt rat`, `cast heal Bob`, `cast meteor 10 12`, `cast barrier`.
fn cast(world: &mut World, e: Entity, rest: &str) {
    let mut words = rest.split_whitespace();
    let Some(ability) = words.next().map(str::to_ascii_lowercase) else {
        return say_error(world, e, ErrorCode::BadField, keys::ABILITY_USAGE_CAST, &[]);
    };
    let aim: Vec<&str> = words.collect();
    let numbers: Vec<i32> = aim.iter().filter_map(|w| w.parse().ok()).collect();
    let (target, tile) = match (aim.len(), numbers.as_slice()) {
        (0, _) => (None, None),
        (2, [x, y]) => (None, Some(Tile { x: *x, y: *y })),
        _ => match named(world, e, &aim.join(" ")) {
            Ok(id) => (Some(id), None),
            Err(text) => return say_error_text(world, e, ErrorCode::BadTarget, &text),
        },
    };
    abilities::cast(world, e, &ability, target, tile);
}

/// The creature within [`NAMING_RANGE`] best matching `query` (an id, a name, a template).
fn named(world: &mut World, e: Entity, query: &str) -> Result<u64, Text> {
    let here = world
        .get::<Position>(e)
        .map(|p| p.0)
        .ok_or(Text::new(keys::NOWHERE))?;
    let mut q = world.query::<(&NetId, &DisplayName, &Position, Option<&Mob>)>();
    q.iter(world)
        .filter(|(.., p, _)| p.0.distance(here) <= NAMING_RANGE)
        .map(|(id, n, p, m)| {
            let template = m.map_or("", |m| m.template.as_str());
            let score = super::text::matches(query, id.0, &n.0, template);
            (score, p.0.distance(here), id.0)
        })
        .filter(|(score, ..)| *score > 0)
        .min_by_key(|(score, d, id)| (std::cmp::Reverse(*score), *d, *id))
        .map(|(.., id)| id)
        .ok_or_else(|| Text::new(keys::COMMAND_NOT_NEARBY).arg("query", format!("{query:?}")))
}

/// `abilities`: every ability of the class, with what it costs and when it is ready.
fn list(world: &mut World, e: Entity) {
    let views = abilities::views(world, e);
    if views.is_empty() {
        return say_info(world, e, keys::ABILITY_NONE, &[]);
    }
    let mut parts = Vec::with_capacity(views.len());
    for v in &views {
        let part = if !v.learned {
            render(
                world,
                e,
                keys::ABILITY_ENTRY_LOCKED,
                &[("name", &v.name), ("id", &v.id), ("level", &v.level)],
            )
        } else if v.kind == AbilityKind::Passive {
            render(
                world,
                e,
                keys::ABILITY_ENTRY_PASSIVE,
                &[("name", &v.name), ("id", &v.id)],
            )
        } else {
            let state = if v.ready_in == 0 {
                render(world, e, keys::ABILITY_READY, &[])
            } else {
                render(world, e, keys::ABILITY_WAITING, &[("ticks", &v.ready_in)])
            };
            render(
                world,
                e,
                keys::ABILITY_ENTRY,
                &[
                    ("name", &v.name),
                    ("id", &v.id),
                    ("mana", &v.mana),
                    ("state", &state),
                ],
            )
        };
        parts.push(part);
    }
    let list = parts.join(", ");
    say_info(world, e, keys::ABILITY_LIST, &[("list", &list)]);
}
