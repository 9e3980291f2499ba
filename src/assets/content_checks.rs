//! What content must satisfy beyond its shape: ranges that make a playable game at 20 ticks
//! a second, kinds and fields that fit together, and references between files (and from the
//! map's spawn areas). Every reason names the field it is about.

use std::fmt::Display;
use std::path::Path;

use emberkeep_components::content::{
    BaseStats, ClassDef, EffectDef, EffectKind, EquipSlot, ItemDef, ItemKind, LootTable, MobDef,
    Rules, SpawnArea, Stacking, Stat,
};
use emberkeep_components::map::{Tile, TileMap};

use super::content::{ContentProblem, Entries, Sink};

/// Highest `levels.max_level`.
pub const MAX_LEVEL: u32 = 1000;
/// Largest inventory.
pub const MAX_SLOTS: u32 = 200;
/// Largest party.
pub const MAX_PARTY: u32 = 50;
/// Farthest a party member may stand from a kill to share its experience, in tiles.
pub const MAX_XP_RANGE: i32 = 1000;
/// Largest `max_stack` of an item.
pub const MAX_STACK: u32 = 9999;

/// The reasons found in one entry, written as `field must ..., got value`.
#[derive(Default)]
pub(super) struct Reasons(Vec<String>);

impl Reasons {
    /// Fails unless `value >= min` (NaN fails too).
    pub(super) fn at_least<T: PartialOrd + Display>(&mut self, field: &str, value: T, min: T) {
        if value.partial_cmp(&min).is_none_or(|o| o.is_lt()) {
            self.0
                .push(format!("{field} must be at least {min}, got {value}"));
        }
    }

    /// Fails unless `lo <= value <= hi` (NaN fails too).
    pub(super) fn within<T: PartialOrd + Display>(&mut self, field: &str, value: T, lo: T, hi: T) {
        let inside = value.partial_cmp(&lo).is_some_and(|o| o.is_ge())
            && value.partial_cmp(&hi).is_some_and(|o| o.is_le());
        if !inside {
            self.0
                .push(format!("{field} must be from {lo} to {hi}, got {value}"));
        }
    }

    pub(super) fn fail(&mut self, reason: impl Into<String>) {
        self.0.push(reason.into());
    }

    pub(super) fn name(&mut self, name: &str) {
        if name.trim().is_empty() {
            self.fail("name must not be empty: it is what players see");
        }
    }

    pub(super) fn flush(self, sink: &mut Sink, entry: &str) {
        for r in self.0 {
            sink.add(entry, r);
        }
    }
}

