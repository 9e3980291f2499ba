//! Checks across the story files, the quests and the maps, once everything has loaded: the
//! places actions name (a door on a map, a warp's tile, a tile to spawn on), the quests that
//! actions and conditions name, and what a quest's `rewards.actions` name. (Each file's own
//! references are checked where it is read: `story_checks.rs`, `quest_checks.rs`.)

use std::path::Path;

use emberkeep_components::content::Content;
use emberkeep_components::map::{Tile, TileMap};
use emberkeep_components::story::{Action, Condition};
use emberkeep_components::story_content::TriggerOn;

use super::content::ContentProblem;

/// Where a list of conditions and actions sits: file, entry and field.
struct Site<'a> {
    file: &'static str,
    entry: String,
    field: String,
    conditions: &'a [Condition],
    actions: &'a [Action],
}

/// Every list of conditions and actions in the content.
fn sites(content: &Content) -> Vec<Site<'_>> {
    let mut out = Vec::new();
    for (id, t) in &content.story.triggers {
        out.push(Site {
            file: "triggers.toml",
            entry: id.clone(),
            field: String::new(),
            conditions: &t.conditions,
            actions: &t.actions,
        });
    }
    for (id, d) in &content.story.dialogues {
        for (node_id, node) in &d.nodes {
            out.push(Site {
                file: "dialogue.toml",
                entry: id.clone(),
                field: format!("nodes.{node_id}."),
                conditions: &node.conditions,
                actions: &node.actions,
            });
            for (i, choice) in node.choices.iter().enumerate() {
                out.push(Site {
                    file: "dialogue.toml",
                    entry: id.clone(),
                    field: format!("nodes.{node_id}.choices[{i}]."),
                    conditions: &choice.conditions,
                    actions: &choice.actions,
                });
            }
        }
    }
    for (id, q) in &content.quests {
        out.push(Site {
            file: "quests.toml",
            entry: id.clone(),
            field: "rewards.".into(),
            conditions: &[],
            actions: &q.rewards.actions,
        });
    }
    out
}

/// Problems with what the story content names across files and maps.
pub(super) fn check(content: &Content, maps: &[&TileMap], dir: &Path) -> Vec<ContentProblem> {
    let mut problems = Vec::new();
    for (id, t) in &content.story.triggers {
        if let TriggerOn::Interact { map: name, object } = &t.on
            && let Some(reason) = object_problem(maps, name, object)
        {
            problems.push(ContentProblem {
                file: dir.join("triggers.toml"),
                entry: id.clone(),
                reason: format!("on.object: {reason}"),
            });
        }
    }
    for site in sites(content) {
        let mut say = |field: String, reason: String| {
            problems.push(ContentProblem {
                file: dir.join(site.file),
                entry: site.entry.clone(),
                reason: format!("{}{field}: {reason}", site.field),
            });
        };
        for (i, c) in site.conditions.iter().enumerate() {
            if let Some(reason) = condition_problem(content, c) {
                say(format!("conditions[{i}]"), reason);
            }
        }
        for (i, a) in site.actions.iter().enumerate() {
            let quest_reward = site.file == "quests.toml";
            if let Some(reason) = action_problem(content, maps, a, quest_reward) {
                say(format!("actions[{i}]"), reason);
            }
        }
    }
    problems
}

fn unknown_quest(content: &Content, quest: &str) -> Option<String> {
    (!content.quests.contains_key(quest)).then(|| {
        let known: Vec<&str> = content.quests.keys().map(String::as_str).collect();
        format!(
            "quest {quest:?} is not in quests.toml (its quests: {})",
            known.join(", ")
        )
    })
}

fn condition_problem(content: &Content, c: &Condition) -> Option<String> {
    match c {
        Condition::Quest { quest, .. } => unknown_quest(content, quest),
        Condition::QuestStep { quest, step } => unknown_quest(content, quest).or_else(|| {
            let steps = content.quests.get(quest).map_or(0, |q| q.steps.len());
            (*step as usize >= steps).then(|| {
                format!(
                    "quest {quest:?} has {steps} steps (0 to {}), not step {step}",
                    steps.saturating_sub(1)
                )
            })
        }),
        _ => None,
    }
}

