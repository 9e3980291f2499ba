//! Combat phase: attacks in range when the cooldown allows, hit/miss/crit rolls from the
//! world's seeded RNG, damage, deaths, experience for the killers (and their parties),
//! level-ups, respawns.
//!
//! Players attack players only where `pvp::may_harm` allows, checked when the attack starts
//! and again before every swing; a duel's last blow leaves 1 hp (`pvp::cap_duel_damage`). A
//! player killed by a player earns nobody experience or a kill: it counts `pvp_kills` and
//! `pvp_deaths` (`StoryEvent::PvpKill`) and, in a `pvp_drops` zone, drops its bag.
//!
//! Damage of a landed hit = max(min_damage, attack − defense), × crit_multiplier_pct / 100 on a
//! crit. Hit chance = base_hit_pct − defender dex × dodge_per_dex_pct (clamped to 5..=100).

use bevy_ecs::prelude::*;
use emberkeep_components::abilities::Stunned;
use emberkeep_components::combat::{AttackCooldown, Attacker, DamageLog, Dead, Target};
use emberkeep_components::content::{Content, GameContent};
use emberkeep_components::map::{Tile, TileMap};
use emberkeep_components::mobs::{Mind, Mob, MobSpawner};
use emberkeep_components::persist::SaveReason;
use emberkeep_components::protocol::{ErrorCode, ServerEvent, encode_event};
use emberkeep_components::pvp::Duels;
use emberkeep_components::regions::RegionGrid;
use emberkeep_components::stats::{
    ActiveEffects, Base, ClassId, Derived, Experience, Level, StatsDirty, Vitals,
};
use emberkeep_components::story::{StoryEvent, StoryEvents};
use emberkeep_components::text::keys;
use emberkeep_components::world::{
    NetId, NetIndex, Outgoing, Player, Position, RegionCell, SpawnRotation, StepBudget, Tick,
};
use rand_core::Rng;

use crate::game::party::{Grants, PartyXp};
use crate::game::pvp;
use crate::rng::WorldRng;
use crate::text::{say_error, say_info};

/// A roll in [0, 100).
pub(crate) fn roll_pct(rng: &mut WorldRng) -> f64 {
    f64::from(rng.0.next_u32()) / (f64::from(u32::MAX) + 1.0) * 100.0
}

/// The outcome of one attack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Swing {
    Miss,
    Hit { damage: i32, crit: bool },
}

/// Rolls one attack of `attacker` against `defender`.
pub(crate) fn swing(
    content: &Content,
    rng: &mut WorldRng,
    attacker: &Derived,
    defender: &Derived,
) -> Swing {
    let c = &content.rules.combat;
    let hit_chance = (c.base_hit_pct
        - f64::from(defender.stats.dex) * content.rules.derived.dodge_per_dex_pct)
        .clamp(5.0, 100.0);
    if roll_pct(rng) >= hit_chance {
        return Swing::Miss;
    }
    let crit = roll_pct(rng) < f64::from(attacker.crit_pct);
    let mut damage = attacker
        .attack
        .saturating_sub(defender.defense)
        .max(c.min_damage);
    if crit {
        let scaled = i64::from(damage) * i64::from(c.crit_multiplier_pct) / 100;
        damage = i32::try_from(scaled).unwrap_or(i32::MAX);
    }
    Swing::Hit { damage, crit }
}