/// `rules.toml`: every section's ranges, and `default_class`.
pub(super) fn rules(
    r: &Rules,
    file: &Path,
    classes: &Entries<ClassDef>,
    out: &mut Vec<ContentProblem>,
) {
    let mut sink = Sink { file, out };
    if !classes.knows(&r.default_class) {
        sink.add(
            "",
            format!(
                "default_class {:?} is not a class in classes.toml",
                r.default_class
            ),
        );
    }

    let mut c = Reasons::default();
    let l = &r.levels;
    c.within("max_level", l.max_level, 1, MAX_LEVEL);
    c.at_least("xp_base", l.xp_base, 1);
    c.within("xp_growth_pct", l.xp_growth_pct, 0, 1000);
    if c.0.is_empty()
        && let Some(level) = xp_overflow(l.xp_base, l.xp_growth_pct, l.max_level)
    {
        c.fail(format!(
            "the xp curve overflows at level {level}; lower xp_growth_pct or max_level"
        ));
    }
    c.flush(&mut sink, "levels");

    let mut c = Reasons::default();
    let d = &r.derived;
    c.at_least("hp_base", d.hp_base, 1);
    for (field, v) in [
        ("hp_per_vit", d.hp_per_vit),
        ("hp_per_level", d.hp_per_level),
        ("mp_base", d.mp_base),
        ("mp_per_int", d.mp_per_int),
        ("mp_per_level", d.mp_per_level),
    ] {
        c.at_least(field, v, 0);
    }
    for (field, v, hi) in [
        ("attack_per_str", d.attack_per_str, 100.0),
        ("defense_per_vit", d.defense_per_vit, 100.0),
        ("crit_base_pct", d.crit_base_pct, 100.0),
        ("crit_per_dex_pct", d.crit_per_dex_pct, 100.0),
        ("dodge_per_dex_pct", d.dodge_per_dex_pct, 100.0),
    ] {
        c.within(field, v, 0.0, hi);
    }
    c.flush(&mut sink, "derived");

    let mut c = Reasons::default();
    c.at_least("interval_ticks", r.regen.interval_ticks, 1);
    c.within("hp_pct", r.regen.hp_pct, 0, 100);
    c.within("mp_pct", r.regen.mp_pct, 0, 100);
    c.flush(&mut sink, "regen");

    let mut c = Reasons::default();
    let k = &r.combat;
    if !(k.base_hit_pct > 0.0 && k.base_hit_pct <= 100.0) {
        c.fail(format!(
            "base_hit_pct must be more than 0 and at most 100, got {}",
            k.base_hit_pct
        ));
    }
    c.within("crit_multiplier_pct", k.crit_multiplier_pct, 100, 1000);
    c.at_least("attack_range", k.attack_range, 1);
    c.at_least("attack_cooldown_ticks", k.attack_cooldown_ticks, 1);
    c.at_least("respawn_ticks", k.respawn_ticks, 1);
    c.at_least("min_damage", k.min_damage, 0);
    c.flush(&mut sink, "combat");

    let mut c = Reasons::default();
    c.at_least("despawn_ticks", r.loot.despawn_ticks, 1);
    if r.loot.owner_ticks >= r.loot.despawn_ticks {
        c.fail(format!(
            "owner_ticks ({}) must be less than despawn_ticks ({})",
            r.loot.owner_ticks, r.loot.despawn_ticks
        ));
    }
    c.flush(&mut sink, "loot");

    let mut c = Reasons::default();
    c.within("slots", r.inventory.slots, 1, MAX_SLOTS);
    c.within("bank_slots", r.inventory.bank_slots, 1, MAX_SLOTS);
    c.flush(&mut sink, "inventory");

    let mut c = Reasons::default();
    c.within("max_members", r.party.max_members, 2, MAX_PARTY);
    c.within("xp_range", r.party.xp_range, 0, MAX_XP_RANGE);
    c.flush(&mut sink, "party");
}

/// The first level whose xp requirement does not fit in 64 bits, if any.
fn xp_overflow(base: u32, growth_pct: u32, max_level: u32) -> Option<u32> {
    let mut xp = u64::from(base);
    for level in 1..=max_level {
        xp = match xp.checked_mul(100 + u64::from(growth_pct)) {
            Some(x) => x / 100,
            None => return Some(level + 1),
        };
    }
    None
}

/// Largest base stat or growth of a class, and largest stat change of an item or effect.
pub const MAX_STAT: i32 = 100_000;

/// `classes.toml`: at least one class, names, stats in range, starting items that exist, fit
/// a stack and (if worn) are weapons or armor, one per slot.
pub(super) fn classes(
    classes: &Entries<ClassDef>,
    items: &Entries<ItemDef>,
    out: &mut Vec<ContentProblem>,
) {
    let mut sink = Sink {
        file: &classes.file,
        out,
    };
    if classes.ids.as_ref().is_some_and(|ids| ids.is_empty()) {
        sink.add("", "no classes: add at least one, such as [warrior]");
    }
    for (id, class) in &classes.defs {
        let mut c = Reasons::default();
        c.name(&class.name);
        base_stats(&mut c, "base", &class.base);
        base_stats(&mut c, "growth", &class.growth);
        let mut worn = std::collections::BTreeSet::new();
        for (i, s) in class.starting_items.iter().enumerate() {
            let field = format!("starting_items[{i}]");
            if !items.knows(&s.item) {
                c.fail(format!(
                    "{field}.item {:?} is not an item in items.toml",
                    s.item
                ));
                continue;
            }
            let Some(def) = items.defs.get(&s.item) else {
                continue;
            };
            c.within(&format!("{field}.count"), s.count, 1, def.max_stack.max(1));
            if s.equipped {
                match def.slot {
                    Some(slot) if !worn.insert(slot) => c.fail(format!(
                        "{field} is worn in the {slot:?} slot, already taken by an earlier starting item"
                    )),
                    Some(_) => {}
                    None => c.fail(format!(
                        "{field}.equipped: {:?} is not a weapon or armor; it cannot be worn",
                        s.item
                    )),
                }
            }
        }
        c.flush(&mut sink, id);
    }
}

