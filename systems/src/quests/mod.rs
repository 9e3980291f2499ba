//! Quests: starting one ([`start`], from a dialogue action or a staff command), moving through
//! its steps (kill, collect, talk, zone, use, script), and the reward at the end. Progress
//! lives in the character's `StoryState` and is saved with it.
//!
//! A step counts what the player does (`progress.rs`, from the tick's story events and bag
//! changes). A step whose goal is met completes at once; finishing the last one finishes the
//! quest. The reward is all-or-nothing: when its items (after the step's `take`) do not fit in
//! the bag, the player is told to make room, and the quest waits at its last step, goal met,
//! until the bag changes — nothing is dropped on the ground.

pub(crate) mod achievements;
pub(crate) mod log;
pub(crate) mod offers;
pub(crate) mod progress;
#[cfg(test)]
mod tests;

use bevy_ecs::prelude::*;
use emberkeep_components::content::{Content, GameContent};
use emberkeep_components::items::{Inventory, ItemIds, ItemInstance};
use emberkeep_components::persist::{SaveReason, SaveSoon};
use emberkeep_components::protocol::{ErrorCode, QuestLogState, QuestView, ServerEvent};
use emberkeep_components::quests::{Goal, QuestDef, counters};
use emberkeep_components::stats::Level;
use emberkeep_components::story::{QuestState, StoryState};
use emberkeep_components::text::{Text, keys};

use crate::game::items;
use crate::send_to;
use crate::text::{say_error, say_info};

/// Quests finished this tick, `(player, quest id)` in order: for the story engine to run
/// their `rewards.actions`. Emptied at the start of each tick.
#[derive(Resource, Debug, Default)]
pub(crate) struct FinishedQuests(pub Vec<(Entity, String)>);

/// World phase, after quest progress: runs the `rewards.actions` of every quest finished this
/// tick (by dialogue in the Input phase, or by progress just now), in the order they were
/// finished; a quest an action finishes in turn has its actions run too.
pub(crate) fn run_reward_actions(world: &mut World) {
    let mut next = 0;
    while let Some((player, quest)) = world.resource::<FinishedQuests>().0.get(next).cloned() {
        next += 1;
        let content = world.resource::<GameContent>().0.clone();
        if let Some(def) = content.quests.get(&quest)
            && !def.rewards.actions.is_empty()
            && world.get_entity(player).is_ok()
        {
            let source = format!("quest {quest}");
            crate::story::rules::run_for(world, Some(player), &def.rewards.actions, &source);
        }
    }
}

/// Starts quest `quest` for `player`, if its prerequisites hold (level, quests done, not
/// active, not done unless repeatable); otherwise says why. Sends `quest_update`.
pub(crate) fn start(world: &mut World, player: Entity, quest: &str) -> Result<(), Text> {
    let content = world.resource::<GameContent>().0.clone();
    let Some(def) = content.quests.get(quest) else {
        return Err(Text::new(keys::QUEST_UNKNOWN).arg("quest", format!("{quest:?}")));
    };
    let Some(story) = world.get::<StoryState>(player) else {
        return Err(Text::new(keys::QUEST_UNKNOWN).arg("quest", format!("{quest:?}")));
    };
    let level = world.get::<Level>(player).map_or(1, |l| l.0);
    may_start(&content, quest, def, story, level)?;
    if let Some(mut story) = world.get_mut::<StoryState>(player) {
        let p = story.quests.entry(quest.to_string()).or_default();
        p.step = Some(0);
        p.count = 0;
    }
    say_info(world, player, keys::QUEST_STARTED, &[("name", &def.name)]);
    settle(world, player, &content, quest, true);
    Ok(())
}

/// Whether a character at `level` with `story` may start quest `quest` (`def`) now: not
/// active, not done unless repeatable, every required quest done, level high enough;
/// otherwise why not. What [`start`] checks and [`offers`] offers.
pub(crate) fn may_start(
    content: &Content,
    quest: &str,
    def: &QuestDef,
    story: &StoryState,
    level: u32,
) -> Result<(), Text> {
    match story.quest_state(quest) {
        QuestState::Active => {
            return Err(Text::new(keys::QUEST_ALREADY_ACTIVE).arg("name", &def.name));
        }
        QuestState::Done if !def.repeatable => {
            return Err(Text::new(keys::QUEST_ALREADY_DONE).arg("name", &def.name));
        }
        _ => {}
    }
    let done = |q: &String| story.quests.get(q).is_some_and(|p| p.completed > 0);
    if let Some(missing) = def.requires.iter().find(|q| !done(q)) {
        let required = content
            .quests
            .get(missing)
            .map_or(missing.as_str(), |d| d.name.as_str());
        return Err(Text::new(keys::QUEST_REQUIRES)
            .arg("name", &def.name)
            .arg("required", required));
    }
    if level < def.min_level {
        return Err(Text::new(keys::QUEST_LEVEL_TOO_LOW)
            .arg("name", &def.name)
            .arg("level", def.min_level));
    }
    Ok(())
}