/// Every creature with a target attacks it when in range and off cooldown.
pub(crate) fn resolve_attacks(
    tick: Res<Tick>,
    content: Res<GameContent>,
    map: Res<TileMap>,
    mut duels: ResMut<Duels>,
    mut rng: ResMut<WorldRng>,
    mut grid: ResMut<RegionGrid>,
    mut attackers: Query<
        (
            Entity,
            &NetId,
            &Position,
            &Derived,
            &Attacker,
            &mut Target,
            &mut AttackCooldown,
            Has<Player>,
        ),
        (Without<Dead>, Without<Stunned>),
    >,
    mut defenders: Query<(
        &NetId,
        &Position,
        &Derived,
        &mut Vitals,
        &mut DamageLog,
        &RegionCell,
        Has<Dead>,
        Has<Player>,
        &mut ActiveEffects,
    )>,
) {
    for (e, id, pos, derived, how, mut target, mut cooldown, is_player) in &mut attackers {
        let Some(t) = target.0 else { continue };
        // (Cheapest first: the cooldown is at hand; the target is a lookup every ready
        // attacker needs; the attacker's own hp, another, only one in range does.)
        if tick.0 < cooldown.ready_at {
            continue;
        }
        let Ok((_, tpos, _, tvitals, _, _, tdead, tplayer, _)) = defenders.get(t) else {
            target.0 = None;
            continue;
        };
        if tdead || tvitals.hp <= 0 || t == e || (tplayer && map.is_safe(tpos.0)) {
            target.0 = None;
            continue;
        }
        // A player who walked out of the PvP zone (or whose duel ended) is no longer hit.
        if tplayer && is_player && !pvp::may_harm(&map, &duels, (e, pos.0), (t, tpos.0)) {
            target.0 = None;
            continue;
        }
        if pos.0.distance(tpos.0) > how.range {
            continue;
        }
        // A safe zone is safe both ways: nobody fights from it either.
        if map.is_safe(pos.0) {
            target.0 = None;
            continue;
        }
        // (Alive when the tick began, but maybe killed earlier in this loop.)
        if !defenders.get(e).is_ok_and(|d| d.3.hp > 0) {
            continue;
        }
        let Ok((tid, tpos, tderived, mut tvitals, mut log, tcell, _, _, mut fx)) =
            defenders.get_mut(t)
        else {
            continue;
        };
        let mut ended = Vec::new();
        cooldown.ready_at = tick.0 + u64::from(how.cooldown_ticks.max(1));
        let event = match swing(&content, &mut rng, derived, tderived) {
            Swing::Miss => ServerEvent::Miss {
                attacker: id.0,
                target: tid.0,
            },
            Swing::Hit { damage, crit } => {
                // A shield takes the blow first (read before writing: no change mark).
                let damage = if crate::game::effects::shielded(&fx) {
                    let absorbed = crate::game::effects::absorb(&mut fx.0, damage);
                    ended = crate::game::effects::spent_shields(&content, &mut fx, *tid);
                    damage - absorbed
                } else {
                    damage
                };
                let dealt = damage.min(tvitals.hp);
                let dealt = pvp::cap_duel_damage(&mut duels, e, t, tvitals.hp, dealt);
                tvitals.hp -= dealt;
                if dealt > 0 {
                    *log.by.entry(e).or_default() += i64::from(dealt);
                    log.last = Some(e);
                }
                ServerEvent::Hit {
                    attacker: id.0,
                    target: tid.0,
                    damage,
                    crit,
                    hp: tvitals.hp,
                    ability: None,
                }
            }
        };
        let region = if *tcell == RegionCell::NONE {
            grid.region_of(tpos.0)
        } else {
            tcell.0
        };
        grid.broadcast(region, &encode_event(&event));
        for end in &ended {
            grid.broadcast(region, &encode_event(end));
        }
    }
}

