//! Effects phase: buffs, debuffs, damage and healing over time, natural regeneration; and
//! the control effects: stun and slow (mirrored as [`Stunned`] and [`Slowed`] markers for the
//! movement, combat and AI systems) and shields (absorbing damage before hp).
//!
//! Durations count down once per tick. A dot/hot pulses every `interval_ticks` after it is
//! applied (so 10 ticks at an interval of 2 pulse 5 times), and an effect whose duration runs
//! out on a pulse tick pulses first, then ends.

use crate::game::pvp;
use bevy_ecs::prelude::*;
use emberkeep_components::abilities::{ControlApplied, Slowed, Stunned};
use emberkeep_components::combat::{DamageLog, Dead};
use emberkeep_components::content::{EffectDef, EffectKind, GameContent, Stacking};
use emberkeep_components::protocol::{ServerEvent, encode_event};
use emberkeep_components::regions::RegionGrid;
use emberkeep_components::stats::{ActiveEffect, ActiveEffects, StatsDirty, Vitals};
use emberkeep_components::world::{NetId, Player, Position, RegionCell, Tick};

/// Applies effect `id` to a creature following its stacking rule. Returns the event to
/// announce, or `None` when the rule ignored it (or the effect does not exist).
pub(crate) fn apply_effect(
    content: &GameContent,
    effects: &mut ActiveEffects,
    target: NetId,
    id: &str,
    source: Option<Entity>,
) -> Option<ServerEvent> {
    let def = content.effects.get(id)?;
    let stacks = match effects.0.iter_mut().find(|a| a.effect == id) {
        Some(active) => match def.stacking {
            Stacking::Ignore => return None,
            Stacking::Refresh => {
                restart(active, def, source);
                active.stacks
            }
            Stacking::Stack => {
                active.stacks = (active.stacks + 1).min(def.max_stacks.max(1));
                restart(active, def, source);
                active.stacks
            }
        },
        None => {
            let mut active = ActiveEffect {
                effect: id.to_string(),
                stacks: 1,
                remaining: 0,
                next_pulse: 0,
                source,
                shield: 0,
            };
            restart(&mut active, def, source);
            effects.0.push(active);
            1
        }
    };
    Some(ServerEvent::EffectStart {
        id: target.0,
        effect: id.to_string(),
        name: def.name.clone(),
        kind: def.kind,
        stacks,
        duration_ticks: def.duration_ticks,
    })
}

fn restart(active: &mut ActiveEffect, def: &EffectDef, source: Option<Entity>) {
    active.remaining = def.duration_ticks.max(1);
    active.next_pulse = def.interval_ticks.max(1);
    active.source = source.or(active.source);
    if def.kind == EffectKind::Shield {
        let stacks = i32::try_from(active.stacks).unwrap_or(i32::MAX);
        active.shield = def.magnitude.saturating_mul(stacks);
    }
}

/// Applies effect `id` to creature `t` (see [`apply_effect`]) and tells everyone in view.
pub(crate) fn apply_to(world: &mut World, t: Entity, id: &str, source: Option<Entity>) {
    let content = world.resource::<GameContent>().clone();
    let Some(net) = world.get::<NetId>(t).copied() else {
        return;
    };
    let Some(mut fx) = world.get_mut::<ActiveEffects>(t) else {
        return;
    };
    let Some(event) = apply_effect(&content, &mut fx, net, id, source) else {
        return;
    };
    match content.effects.get(id).map(|d| d.kind) {
        Some(EffectKind::Buff | EffectKind::Debuff) if world.get::<Player>(t).is_some() => {
            world.entity_mut(t).insert(StatsDirty);
        }
        Some(EffectKind::Stun | EffectKind::Slow) => {
            world.resource_mut::<ControlApplied>().0.push(t);
        }
        _ => {}
    }
    if let Some(at) = world.get::<Position>(t).map(|p| p.0) {
        crate::game::abilities::broadcast_at(world, at, &event);
    }
}

/// Whether a stun effect is among these.
pub(crate) fn has_stun(content: &GameContent, fx: &ActiveEffects) -> bool {
    fx.0.iter().any(|a| {
        content
            .effects
            .get(&a.effect)
            .is_some_and(|d| d.kind == EffectKind::Stun)
    })
}

