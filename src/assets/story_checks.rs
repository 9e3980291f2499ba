//! What the story files must satisfy: triggers bound to things that exist (mob, NPC and item
//! templates, zones of the map), conditions and actions naming existing items, mobs, effects,
//! dialogues and scripts, dialogue bound to an NPC (a non-hostile mob template) whose nodes
//! and choices lead to nodes that exist, and timers without a zone that need no player.

use std::collections::BTreeMap;

use emberkeep_components::content::{EffectDef, ItemDef, MobDef};
use emberkeep_components::limits;
use emberkeep_components::map::TileMap;
use emberkeep_components::story::{Action, Condition};
use emberkeep_components::story_content::{DialogueDef, Script, TriggerDef, TriggerOn};
use emberkeep_systems::story::rules::{action_needs_player, needs_player};

use super::content::{ContentProblem, Entries, Sink};

/// What story entries may refer to.
pub(super) struct Refs<'a> {
    pub items: &'a Entries<ItemDef>,
    pub mobs: &'a Entries<MobDef>,
    pub effects: &'a Entries<EffectDef>,
    pub dialogues: &'a Entries<DialogueDef>,
    pub scripts: &'a BTreeMap<String, Script>,
}

/// An action's `do` tag, as designers write it.
fn action_name(a: &Action) -> &'static str {
    match a {
        Action::Message { .. } => "message",
        Action::Announce { .. } => "announce",
        Action::SpawnMob { .. } => "spawn_mob",
        Action::OpenDoor { .. } => "open_door",
        Action::CloseDoor { .. } => "close_door",
        Action::Warp { .. } => "warp",
        Action::ApplyEffect { .. } => "apply_effect",
        Action::GiveItem { .. } => "give_item",
        Action::TakeItem { .. } => "take_item",
        Action::GiveXp { .. } => "give_xp",
        Action::SetFlag { .. } => "set_flag",
        Action::StartDialogue { .. } => "start_dialogue",
        Action::StartQuest { .. } => "start_quest",
        Action::AdvanceQuest { .. } => "advance_quest",
        Action::Script { .. } => "script",
    }
}

impl Refs<'_> {
    fn item(&self, at: &str, item: &str, out: &mut Vec<String>) {
        if !self.items.knows(item) {
            out.push(format!("{at}: item {item:?} is not in items.toml"));
        }
    }

    fn mob(&self, at: &str, mob: &str, out: &mut Vec<String>) {
        if !self.mobs.knows(mob) {
            out.push(format!("{at}: mob {mob:?} is not in mobs.toml"));
        }
    }

    /// An NPC template: in mobs.toml and not hostile.
    fn npc(&self, at: &str, npc: &str, out: &mut Vec<String>) {
        self.mob(at, npc, out);
        if self.mobs.defs.get(npc).is_some_and(|m| m.hostile) {
            out.push(format!(
                "{at}: {npc:?} is a hostile mob, not an NPC; only `hostile = false` templates talk"
            ));
        }
    }

    fn conditions(&self, at: &str, cs: &[Condition], out: &mut Vec<String>) {
        for (i, c) in cs.iter().enumerate() {
            let at = format!("{at}conditions[{i}]");
            match c {
                Condition::HasItem { item, .. } | Condition::LacksItem { item } => {
                    self.item(&at, item, out)
                }
                Condition::Chance { percent } if !(0.0..=100.0).contains(percent) => out.push(
                    format!("{at}: percent must be from 0 to 100, got {percent}"),
                ),
                _ => {}
            }
        }
    }

    fn actions(&self, at: &str, actions: &[Action], out: &mut Vec<String>) {
        for (i, a) in actions.iter().enumerate() {
            let at = format!("{at}actions[{i}]");
            match a {
                Action::SpawnMob { mob, count, .. } => {
                    self.mob(&at, mob, out);
                    if !(1..=limits::MAX_SPAWN_AT_ONCE).contains(count) {
                        out.push(format!(
                            "{at}: count must be from 1 to {}, got {count}",
                            limits::MAX_SPAWN_AT_ONCE
                        ));
                    }
                }
                Action::ApplyEffect { effect } if !self.effects.knows(effect) => {
                    out.push(format!("{at}: effect {effect:?} is not in effects.toml"))
                }
                Action::GiveItem { item, count } | Action::TakeItem { item, count } => {
                    self.item(&at, item, out);
                    if *count == 0 {
                        out.push(format!("{at}: count must be at least 1, got 0"));
                    }
                }
                Action::StartDialogue { dialogue, node } => match self.dialogues.defs.get(dialogue)
                {
                    None if !self.dialogues.knows(dialogue) => out.push(format!(
                        "{at}: dialogue {dialogue:?} is not in dialogue.toml"
                    )),
                    Some(d) => {
                        if let Some(n) = node.as_ref().filter(|n| !d.nodes.contains_key(*n)) {
                            out.push(format!("{at}: dialogue {dialogue:?} has no node {n:?}"));
                        }
                    }
                    None => {}
                },
                Action::Script { script } if !self.scripts.contains_key(script) => out.push(
                    format!("{at}: script {script:?} is not in scripts/ (scripts/{script}.rhai)"),
                ),
                _ => {}
            }
        }
    }
}