/// Creatures at 0 hp die: mobs share their experience among those who hurt them, drop loot
/// and leave the world (their area respawns them later); players wait to respawn.
pub(crate) fn resolve_deaths(
    tick: Res<Tick>,
    content: Res<GameContent>,
    map: Res<TileMap>,
    mut grid: ResMut<RegionGrid>,
    mut spawner: ResMut<MobSpawner>,
    mut rng: ResMut<WorldRng>,
    mut fallen: Query<
        (
            Entity,
            &NetId,
            &Vitals,
            &mut DamageLog,
            &Position,
            &RegionCell,
            Option<(&Mob, &Mind)>,
            Has<Player>,
        ),
        Without<Dead>,
    >,
    mut players: Query<
        (
            &NetId,
            &ClassId,
            &mut Experience,
            &mut Level,
            &mut Base,
            &mut Outgoing,
        ),
        With<Player>,
    >,
    mut targets: Query<&mut Target>,
    ids: Query<&NetId>,
    mut save: ResMut<emberkeep_components::persist::SaveSoon>,
    mut story: ResMut<StoryEvents>,
    party_xp: PartyXp,
    mut commands: Commands,
) {
    for (e, id, vitals, mut log, pos, cell, mob, is_player) in &mut fallen {
        if vitals.hp > 0 {
            continue;
        }
        let killer = log.last.and_then(|k| ids.get(k).ok()).map(|n| n.0);
        let region = if *cell == RegionCell::NONE {
            grid.region_of(pos.0)
        } else {
            cell.0
        };
        let death = ServerEvent::Death { id: id.0, killer };
        grid.broadcast(region, &encode_event(&death));
        if let Ok(mut t) = targets.get_mut(e) {
            t.0 = None;
        }
        if is_player {
            // (A player's death earns nobody experience, loot or a kill; a player's blow
            // counts for both sides, and drops the bag where the zone says so.)
            if let Some(k) = log.last.filter(|k| *k != e && players.contains(*k)) {
                story.0.push(StoryEvent::PvpKill {
                    killer: k,
                    victim: e,
                });
                if map.pvp_drops(pos.0) {
                    let tile = pos.0;
                    commands.queue(move |world: &mut World| {
                        pvp::drop_inventory(world, e, k, tile);
                    });
                }
            }
            let respawn_at = tick.0 + u64::from(content.rules.combat.respawn_ticks);
            commands.entity(e).insert(Dead { respawn_at });
            save.add(&[e], SaveReason::Death);
            log.by.clear();
            log.last = None;
            continue;
        }
        let Some((mob, mind)) = mob else { continue };
        let def = &mind.def;
        // Every player who dealt it damage helped kill it (quests, triggers, achievements).
        let mut helpers: Vec<Entity> = log
            .by
            .iter()
            .filter(|(p, d)| **d > 0 && players.contains(**p))
            .map(|(p, _)| *p)
            .collect();
        helpers.sort();
        story
            .0
            .extend(helpers.into_iter().map(|player| StoryEvent::Kill {
                player,
                mob: mob.template.clone(),
            }));
        // Experience: shared by damage dealt, among players still in the world; a share
        // earned by a party member is split within its party (`party::PartyXp`).
        let total: i64 = log
            .by
            .iter()
            .filter(|(p, _)| players.contains(**p))
            .map(|(_, d)| *d)
            .sum();
        let mut shares: Vec<(Entity, i64)> = log.by.iter().map(|(p, d)| (*p, *d)).collect();
        shares.sort_by_key(|(p, _)| *p);
        let mut grants = Grants::default();
        for (p, dealt) in shares {
            if total <= 0 || !players.contains(p) {
                continue;
            }
            let amount = u64::from(def.xp) * dealt as u64 / total as u64;
            party_xp.split(p, amount, pos.0, &mut grants);
        }
        grants.0.sort_by_key(|(p, _)| *p);
        for (p, amount) in grants.0 {
            let Ok((pid, class, mut xp, mut level, mut base, mut out)) = players.get_mut(p) else {
                continue;
            };
            let gained = crate::game::stats::grant_xp(
                &content, class, amount, &mut xp, &mut level, &mut base,
            );
            let next = content.rules.xp_to_next(level.0);
            out.push(&encode_event(&ServerEvent::XpGain {
                amount,
                xp: xp.0,
                xp_next: next,
                level: level.0,
            }));
            if gained > 0 {
                grid.broadcast(
                    region,
                    &encode_event(&ServerEvent::LevelUp {
                        id: pid.0,
                        level: level.0,
                    }),
                );
                commands.entity(p).insert(StatsDirty);
                save.add(&[p], SaveReason::LevelUp);
            }
        }
        // Loot belongs to the one who dealt the last blow, if a player.
        let owner = log.last.filter(|k| players.contains(*k));
        if let Some(table) = def.loot.as_ref().and_then(|l| content.loot.get(l)) {
            if let (Some(g), Some(killer)) = (table.gold, owner) {
                let span = g.max.saturating_sub(g.min).saturating_add(1);
                let amount = g.min.saturating_add(rng.0.next_u64() % span.max(1));
                commands.queue(move |world: &mut World| {
                    crate::game::gold::loot_gold(world, killer, amount);
                });
            }
            for drop in &table.drops {
                if roll_pct(&mut rng) >= drop.chance * 100.0 {
                    continue;
                }
                let span = drop.max.saturating_sub(drop.min) + 1;
                let count = drop.min + rng.0.next_u32() % span;
                crate::game::loot::queue_drop(
                    &mut commands,
                    &drop.item,
                    count,
                    pos.0,
                    owner,
                    tick.0,
                );
            }
        }
        if let Some(area) = spawner.areas.get_mut(mob.area) {
            area.alive = area.alive.saturating_sub(1);
            area.respawns.push(tick.0 + u64::from(def.respawn_ticks));
        }
        commands.queue(move |world: &mut World| crate::world::regions::remove_from_world(world, e));
    }
}

/// Brings dead players back at a spawn point with full hp and mp.
pub(crate) fn respawn_players(
    tick: Res<Tick>,
    map: Res<TileMap>,
    mut rotation: ResMut<SpawnRotation>,
    mut dead: Query<(
        Entity,
        &Dead,
        &mut Vitals,
        &mut Position,
        Option<&mut Outgoing>,
    )>,
    mut commands: Commands,
) {
    for (e, d, mut vitals, mut pos, out) in &mut dead {
        if tick.0 < d.respawn_at {
            continue;
        }
        if !map.player_spawns.is_empty() {
            let i = rotation.0 % map.player_spawns.len();
            rotation.0 = rotation.0.wrapping_add(1);
            let tile = map.player_spawns[i].tile;
            if pos.0 != tile {
                pos.0 = tile;
            }
        }
        vitals.hp = vitals.max_hp;
        vitals.mp = vitals.max_mp;
        if let Some(mut out) = out {
            out.push(&encode_event(&ServerEvent::Respawn {
                x: pos.0.x,
                y: pos.0.y,
                hp: vitals.hp,
            }));
        }
        commands.entity(e).remove::<Dead>();
    }
}

