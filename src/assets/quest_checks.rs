//! What `quests.toml` and `achievements.toml` must satisfy: steps that name mobs, items and
//! NPCs that exist, counts of at least 1, prerequisites that exist and form no cycle, reward
//! items that exist, and achievement counters of a known form. Every reason names its field.

use std::collections::{BTreeMap, BTreeSet};

use emberkeep_components::content::{ItemDef, MobDef};
use emberkeep_components::quests::{AchievementDef, Goal, QuestDef, counters};

use super::content::{ContentProblem, Entries, Sink};
use super::content_checks::MAX_LEVEL;

/// `quests.toml`: names, steps, prerequisites (no cycles) and rewards.
pub(super) fn quests(
    quests: &Entries<QuestDef>,
    items: &Entries<ItemDef>,
    mobs: &Entries<MobDef>,
    out: &mut Vec<ContentProblem>,
) {
    let mut sink = Sink {
        file: &quests.file,
        out,
    };
    for (id, q) in &quests.defs {
        let mut reasons = Vec::new();
        if q.name.trim().is_empty() {
            reasons.push("name must not be empty: it is what players see".to_string());
        }
        if let Some(giver) = &q.giver
            && !mobs.knows(giver)
        {
            reasons.push(format!("giver {giver:?} is not an NPC in mobs.toml"));
        }
        if q.min_level > MAX_LEVEL {
            reasons.push(format!(
                "min_level must be at most {MAX_LEVEL}, got {}",
                q.min_level
            ));
        }
        for (i, r) in q.requires.iter().enumerate() {
            if r == id {
                reasons.push(format!("requires[{i}] is the quest itself"));
            } else if !quests.knows(r) {
                reasons.push(format!("requires[{i}] {r:?} is not a quest in quests.toml"));
            }
        }
        if q.steps.is_empty() {
            reasons.push("steps is empty; add at least one, such as { kill = \"rat\" }".into());
        }
        for (i, step) in q.steps.iter().enumerate() {
            let field = format!("steps[{i}]");
            let (what, known, file) = match &step.goal {
                Goal::Kill { mob, .. } => (mob, mobs.knows(mob), "a mob in mobs.toml"),
                Goal::Talk { npc } => (npc, mobs.knows(npc), "an NPC in mobs.toml"),
                Goal::Collect { item, .. } | Goal::Use { item, .. } => {
                    (item, items.knows(item), "an item in items.toml")
                }
                Goal::Zone { zone } => (zone, !zone.trim().is_empty(), "a zone name"),
                Goal::Script { script } => (script, !script.trim().is_empty(), "a script name"),
            };
            if !known {
                reasons.push(format!(
                    "{field}.{} {what:?} is not {file}",
                    step.goal.kind()
                ));
            }
            if step.goal.needed() == 0 {
                reasons.push(format!("{field}.count must be at least 1, got 0"));
            }
            if step.text.trim().is_empty() {
                reasons.push(format!(
                    "{field}.text must not be empty: the quest log shows it"
                ));
            }
        }
        for (i, r) in q.rewards.items.iter().enumerate() {
            if !items.knows(&r.item) {
                reasons.push(format!(
                    "rewards.items[{i}].item {:?} is not an item in items.toml",
                    r.item
                ));
            }
            if r.count == 0 {
                reasons.push(format!(
                    "rewards.items[{i}].count must be at least 1, got 0"
                ));
            }
        }
        for r in reasons {
            sink.add(id, r);
        }
    }
    for (id, cycle) in cycles(&quests.defs) {
        sink.add(
            &id,
            format!(
                "requires forms a cycle ({}); no quest on it could ever start",
                cycle.join(" -> ")
            ),
        );
    }
}

/// Every quest on a `requires` cycle, with the cycle as a path from it back to itself.
fn cycles(defs: &BTreeMap<String, QuestDef>) -> Vec<(String, Vec<String>)> {
    let mut found = Vec::new();
    for start in defs.keys() {
        // Depth-first from `start`, looking for a way back to it.
        let mut seen = BTreeSet::new();
        let mut stack: Vec<(String, Vec<String>)> = vec![(start.clone(), vec![start.clone()])];
        while let Some((at, path)) = stack.pop() {
            let Some(def) = defs.get(&at) else { continue };
            for next in &def.requires {
                if next == start && next != &at {
                    let mut cycle = path.clone();
                    cycle.push(next.clone());
                    found.push((start.clone(), cycle));
                    stack.clear();
                    break;
                }
                if next != &at && seen.insert(next.clone()) {
                    let mut p = path.clone();
                    p.push(next.clone());
                    stack.push((next.clone(), p));
                }
            }
        }
    }
    found
}

/// `achievements.toml`: names, a counter of a known form (naming a known mob), a threshold of
/// at least 1.
pub(super) fn achievements(
    achievements: &Entries<AchievementDef>,
    mobs: &Entries<MobDef>,
    out: &mut Vec<ContentProblem>,
) {
    let mut sink = Sink {
        file: &achievements.file,
        out,
    };
    for (id, a) in &achievements.defs {
        if a.name.trim().is_empty() {
            sink.add(id, "name must not be empty: it is what players see");
        }
        match counters::parse(&a.counter) {
            None => sink.add(
                id,
                format!(
                    "counter {:?} is not a known counter; use kills, kill:<mob>, quests_done, \
                     zones, zone:<zone>, level, pvp_kills, pvp_deaths, duels_won, duels_lost, \
                     gathered:<node> or crafted:<recipe>",
                    a.counter
                ),
            ),
            Some(counters::Form::Kill(mob)) if !mobs.knows(mob) => sink.add(
                id,
                format!(
                    "counter {:?} names {mob:?}, which is not a mob in mobs.toml",
                    a.counter
                ),
            ),
            Some(_) => {}
        }
        if a.threshold == 0 {
            sink.add(id, "threshold must be at least 1, got 0");
        }
    }
}

/// Zones named by quest steps (`zone = "..."`) and achievement counters (`zone:<name>`) that
/// no map has: such a step could never complete, such an achievement never be earned.
pub(super) fn zones(
    content: &emberkeep_components::content::Content,
    maps: &[&emberkeep_components::map::TileMap],
    dir: &std::path::Path,
) -> Vec<ContentProblem> {
    let mut problems = Vec::new();
    for (id, q) in &content.quests {
        for (i, step) in q.steps.iter().enumerate() {
            if let Goal::Zone { zone } = &step.goal
                && let Some(reason) = super::story_checks::unknown_zone(maps, zone)
            {
                problems.push(ContentProblem {
                    file: dir.join("quests.toml"),
                    entry: id.clone(),
                    reason: format!("steps[{i}].zone: {reason}"),
                });
            }
        }
    }
    for (id, a) in &content.achievements {
        if let Some(counters::Form::Zone(zone)) = counters::parse(&a.counter)
            && let Some(reason) = super::story_checks::unknown_zone(maps, zone)
        {
            problems.push(ContentProblem {
                file: dir.join("achievements.toml"),
                entry: id.clone(),
                reason: format!("counter: {reason}"),
            });
        }
    }
    problems
}
