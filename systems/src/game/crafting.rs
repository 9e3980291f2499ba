//! Crafting at stations: `craft <recipe> [count]` checks a station of the recipe's kind
//! within one tile, the skill level, the inputs (items offered in an open trade do not count)
//! and room for the outputs once the inputs are gone (a dry run on a copy of the bag). Each
//! making takes the recipe's `ticks`; its end is ONE inventory change — inputs out, outputs
//! in, in the same tick and the same save batch — with the skill's experience and the story
//! counter `crafted:<recipe>`. `count` repeats it; the work stops when inputs run out.
//! `interact` on a station answers with its recipes (`station`).

use bevy_ecs::prelude::*;
use emberkeep_components::combat::Dead;
use emberkeep_components::content::{Content, GameContent};
use emberkeep_components::items::{Inventory, ItemIds, ItemInstance, ItemsDirty};
use emberkeep_components::persist::{SaveReason, SaveSoon};
use emberkeep_components::protocol::{ErrorCode, ServerEvent};
use emberkeep_components::skills::{Job, RecipeDef, RecipeView, Skills, Station, Working};
use emberkeep_components::text::{Text, keys};
use emberkeep_components::trade::Trading;
use emberkeep_components::world::{NetId, Position, Tick};

use crate::game::work::{self, Stop};
use crate::game::{items, skills};
use crate::send_to;
use crate::text::{render_text, say_error_text, say_info_text};

/// How far from a station a player may craft: next to it.
pub(crate) const REACH: i32 = 1;

/// Most makings one `craft` may ask for.
pub(crate) const MAX_COUNT: u32 = 100;

type Refusal = (ErrorCode, Text);

/// `craft`: starts making `count` (default 1) of `recipe`, or says why not.
pub(crate) fn craft(world: &mut World, e: Entity, recipe: &str, count: Option<u32>) {
    let count = count.unwrap_or(1);
    if count == 0 || count > MAX_COUNT {
        let text = Text::new(keys::SKILLS_BAD_COUNT)
            .arg("count", count)
            .arg("max", MAX_COUNT);
        return say_error_text(world, e, ErrorCode::BadCount, &text);
    }
    let content = world.resource::<GameContent>().0.clone();
    let Some(def) = content.recipes.get(recipe) else {
        let text = Text::new(keys::SKILLS_UNKNOWN_RECIPE).arg("recipe", recipe);
        return say_error_text(world, e, ErrorCode::UnknownRecipe, &text);
    };
    if let Err((code, text)) = check(world, e, &content, def) {
        return say_error_text(world, e, code, &text);
    }
    let job = Job::Craft {
        recipe: recipe.to_string(),
        left: count,
    };
    work::begin(world, e, job, def.ticks);
    let start = ServerEvent::CraftStart {
        recipe: recipe.to_string(),
        ticks: def.ticks.max(1),
        left: count,
    };
    send_to(world, e, &start);
}

/// Whether `e` may make one of `def` now.
fn check(world: &World, e: Entity, content: &Content, def: &RecipeDef) -> Result<(), Refusal> {
    if world.get::<Dead>(e).is_some() {
        return Err((ErrorCode::YouAreDead, Text::new(keys::YOU_ARE_DEAD)));
    }
    let here = world.get::<Position>(e).map(|p| p.0);
    let near =
        here.and_then(|at| crate::world::resources::station_near(world, at, REACH, def.station));
    if near.is_none() {
        let text = Text::new(keys::SKILLS_NO_STATION).arg("station", def.station.as_str());
        return Err((ErrorCode::NoStation, text));
    }
    skills::require(world, e, &def.skill, def.level)?;
    inputs_and_room(world, e, content, def)
}

