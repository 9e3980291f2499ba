//! Stats: derived numbers from class, level, equipment and effects; experience and levels;
//! and `stat_update` events that carry only what changed.

use bevy_ecs::prelude::*;
use emberkeep_components::content::{BaseStats, Content, GameContent, Stat};
use emberkeep_components::items::Equipment;
use emberkeep_components::protocol::{ServerEvent, StatUpdate, encode_event};
use emberkeep_components::regions::RegionGrid;
use emberkeep_components::stats::{
    ActiveEffects, Base, ClassId, Derived, Experience, Level, SentPublic, SentStats, StatsDirty,
    Vitals,
};
use emberkeep_components::world::{NetId, Outgoing, Player, Position, RegionCell};

/// Flat and percent changes collected from equipment and effects.
#[derive(Debug, Default, Clone)]
pub(crate) struct Modifiers {
    flat: [i32; 9],
    percent: [i32; 9],
}

/// `base + per_stat × stat + per_level × levels`, clamped into an `i32` (max hp and mp).
fn grown(base: i32, per_stat: i32, stat: i32, per_level: i32, levels: i64) -> i32 {
    saturate(
        i64::from(base) + i64::from(per_stat) * i64::from(stat) + i64::from(per_level) * levels,
    )
}

/// `v` clamped into an `i32`.
fn saturate(v: i64) -> i32 {
    v.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

fn slot(stat: Stat) -> usize {
    stat as usize
}

impl Modifiers {
    /// Adds `times` × each listed change.
    pub(crate) fn add(
        &mut self,
        flat: &std::collections::BTreeMap<Stat, i32>,
        percent: &std::collections::BTreeMap<Stat, i32>,
        times: i32,
    ) {
        // Saturating: content numbers are bounded by the loader, but a stat must never wrap.
        for (s, v) in flat {
            let f = &mut self.flat[slot(*s)];
            *f = f.saturating_add(v.saturating_mul(times));
        }
        for (s, v) in percent {
            let p = &mut self.percent[slot(*s)];
            *p = p.saturating_add(v.saturating_mul(times));
        }
    }

    /// `value` with this stat's flat then percent changes applied (rounded toward zero).
    pub(crate) fn apply(&self, stat: Stat, value: i32) -> i32 {
        let v = value.saturating_add(self.flat[slot(stat)]);
        let change = i64::from(v) * i64::from(self.percent[slot(stat)]) / 100;
        saturate(i64::from(v) + change)
    }
}

/// The modifiers a player's equipment, effects and learned passive abilities (of `class` by
/// `level`) add up to.
pub(crate) fn modifiers_of(
    content: &Content,
    equipment: &Equipment,
    effects: &ActiveEffects,
    class: &str,
    level: u32,
) -> Modifiers {
    let mut m = Modifiers::default();
    for def in content.abilities.values() {
        if def.kind == emberkeep_components::abilities::AbilityKind::Passive
            && def.class.as_deref() == Some(class)
            && def.level <= level
        {
            m.add(&def.modifiers, &def.percent, 1);
        }
    }
    for item in equipment.0.values() {
        if let Some(def) = content.items.get(&item.template) {
            m.add(&def.modifiers, &def.percent, 1);
        }
    }
    for active in &effects.0 {
        if let Some(def) = content.effects.get(&active.effect) {
            m.add(&def.modifiers, &def.percent, active.stacks as i32);
        }
    }
    m
}

/// A player's base stats at a level: class base plus growth for each level after the first.
pub(crate) fn base_at(content: &Content, class: &str, level: u32) -> BaseStats {
    let Some(c) = content.classes.get(class) else {
        return BaseStats::default();
    };
    let n = level.saturating_sub(1) as i32;
    BaseStats {
        str: c.base.str.saturating_add(c.growth.str.saturating_mul(n)),
        dex: c.base.dex.saturating_add(c.growth.dex.saturating_mul(n)),
        int: c.base.int.saturating_add(c.growth.int.saturating_mul(n)),
        vit: c.base.vit.saturating_add(c.growth.vit.saturating_mul(n)),
    }
}

/// Derived stats and maximum hp/mp from base stats, level and modifiers.
pub(crate) fn derive(
    content: &Content,
    base: BaseStats,
    level: u32,
    m: &Modifiers,
) -> (Derived, i32, i32) {
    let r = &content.rules.derived;
    let stats = BaseStats {
        str: m.apply(Stat::Str, base.str),
        dex: m.apply(Stat::Dex, base.dex),
        int: m.apply(Stat::Int, base.int),
        vit: m.apply(Stat::Vit, base.vit),
    };
    let lvl = i64::from(level.saturating_sub(1));
    let attack = m.apply(
        Stat::Attack,
        (f64::from(stats.str) * r.attack_per_str).floor() as i32,
    );
    let defense = m.apply(
        Stat::Defense,
        (f64::from(stats.vit) * r.defense_per_vit).floor() as i32,
    );
    let crit = r.crit_base_pct + f64::from(stats.dex) * r.crit_per_dex_pct;
    let crit_pct = m.apply(Stat::CritPct, crit.floor() as i32).clamp(0, 100);
    let max_hp = m
        .apply(
            Stat::MaxHp,
            grown(r.hp_base, r.hp_per_vit, stats.vit, r.hp_per_level, lvl),
        )
        .max(1);
    let max_mp = m
        .apply(
            Stat::MaxMp,
            grown(r.mp_base, r.mp_per_int, stats.int, r.mp_per_level, lvl),
        )
        .max(0);
    (
        Derived {
            stats,
            attack: attack.max(0),
            defense: defense.max(0),
            crit_pct,
        },
        max_hp,
        max_mp,
    )
}

/// Recomputes derived stats of players marked dirty; hp and mp are kept, capped at the new max.
pub(crate) fn recompute_stats(
    content: Res<GameContent>,
    mut dirty: Query<
        (
            Entity,
            &Base,
            &Level,
            &Equipment,
            &ActiveEffects,
            &mut Derived,
            &mut Vitals,
            Option<&ClassId>,
        ),
        With<StatsDirty>,
    >,
    mut commands: Commands,
) {
    for (e, base, level, equipment, effects, mut derived, mut vitals, class) in &mut dirty {
        let class = class.map_or("", |c| c.0.as_str());
        let m = modifiers_of(&content, equipment, effects, class, level.0);
        let (d, max_hp, max_mp) = derive(&content, base.0, level.0, &m);
        if *derived != d {
            *derived = d;
        }
        if vitals.max_hp != max_hp || vitals.max_mp != max_mp {
            vitals.max_hp = max_hp;
            vitals.max_mp = max_mp;
            vitals.hp = vitals.hp.min(max_hp);
            vitals.mp = vitals.mp.min(max_mp);
        }
        commands.entity(e).remove::<StatsDirty>();
    }
}

/// Adds experience to a player and applies every level-up it earns: base stats grow, hp and
/// mp refill. Returns the levels gained.
pub(crate) fn grant_xp(
    content: &Content,
    class: &ClassId,
    amount: u64,
    xp: &mut Experience,
    level: &mut Level,
    base: &mut Base,
) -> u32 {
    let max = content.rules.levels.max_level;
    xp.0 = xp.0.saturating_add(amount);
    let mut gained = 0;
    while level.0 < max {
        let need = content.rules.xp_to_next(level.0);
        if xp.0 < need {
            break;
        }
        xp.0 -= need;
        level.0 += 1;
        gained += 1;
    }
    if gained > 0 {
        base.0 = base_at(content, &class.0, level.0);
    }
    gained
}

/// The full stat view of a player, as `stat_update` fields.
pub(crate) fn full_view(
    content: &Content,
    id: u64,
    level: &Level,
    xp: &Experience,
    vitals: &Vitals,
    derived: &Derived,
) -> StatUpdate {
    StatUpdate {
        id,
        level: Some(level.0),
        hp: Some(vitals.hp),
        max_hp: Some(vitals.max_hp),
        mp: Some(vitals.mp),
        max_mp: Some(vitals.max_mp),
        xp: Some(xp.0),
        xp_next: Some(content.rules.xp_to_next(level.0)),
        str: Some(derived.stats.str),
        dex: Some(derived.stats.dex),
        int: Some(derived.stats.int),
        vit: Some(derived.stats.vit),
        attack: Some(derived.attack),
        defense: Some(derived.defense),
        crit_pct: Some(derived.crit_pct),
    }
}

/// Tells each player what changed in its own stats (private fields; everything the first
/// time), and everyone in view what changed in any creature's level, hp or max hp.
pub(crate) fn announce_stats(
    content: Res<GameContent>,
    mut grid: ResMut<RegionGrid>,
    mut players: Query<
        (
            &NetId,
            &Level,
            &Experience,
            &Vitals,
            &Derived,
            &mut SentStats,
            &mut Outgoing,
        ),
        With<Player>,
    >,
    mut creatures: Query<(
        &NetId,
        &Level,
        &Vitals,
        &mut SentPublic,
        &RegionCell,
        &Position,
    )>,
) {
    for (id, level, xp, vitals, derived, mut sent, mut out) in &mut players {
        let now = full_view(&content, id.0, level, xp, vitals, derived);
        let first = sent.0.is_none();
        let diff = match &sent.0 {
            None => now.clone(),
            Some(before) => private_diff(before, &now),
        };
        if !diff.is_empty() {
            out.push(&encode_event(&ServerEvent::StatUpdate(diff)));
        }
        if first || sent.0.as_ref() != Some(&now) {
            sent.0 = Some(now);
        }
    }
    for (id, level, vitals, mut sent, cell, pos) in &mut creatures {
        let now = SentPublic {
            level: level.0,
            hp: vitals.hp,
            max_hp: vitals.max_hp,
        };
        if *sent == now {
            continue;
        }
        let update = StatUpdate {
            id: id.0,
            level: (sent.level != now.level).then_some(now.level),
            hp: (sent.hp != now.hp).then_some(now.hp),
            max_hp: (sent.max_hp != now.max_hp).then_some(now.max_hp),
            ..StatUpdate::default()
        };
        *sent = now;
        let region = if *cell == RegionCell::NONE {
            grid.region_of(pos.0)
        } else {
            cell.0
        };
        grid.broadcast(region, &encode_event(&ServerEvent::StatUpdate(update)));
    }
}

/// The private fields (all but level, hp and max_hp) that differ between two views.
fn private_diff(before: &StatUpdate, now: &StatUpdate) -> StatUpdate {
    fn pick<T: PartialEq + Copy>(a: Option<T>, b: Option<T>) -> Option<T> {
        if a != b { b } else { None }
    }
    StatUpdate {
        id: now.id,
        level: None,
        hp: None,
        max_hp: None,
        mp: pick(before.mp, now.mp),
        max_mp: pick(before.max_mp, now.max_mp),
        xp: pick(before.xp, now.xp),
        xp_next: pick(before.xp_next, now.xp_next),
        str: pick(before.str, now.str),
        dex: pick(before.dex, now.dex),
        int: pick(before.int, now.int),
        vit: pick(before.vit, now.vit),
        attack: pick(before.attack, now.attack),
        defense: pick(before.defense, now.defense),
        crit_pct: pick(before.crit_pct, now.crit_pct),
    }
}

/// Gives `player` experience outside combat (a quest, a story action): an `xp_gain`; a
/// level-up is announced to the region, recomputes the stats and saves the character.
pub(crate) fn give_xp(world: &mut World, player: Entity, amount: u64) {
    let content = world.resource::<GameContent>().0.clone();
    let content = &*content;
    let mut q = world.query::<(
        &NetId,
        &ClassId,
        &mut Experience,
        &mut Level,
        &mut Base,
        &mut Outgoing,
        &Position,
    )>();
    let Ok((id, class, mut xp, mut level, mut base, mut out, pos)) = q.get_mut(world, player)
    else {
        return;
    };
    let gained =
        crate::game::stats::grant_xp(content, class, amount, &mut xp, &mut level, &mut base);
    out.push(&encode_event(&ServerEvent::XpGain {
        amount,
        xp: xp.0,
        xp_next: content.rules.xp_to_next(level.0),
        level: level.0,
    }));
    if gained == 0 {
        return;
    }
    let (id, level, tile) = (id.0, level.0, pos.0);
    let mut grid = world.resource_mut::<RegionGrid>();
    let region = grid.region_of(tile);
    grid.broadcast(region, &encode_event(&ServerEvent::LevelUp { id, level }));
    world.entity_mut(player).insert(StatsDirty);
    world
        .resource_mut::<emberkeep_components::persist::SaveSoon>()
        .add(
            &[player],
            emberkeep_components::persist::SaveReason::LevelUp,
        );
}
