//! What a completed cast does (`abilities::complete` calls [`resolve`]): a dash, then
//! damage, healing and an effect on its target or on everyone in its area. Areas look only at
//! the creatures of the regions they touch; damage meets shields first and a duel's last blow
//! is capped at 1 hp (`pvp::cap_duel_damage`).

use bevy_ecs::prelude::*;
use emberkeep_components::abilities::{AbilityDef, CastTarget, DamageFormula, HealFormula};
use emberkeep_components::combat::DamageLog;
use emberkeep_components::content::GameContent;
use emberkeep_components::map::{Tile, TileMap};
use emberkeep_components::protocol::ServerEvent;
use emberkeep_components::pvp::Duels;
use emberkeep_components::regions::RegionGrid;
use emberkeep_components::stats::{Derived, Vitals};
use emberkeep_components::world::{NetId, Position};

use crate::game::abilities::{aim_tile, alive, broadcast_at, friendly, hostile, net_id};
use crate::game::combat::roll_pct;
use crate::game::{effects, pvp};
use crate::rng::WorldRng;

/// What a completed cast does: dash, then damage / heal / effect on each target.
pub(crate) fn resolve(
    world: &mut World,
    e: Entity,
    ability: &str,
    def: &AbilityDef,
    aim: CastTarget,
) {
    if def.dash > 0
        && let Some(to) = aim_tile(world, e, aim)
    {
        dash(
            world,
            e,
            to,
            def.dash,
            matches!(aim, CastTarget::Creature(_)),
        );
    }
    let Some(centre) = aim_tile(world, e, aim) else {
        return;
    };
    let targets = if def.radius > 0 {
        area(world, e, def, centre)
    } else {
        match aim {
            CastTarget::Myself => vec![e],
            CastTarget::Creature(t) => vec![t],
            // A ground ability with no area hits whoever stands on the tile.
            CastTarget::Ground(_) => area(world, e, def, centre),
        }
    };
    for t in targets {
        if let Some(formula) = def.damage {
            deal(world, e, t, ability, formula);
        }
        if let Some(formula) = def.heal {
            heal(world, e, t, ability, formula);
        }
        if let Some(effect) = &def.effect {
            effects::apply_to(world, t, effect, Some(e));
        }
    }
}

/// Everyone the ability may touch within its radius of `centre`, by entity id: only the
/// creatures in the regions the area touches are looked at.
fn area(world: &World, e: Entity, def: &AbilityDef, centre: Tile) -> Vec<Entity> {
    let grid = world.resource::<RegionGrid>();
    let harmful = def.damage.is_some();
    let mut found: Vec<(u64, Entity)> = Vec::new();
    // (+1: a creature that stepped this tick may still be listed in its old region.)
    for r in grid.regions_near(centre, def.radius.saturating_add(1)) {
        for &c in grid.members.get(r as usize).map_or(&[][..], Vec::as_slice) {
            let Some(at) = world.get::<Position>(c).map(|p| p.0) else {
                continue;
            };
            if at.distance(centre) > def.radius {
                continue;
            }
            let fits = if harmful {
                hostile(world, e, c).is_ok()
            } else {
                friendly(world, e, c).is_ok()
            };
            if fits && let Some(id) = world.get::<NetId>(c) {
                found.push((id.0, c));
            }
        }
    }
    found.sort_unstable();
    found.dedup();
    found.into_iter().map(|(_, c)| c).collect()
}

/// Moves `e` up to `tiles` steps in a line toward `to`, stopping at the first blocked tile
/// (and next to a creature it dashes at).
fn dash(world: &mut World, e: Entity, to: Tile, tiles: i32, at_creature: bool) {
    let Some(mut here) = world.get::<Position>(e).map(|p| p.0) else {
        return;
    };
    let start = here;
    let stop = i32::from(at_creature);
    {
        let map = world.resource::<TileMap>();
        for _ in 0..tiles {
            if here.distance(to) <= stop {
                break;
            }
            let next = Tile {
                x: here.x + (to.x - here.x).signum(),
                y: here.y + (to.y - here.y).signum(),
            };
            if !map.is_walkable(next) {
                break;
            }
            here = next;
        }
    }
    if here != start
        && let Some(mut p) = world.get_mut::<Position>(e)
    {
        p.0 = here;
    }
}

