//! Casts in progress, once a tick (Combat phase, before attacks): a cast breaks off when its
//! caster died (`died`), is stunned (`stunned`) or stepped off its tile (`moved`); at its end
//! tick it completes unless its target is gone (`target_lost`), beyond its range + 1 tile
//! (`out_of_range`) or the caster's mana no longer covers it (`no_mana`). Only casting
//! creatures are looked at. Also: the `abilities` event when a level-up teaches a new one.

use bevy_ecs::prelude::*;
use emberkeep_components::abilities::{AbilitiesKnown, CastTarget, Casting};
use emberkeep_components::combat::Dead;
use emberkeep_components::content::GameContent;
use emberkeep_components::stats::{ClassId, Level, Vitals};
use emberkeep_components::world::{Player, Position, Tick};

use crate::game::abilities::{self, break_off, complete};

/// What becomes of one cast this tick.
enum Outcome {
    Goes,
    Breaks(&'static str),
    Completes(String, CastTarget),
}

/// Breaks off or completes the casts in progress.
pub(crate) fn advance_casts(world: &mut World) {
    let now = world.resource::<Tick>().0;
    let mut casters = world.query_filtered::<(Entity, &Casting, &Position), With<Casting>>();
    let casts: Vec<(Entity, Casting, bool)> = casters
        .iter(world)
        .map(|(e, c, p)| (e, c.clone(), p.0 != c.started_at))
        .collect();
    for (e, cast, moved) in casts {
        match outcome(world, e, &cast, moved, now) {
            Outcome::Goes => {}
            Outcome::Breaks(reason) => break_off(world, e, reason),
            Outcome::Completes(ability, aim) => complete(world, e, &ability, aim),
        }
    }
}

fn outcome(world: &World, e: Entity, cast: &Casting, moved: bool, now: u64) -> Outcome {
    let dead = world.get::<Dead>(e).is_some() || world.get::<Vitals>(e).is_none_or(|v| v.hp <= 0);
    if dead {
        return Outcome::Breaks("died");
    }
    if abilities::stunned(world, e) {
        return Outcome::Breaks("stunned");
    }
    if moved {
        return Outcome::Breaks("moved");
    }
    if now < cast.ends_at {
        return Outcome::Goes;
    }
    let content = world.resource::<GameContent>();
    let Some(def) = content.abilities.get(&cast.ability) else {
        return Outcome::Breaks("interrupted");
    };
    if !abilities::still_valid(world, e, def, cast.target) {
        return Outcome::Breaks("target_lost");
    }
    if abilities::in_range(world, e, def, cast.target, 1).is_err() {
        return Outcome::Breaks("out_of_range");
    }
    let is_player = world.get::<Player>(e).is_some();
    if is_player && world.get::<Vitals>(e).is_none_or(|v| v.mp < def.mana) {
        return Outcome::Breaks("no_mana");
    }
    Outcome::Completes(cast.ability.clone(), cast.target)
}

/// Sends the `abilities` event to players whose new level taught them an ability.
pub(crate) fn announce_learned(
    content: Res<GameContent>,
    players: Query<(Entity, &Level, &ClassId, &AbilitiesKnown), (With<Player>, Changed<Level>)>,
    mut commands: Commands,
) {
    for (e, level, class, known) in &players {
        if level.0 <= known.0 {
            continue;
        }
        let taught = content.abilities.values().any(|d| {
            d.class.as_deref() == Some(class.0.as_str()) && d.level > known.0 && d.level <= level.0
        });
        if taught {
            commands.queue(move |world: &mut World| abilities::send_abilities(world, e));
        } else {
            commands.entity(e).insert(AbilitiesKnown(level.0));
        }
    }
}