/// Completes `player`'s current step of `quest` when it is a `talk` or `script` step (a
/// dialogue choice or a script says it is done); otherwise says why not.
pub(crate) fn advance(world: &mut World, player: Entity, quest: &str) -> Result<(), Text> {
    let content = world.resource::<GameContent>().0.clone();
    let Some(def) = content.quests.get(quest) else {
        return Err(Text::new(keys::QUEST_UNKNOWN).arg("quest", format!("{quest:?}")));
    };
    let Some(step) = current_step(world, player, quest) else {
        return Err(Text::new(keys::QUEST_NOT_ACTIVE).arg("name", &def.name));
    };
    let Some(s) = def.steps.get(step as usize) else {
        return Err(Text::new(keys::QUEST_NOT_ACTIVE).arg("name", &def.name));
    };
    if !matches!(s.goal, Goal::Talk { .. } | Goal::Script { .. }) {
        return Err(Text::new(keys::QUEST_NOT_ADVANCEABLE)
            .arg("name", &def.name)
            .arg("text", &s.text));
    }
    count_up(world, player, &content, quest);
    Ok(())
}

/// The step `player` is on in `quest`, if active.
fn current_step(world: &World, player: Entity, quest: &str) -> Option<u32> {
    world.get::<StoryState>(player)?.quests.get(quest)?.step
}

/// One more of what the current step asks for (a kill, a use, a talk...), then settles.
pub(crate) fn count_up(world: &mut World, player: Entity, content: &Content, quest: &str) {
    if let Some(mut story) = world.get_mut::<StoryState>(player)
        && let Some(p) = story.quests.get_mut(quest)
    {
        p.count = p.count.saturating_add(1);
    }
    settle(world, player, content, quest, true);
}

/// How many of item template `item` the bag holds.
fn held(inv: &Inventory, item: &str) -> u32 {
    inv.items
        .iter()
        .filter(|i| i.template == item)
        .fold(0u32, |n, i| n.saturating_add(i.count))
}

/// Takes `count` of template `item` out of the bag (the caller checked they are there):
/// emptied stacks go, a reduced stack keeps its id.
fn remove_held(inv: &mut Inventory, item: &str, mut count: u32) {
    for stack in inv.items.iter_mut().filter(|i| i.template == item) {
        let n = count.min(stack.count);
        stack.count -= n;
        count -= n;
    }
    inv.items.retain(|i| i.count > 0);
}

/// Brings `quest` up to date for `player`: a collect step counts the bag, every step whose
/// goal is met completes (the quest finishes after the last), and `quest_update` tells the
/// player (always when `changed`, else only if something moved).
pub(crate) fn settle(
    world: &mut World,
    player: Entity,
    content: &Content,
    quest: &str,
    mut changed: bool,
) {
    let Some(def) = content.quests.get(quest) else {
        return;
    };
    // Each turn completes a step, so this ends within the quest's length.
    for _ in 0..=def.steps.len() {
        let Some(p) = world
            .get::<StoryState>(player)
            .and_then(|s| s.quests.get(quest))
            .cloned()
        else {
            return;
        };
        let Some(idx) = p.step else { return };
        let Some(step) = def.steps.get(idx as usize) else {
            return;
        };
        let needed = step.goal.needed();
        let mut count = p.count.min(needed);
        if let Goal::Collect { item, .. } = &step.goal {
            let have = world.get::<Inventory>(player).map_or(0, |i| held(i, item));
            count = have.min(needed);
        }
        if count != p.count {
            changed = true;
            set_progress(world, player, quest, Some(idx), count);
        }
        if changed {
            update(world, player, def, quest, idx, count, needed);
        }
        if count < needed {
            return;
        }
        let last = idx as usize + 1 >= def.steps.len();
        if last {
            finish(world, player, content, def, quest);
            return;
        }
        if let Goal::Collect {
            item,
            count,
            take: true,
        } = &step.goal
        {
            if let Some(mut inv) = world.get_mut::<Inventory>(player) {
                remove_held(&mut inv, item, *count);
            }
            items::transferred(world, &[player]);
        }
        set_progress(world, player, quest, Some(idx + 1), 0);
        changed = true;
    }
}