/// Takes up to `damage` from the shields among `fx`, oldest first; returns what they absorbed.
pub(crate) fn absorb(fx: &mut [ActiveEffect], damage: i32) -> i32 {
    let mut left = damage.max(0);
    for a in fx.iter_mut().filter(|a| a.shield > 0) {
        let taken = a.shield.min(left);
        a.shield -= taken;
        left -= taken;
        if left == 0 {
            break;
        }
    }
    damage.max(0) - left
}

/// Whether any shield among `fx` has something left to absorb (read without marking a change).
pub(crate) fn shielded(fx: &ActiveEffects) -> bool {
    fx.0.iter().any(|a| a.shield > 0)
}

/// Removes the used-up shields among `fx`; the `effect_end` events to announce.
pub(crate) fn spent_shields(
    content: &GameContent,
    fx: &mut ActiveEffects,
    id: NetId,
) -> Vec<ServerEvent> {
    let mut ended = Vec::new();
    fx.0.retain(|a| {
        let spent = a.shield <= 0
            && content
                .effects
                .get(&a.effect)
                .is_some_and(|d| d.kind == EffectKind::Shield);
        if spent {
            ended.push(ServerEvent::EffectEnd {
                id: id.0,
                effect: a.effect.clone(),
            });
        }
        !spent
    });
    ended
}

/// `damage` hitting creature `t`'s shields: what they absorbed (used-up ones end, announced).
pub(crate) fn shield_hit(world: &mut World, t: Entity, damage: i32) -> i32 {
    let content = world.resource::<GameContent>().clone();
    let Some(id) = world.get::<NetId>(t).copied() else {
        return 0;
    };
    if !world.get::<ActiveEffects>(t).is_some_and(shielded) {
        return 0;
    }
    let Some(mut fx) = world.get_mut::<ActiveEffects>(t) else {
        return 0;
    };
    let absorbed = absorb(&mut fx.0, damage);
    let ended = spent_shields(&content, &mut fx, id);
    if let Some(at) = world.get::<Position>(t).map(|p| p.0) {
        for event in &ended {
            crate::game::abilities::broadcast_at(world, at, event);
        }
    }
    absorbed
}

/// Ticks between two steps of a creature stepping every `every` ticks, longer while slowed.
pub(crate) fn slowed_every(every: u32, slow: Option<&Slowed>) -> u64 {
    let every = u64::from(every.max(1));
    let left = 100u64
        .saturating_sub(slow.map_or(0, |s| u64::from(s.0)))
        .max(1);
    every * 100 / left
}

/// Keeps the [`Stunned`] and [`Slowed`] markers in step with the effects: for the creatures
/// given a stun or a slow since the last run ([`ControlApplied`], pushed by [`apply_to`] and
/// on entering the world) and for those marked already (whose effects may have run out, been
/// removed or been replaced). Everyone else is not looked at.
pub(crate) fn sync_control(
    content: Res<GameContent>,
    mut applied: ResMut<ControlApplied>,
    marked: Query<Entity, Or<(With<Stunned>, With<Slowed>)>>,
    creatures: Query<(&ActiveEffects, Has<Stunned>, Option<&Slowed>)>,
    mut commands: Commands,
) {
    let mut check = std::mem::take(&mut applied.0);
    check.extend(&marked);
    check.sort_unstable();
    check.dedup();
    for e in check {
        let Ok((fx, was_stunned, was_slowed)) = creatures.get(e) else {
            continue;
        };
        let mut stun = false;
        let mut slow = 0i64;
        for a in &fx.0 {
            match content
                .effects
                .get(&a.effect)
                .map(|d| (d.kind, d.magnitude))
            {
                Some((EffectKind::Stun, _)) => stun = true,
                Some((EffectKind::Slow, m)) => {
                    slow = slow.max(i64::from(m) * i64::from(a.stacks));
                }
                _ => {}
            }
        }
        let slow = slow.clamp(0, 100) as u32;
        if stun != was_stunned {
            if stun {
                commands.entity(e).insert(Stunned);
            } else {
                commands.entity(e).remove::<Stunned>();
            }
        }
        if was_slowed.map(|s| s.0) != (slow > 0).then_some(slow) {
            if slow > 0 {
                commands.entity(e).insert(Slowed(slow));
            } else {
                commands.entity(e).remove::<Slowed>();
            }
        }
    }
}

