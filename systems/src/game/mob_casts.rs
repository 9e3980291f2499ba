//! Ai phase, after `ai::think`: mobs whose template lists `abilities` cast them. A mob with
//! a target casts the first of its abilities that is off cooldown and reaches the target
//! (self abilities always reach), one cast at a time; stunned mobs do not cast. Mobs have no
//! mana: an ability's cost is ignored for them. Only mobs that have abilities carry
//! [`Cooldowns`], so the query never sees the others.

use bevy_ecs::prelude::*;
use emberkeep_components::abilities::{CastTarget, Casting, Cooldowns, Stunned, TargetKind};
use emberkeep_components::combat::Target;
use emberkeep_components::content::GameContent;
use emberkeep_components::mobs::{Mind, Mob};
use emberkeep_components::stats::Vitals;
use emberkeep_components::world::{Position, Tick};

use crate::game::abilities;

/// Picks the casts of mobs that fight and queues them.
pub(crate) fn mob_casts(
    tick: Res<Tick>,
    content: Res<GameContent>,
    casters: Query<
        (Entity, &Mind, &Target, &Position, &Cooldowns, &Vitals),
        (With<Mob>, Without<Casting>, Without<Stunned>),
    >,
    positions: Query<&Position>,
    mut commands: Commands,
) {
    for (e, mind, target, pos, cooldowns, vitals) in &casters {
        let Some(t) = target.0 else { continue };
        if vitals.hp <= 0 {
            continue;
        }
        let Ok(at) = positions.get(t) else { continue };
        let distance = pos.0.distance(at.0);
        let pick = mind.def.abilities.iter().find(|id| {
            content.abilities.get(*id).is_some_and(|d| {
                cooldowns.left(id, tick.0) == 0
                    && (d.target_kind() == TargetKind::Myself
                        || d.target_kind() == TargetKind::Ally
                        || distance <= d.range)
            })
        });
        let Some(ability) = pick.cloned() else {
            continue;
        };
        commands.queue(move |world: &mut World| cast(world, e, &ability, t));
    }
}

/// A mob casts `ability` at (or, for self and ally ones, around) its target `t`.
fn cast(world: &mut World, e: Entity, ability: &str, t: Entity) {
    let content = world.resource::<GameContent>().clone();
    let Some(def) = content.abilities.get(ability) else {
        return;
    };
    let aim = match def.target_kind() {
        TargetKind::Myself | TargetKind::Ally => CastTarget::Myself,
        TargetKind::Enemy => CastTarget::Creature(t),
        TargetKind::Ground => match world.get::<Position>(t) {
            Some(p) => CastTarget::Ground(p.0),
            None => return,
        },
    };
    if !abilities::still_valid(world, e, def, aim)
        || abilities::in_range(world, e, def, aim, 0).is_err()
    {
        return;
    }
    abilities::begin(world, e, ability, aim);
}
