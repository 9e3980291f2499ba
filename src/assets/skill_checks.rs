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

#[cfg(test)]
mod tests {
    use super::super::content::tests::{assert_problem, problems_in};

    const SKILLS: &str =
        "[mining]\nname = \"Mining\"\nmax_level = 10\nxp_base = 50\nxp_growth_pct = 40\n";

    #[test]
    fn nodes_recipes_and_counters_must_name_what_exists() {
        let nodes = r#"
[rock]
name = "Rock"
skill = "digging"
level = 1
tool = "pick"
ticks = 0
xp = 5
yields = [{ item = "ore", min = 2, max = 1, chance = 1.5 }]
gathers = 1
respawn_ticks = 10
[deep]
name = "Deep"
skill = "mining"
level = 11
ticks = 5
xp = 5
yields = []
gathers = 0
respawn_ticks = 10
"#;
        let recipes = r#"
[bar]
name = "Bar"
station = "furnace"
skill = "mining"
xp = 1
ticks = 5
inputs = [{ item = "ore", count = 0 }]
outputs = []
[odd]
name = "Odd"
station = "oven"
skill = "mining"
xp = 1
ticks = 5
inputs = []
outputs = []
"#;
        let achievements = r#"
[miner]
name = "Miner"
counter = "gathered:nowhere"
threshold = 1
[smith]
name = "Smith"
counter = "crafted:nothing"
threshold = 1
"#;
        let p = problems_in(&[
            ("skills.toml", Some(SKILLS)),
            ("nodes.toml", Some(nodes)),
            ("recipes.toml", Some(recipes)),
            ("achievements.toml", Some(achievements)),
        ]);
        assert_problem(
            &p,
            "nodes.toml",
            "rock",
            &["skill \"digging\"", "skills.toml"],
        );
        assert_problem(&p, "nodes.toml", "rock", &["tool \"pick\"", "items.toml"]);
        assert_problem(&p, "nodes.toml", "rock", &["ticks must be from 1"]);
        assert_problem(&p, "nodes.toml", "rock", &["yields[0].item \"ore\""]);
        assert_problem(
            &p,
            "nodes.toml",
            "rock",
            &["yields[0].max (1) is below its min (2)"],
        );
        assert_problem(
            &p,
            "nodes.toml",
            "rock",
            &["yields[0].chance must be from 0 to 1"],
        );
        assert_problem(
            &p,
            "nodes.toml",
            "deep",
            &["level 11 is above mining's max_level 10"],
        );
        assert_problem(&p, "nodes.toml", "deep", &["yields is empty"]);
        assert_problem(&p, "nodes.toml", "deep", &["gathers must be at least 1"]);
        assert_problem(&p, "recipes.toml", "bar", &["inputs[0].item \"ore\""]);
        assert_problem(
            &p,
            "recipes.toml",
            "bar",
            &["inputs[0].count must be at least 1"],
        );
        assert_problem(&p, "recipes.toml", "bar", &["outputs is empty"]);
        assert_problem(&p, "recipes.toml", "odd", &["unknown value", "oven"]);
        assert_problem(
            &p,
            "achievements.toml",
            "miner",
            &["\"nowhere\"", "nodes.toml"],
        );
        assert_problem(
            &p,
            "achievements.toml",
            "smith",
            &["\"nothing\"", "recipes.toml"],
        );
    }

    #[test]
    fn skills_need_a_sane_curve() {
        let bad = "[mining]\nname = \"\"\nmax_level = 0\nxp_base = 0\nxp_growth_pct = 5000\n";
        let p = problems_in(&[("skills.toml", Some(bad))]);
        for words in [
            "name must not be empty",
            "max_level must be from 1 to 200",
            "xp_base must be at least 1",
            "xp_growth_pct must be from 0 to 1000",
        ] {
            assert_problem(&p, "skills.toml", "mining", &[words]);
        }
        assert!(problems_in(&[("skills.toml", Some(SKILLS))]).is_empty());
    }
}
