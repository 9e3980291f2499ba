//! Abilities: checking a `cast` (in a fixed order: dead, stunned, not learned, busy casting,
//! cooldown, mana, target, range), starting it and completing it; what a completed cast does
//! — a dash, then damage, healing and an effect on its target or on everyone in its area —
//! is `ability_effects.rs`.
//!
//! Mana is spent and the cooldown starts when the cast completes (an instant one at once).
//! Damage = base + attack × attack_pct / 100 + int × int_pct / 100 − defense / 2 (at least
//! 1), × crit_multiplier_pct / 100 on a crit (the caster's crit chance); a shield absorbs
//! it first. Healing = base + int × int_pct / 100, up to max hp. The per-tick side of casts
//! (interruptions, completion) is in `casting.rs`; mobs' casts in `mob_casts.rs`.

use bevy_ecs::prelude::*;
use emberkeep_components::abilities::{
    AbilityDef, AbilityKind, AbilityView, CastTarget, Casting, Cooldowns, TargetKind,
};
use emberkeep_components::combat::Dead;
use emberkeep_components::content::GameContent;
use emberkeep_components::map::{Tile, TileMap};
use emberkeep_components::mobs::Mind;
use emberkeep_components::protocol::{ErrorCode, ServerEvent, encode_event};
use emberkeep_components::pvp::Duels;
use emberkeep_components::regions::RegionGrid;
use emberkeep_components::stats::{ActiveEffects, ClassId, Level, Vitals};
use emberkeep_components::text::{Text, keys};
use emberkeep_components::world::{NetId, NetIndex, Player, Position, Tick};

use crate::game::{effects, pvp};
use crate::send_to;
use crate::text::say_error_text;

/// A refusal: its code and its text.
pub(crate) type Refusal = (ErrorCode, Text);

/// Handles a player's `cast`: checks it, then starts it (or, when instant, completes it).
pub(crate) fn cast(
    world: &mut World,
    e: Entity,
    ability: &str,
    target: Option<u64>,
    tile: Option<Tile>,
) {
    match check(world, e, ability, target, tile) {
        Ok(aim) => begin(world, e, ability, aim),
        Err((code, text)) => say_error_text(world, e, code, &text),
    }
}

/// The ability `id` if `e`'s class has learned it by its level.
fn learned<'c>(
    world: &World,
    content: &'c GameContent,
    e: Entity,
    id: &str,
) -> Result<&'c AbilityDef, Refusal> {
    let class = world.get::<ClassId>(e).map(|c| c.0.as_str());
    let level = world.get::<Level>(e).map_or(1, |l| l.0);
    let def = content
        .abilities
        .get(id)
        .filter(|d| d.class.as_deref() == class && class.is_some());
    let Some(def) = def else {
        let text = Text::new(keys::ABILITY_UNKNOWN).arg("ability", format!("{id:?}"));
        return Err((ErrorCode::NotLearned, text));
    };
    if def.level > level {
        let text = Text::new(keys::ABILITY_NOT_LEARNED)
            .arg("name", &def.name)
            .arg("level", def.level);
        return Err((ErrorCode::NotLearned, text));
    }
    if def.kind == AbilityKind::Passive {
        let text = Text::new(keys::ABILITY_PASSIVE).arg("name", &def.name);
        return Err((ErrorCode::NotLearned, text));
    }
    Ok(def)
}

/// Whether a stun effect is running on `e`.
pub(crate) fn stunned(world: &World, e: Entity) -> bool {
    let content = world.resource::<GameContent>();
    world
        .get::<ActiveEffects>(e)
        .is_some_and(|fx| effects::has_stun(content, fx))
}

pub(crate) fn alive(world: &World, e: Entity) -> bool {
    world.get::<Dead>(e).is_none() && world.get::<Vitals>(e).is_some_and(|v| v.hp > 0)
}