fn base_stats(c: &mut Reasons, table: &str, s: &BaseStats) {
    for (stat, v) in [
        ("str", s.str),
        ("dex", s.dex),
        ("int", s.int),
        ("vit", s.vit),
    ] {
        c.within(&format!("{table}.{stat}"), v, 0, MAX_STAT);
    }
}

/// Largest hp of a mob.
pub const MAX_HP: i32 = 1_000_000_000;

/// Flat and percent stat changes (of an item or an effect) within ±[`MAX_STAT`].
pub(super) fn stat_changes(
    c: &mut Reasons,
    modifiers: &std::collections::BTreeMap<Stat, i32>,
    percent: &std::collections::BTreeMap<Stat, i32>,
) {
    for (table, stats) in [("modifiers", modifiers), ("percent", percent)] {
        for (stat, v) in stats {
            c.within(
                &format!("{table}.{}", stat_name(*stat)),
                *v,
                -MAX_STAT,
                MAX_STAT,
            );
        }
    }
}

/// `effects.toml`: durations, pulses for dot/hot, stat changes for buff/debuff.
pub(super) fn effects(effects: &Entries<EffectDef>, out: &mut Vec<ContentProblem>) {
    let mut sink = Sink {
        file: &effects.file,
        out,
    };
    for (id, e) in &effects.defs {
        let mut c = Reasons::default();
        c.name(&e.name);
        c.at_least("duration_ticks", e.duration_ticks, 1);
        c.at_least("max_stacks", e.max_stacks, 1);
        if e.max_stacks > 1 && e.stacking != Stacking::Stack {
            c.fail(
                "max_stacks only applies with stacking = \"stack\"; remove it or change stacking",
            );
        }
        let has_stats = !e.modifiers.is_empty() || !e.percent.is_empty();
        match e.kind {
            EffectKind::Dot | EffectKind::Hot => {
                c.at_least("interval_ticks", e.interval_ticks, 1);
                if e.interval_ticks > e.duration_ticks {
                    c.fail(format!(
                        "interval_ticks must be at most duration_ticks ({}), got {}",
                        e.duration_ticks, e.interval_ticks
                    ));
                }
                c.within("magnitude", e.magnitude, 1, MAX_STAT);
                if has_stats {
                    c.fail("modifiers and percent only apply to buff and debuff effects");
                }
            }
            EffectKind::Stun | EffectKind::Slow | EffectKind::Shield => {
                if has_stats {
                    c.fail("modifiers and percent only apply to buff and debuff effects");
                }
                if e.interval_ticks != 0 {
                    c.fail("interval_ticks only applies to dot and hot effects");
                }
                match e.kind {
                    EffectKind::Stun if e.magnitude != 0 => {
                        c.fail("magnitude does not apply to a stun; remove it")
                    }
                    EffectKind::Slow => c.within("magnitude", e.magnitude, 1, 100),
                    EffectKind::Shield => c.within("magnitude", e.magnitude, 1, MAX_STAT),
                    _ => {}
                }
            }
            EffectKind::Buff | EffectKind::Debuff => {
                let buff = e.kind == EffectKind::Buff;
                let kind = if buff { "buff" } else { "debuff" };
                if !has_stats {
                    c.fail(format!(
                        "a {kind} needs modifiers or percent (the stats it changes)"
                    ));
                }
                stat_changes(&mut c, &e.modifiers, &e.percent);
                if e.interval_ticks != 0 || e.magnitude != 0 {
                    c.fail("interval_ticks and magnitude only apply to dot and hot effects");
                }
                for (table, stats) in [("modifiers", &e.modifiers), ("percent", &e.percent)] {
                    for (stat, v) in stats {
                        if buff && *v <= 0 {
                            c.fail(format!(
                                "{table}.{} must be positive in a buff (it is added), got {v}; lower stats with a debuff",
                                stat_name(*stat)
                            ));
                        } else if !buff && *v >= 0 {
                            c.fail(format!(
                                "{table}.{} must be negative in a debuff (it is added), got {v}",
                                stat_name(*stat)
                            ));
                        }
                    }
                }
            }
        }
        c.flush(&mut sink, id);
    }
}