fn set_progress(world: &mut World, player: Entity, quest: &str, step: Option<u32>, count: u32) {
    if let Some(mut story) = world.get_mut::<StoryState>(player)
        && let Some(p) = story.quests.get_mut(quest)
    {
        p.step = step;
        p.count = count;
    }
}

/// Sends `quest_update` for an active quest.
fn update(
    world: &mut World,
    player: Entity,
    def: &QuestDef,
    quest: &str,
    idx: u32,
    count: u32,
    needed: u32,
) {
    let view = QuestView {
        quest: quest.to_string(),
        name: def.name.clone(),
        state: QuestLogState::Active,
        step: idx.saturating_add(1),
        steps: def.steps.len() as u32,
        text: def
            .steps
            .get(idx as usize)
            .map(|s| s.text.clone())
            .unwrap_or_default(),
        count,
        needed,
        description: String::new(),
        log: Vec::new(),
        completed: 0,
    };
    send_to(world, player, &ServerEvent::QuestUpdate(view));
}

/// Finishes `quest`: takes the last step's items if it says so and gives the reward, all or
/// nothing. Without room for the reward the quest stays at its last step and the player is
/// told; it is tried again when the bag changes.
fn finish(world: &mut World, player: Entity, content: &Content, def: &QuestDef, quest: &str) {
    let Some(inv) = world.get::<Inventory>(player) else {
        return;
    };
    let mut bag = inv.clone();
    let mut moved = false;
    if let Some(Goal::Collect {
        item,
        count,
        take: true,
    }) = def.steps.last().map(|s| &s.goal)
    {
        remove_held(&mut bag, item, *count);
        moved = true;
    }
    for r in &def.rewards.items {
        if !items::fits(content, &bag, &r.item, r.count) {
            say_error(
                world,
                player,
                ErrorCode::InventoryFull,
                keys::QUEST_NO_ROOM,
                &[("name", &def.name)],
            );
            return;
        }
        let id = world.resource_mut::<ItemIds>().allocate();
        let item = ItemInstance {
            id,
            template: r.item.clone(),
            count: r.count,
        };
        items::add(content, &mut bag, item);
        moved = true;
    }
    if moved {
        if let Some(mut inv) = world.get_mut::<Inventory>(player) {
            *inv = bag;
        }
        items::transferred(world, &[player]);
    }
    let (steps, needed, text) = match def.steps.last() {
        Some(s) => (def.steps.len() as u32, s.goal.needed(), s.text.clone()),
        None => (0, 0, String::new()),
    };
    let mut completed = 0;
    let mut quests_done = 0;
    if let Some(mut story) = world.get_mut::<StoryState>(player) {
        if let Some(p) = story.quests.get_mut(quest) {
            p.step = None;
            p.count = 0;
            p.completed = p.completed.saturating_add(1);
            completed = p.completed;
        }
        let n = story
            .counters
            .entry(counters::QUESTS_DONE.to_string())
            .or_default();
        *n = n.saturating_add(1);
        quests_done = *n;
    }
    let view = QuestView {
        quest: quest.to_string(),
        name: def.name.clone(),
        state: QuestLogState::Done,
        step: steps,
        steps,
        text,
        count: needed,
        needed,
        description: String::new(),
        log: Vec::new(),
        completed,
    };
    send_to(world, player, &ServerEvent::QuestUpdate(view));
    say_info(world, player, keys::QUEST_FINISHED, &[("name", &def.name)]);
    if def.rewards.xp > 0 {
        crate::game::stats::give_xp(world, player, def.rewards.xp);
    }
    world
        .resource_mut::<SaveSoon>()
        .add(&[player], SaveReason::Quest);
    (world.resource_mut::<FinishedQuests>().0).push((player, quest.to_string()));
    achievements::reached(world, player, content, counters::QUESTS_DONE, quests_done);
}
