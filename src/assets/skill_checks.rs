//! `skills.toml`, `nodes.toml` and `recipes.toml`: curves that make sense, and references
//! that hold — a node's or recipe's skill exists and its level is within the skill's
//! `max_level`, items (yields, tools, inputs, outputs) exist, counts are at least 1, chances
//! are from 0 to 1, ticks at least 1. Achievement counters `gathered:<node>` and
//! `crafted:<recipe>` name a node and a recipe that exist. Every reason names its field.

use emberkeep_components::content::ItemDef;
use emberkeep_components::quests::{AchievementDef, counters};
use emberkeep_components::skills::{ItemCount, NodeDef, RecipeDef, SkillDef};

use super::content::{ContentProblem, Entries, Sink};
use super::content_checks::Reasons;

/// Highest `max_level` of a skill.
pub const MAX_SKILL_LEVEL: u32 = 200;
/// Longest round of gathering or crafting, and longest node respawn: an hour of ticks.
pub const MAX_TICKS: u32 = 20 * 60 * 60;

/// `skills.toml`: names and curves.
pub(super) fn skills(skills: &Entries<SkillDef>, out: &mut Vec<ContentProblem>) {
    let mut sink = Sink {
        file: &skills.file,
        out,
    };
    for (id, s) in &skills.defs {
        let mut c = Reasons::default();
        if s.name.trim().is_empty() {
            c.fail("name must not be empty: it is what players see");
        }
        c.within("max_level", s.max_level, 1, MAX_SKILL_LEVEL);
        c.at_least("xp_base", s.xp_base, 1);
        c.within("xp_growth_pct", s.xp_growth_pct, 0, 1000);
        c.flush(&mut sink, id);
    }
}

/// A node's or recipe's skill and level.
fn skill_level(c: &mut Reasons, skills: &Entries<SkillDef>, skill: &str, level: u32) {
    if !skills.knows(skill) {
        c.fail(format!("skill {skill:?} is not in skills.toml"));
    }
    c.at_least("level", level, 1);
    if let Some(def) = skills.defs.get(skill)
        && level > def.max_level
    {
        c.fail(format!(
            "level {level} is above {skill}'s max_level {}",
            def.max_level
        ));
    }
}

/// `nodes.toml`.
pub(super) fn nodes(
    nodes: &Entries<NodeDef>,
    skills: &Entries<SkillDef>,
    items: &Entries<ItemDef>,
    out: &mut Vec<ContentProblem>,
) {
    let mut sink = Sink {
        file: &nodes.file,
        out,
    };
    for (id, n) in &nodes.defs {
        let mut c = Reasons::default();
        if n.name.trim().is_empty() {
            c.fail("name must not be empty: it is what players see");
        }
        skill_level(&mut c, skills, &n.skill, n.level);
        if let Some(tool) = &n.tool
            && !items.knows(tool)
        {
            c.fail(format!("tool {tool:?} is not in items.toml"));
        }
        c.within("ticks", n.ticks, 1, MAX_TICKS);
        c.within("respawn_ticks", n.respawn_ticks, 1, MAX_TICKS);
        c.at_least("gathers", n.gathers, 1);
        if n.yields.is_empty() {
            c.fail("yields is empty: add at least one { item, min, max, chance }");
        }
        for (i, y) in n.yields.iter().enumerate() {
            if !items.knows(&y.item) {
                c.fail(format!(
                    "yields[{i}].item {:?} is not in items.toml",
                    y.item
                ));
            }
            c.at_least(&format!("yields[{i}].min"), y.min, 1);
            if y.max < y.min {
                c.fail(format!(
                    "yields[{i}].max ({}) is below its min ({})",
                    y.max, y.min
                ));
            }
            c.within(&format!("yields[{i}].chance"), y.chance, 0.0, 1.0);
        }
        c.flush(&mut sink, id);
    }
}

/// One list of a recipe: items that exist, counts of at least 1.
fn item_counts(c: &mut Reasons, items: &Entries<ItemDef>, field: &str, list: &[ItemCount]) {
    if list.is_empty() {
        c.fail(format!(
            "{field} is empty: add at least one {{ item, count }}"
        ));
    }
    for (i, ic) in list.iter().enumerate() {
        if !items.knows(&ic.item) {
            c.fail(format!(
                "{field}[{i}].item {:?} is not in items.toml",
                ic.item
            ));
        }
        c.at_least(&format!("{field}[{i}].count"), ic.count, 1);
    }
}

/// `recipes.toml`.
pub(super) fn recipes(
    recipes: &Entries<RecipeDef>,
    skills: &Entries<SkillDef>,
    items: &Entries<ItemDef>,
    out: &mut Vec<ContentProblem>,
) {
    let mut sink = Sink {
        file: &recipes.file,
        out,
    };
    for (id, r) in &recipes.defs {
        let mut c = Reasons::default();
        if r.name.trim().is_empty() {
            c.fail("name must not be empty: it is what players see");
        }
        skill_level(&mut c, skills, &r.skill, r.level);
        c.within("ticks", r.ticks, 1, MAX_TICKS);
        item_counts(&mut c, items, "inputs", &r.inputs);
        item_counts(&mut c, items, "outputs", &r.outputs);
        c.flush(&mut sink, id);
    }
}

/// `achievements.toml`: `gathered:<node>` and `crafted:<recipe>` name ones that exist.
pub(super) fn counters(
    achievements: &Entries<AchievementDef>,
    nodes: &Entries<NodeDef>,
    recipes: &Entries<RecipeDef>,
    out: &mut Vec<ContentProblem>,
) {
    let mut sink = Sink {
        file: &achievements.file,
        out,
    };
    for (id, a) in &achievements.defs {
        match counters::parse(&a.counter) {
            Some(counters::Form::Gathered(node)) if !nodes.knows(node) => sink.add(
                id,
                format!(
                    "counter {:?} names {node:?}, which is not a node in nodes.toml",
                    a.counter
                ),
            ),
            Some(counters::Form::Crafted(recipe)) if !recipes.knows(recipe) => sink.add(
                id,
                format!(
                    "counter {:?} names {recipe:?}, which is not a recipe in recipes.toml",
                    a.counter
                ),
            ),
            _ => {}
        }
    }
}