/// The inputs (free of trades) and the room for the outputs.
fn inputs_and_room(
    world: &World,
    e: Entity,
    content: &Content,
    def: &RecipeDef,
) -> Result<(), Refusal> {
    let Some(inv) = world.get::<Inventory>(e) else {
        return Err((ErrorCode::NotInWorld, Text::new(keys::NOWHERE)));
    };
    let trading = world.get::<Trading>(e);
    let mut missing = Vec::new();
    for input in &def.inputs {
        let (free, all) = counts(inv, trading, &input.item);
        if free >= input.count {
            continue;
        }
        if all >= input.count {
            let text =
                Text::new(keys::SKILLS_INPUT_IN_TRADE).arg("name", name(content, &input.item));
            return Err((ErrorCode::InTrade, text));
        }
        missing.push(format!(
            "{} {}",
            input.count - free,
            name(content, &input.item)
        ));
    }
    if !missing.is_empty() {
        let text = Text::new(keys::SKILLS_MISSING_ITEMS).arg("list", missing.join(", "));
        return Err((ErrorCode::MissingItems, text));
    }
    let mut trial = inv.clone();
    if !apply(content, &mut trial, trading, def, None) {
        return Err((ErrorCode::InventoryFull, Text::new(keys::SKILLS_BAG_FULL)));
    }
    Ok(())
}

fn name<'a>(content: &'a Content, item: &'a str) -> &'a str {
    content.items.get(item).map_or(item, |d| d.name.as_str())
}

/// How many of `item` the bag holds outside the open trade, and in all.
fn counts(inv: &Inventory, trading: Option<&Trading>, item: &str) -> (u32, u32) {
    let mut free = 0u32;
    let mut all = 0u32;
    for i in inv.items.iter().filter(|i| i.template == item) {
        all = all.saturating_add(i.count);
        if !trading.is_some_and(|t| t.offers_item(i.id)) {
            free = free.saturating_add(i.count);
        }
    }
    (free, all)
}

/// Takes the inputs out of `inv` (from stacks not in the trade) and puts the outputs in;
/// false (with `inv` half changed: use a copy first) if they do not fit. With `ids`, new
/// stacks get fresh ids; without (a dry run), id 0.
fn apply(
    content: &Content,
    inv: &mut Inventory,
    trading: Option<&Trading>,
    def: &RecipeDef,
    mut ids: Option<&mut ItemIds>,
) -> bool {
    for input in &def.inputs {
        let mut need = input.count;
        for stack in inv
            .items
            .iter_mut()
            .filter(|i| i.template == input.item && !trading.is_some_and(|t| t.offers_item(i.id)))
        {
            let took = need.min(stack.count);
            stack.count -= took;
            need -= took;
            if need == 0 {
                break;
            }
        }
        if need > 0 {
            return false;
        }
    }
    inv.items.retain(|i| i.count > 0);
    for output in &def.outputs {
        if !items::fits(content, inv, &output.item, output.count) {
            return false;
        }
        let id = ids.as_deref_mut().map_or(0, ItemIds::allocate);
        let instance = ItemInstance {
            id,
            template: output.item.clone(),
            count: output.count,
        };
        items::add(content, inv, instance);
    }
    true
}

/// The end of one making (World phase, its due tick): the atomic change, then the next one.
pub(crate) fn finish_one(world: &mut World, e: Entity, recipe: &str, left: u32) {
    let content = world.resource::<GameContent>().0.clone();
    let Some(def) = content.recipes.get(recipe) else {
        work::stop(world, e, Stop::Interrupted);
        return;
    };
    if let Err(refusal) = inputs_and_room(world, e, &content, def) {
        return stop_for(world, e, refusal);
    }
    // The one inventory change: a copy is changed, then swapped in whole.
    let Some(mut bag) = world.get::<Inventory>(e).cloned() else {
        return;
    };
    let trading = world.get::<Trading>(e).cloned();
    let done = world.resource_scope(|_, mut ids: Mut<ItemIds>| {
        apply(&content, &mut bag, trading.as_ref(), def, Some(&mut ids))
    });
    if !done {
        work::stop(world, e, Stop::InventoryFull);
        return;
    }
    if let Some(mut inv) = world.get_mut::<Inventory>(e) {
        *inv = bag;
    }
    world.entity_mut(e).insert(ItemsDirty);
    world
        .resource_mut::<SaveSoon>()
        .add(&[e], SaveReason::Transfer);
    skills::grant(world, e, &def.skill, u64::from(def.xp));
    let counter = format!(
        "{}{recipe}",
        emberkeep_components::quests::counters::CRAFTED_PREFIX
    );
    crate::quests::achievements::bump(world, e, &content, &counter, 1);
    let left = left.saturating_sub(1);
    let end = ServerEvent::CraftEnd {
        recipe: recipe.to_string(),
        done: true,
        left,
        reason: None,
    };
    send_to(world, e, &end);
    if left == 0 {
        world.entity_mut(e).remove::<Working>();
        return;
    }
    let now = world.resource::<Tick>().0;
    if let Some(mut w) = world.get_mut::<Working>(e) {
        w.job = Job::Craft {
            recipe: recipe.to_string(),
            left,
        };
        w.due = now.saturating_add(u64::from(def.ticks.max(1)));
    }
    match inputs_and_room(world, e, &content, def) {
        Ok(()) => {
            let start = ServerEvent::CraftStart {
                recipe: recipe.to_string(),
                ticks: def.ticks.max(1),
                left,
            };
            send_to(world, e, &start);
        }
        Err(refusal) => stop_for(world, e, refusal),
    }
}