/// `items.toml`: slots fit the kind, consumables do something, references to effects.
pub(super) fn items(
    items: &Entries<ItemDef>,
    effects: &Entries<EffectDef>,
    out: &mut Vec<ContentProblem>,
) {
    let mut sink = Sink {
        file: &items.file,
        out,
    };
    for (id, item) in &items.defs {
        let mut c = Reasons::default();
        c.name(&item.name);
        c.within("max_stack", item.max_stack, 1, MAX_STACK);
        let equipment = matches!(item.kind, ItemKind::Weapon | ItemKind::Armor);
        match (item.kind, item.slot) {
            (ItemKind::Weapon, Some(EquipSlot::Weapon)) => {}
            (ItemKind::Weapon, _) => c.fail("a weapon needs slot = \"weapon\""),
            (ItemKind::Armor, Some(EquipSlot::Weapon)) => c.fail(
                "armor cannot use the weapon slot; use head, chest, legs, feet, hands or shield",
            ),
            (ItemKind::Armor, Some(_)) => {}
            (ItemKind::Armor, None) => {
                c.fail("armor needs a slot: head, chest, legs, feet, hands or shield")
            }
            (_, Some(_)) => c.fail("only weapons and armor have a slot; remove slot"),
            (_, None) => {}
        }
        let uses = item.heal != 0 || item.mana != 0 || item.effect.is_some();
        if equipment {
            if item.max_stack != 1 {
                c.fail(format!(
                    "weapons and armor do not stack: max_stack must be 1, got {}",
                    item.max_stack
                ));
            }
        } else if !item.modifiers.is_empty() || !item.percent.is_empty() {
            c.fail("modifiers and percent apply while equipped; only weapons and armor have them");
        }
        stat_changes(&mut c, &item.modifiers, &item.percent);
        if item.kind == ItemKind::Consumable {
            c.within("heal", item.heal, 0, MAX_STAT);
            c.within("mana", item.mana, 0, MAX_STAT);
            if !uses {
                c.fail("a consumable must do something: set heal, mana or effect");
            }
        } else if uses {
            c.fail("heal, mana and effect only apply to consumables");
        }
        if let Some(effect) = &item.effect
            && !effects.knows(effect)
        {
            c.fail(format!("effect {effect:?} is not in effects.toml"));
        }
        c.flush(&mut sink, id);
    }
}

/// `mobs.toml`: stats, ranges that keep chases sane, timings, loot references.
pub(super) fn mobs(
    mobs: &Entries<MobDef>,
    loot: &Entries<LootTable>,
    out: &mut Vec<ContentProblem>,
) {
    let mut sink = Sink {
        file: &mobs.file,
        out,
    };
    for (id, m) in &mobs.defs {
        let mut c = Reasons::default();
        c.name(&m.name);
        c.within("level", m.level, 1, MAX_LEVEL);
        c.within("hp", m.hp, 1, MAX_HP);
        c.within("attack", m.attack, 0, MAX_STAT);
        c.within("defense", m.defense, 0, MAX_STAT);
        c.within("dex", m.dex, 0, MAX_STAT);
        c.at_least("aggro_range", m.aggro_range, 0);
        c.at_least("leash_range", m.leash_range, 1);
        if m.aggro_range > m.leash_range && m.leash_range >= 1 {
            c.fail(format!(
                "leash_range must be at least aggro_range ({}), got {}",
                m.aggro_range, m.leash_range
            ));
        }
        c.at_least("wander_radius", m.wander_radius, 0);
        if m.wander_radius > m.leash_range && m.leash_range >= 1 {
            c.fail(format!(
                "wander_radius must be at most leash_range ({}), got {}",
                m.leash_range, m.wander_radius
            ));
        }
        c.at_least("move_every_ticks", m.move_every_ticks, 1);
        c.at_least("attack_range", m.attack_range, 1);
        c.at_least("attack_cooldown_ticks", m.attack_cooldown_ticks, 1);
        c.at_least("respawn_ticks", m.respawn_ticks, 1);
        c.within("flee_below_pct", m.flee_below_pct, 0, 99);
        if let Some(table) = &m.loot
            && !loot.knows(table)
        {
            c.fail(format!("loot {table:?} is not a table in loot.toml"));
        }
        c.flush(&mut sink, id);
    }
}