/// Starts attacking entity `target` (a hostile mob within range, or a player where
/// `pvp::may_harm` allows it).
pub(crate) fn start_attack(world: &mut World, e: Entity, target: u64) {
    if world.get::<Dead>(e).is_some() {
        return say_error(world, e, ErrorCode::YouAreDead, keys::YOU_ARE_DEAD, &[]);
    }
    let Some(t) = world.resource::<NetIndex>().0.get(&target).copied() else {
        return say_error(
            world,
            e,
            ErrorCode::UnknownTarget,
            keys::COMBAT_NO_TARGET,
            &[("id", &target)],
        );
    };
    let name = crate::name_of(world, t);
    let hostile = world.get::<Mind>(t).is_some_and(|m| m.def.hostile);
    let player = world.get::<Player>(t).is_some();
    if t == e || !(hostile || player) {
        return say_error(
            world,
            e,
            ErrorCode::NotAttackable,
            keys::COMBAT_NOT_ATTACKABLE,
            &[("name", &name)],
        );
    }
    if world.get::<Vitals>(t).is_none_or(|v| v.hp <= 0) {
        return say_error(
            world,
            e,
            ErrorCode::UnknownTarget,
            keys::COMBAT_ALREADY_DEAD,
            &[("name", &name)],
        );
    }
    let Some((a, b)) = crate::world::tiles_of(world, e, t) else {
        return;
    };
    let range = world.get::<Attacker>(e).map(|a| a.range).unwrap_or(1);
    let d = a.distance(b);
    if d > range {
        return say_error(
            world,
            e,
            ErrorCode::OutOfRange,
            keys::COMBAT_TOO_FAR,
            &[("name", &name), ("distance", &d), ("range", &range)],
        );
    }
    let map = world.resource::<TileMap>();
    if player {
        let duels = world.resource::<Duels>();
        if let Some(why) = pvp::refusal(map, duels, (e, a), (t, b)) {
            return say_error(world, e, ErrorCode::PvpNotAllowed, why, &[("name", &name)]);
        }
    } else if map.is_safe(a) || map.is_safe(b) {
        return say_error(
            world,
            e,
            ErrorCode::NotAttackable,
            keys::COMBAT_SAFE_ZONE,
            &[("name", &name)],
        );
    }
    if let Some(mut current) = world.get_mut::<Target>(e) {
        current.0 = Some(t);
    }
    // (Fighting breaks off gathering or crafting.)
    crate::game::work::interrupt_work(world, e);
    say_info(world, e, keys::COMBAT_ATTACK, &[("name", &name)]);
}

/// Stops attacking and steps away from the nearest mob that is after the player.
pub(crate) fn flee(world: &mut World, e: Entity) {
    if world.get::<Dead>(e).is_some() {
        return say_error(world, e, ErrorCode::YouAreDead, keys::YOU_ARE_DEAD, &[]);
    }
    if crate::game::abilities::stunned(world, e) {
        return say_error(world, e, ErrorCode::Stunned, keys::ABILITY_STUNNED, &[]);
    }
    if let Some(mut t) = world.get_mut::<Target>(e) {
        t.0 = None;
    }
    let Some(here) = world.get::<Position>(e).map(|p| p.0) else {
        return;
    };
    let mut chasers = world.query_filtered::<(&Position, &Target), With<Mob>>();
    let threat = chasers
        .iter(world)
        .filter(|(_, t)| t.0 == Some(e))
        .map(|(p, _)| p.0)
        .min_by_key(|p| (*p).distance(here));
    let mut text = keys::COMBAT_STOP;
    if let Some(threat) = threat {
        let map = world.resource::<TileMap>();
        let away = [(1, 0), (-1, 0), (0, 1), (0, -1)]
            .into_iter()
            .map(|(dx, dy)| Tile {
                x: here.x + dx,
                y: here.y + dy,
            })
            .filter(|t| map.is_walkable(*t) && (*t).distance(threat) > here.distance(threat))
            .min_by_key(|t| (t.y, t.x));
        let budget_ok = world.get::<StepBudget>(e).is_some_and(|b| b.milli >= 1000);
        if let (Some(to), true) = (away, budget_ok) {
            if let Some(mut p) = world.get_mut::<Position>(e) {
                p.0 = to;
            }
            if let Some(mut b) = world.get_mut::<StepBudget>(e) {
                b.milli -= 1000;
            }
            text = keys::COMBAT_FLEE;
        }
    }
    say_info(world, e, text, &[]);
}