/// Ends the work because of a refusal found between makings.
fn stop_for(world: &mut World, e: Entity, (code, text): Refusal) {
    match code {
        ErrorCode::MissingItems => {
            work::stop(world, e, Stop::MissingItems);
        }
        ErrorCode::InventoryFull => {
            work::stop(world, e, Stop::InventoryFull);
        }
        _ => {
            work::stop(world, e, Stop::MissingItems);
            say_error_text(world, e, code, &text);
        }
    }
}

/// The recipes of a station kind as `station` lists them, with whether `e` can make one now.
fn recipe_views(world: &World, e: Entity, station: Option<Entity>) -> Vec<RecipeView> {
    let content = world.resource::<GameContent>();
    let kind = station.and_then(|s| world.get::<Station>(s)).map(|s| s.0);
    content
        .recipes
        .iter()
        .filter(|(_, r)| kind.is_none_or(|k| r.station == k))
        .map(|(id, r)| RecipeView {
            id: id.clone(),
            name: r.name.clone(),
            skill: r.skill.clone(),
            level: r.level,
            ticks: r.ticks,
            inputs: r.inputs.clone(),
            outputs: r.outputs.clone(),
            can_craft: skills::level_in(content, world.get::<Skills>(e), &r.skill).level >= r.level
                && inputs_and_room(world, e, content, r).is_ok(),
        })
        .collect()
}

/// `interact` on a station: the `station` event with its recipes.
pub(crate) fn open_station(world: &mut World, e: Entity, station: Entity) {
    let (Some(id), Some(kind)) = (
        world.get::<NetId>(station).map(|n| n.0),
        world.get::<Station>(station).map(|s| s.0),
    ) else {
        return;
    };
    let recipes = recipe_views(world, e, Some(station));
    send_to(
        world,
        e,
        &ServerEvent::Station {
            id,
            station: kind,
            recipes,
        },
    );
}

/// The `recipes` text command: every recipe, with its station, skill and inputs.
pub(crate) fn say_recipes(world: &mut World, e: Entity) {
    let content = world.resource::<GameContent>().0.clone();
    let list: Vec<String> = content
        .recipes
        .iter()
        .map(|(id, r)| {
            let inputs: Vec<String> = r
                .inputs
                .iter()
                .map(|i| {
                    let item = Text::new(keys::SKILLS_ITEM)
                        .arg("count", i.count)
                        .arg("name", name(&content, &i.item));
                    render_text(world, e, &item)
                })
                .collect();
            let skill = content
                .skills
                .get(&r.skill)
                .map_or(r.skill.as_str(), |s| s.name.as_str());
            let text = Text::new(keys::SKILLS_RECIPE)
                .arg("name", &r.name)
                .arg("id", id)
                .arg("station", r.station.as_str())
                .arg("skill", skill)
                .arg("level", r.level)
                .arg("inputs", inputs.join(", "));
            render_text(world, e, &text)
        })
        .collect();
    let text = Text::new(keys::SKILLS_RECIPES).arg("list", list.join("; "));
    say_info_text(world, e, &text);
}