/// Checks a player's cast in the documented order; the target it will hit.
fn check(
    world: &World,
    e: Entity,
    id: &str,
    target: Option<u64>,
    tile: Option<Tile>,
) -> Result<CastTarget, Refusal> {
    if !alive(world, e) {
        return Err((ErrorCode::YouAreDead, Text::new(keys::YOU_ARE_DEAD)));
    }
    if stunned(world, e) {
        return Err((ErrorCode::Stunned, Text::new(keys::ABILITY_STUNNED)));
    }
    let content = world.resource::<GameContent>();
    let def = learned(world, content, e, id)?;
    if let Some(c) = world.get::<Casting>(e) {
        let name = content
            .abilities
            .get(&c.ability)
            .map_or(c.ability.as_str(), |d| d.name.as_str());
        let text = Text::new(keys::ABILITY_BUSY).arg("name", name);
        return Err((ErrorCode::BusyCasting, text));
    }
    let now = world.resource::<Tick>().0;
    let left = world.get::<Cooldowns>(e).map_or(0, |c| c.left(id, now));
    if left > 0 {
        let text = Text::new(keys::ABILITY_COOLDOWN)
            .arg("name", &def.name)
            .arg("ticks", left);
        return Err((ErrorCode::OnCooldown, text));
    }
    let mp = world.get::<Vitals>(e).map_or(0, |v| v.mp);
    if mp < def.mana {
        let text = Text::new(keys::ABILITY_NO_MANA)
            .arg("name", &def.name)
            .arg("mana", def.mana)
            .arg("mp", mp);
        return Err((ErrorCode::NoMana, text));
    }
    let aim = aim(world, e, def, target, tile)?;
    in_range(world, e, def, aim, 0)?;
    Ok(aim)
}

/// What the cast is aimed at, if its target is of the right kind.
fn aim(
    world: &World,
    e: Entity,
    def: &AbilityDef,
    target: Option<u64>,
    tile: Option<Tile>,
) -> Result<CastTarget, Refusal> {
    let needs = |key| (ErrorCode::BadTarget, Text::new(key).arg("name", &def.name));
    let creature = |id: u64| {
        world
            .resource::<NetIndex>()
            .0
            .get(&id)
            .copied()
            .ok_or_else(|| {
                (
                    ErrorCode::BadTarget,
                    Text::new(keys::COMBAT_NO_TARGET).arg("id", id),
                )
            })
    };
    match def.target_kind() {
        TargetKind::Myself => Ok(CastTarget::Myself),
        TargetKind::Ground => match tile {
            Some(t) if world.resource::<TileMap>().in_bounds(t) => Ok(CastTarget::Ground(t)),
            _ => Err(needs(keys::ABILITY_NEEDS_TILE)),
        },
        // (An ally ability with no target is cast on oneself.)
        TargetKind::Ally => match target {
            None => Ok(CastTarget::Creature(e)),
            Some(id) => {
                let t = creature(id)?;
                friendly(world, e, t).map(|_| CastTarget::Creature(t))
            }
        },
        TargetKind::Enemy => match target {
            None => Err(needs(keys::ABILITY_NEEDS_TARGET)),
            Some(id) => {
                let t = creature(id)?;
                hostile(world, e, t).map(|_| CastTarget::Creature(t))
            }
        },
    }
}

/// Whether `caster` may hurt `t`: a living hostile mob for a player (a player for a mob, a
/// player PvP allows for a player), nobody in a safe zone.
pub(crate) fn hostile(world: &World, caster: Entity, t: Entity) -> Result<(), Refusal> {
    let name = crate::name_of(world, t);
    let refuse = |code, key| Err((code, Text::new(key).arg("name", &name)));
    if t == caster {
        return refuse(ErrorCode::BadTarget, keys::ABILITY_BAD_TARGET);
    }
    if !alive(world, t) {
        return refuse(ErrorCode::BadTarget, keys::COMBAT_ALREADY_DEAD);
    }
    let Some((a, b)) = crate::world::tiles_of(world, caster, t) else {
        return refuse(ErrorCode::BadTarget, keys::ABILITY_BAD_TARGET);
    };
    let map = world.resource::<TileMap>();
    let (by_player, at_player) = (
        world.get::<Player>(caster).is_some(),
        world.get::<Player>(t).is_some(),
    );
    if by_player && at_player {
        // (Players hurt players only where the one PvP rule allows it.)
        let duels = world.resource::<Duels>();
        return match pvp::refusal(map, duels, (caster, a), (t, b)) {
            Some(why) => refuse(ErrorCode::PvpNotAllowed, why),
            None => Ok(()),
        };
    }
    let allowed = match (by_player, at_player) {
        (true, true) => false,
        (true, false) => world.get::<Mind>(t).is_some_and(|m| m.def.hostile),
        (false, true) => true,
        (false, false) => false,
    };
    if !allowed {
        return refuse(ErrorCode::NotAttackable, keys::COMBAT_NOT_ATTACKABLE);
    }
    if map.is_safe(a) || map.is_safe(b) {
        return refuse(ErrorCode::NotAttackable, keys::COMBAT_SAFE_ZONE);
    }
    Ok(())
}