fn map<'a>(maps: &[&'a TileMap], name: &str) -> Result<&'a TileMap, String> {
    maps.iter()
        .copied()
        .find(|m| m.name == name)
        .ok_or_else(|| {
            let known: Vec<&str> = maps.iter().map(|m| m.name.as_str()).collect();
            format!(
                "map {name:?} is not in maps/ (its maps: {})",
                known.join(", ")
            )
        })
}

/// Why `object` is no lever or door of map `name`, if it is none.
fn object_problem(maps: &[&TileMap], name: &str, object: &str) -> Option<String> {
    let m = match map(maps, name) {
        Ok(m) => m,
        Err(reason) => return Some(reason),
    };
    let known: Vec<&str> = (m.levers.iter().map(|l| l.name.as_str()))
        .chain(m.doors.iter().map(|d| d.name.as_str()))
        .collect();
    (!known.contains(&object)).then(|| {
        let known = if known.is_empty() {
            "it has none".to_string()
        } else {
            format!("its levers and doors: {}", known.join(", "))
        };
        format!("map {name:?} has no lever or door {object:?} ({known})")
    })
}

fn free_tile(m: &TileMap, x: i32, y: i32) -> Option<String> {
    (!m.is_walkable(Tile { x, y })).then(|| {
        format!(
            "tile ({x}, {y}) of map {:?} ({}x{}) is off the map or blocked",
            m.name, m.width, m.height
        )
    })
}

/// What is wrong with what `a` names, if anything. `quest_reward`: the action is in a quest's
/// `rewards.actions`, whose item, mob and effect names no other check reads.
fn action_problem(
    content: &Content,
    maps: &[&TileMap],
    a: &Action,
    quest_reward: bool,
) -> Option<String> {
    match a {
        Action::StartQuest { quest } | Action::AdvanceQuest { quest } => {
            unknown_quest(content, quest)
        }
        Action::OpenDoor { map: name, door } | Action::CloseDoor { map: name, door } => {
            match map(maps, name) {
                Err(reason) => Some(reason),
                Ok(m) if !m.doors.iter().any(|d| d.name == *door) => {
                    let known: Vec<&str> = m.doors.iter().map(|d| d.name.as_str()).collect();
                    let known = if known.is_empty() {
                        "it has none".to_string()
                    } else {
                        format!("its doors: {}", known.join(", "))
                    };
                    Some(format!("map {name:?} has no door {door:?} ({known})"))
                }
                Ok(_) => None,
            }
        }
        Action::Warp { map: name, x, y } => match map(maps, name) {
            Err(reason) => Some(reason),
            Ok(m) => free_tile(m, *x, *y),
        },
        Action::SpawnMob {
            map: name,
            x,
            y,
            mob,
            ..
        } => {
            if quest_reward && !content.mobs.contains_key(mob) {
                return Some(format!("mob {mob:?} is not in mobs.toml"));
            }
            match (name, x, y) {
                (Some(name), Some(x), Some(y)) => match map(maps, name) {
                    Err(reason) => Some(reason),
                    Ok(m) => free_tile(m, *x, *y),
                },
                (Some(name), _, _) => map(maps, name).err(),
                _ => None,
            }
        }
        Action::GiveItem { item, .. } | Action::TakeItem { item, .. }
            if quest_reward && !content.items.contains_key(item) =>
        {
            Some(format!("item {item:?} is not in items.toml"))
        }
        Action::ApplyEffect { effect } if quest_reward && !content.effects.contains_key(effect) => {
            Some(format!("effect {effect:?} is not in effects.toml"))
        }
        Action::StartDialogue { dialogue, .. }
            if quest_reward && !content.story.dialogues.contains_key(dialogue) =>
        {
            Some(format!("dialogue {dialogue:?} is not in dialogue.toml"))
        }
        Action::Script { script }
            if quest_reward && !content.story.scripts.contains_key(script) =>
        {
            Some(format!("script {script:?} is not in scripts/"))
        }
        _ => None,
    }
}