/// The damage of `formula` from `caster` to `t` (before any shield), and whether it crit.
fn damage_of(world: &mut World, caster: Entity, t: Entity, formula: DamageFormula) -> (i32, bool) {
    let a = world.get::<Derived>(caster).copied().unwrap_or_default();
    let defense = world.get::<Derived>(t).map_or(0, |d| d.defense);
    let raw = i64::from(formula.base)
        + i64::from(a.attack) * i64::from(formula.attack_pct) / 100
        + i64::from(a.stats.int) * i64::from(formula.int_pct) / 100
        - i64::from(defense) / 2;
    let mut damage = raw.max(1);
    let crit = roll_pct(&mut world.resource_mut::<WorldRng>()) < f64::from(a.crit_pct);
    if crit {
        let pct = world
            .resource::<GameContent>()
            .rules
            .combat
            .crit_multiplier_pct;
        damage = damage.saturating_mul(i64::from(pct)) / 100;
    }
    (i32::try_from(damage).unwrap_or(i32::MAX), crit)
}

/// Deals ability damage to `t`: its shield first, then hp; credited like a melee hit.
fn deal(world: &mut World, caster: Entity, t: Entity, ability: &str, formula: DamageFormula) {
    if !alive(world, t) {
        return;
    }
    let (damage, crit) = damage_of(world, caster, t, formula);
    let through = damage.saturating_sub(effects::shield_hit(world, t, damage));
    let Some(hp) = world.get::<Vitals>(t).map(|v| v.hp) else {
        return;
    };
    let dealt = through.min(hp).max(0);
    // (A duel's last blow leaves 1 hp and ends the duel.)
    let dealt = pvp::cap_duel_damage(&mut world.resource_mut::<Duels>(), caster, t, hp, dealt);
    let Some(mut v) = world.get_mut::<Vitals>(t) else {
        return;
    };
    v.hp -= dealt;
    let hp = v.hp;
    if dealt > 0
        && let Some(mut log) = world.get_mut::<DamageLog>(t)
    {
        *log.by.entry(caster).or_default() += i64::from(dealt);
        log.last = Some(caster);
    }
    let event = ServerEvent::Hit {
        attacker: net_id(world, caster),
        target: net_id(world, t),
        damage: through,
        crit,
        hp,
        ability: Some(ability.to_string()),
    };
    if let Some(at) = world.get::<Position>(t).map(|p| p.0) {
        broadcast_at(world, at, &event);
    }
}

/// Heals `t` by `formula`, up to its max hp.
fn heal(world: &mut World, caster: Entity, t: Entity, ability: &str, formula: HealFormula) {
    if !alive(world, t) {
        return;
    }
    let int = world.get::<Derived>(caster).map_or(0, |d| d.stats.int);
    let amount = i64::from(formula.base) + i64::from(int) * i64::from(formula.int_pct) / 100;
    let Some(mut v) = world.get_mut::<Vitals>(t) else {
        return;
    };
    let room = i64::from(v.max_hp.saturating_sub(v.hp).max(0));
    let healed = i32::try_from(amount.clamp(0, room)).unwrap_or(0);
    v.hp += healed;
    let hp = v.hp;
    let event = ServerEvent::Heal {
        source: net_id(world, caster),
        target: net_id(world, t),
        amount: healed,
        hp,
        ability: Some(ability.to_string()),
    };
    if let Some(at) = world.get::<Position>(t).map(|p| p.0) {
        broadcast_at(world, at, &event);
    }
}