/// Whether `caster` may help `t`: a living creature on its side (players help players,
/// mobs help mobs).
pub(crate) fn friendly(world: &World, caster: Entity, t: Entity) -> Result<(), Refusal> {
    let same_side = world.get::<Player>(caster).is_some() == world.get::<Player>(t).is_some();
    if !alive(world, t) || !same_side || world.get::<Vitals>(t).is_none() {
        let name = crate::name_of(world, t);
        return Err((
            ErrorCode::BadTarget,
            Text::new(keys::ABILITY_BAD_TARGET).arg("name", name),
        ));
    }
    Ok(())
}

/// The tile a cast is aimed at, if its target is still there.
pub(crate) fn aim_tile(world: &World, caster: Entity, aim: CastTarget) -> Option<Tile> {
    match aim {
        CastTarget::Myself => world.get::<Position>(caster).map(|p| p.0),
        CastTarget::Creature(t) => world.get::<Position>(t).map(|p| p.0),
        CastTarget::Ground(t) => Some(t),
    }
}

/// Fails unless the aimed tile is within the ability's range (+ `slack`).
pub(crate) fn in_range(
    world: &World,
    caster: Entity,
    def: &AbilityDef,
    aim: CastTarget,
    slack: i32,
) -> Result<(), Refusal> {
    let (Some(from), Some(to)) = (
        world.get::<Position>(caster).map(|p| p.0),
        aim_tile(world, caster, aim),
    ) else {
        return Err((
            ErrorCode::BadTarget,
            Text::new(keys::ABILITY_BAD_TARGET).arg("name", &def.name),
        ));
    };
    let d = from.distance(to);
    let range = def.range.saturating_add(slack);
    if matches!(aim, CastTarget::Myself) || d <= range {
        return Ok(());
    }
    let text = Text::new(keys::ABILITY_TOO_FAR)
        .arg("name", &def.name)
        .arg("distance", d)
        .arg("range", def.range);
    Err((ErrorCode::OutOfRange, text))
}

/// Whether the aimed creature is still a fair target at completion.
pub(crate) fn still_valid(
    world: &World,
    caster: Entity,
    def: &AbilityDef,
    aim: CastTarget,
) -> bool {
    match (aim, def.target_kind()) {
        (CastTarget::Creature(t), TargetKind::Enemy) => hostile(world, caster, t).is_ok(),
        (CastTarget::Creature(t), _) => friendly(world, caster, t).is_ok(),
        _ => true,
    }
}

/// Starts a checked cast: completes an instant one at once, else `cast_start` and [`Casting`].
pub(crate) fn begin(world: &mut World, e: Entity, ability: &str, aim: CastTarget) {
    let content = world.resource::<GameContent>().clone();
    let Some(def) = content.abilities.get(ability) else {
        return;
    };
    // (Casting stops any gathering or crafting.)
    crate::game::work::interrupt_work(world, e);
    if def.cast_ticks == 0 {
        return complete(world, e, ability, aim);
    }
    let now = world.resource::<Tick>().0;
    let Some(here) = world.get::<Position>(e).map(|p| p.0) else {
        return;
    };
    let (target, x, y) = match aim {
        CastTarget::Myself => (None, None, None),
        CastTarget::Creature(t) => (world.get::<NetId>(t).map(|n| n.0), None, None),
        CastTarget::Ground(t) => (None, Some(t.x), Some(t.y)),
    };
    world.entity_mut(e).insert(Casting {
        ability: ability.to_string(),
        target: aim,
        ends_at: now.saturating_add(u64::from(def.cast_ticks)),
        started_at: here,
    });
    let id = net_id(world, e);
    let event = ServerEvent::CastStart {
        id,
        ability: ability.to_string(),
        ticks: def.cast_ticks,
        target,
        x,
        y,
    };
    broadcast_at(world, here, &event);
}