/// `triggers.toml`: bindings, conditions and actions.
pub(super) fn triggers(triggers: &Entries<TriggerDef>, refs: &Refs, out: &mut Vec<ContentProblem>) {
    let mut sink = Sink {
        file: &triggers.file,
        out,
    };
    for (id, t) in &triggers.defs {
        let mut reasons = Vec::new();
        match &t.on {
            TriggerOn::MobDeath { mob } => refs.mob("on", mob, &mut reasons),
            TriggerOn::Talk { npc } => refs.npc("on", npc, &mut reasons),
            TriggerOn::UseItem { item } => refs.item("on", item, &mut reasons),
            TriggerOn::Say {
                phrase, zone, near, ..
            } => {
                if phrase.trim().is_empty() {
                    reasons.push("on: phrase must not be empty".into());
                }
                if zone.is_none() && near.is_none() {
                    reasons.push(
                        "on: a say trigger needs a place: `zone`, `near` (an NPC or mob template) or both"
                            .into(),
                    );
                }
                if let Some(near) = near {
                    refs.mob("on.near", near, &mut reasons);
                }
            }
            TriggerOn::Timer { every_ticks, zone } => {
                if *every_ticks == 0 {
                    reasons.push("on: every_ticks must be at least 1, got 0".into());
                }
                if zone.is_none() {
                    for (i, c) in t.conditions.iter().enumerate() {
                        if needs_player(c) {
                            reasons.push(format!(
                                "conditions[{i}]: a timer without a zone has no acting player; \
                                 only world flags and chance can be tested (or add `zone`)"
                            ));
                        }
                    }
                    for (i, a) in t.actions.iter().enumerate() {
                        if action_needs_player(a) {
                            reasons.push(format!(
                                "actions[{i}]: `{}` needs a player, and a timer without a zone has \
                                 none (add `zone` to run it for each player there, or give x and y)",
                                action_name(a)
                            ));
                        }
                    }
                }
            }
            // Checked against the maps once they are read (`zones`, `story_refs.rs`).
            TriggerOn::EnterZone { .. }
            | TriggerOn::ExitZone { .. }
            | TriggerOn::Interact { .. } => {}
        }
        refs.conditions("", &t.conditions, &mut reasons);
        refs.actions("", &t.actions, &mut reasons);
        for r in reasons {
            sink.add(id, r);
        }
    }
}

/// `dialogue.toml`: the NPC, the nodes and where choices lead.
pub(super) fn dialogues(
    dialogues: &Entries<DialogueDef>,
    refs: &Refs,
    out: &mut Vec<ContentProblem>,
) {
    let mut sink = Sink {
        file: &dialogues.file,
        out,
    };
    let mut speaker: BTreeMap<&str, &str> = BTreeMap::new();
    for (id, d) in &dialogues.defs {
        let mut reasons = Vec::new();
        refs.npc("npc", &d.npc, &mut reasons);
        if let Some(first) = speaker.insert(&d.npc, id) {
            reasons.push(format!(
                "npc: {:?} already speaks dialogue {first:?}; an NPC template has one dialogue",
                d.npc
            ));
        }
        if !d.nodes.contains_key(&d.start) {
            reasons.push(format!("start: there is no node {:?}", d.start));
        }
        for (name, node) in &d.nodes {
            let at = format!("nodes.{name}.");
            if node.text.trim().is_empty() {
                reasons.push(format!(
                    "{at}text must not be empty: it is what the NPC says"
                ));
            }
            if let Some(o) = node
                .otherwise
                .as_ref()
                .filter(|o| !d.nodes.contains_key(*o))
            {
                reasons.push(format!("{at}otherwise: there is no node {o:?}"));
            }
            refs.conditions(&at, &node.conditions, &mut reasons);
            refs.actions(&at, &node.actions, &mut reasons);
            for (i, c) in node.choices.iter().enumerate() {
                let at = format!("{at}choices[{i}].");
                if c.text.trim().is_empty() {
                    reasons.push(format!("{at}text must not be empty"));
                }
                if let Some(n) = c.next.as_ref().filter(|n| !d.nodes.contains_key(*n)) {
                    reasons.push(format!("{at}next: there is no node {n:?}"));
                }
                refs.conditions(&at, &c.conditions, &mut reasons);
                refs.actions(&at, &c.actions, &mut reasons);
            }
        }
        for r in reasons {
            sink.add(id, r);
        }
    }
}

/// Triggers naming a zone the map does not have: `(trigger id, reason)`.
pub(super) fn zones(
    triggers: &BTreeMap<String, TriggerDef>,
    maps: &[&TileMap],
) -> Vec<(String, String)> {
    let mut problems = Vec::new();
    for (id, t) in triggers {
        let zone = match &t.on {
            TriggerOn::EnterZone { zone } | TriggerOn::ExitZone { zone } => Some(zone),
            TriggerOn::Say { zone, .. } | TriggerOn::Timer { zone, .. } => zone.as_ref(),
            _ => None,
        };
        if let Some(z) = zone
            && let Some(reason) = unknown_zone(maps, z)
        {
            problems.push((id.clone(), format!("on.zone: {reason}")));
        }
    }
    problems
}

/// Why `zone` names no zone of any map, or `None` if one has it.
pub(super) fn unknown_zone(maps: &[&TileMap], zone: &str) -> Option<String> {
    if maps.iter().any(|m| m.zones.iter().any(|z| z.name == zone)) {
        return None;
    }
    let known: Vec<String> = maps
        .iter()
        .flat_map(|m| m.zones.iter().map(|z| format!("{:?}", z.name)))
        .collect();
    Some(format!(
        "no map has a zone {zone:?} (the zones: {})",
        known.join(", ")
    ))
}

#[cfg(test)]
#[path = "story_tests.rs"]
mod tests;