/// Counts every effect down one tick: pulses dots and hots, ends what ran out.
pub(crate) fn tick_effects(
    content: Res<GameContent>,
    mut duels: ResMut<emberkeep_components::pvp::Duels>,
    mut grid: ResMut<RegionGrid>,
    mut creatures: Query<(
        Entity,
        &NetId,
        &mut ActiveEffects,
        &mut Vitals,
        &mut DamageLog,
        &Position,
        &RegionCell,
        Has<Player>,
        Has<Dead>,
    )>,
    mut commands: Commands,
) {
    for (e, id, mut effects, mut vitals, mut log, pos, cell, is_player, dead) in &mut creatures {
        if effects.0.is_empty() {
            continue;
        }
        if dead || vitals.hp <= 0 {
            continue;
        }
        let region = if *cell == RegionCell::NONE {
            grid.region_of(pos.0)
        } else {
            cell.0
        };
        let mut stats_changed = false;
        let effects = &mut effects.0;
        let mut i = 0;
        while i < effects.len() {
            let active = &mut effects[i];
            let Some(def) = content.effects.get(&active.effect) else {
                // The effect was removed from the content: drop it quietly.
                effects.swap_remove(i);
                stats_changed = true;
                continue;
            };
            active.remaining = active.remaining.saturating_sub(1);
            if matches!(def.kind, EffectKind::Dot | EffectKind::Hot) {
                active.next_pulse = active.next_pulse.saturating_sub(1);
                if active.next_pulse == 0 && vitals.hp > 0 {
                    active.next_pulse = def.interval_ticks.max(1);
                    let stacks = i32::try_from(active.stacks).unwrap_or(i32::MAX);
                    let per = def.magnitude.saturating_mul(stacks);
                    let amount = if def.kind == EffectKind::Dot {
                        let per = per.saturating_sub(absorb(effects, per));
                        let dealt = per.min(vitals.hp);
                        let dealt = match effects[i].source {
                            Some(src) => pvp::cap_duel_damage(&mut duels, src, e, vitals.hp, dealt),
                            None => dealt,
                        };
                        vitals.hp -= dealt;
                        if let Some(src) = effects[i].source {
                            *log.by.entry(src).or_default() += i64::from(dealt);
                            log.last = Some(src);
                        }
                        -dealt
                    } else {
                        let healed = per.min(vitals.max_hp - vitals.hp).max(0);
                        vitals.hp += healed;
                        healed
                    };
                    let event = ServerEvent::EffectTick {
                        id: id.0,
                        effect: effects[i].effect.clone(),
                        amount,
                        hp: vitals.hp,
                    };
                    grid.broadcast(region, &encode_event(&event));
                }
            }
            let active = &mut effects[i];
            let spent = def.kind == EffectKind::Shield && active.shield <= 0;
            if active.remaining == 0 || spent {
                let event = ServerEvent::EffectEnd {
                    id: id.0,
                    effect: active.effect.clone(),
                };
                grid.broadcast(region, &encode_event(&event));
                stats_changed |= matches!(def.kind, EffectKind::Buff | EffectKind::Debuff);
                effects.swap_remove(i);
            } else {
                i += 1;
            }
        }
        if stats_changed && is_player {
            commands.entity(e).insert(StatsDirty);
        }
    }
}

/// Every `regen.interval_ticks`, living players recover a share of their hp and mp.
pub(crate) fn regenerate(
    tick: Res<Tick>,
    content: Res<GameContent>,
    mut players: Query<&mut Vitals, (With<Player>, Without<Dead>)>,
) {
    let r = &content.rules.regen;
    if r.interval_ticks == 0 || !tick.0.is_multiple_of(u64::from(r.interval_ticks)) {
        return;
    }
    for mut v in &mut players {
        if v.hp <= 0 || (v.hp >= v.max_hp && v.mp >= v.max_mp) {
            continue;
        }
        let hp = (v.max_hp * r.hp_pct as i32 / 100).max(1);
        let mp = (v.max_mp * r.mp_pct as i32 / 100).max(1);
        v.hp = (v.hp + hp).min(v.max_hp);
        v.mp = (v.mp + mp).min(v.max_mp);
    }
}

#[cfg(test)]
mod tests {
    use emberkeep_components::config::SimConfig;
    use emberkeep_components::content::GameContent;
    use emberkeep_components::map::Tile;
    use emberkeep_components::protocol::ServerEvent;
    use emberkeep_components::stats::{ActiveEffects, Derived, Vitals};
    use emberkeep_components::world::NetId;