/// `loot.toml`: chances, amounts, and the items they drop.
pub(super) fn loot(
    loot: &Entries<LootTable>,
    items: &Entries<ItemDef>,
    out: &mut Vec<ContentProblem>,
) {
    let mut sink = Sink {
        file: &loot.file,
        out,
    };
    for (id, table) in &loot.defs {
        let mut c = Reasons::default();
        if table.drops.is_empty() && table.gold.is_none() {
            c.fail("drops is empty; add at least one { item = \"...\", chance = ... } or gold");
        }
        if let Some(g) = table.gold
            && g.max < g.min
        {
            c.fail(format!(
                "gold.max must be at least gold.min ({}), got {}",
                g.min, g.max
            ));
        }
        for (i, d) in table.drops.iter().enumerate() {
            if !items.knows(&d.item) {
                c.fail(format!("drops[{i}].item {:?} is not in items.toml", d.item));
            }
            if !(d.chance > 0.0 && d.chance <= 1.0) {
                c.fail(format!(
                    "drops[{i}].chance must be more than 0 and at most 1, got {}",
                    d.chance
                ));
            }
            c.at_least(&format!("drops[{i}].min"), d.min, 1);
            if d.max < d.min {
                c.fail(format!(
                    "drops[{i}].max must be at least min ({}), got {}",
                    d.min, d.max
                ));
            }
            if let Some(item) = items.defs.get(&d.item)
                && d.max > item.max_stack
            {
                c.fail(format!(
                    "drops[{i}].max must be at most {:?}'s max_stack ({}), got {}",
                    d.item, item.max_stack, d.max
                ));
            }
        }
        c.flush(&mut sink, id);
    }
}

/// The map's mob spawn areas: a known mob, walkable ground, no hostile mob in a safe zone.
/// Returns reasons about the map file.
pub(super) fn spawn_areas(
    map: &TileMap,
    areas: &[SpawnArea],
    mobs: &Entries<MobDef>,
) -> Vec<String> {
    let mut out = Vec::new();
    for a in areas {
        if !mobs.knows(&a.mob) {
            out.push(format!(
                "spawn area {:?}: mob {:?} is not in mobs.toml",
                a.name, a.mob
            ));
        }
        let walkable = (a.min.y..=a.max.y)
            .flat_map(|y| (a.min.x..=a.max.x).map(move |x| Tile { x, y }))
            .filter(|t| map.is_walkable(*t))
            .count();
        if walkable == 0 {
            out.push(format!(
                "spawn area {:?} is entirely blocked (tiles {}, {} to {}, {}); move it onto walkable ground",
                a.name, a.min.x, a.min.y, a.max.x, a.max.y
            ));
        }
        if mobs.defs.get(&a.mob).is_some_and(|m| m.hostile) {
            let overlaps = |z: &&emberkeep_components::map::Zone| {
                z.safe
                    && a.min.x <= z.max.x
                    && z.min.x <= a.max.x
                    && a.min.y <= z.max.y
                    && z.min.y <= a.max.y
            };
            if let Some(zone) = map.zones.iter().find(overlaps) {
                out.push(format!(
                    "spawn area {:?}: hostile mob {:?} overlaps the safe zone {:?}; move the area or use a non-hostile mob",
                    a.name, a.mob, zone.name
                ));
            }
        }
    }
    out
}

fn stat_name(stat: Stat) -> &'static str {
    match stat {
        Stat::Str => "str",
        Stat::Dex => "dex",
        Stat::Int => "int",
        Stat::Vit => "vit",
        Stat::Attack => "attack",
        Stat::Defense => "defense",
        Stat::MaxHp => "max_hp",
        Stat::MaxMp => "max_mp",
        Stat::CritPct => "crit_pct",
    }
}
