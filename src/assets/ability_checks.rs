//! `abilities.toml`: kinds and targets that fit together (a passive has no target, mana or
//! timing; an active one does something: damage, heal, an effect or a dash, aimed where it
//! makes sense), ranges, and references to classes and effects; and the `abilities` mob
//! templates list (ids of active abilities).

use emberkeep_components::abilities::{AbilityDef, AbilityKind, TargetKind};
use emberkeep_components::content::{ClassDef, EffectDef, MobDef};

use super::content::{ContentProblem, Entries, Sink};
use super::content_checks::{MAX_LEVEL, MAX_STAT, Reasons, stat_changes};

/// Farthest an ability reaches, in tiles.
pub const MAX_RANGE: i32 = 20;
/// Largest area of effect (tiles around its centre).
pub const MAX_RADIUS: i32 = 10;
/// Longest dash, in tiles.
pub const MAX_DASH: i32 = 10;
/// Longest cast: 10 s.
pub const MAX_CAST_TICKS: u32 = 200;
/// Longest cooldown: 1 hour.
pub const MAX_COOLDOWN_TICKS: u32 = 72_000;

/// Checks every ability.
pub(super) fn abilities(
    abilities: &Entries<AbilityDef>,
    classes: &Entries<ClassDef>,
    effects: &Entries<EffectDef>,
    out: &mut Vec<ContentProblem>,
) {
    let mut sink = Sink {
        file: &abilities.file,
        out,
    };
    for (id, a) in &abilities.defs {
        let mut c = Reasons::default();
        c.name(&a.name);
        c.within("level", a.level, 1, MAX_LEVEL);
        match &a.class {
            Some(class) if !classes.knows(class) => {
                c.fail(format!("class {class:?} is not in classes.toml"))
            }
            None if a.kind == AbilityKind::Passive => {
                c.fail("a passive ability needs a class (mobs only cast active ones)")
            }
            _ => {}
        }
        if let Some(effect) = &a.effect
            && !effects.knows(effect)
        {
            c.fail(format!("effect {effect:?} is not in effects.toml"));
        }
        match a.kind {
            AbilityKind::Passive => passive(&mut c, a),
            AbilityKind::Active => active(&mut c, a),
        }
        c.flush(&mut sink, id);
    }
}

fn passive(c: &mut Reasons, a: &AbilityDef) {
    let active_keys = a.target.is_some()
        || a.mana != 0
        || a.cooldown_ticks != 0
        || a.cast_ticks != 0
        || a.range != 0
        || a.radius != 0
        || a.damage.is_some()
        || a.heal.is_some()
        || a.effect.is_some()
        || a.dash != 0;
    if active_keys {
        c.fail("a passive ability only has modifiers and percent: remove target, mana, cooldown_ticks, cast_ticks, range, radius, damage, heal, effect and dash");
    }
    if a.modifiers.is_empty() && a.percent.is_empty() {
        c.fail("a passive ability needs modifiers or percent (the stats it changes)");
    }
    stat_changes(c, &a.modifiers, &a.percent);
}

fn active(c: &mut Reasons, a: &AbilityDef) {
    let Some(target) = a.target else {
        return c
            .fail("an active ability needs target = \"self\", \"ally\", \"enemy\" or \"ground\"");
    };
    if !a.modifiers.is_empty() || !a.percent.is_empty() {
        c.fail("modifiers and percent only apply to passive abilities; use an effect");
    }
    c.within("mana", a.mana, 0, MAX_STAT);
    c.within("cooldown_ticks", a.cooldown_ticks, 0, MAX_COOLDOWN_TICKS);
    c.within("cast_ticks", a.cast_ticks, 0, MAX_CAST_TICKS);
    c.within("radius", a.radius, 0, MAX_RADIUS);
    c.within("dash", a.dash, 0, MAX_DASH);
    if target == TargetKind::Myself {
        if a.range != 0 {
            c.fail(format!(
                "a self ability has no range; remove it (got {})",
                a.range
            ));
        }
    } else {
        c.within("range", a.range, 1, MAX_RANGE);
    }
    if let Some(d) = a.damage {
        c.within("damage.base", d.base, 0, MAX_STAT);
        c.within("damage.attack_pct", d.attack_pct, 0, 10_000);
        c.within("damage.int_pct", d.int_pct, 0, 10_000);
    }
    if let Some(h) = a.heal {
        c.within("heal.base", h.base, 0, MAX_STAT);
        c.within("heal.int_pct", h.int_pct, 0, 10_000);
    }
    if a.damage.is_none() && a.heal.is_none() && a.effect.is_none() && a.dash == 0 {
        c.fail("an active ability must do something: set damage, heal, effect or dash");
    }
    if a.damage.is_some() && a.heal.is_some() {
        c.fail("damage and heal cannot go together: an ability either hurts or helps");
    }
    match target {
        TargetKind::Ally if a.damage.is_some() => {
            c.fail("an ally ability cannot deal damage; use target = \"enemy\"")
        }
        TargetKind::Enemy if a.heal.is_some() => {
            c.fail("an enemy ability cannot heal; use target = \"ally\"")
        }
        TargetKind::Myself if a.damage.is_some() && a.radius == 0 => c.fail(
            "a self ability that deals damage needs a radius (it hits those around the caster)",
        ),
        _ => {}
    }
    if a.dash > 0 && !matches!(target, TargetKind::Enemy | TargetKind::Ground) {
        c.fail("dash needs target = \"enemy\" or \"ground\" (where to dash to)");
    }
}

/// `mobs.toml`: each of a template's `abilities` is an active ability in abilities.toml.
pub(super) fn mob_abilities(
    mobs: &Entries<MobDef>,
    abilities: &Entries<AbilityDef>,
    out: &mut Vec<ContentProblem>,
) {
    let mut sink = Sink {
        file: &mobs.file,
        out,
    };
    for (id, m) in &mobs.defs {
        let mut c = Reasons::default();
        for a in &m.abilities {
            if !abilities.knows(a) {
                c.fail(format!("ability {a:?} is not in abilities.toml"));
            } else if abilities
                .defs
                .get(a)
                .is_some_and(|d| d.kind == AbilityKind::Passive)
            {
                c.fail(format!(
                    "ability {a:?} is passive; mobs only cast active abilities"
                ));
            }
        }
        c.flush(&mut sink, id);
    }
}

#[cfg(test)]
#[path = "ability_tests.rs"]
mod tests;