    use crate::scenario::{Scenario, events, open_map};

    fn apply(
        s: &mut Scenario,
        conn: emberkeep_components::net::ConnId,
        effect: &str,
    ) -> Option<ServerEvent> {
        let e = s.entity(conn);
        let content = s.world.resource::<GameContent>().clone();
        let id = *s.world.get::<NetId>(e).unwrap();
        let mut fx = s.world.get_mut::<ActiveEffects>(e).unwrap();
        super::apply_effect(&content, &mut fx, id, effect, None)
    }

    fn scenario() -> Scenario {
        Scenario::new(open_map(16, 16, Tile { x: 4, y: 4 }), SimConfig::default())
    }

    #[test]
    fn a_dot_of_5_every_2_ticks_for_10_ticks_deals_exactly_25_then_expires() {
        let mut s = scenario();
        let (a, id) = s.join("Ann");
        let before = s.get::<Vitals>(a).hp;
        assert!(matches!(
            apply(&mut s, a, "poison"),
            Some(ServerEvent::EffectStart {
                stacks: 1,
                duration_ticks: 10,
                ..
            })
        ));
        let got = s.ticks(10);
        let ev = events(&got, a);
        let pulses: Vec<i32> = ev
            .iter()
            .filter_map(|e| {
                if let ServerEvent::EffectTick { amount, .. } = e {
                    Some(*amount)
                } else {
                    None
                }
            })
            .collect();
        assert_eq!(pulses, vec![-5; 5]);
        assert_eq!(s.get::<Vitals>(a).hp, before - 25);
        assert!(
            ev.contains(&ServerEvent::EffectEnd {
                id,
                effect: "poison".into()
            }),
            "{ev:?}"
        );
        assert!(s.get::<ActiveEffects>(a).0.is_empty());
        // Nothing more after it ended.
        s.ticks(4);
        assert_eq!(s.get::<Vitals>(a).hp, before - 25);
    }

    #[test]
    fn stacking_rules_stack_refresh_and_ignore() {
        let mut s = scenario();
        let (a, _) = s.join("Ann");
        for expected in [1, 2, 3, 3] {
            match apply(&mut s, a, "poison") {
                Some(ServerEvent::EffectStart { stacks, .. }) => assert_eq!(stacks, expected),
                other => panic!("{other:?}"),
            }
        }
        // Three stacks of 5 pulse for 15.
        let before = s.get::<Vitals>(a).hp;
        s.ticks(2);
        assert_eq!(s.get::<Vitals>(a).hp, before - 15);

        // Refresh restarts the duration: 8-tick "might", refreshed at tick 6, lasts to tick 14.
        apply(&mut s, a, "might");
        s.ticks(6);
        apply(&mut s, a, "might");
        s.ticks(7);
        assert!(
            s.get::<ActiveEffects>(a)
                .0
                .iter()
                .any(|x| x.effect == "might")
        );
        s.ticks(1);
        assert!(
            !s.get::<ActiveEffects>(a)
                .0
                .iter()
                .any(|x| x.effect == "might")
        );

        // Ignore keeps the first application.
        assert!(apply(&mut s, a, "stun").is_some());
        s.ticks(3);
        assert!(apply(&mut s, a, "stun").is_none());
        let left = s
            .get::<ActiveEffects>(a)
            .0
            .iter()
            .find(|x| x.effect == "stun")
            .unwrap()
            .remaining;
        assert_eq!(left, 5);
    }

    #[test]
    fn a_buff_raises_attack_while_it_lasts_and_a_hot_heals() {
        let mut s = scenario();
        let (a, _) = s.join("Ann");
        assert_eq!(s.get::<Derived>(a).attack, 10);
        apply(&mut s, a, "might");
        s.world
            .entity_mut(s.entity(a))
            .insert(emberkeep_components::stats::StatsDirty);
        s.tick();
        assert_eq!(s.get::<Derived>(a).attack, 15);
        s.ticks(8);
        assert_eq!(s.get::<Derived>(a).attack, 10, "the buff expired");

        let e = s.entity(a);
        s.world.get_mut::<Vitals>(e).unwrap().hp = 50;
        apply(&mut s, a, "mend"); // 7 every 3 ticks for 6 ticks: two pulses
        s.ticks(6);
        assert_eq!(s.get::<Vitals>(a).hp, 64);
    }
}