/// Ends `e`'s cast without effect, telling everyone in view why.
pub(crate) fn break_off(world: &mut World, e: Entity, reason: &str) {
    let Some(c) = world.entity_mut(e).take::<Casting>() else {
        return;
    };
    let event = ServerEvent::CastEnd {
        id: net_id(world, e),
        ability: c.ability,
        done: false,
        reason: Some(reason.to_string()),
    };
    if let Some(here) = world.get::<Position>(e).map(|p| p.0) {
        broadcast_at(world, here, &event);
    }
}

/// Stops `e`'s own cast (the `interrupt` message); whether there was one.
pub(crate) fn interrupt(world: &mut World, e: Entity) -> bool {
    let casting = world.get::<Casting>(e).is_some();
    if casting {
        break_off(world, e, "interrupted");
    }
    casting
}

/// Completes a cast: mana, cooldown, `cast_end` done, then what the ability does.
pub(crate) fn complete(world: &mut World, e: Entity, ability: &str, aim: CastTarget) {
    let content = world.resource::<GameContent>().clone();
    let Some(def) = content.abilities.get(ability) else {
        return;
    };
    world.entity_mut(e).remove::<Casting>();
    let now = world.resource::<Tick>().0;
    let is_player = world.get::<Player>(e).is_some();
    if is_player && let Some(mut v) = world.get_mut::<Vitals>(e) {
        v.mp = v.mp.saturating_sub(def.mana).max(0);
    }
    if def.cooldown_ticks > 0 {
        if let Some(mut c) = world.get_mut::<Cooldowns>(e) {
            let ready = now.saturating_add(u64::from(def.cooldown_ticks));
            c.0.insert(ability.to_string(), ready);
        }
        let event = ServerEvent::Cooldown {
            ability: ability.to_string(),
            ticks: def.cooldown_ticks,
        };
        send_to(world, e, &event);
    }
    let event = ServerEvent::CastEnd {
        id: net_id(world, e),
        ability: ability.to_string(),
        done: true,
        reason: None,
    };
    if let Some(here) = world.get::<Position>(e).map(|p| p.0) {
        broadcast_at(world, here, &event);
    }
    crate::game::ability_effects::resolve(world, e, ability, def, aim);
}

pub(crate) fn net_id(world: &World, e: Entity) -> u64 {
    world.get::<NetId>(e).map_or(0, |n| n.0)
}

/// Sends `event` to everyone who sees `tile`.
pub(crate) fn broadcast_at(world: &mut World, tile: Tile, event: &ServerEvent) {
    let mut grid = world.resource_mut::<RegionGrid>();
    let r = grid.region_of(tile);
    grid.broadcast(r, &encode_event(event));
}

/// Every ability of `e`'s class, learned or not, with its cooldown.
pub(crate) fn views(world: &World, e: Entity) -> Vec<AbilityView> {
    let content = world.resource::<GameContent>();
    let now = world.resource::<Tick>().0;
    let class = world.get::<ClassId>(e).map(|c| c.0.as_str());
    let level = world.get::<Level>(e).map_or(1, |l| l.0);
    let cooldowns = world.get::<Cooldowns>(e);
    let mut list: Vec<AbilityView> = content
        .abilities
        .iter()
        .filter(|(_, d)| class.is_some() && d.class.as_deref() == class)
        .map(|(id, d)| AbilityView {
            id: id.clone(),
            name: d.name.clone(),
            description: d.description.clone(),
            kind: d.kind,
            target: (d.kind == AbilityKind::Active).then(|| d.target_kind()),
            mana: d.mana,
            cooldown_ticks: d.cooldown_ticks,
            cast_ticks: d.cast_ticks,
            range: d.range,
            radius: d.radius,
            level: d.level,
            learned: d.level <= level,
            ready_in: cooldowns.map_or(0, |c| c.left(id, now)),
        })
        .collect();
    list.sort_by(|a, b| (a.level, &a.id).cmp(&(b.level, &b.id)));
    list
}

/// Sends `e` the `abilities` event.
pub(crate) fn send_abilities(world: &mut World, e: Entity) {
    let abilities = views(world, e);
    let level = world.get::<Level>(e).map_or(1, |l| l.0);
    if let Some(mut known) = world.get_mut::<emberkeep_components::abilities::AbilitiesKnown>(e) {
        known.0 = level;
    }
    send_to(world, e, &ServerEvent::Abilities { abilities });
}
