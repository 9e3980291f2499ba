//! Items in hand: pick up, drop, give to an adjacent player, equip, unequip, use; and the
//! `inventory` / `equipment` events that announce every change to their owner.
//!
//! Every move of an item is all-or-nothing: an item that does not fit stays where it was.
//! Splitting a stack gives the moved part a fresh id; a stack merged into another retires its
//! id. Ids are never reused.

use bevy_ecs::prelude::*;
use emberkeep_components::combat::Dead;
use emberkeep_components::content::{Content, EquipSlot, GameContent, ItemKind};
use emberkeep_components::items::{
    Equipment, GroundItem, Inventory, ItemIds, ItemInstance, ItemsDirty,
};
use emberkeep_components::persist::SaveReason;
use emberkeep_components::protocol::{ErrorCode, ItemView, ServerEvent, encode_event};
use emberkeep_components::stats::{StatsDirty, Vitals};
use emberkeep_components::text::{Text, keys};
use emberkeep_components::trade::Trading;
use emberkeep_components::world::{NetIndex, Outgoing, Player, Position, Tick};

use crate::text::{render, say_error, say_error_text, say_info};

fn item_name(content: &Content, template: &str) -> String {
    content
        .items
        .get(template)
        .map(|d| d.name.clone())
        .unwrap_or_else(|| template.to_string())
}

fn max_stack(content: &Content, template: &str) -> u32 {
    content
        .items
        .get(template)
        .map(|d| d.max_stack.max(1))
        .unwrap_or(1)
}

/// Whether `count` of `template` fit in the inventory (topping up stacks, then free slots).
pub(crate) fn fits(content: &Content, inv: &Inventory, template: &str, count: u32) -> bool {
    let max = max_stack(content, template);
    let room_in_stacks: u32 = inv
        .items
        .iter()
        .filter(|i| i.template == template)
        .map(|i| max.saturating_sub(i.count))
        .sum();
    let free = inv.slots.saturating_sub(inv.items.len() as u32);
    room_in_stacks.saturating_add(free.saturating_mul(max)) >= count
}

/// Adds an item, topping up existing stacks first; the caller checked [`fits`].
pub(crate) fn add(content: &Content, inv: &mut Inventory, mut item: ItemInstance) {
    let max = max_stack(content, &item.template);
    for stack in inv.items.iter_mut().filter(|i| i.template == item.template) {
        let moved = item.count.min(max.saturating_sub(stack.count));
        stack.count += moved;
        item.count -= moved;
        if item.count == 0 {
            return; // merged whole: this instance's id retires
        }
    }
    while item.count > max {
        // More than a stack: the overflow becomes its own stack (content counts are small).
        let rest = item.count - max;
        item.count = max;
        inv.items.push(item.clone());
        item.count = rest;
    }
    inv.items.push(item);
}

/// Takes `count` (all if `None`) of an inventory item out. A partial take gets a fresh id.
pub(crate) fn take(
    inv: &mut Inventory,
    ids: &mut ItemIds,
    id: u64,
    count: Option<u32>,
) -> Result<ItemInstance, (ErrorCode, Text)> {
    let Some(i) = inv.find(id) else {
        return Err((
            ErrorCode::UnknownItem,
            Text::new(keys::ITEMS_NO_ITEM).arg("id", id),
        ));
    };
    let have = inv.items[i].count;
    let want = count.unwrap_or(have);
    if want == 0 || want > have {
        let text = Text::new(keys::ITEMS_CANNOT_TAKE)
            .arg("have", have)
            .arg("want", want);
        return Err((ErrorCode::BadCount, text));
    }
    if want == have {
        return Ok(inv.items.remove(i));
    }
    inv.items[i].count -= want;
    Ok(ItemInstance {
        id: ids.allocate(),
        template: inv.items[i].template.clone(),
        count: want,
    })
}

/// Refuses (`in_trade`) when item `id` is offered in `e`'s open trade; returns whether it is.
/// Every move of a bag item out of the bag asks this first.
pub(crate) fn locked_in_trade(world: &mut World, e: Entity, id: u64) -> bool {
    if !world.get::<Trading>(e).is_some_and(|t| t.offers_item(id)) {
        return false;
    }
    let content = world.resource::<GameContent>().clone();
    let name = world
        .get::<Inventory>(e)
        .and_then(|inv| {
            inv.find(id)
                .map(|i| item_name(&content, &inv.items[i].template))
        })
        .unwrap_or_else(|| id.to_string());
    say_error(
        world,
        e,
        ErrorCode::InTrade,
        keys::TRADE_ITEM_LOCKED,
        &[("name", &name)],
    );
    true
}

fn alive_player(world: &mut World, e: Entity) -> bool {
    if world.get::<Dead>(e).is_some() {
        say_error(world, e, ErrorCode::YouAreDead, keys::YOU_ARE_DEAD, &[]);
        return false;
    }
    true
}

/// Picks up a ground item on or next to the player's tile.
pub(crate) fn pickup(world: &mut World, e: Entity, ground_id: u64) {
    if !alive_player(world, e) {
        return;
    }
    let tick = world.resource::<Tick>().0;
    let content = world.resource::<GameContent>().clone();
    let Some(g) = world
        .resource::<NetIndex>()
        .0
        .get(&ground_id)
        .copied()
        .filter(|g| world.get::<GroundItem>(*g).is_some())
    else {
        return say_error(
            world,
            e,
            ErrorCode::UnknownItem,
            keys::ITEMS_NOT_ON_GROUND,
            &[("id", &ground_id)],
        );
    };
    let Some((here, there)) = crate::world::tiles_of(world, e, g) else {
        return;
    };
    if here.distance(there) > 1 {
        return say_error(world, e, ErrorCode::OutOfRange, keys::ITEMS_TOO_FAR, &[]);
    }
    let ground = world.get::<GroundItem>(g).cloned().expect("checked above");
    if let Some(owner) = &ground.owner
        && **owner != crate::name_of(world, e).to_lowercase()
        && tick < ground.owner_until
    {
        let secs = (ground.owner_until - tick) as f64
            / f64::from(
                world
                    .resource::<emberkeep_components::config::SimConfig>()
                    .tick_rate
                    .max(1),
            );
        let secs = format!("{secs:.0}");
        return say_error(
            world,
            e,
            ErrorCode::NotYours,
            keys::ITEMS_NOT_YOURS,
            &[("secs", &secs)],
        );
    }
    let Some(inv) = world.get::<Inventory>(e) else {
        return;
    };
    if !fits(&content, inv, &ground.item.template, ground.item.count) {
        return say_error(
            world,
            e,
            ErrorCode::InventoryFull,
            keys::ITEMS_INVENTORY_FULL,
            &[],
        );
    }
    let name = item_name(&content, &ground.item.template);
    let count = ground.item.count;
    crate::game::loot::take_off_ground(world, g);
    if let Some(mut inv) = world.get_mut::<Inventory>(e) {
        add(&content, &mut inv, ground.item);
    }
    transferred(world, &[e]);
    say_info(
        world,
        e,
        keys::ITEMS_PICKED_UP,
        &[("count", &count), ("name", &name)],
    );
}

/// Items moved into or out of these characters' inventories: their items are announced this
/// tick, and they are saved in this tick's one batch (so a moved item is stored in exactly
/// one place).
pub(crate) fn transferred(world: &mut World, who: &[Entity]) {
    for e in who {
        world.entity_mut(*e).insert(ItemsDirty);
    }
    world
        .resource_mut::<emberkeep_components::persist::SaveSoon>()
        .add(who, SaveReason::Transfer);
}

/// Drops an inventory item (or part of a stack) on the player's tile.
pub(crate) fn drop_item(world: &mut World, e: Entity, id: u64, count: Option<u32>) {
    if !alive_player(world, e) {
        return;
    }
    let tick = world.resource::<Tick>().0;
    let Some(tile) = world.get::<Position>(e).map(|p| p.0) else {
        return;
    };
    if locked_in_trade(world, e, id) {
        return;
    }
    let taken = world.resource_scope(|world, mut ids: Mut<ItemIds>| {
        world
            .get_mut::<Inventory>(e)
            .map(|mut inv| take(&mut inv, &mut ids, id, count))
    });
    match taken {
        Some(Ok(item)) => {
            let name = item_name(&world.resource::<GameContent>().clone(), &item.template);
            let n = item.count;
            crate::game::loot::place_on_ground(world, item, tile, None, tick);
            transferred(world, &[e]);
            say_info(
                world,
                e,
                keys::ITEMS_DROPPED,
                &[("count", &n), ("name", &name)],
            );
        }
        Some(Err((code, text))) => say_error_text(world, e, code, &text),
        None => {}
    }
}

/// Gives an inventory item to an adjacent player, all or nothing.
pub(crate) fn give(world: &mut World, e: Entity, id: u64, to: u64, count: Option<u32>) {
    if !alive_player(world, e) {
        return;
    }
    let content = world.resource::<GameContent>().clone();
    let receiver = world
        .resource::<NetIndex>()
        .0
        .get(&to)
        .copied()
        .filter(|r| world.get::<Player>(*r).is_some());
    let Some(r) = receiver.filter(|r| *r != e) else {
        return say_error(
            world,
            e,
            ErrorCode::UnknownTarget,
            keys::ITEMS_NO_OTHER_PLAYER,
            &[("id", &to)],
        );
    };
    if world.get::<Dead>(r).is_some() {
        return say_error(
            world,
            e,
            ErrorCode::UnknownTarget,
            keys::ITEMS_THEY_ARE_DEAD,
            &[],
        );
    }
    let Some((a, b)) = crate::world::tiles_of(world, e, r) else {
        return;
    };
    if a.distance(b) > 1 {
        return say_error(
            world,
            e,
            ErrorCode::OutOfRange,
            keys::ITEMS_GIVE_TOO_FAR,
            &[],
        );
    }
    let Some(item) = held(world, e, id) else {
        return;
    };
    let n = count.unwrap_or(item.count);
    if n == 0 || n > item.count {
        return say_error(
            world,
            e,
            ErrorCode::BadCount,
            keys::ITEMS_CANNOT_GIVE,
            &[("have", &item.count), ("count", &n)],
        );
    }
    if !world
        .get::<Inventory>(r)
        .is_some_and(|inv| fits(&content, inv, &item.template, n))
    {
        return say_error(
            world,
            e,
            ErrorCode::InventoryFull,
            keys::ITEMS_THEIR_INVENTORY_FULL,
            &[],
        );
    }
    let taken = world.resource_scope(|world, mut ids: Mut<ItemIds>| {
        world
            .get_mut::<Inventory>(e)
            .map(|mut inv| take(&mut inv, &mut ids, id, Some(n)))
    });
    let Some(Ok(moved)) = taken else { return };
    if let Some(mut inv) = world.get_mut::<Inventory>(r) {
        add(&content, &mut inv, moved);
    }
    // Both characters in one atomic save: the item is never stored twice or nowhere.
    transferred(world, &[e, r]);
    let name = item_name(&content, &item.template);
    let giver = crate::name_of(world, e);
    let taker = crate::name_of(world, r);
    say_info(
        world,
        e,
        keys::ITEMS_GAVE,
        &[("count", &n), ("name", &name), ("to", &taker)],
    );
    say_info(
        world,
        r,
        keys::ITEMS_RECEIVED,
        &[("from", &giver), ("count", &n), ("name", &name)],
    );
}

/// A copy of item `id` in `e`'s inventory, refused as [`carried`] refuses (the lookup `give`
/// and selling share).
pub(crate) fn held(world: &mut World, e: Entity, id: u64) -> Option<ItemInstance> {
    let (i, _) = carried(world, e, id)?;
    world.get::<Inventory>(e).map(|inv| inv.items[i].clone())
}

/// Where item `id` is in `e`'s inventory, and its template; refuses `unknown_item` if it is
/// not there and `in_trade` if it is offered in a trade (the lookup `equip` and `use` share).
fn carried(world: &mut World, e: Entity, id: u64) -> Option<(usize, String)> {
    if locked_in_trade(world, e, id) {
        return None;
    }
    let found = world.get::<Inventory>(e).and_then(|inv| {
        let i = inv.find(id)?;
        Some((i, inv.items[i].template.clone()))
    });
    if found.is_none() {
        say_error(
            world,
            e,
            ErrorCode::UnknownItem,
            keys::ITEMS_NO_ITEM,
            &[("id", &id)],
        );
    }
    found
}

/// Wears an inventory item; what was in that slot takes its place in the inventory.
pub(crate) fn equip(world: &mut World, e: Entity, id: u64) {
    if !alive_player(world, e) {
        return;
    }
    let content = world.resource::<GameContent>().clone();
    let Some((i, template)) = carried(world, e, id) else {
        return;
    };
    let def = content.items.get(&template);
    let slot = def
        .filter(|d| matches!(d.kind, ItemKind::Weapon | ItemKind::Armor))
        .and_then(|d| d.slot);
    let Some(slot) = slot else {
        let name = item_name(&content, &template);
        return say_error(
            world,
            e,
            ErrorCode::CannotEquip,
            keys::ITEMS_CANNOT_EQUIP,
            &[("name", &name)],
        );
    };
    let mut entity = world.entity_mut(e);
    let item = {
        let Some(mut inv) = entity.get_mut::<Inventory>() else {
            return;
        };
        inv.items.remove(i)
    };
    let old = entity
        .get_mut::<Equipment>()
        .and_then(|mut eq| eq.0.insert(slot, item));
    if let Some(old) = old
        && let Some(mut inv) = entity.get_mut::<Inventory>()
    {
        inv.items.insert(i, old);
    }
    entity.insert((ItemsDirty, StatsDirty));
    let name = item_name(&content, &template);
    let slot = render(world, e, keys::slot(slot), &[]);
    say_info(
        world,
        e,
        keys::ITEMS_EQUIPPED,
        &[("name", &name), ("slot", &slot)],
    );
}

/// Takes off what is worn in a slot, if the inventory has room.
pub(crate) fn unequip(world: &mut World, e: Entity, slot: EquipSlot) {
    if !alive_player(world, e) {
        return;
    }
    let content = world.resource::<GameContent>().clone();
    let Some(worn) = world
        .get::<Equipment>(e)
        .and_then(|eq| eq.0.get(&slot).cloned())
    else {
        let slot = render(world, e, keys::slot(slot), &[]);
        return say_error(
            world,
            e,
            ErrorCode::UnknownItem,
            keys::ITEMS_NOTHING_WORN,
            &[("slot", &slot)],
        );
    };
    if !world.get::<Inventory>(e).is_some_and(Inventory::has_room) {
        return say_error(
            world,
            e,
            ErrorCode::InventoryFull,
            keys::ITEMS_INVENTORY_FULL,
            &[],
        );
    }
    let mut entity = world.entity_mut(e);
    if let Some(mut eq) = entity.get_mut::<Equipment>() {
        eq.0.remove(&slot);
    }
    if let Some(mut inv) = entity.get_mut::<Inventory>() {
        inv.items.push(worn.clone());
    }
    entity.insert((ItemsDirty, StatsDirty));
    let name = item_name(&content, &worn.template);
    say_info(world, e, keys::ITEMS_TOOK_OFF, &[("name", &name)]);
}

/// Uses one of a consumable: heals, restores mana and/or applies its effect.
pub(crate) fn use_item(world: &mut World, e: Entity, id: u64) {
    if !alive_player(world, e) {
        return;
    }
    let content = world.resource::<GameContent>().clone();
    let Some((i, template)) = carried(world, e, id) else {
        return;
    };
    let used = || emberkeep_components::story::StoryEvent::UseItem {
        player: e,
        item: template.clone(),
    };
    let Some(def) = content
        .items
        .get(&template)
        .filter(|d| d.kind == ItemKind::Consumable)
    else {
        // An item a trigger listens for can be used: the trigger says what happens.
        if content.story.index.use_item.contains_key(&template) {
            let event = used();
            return world
                .resource_mut::<emberkeep_components::story::StoryEvents>()
                .0
                .push(event);
        }
        let name = item_name(&content, &template);
        return say_error(
            world,
            e,
            ErrorCode::CannotUse,
            keys::ITEMS_CANNOT_USE,
            &[("name", &name)],
        );
    };
    if let Some(mut v) = world.get_mut::<Vitals>(e) {
        v.hp = (v.hp + def.heal).min(v.max_hp);
        v.mp = (v.mp + def.mana).min(v.max_mp);
    }
    if let Some(effect) = &def.effect {
        crate::game::effects::apply_to(world, e, effect, Some(e));
    }
    if let Some(mut inv) = world.get_mut::<Inventory>(e) {
        inv.items[i].count -= 1;
        if inv.items[i].count == 0 {
            inv.items.remove(i);
        }
    }
    world.entity_mut(e).insert(ItemsDirty);
    say_info(world, e, keys::ITEMS_USED, &[("name", &def.name)]);
    let event = used();
    world
        .resource_mut::<emberkeep_components::story::StoryEvents>()
        .0
        .push(event);
}

/// An item as its owner sees it.
pub(crate) fn view(content: &Content, item: &ItemInstance) -> ItemView {
    ItemView {
        id: item.id,
        item: item.template.clone(),
        name: item_name(content, &item.template),
        count: item.count,
    }
}

/// Sends the inventory and equipment of every player whose items changed this tick.
pub(crate) fn announce_items(
    content: Res<GameContent>,
    mut changed: Query<(Entity, &Inventory, &Equipment, &mut Outgoing), With<ItemsDirty>>,
    mut commands: Commands,
) {
    for (e, inv, eq, mut out) in &mut changed {
        let items = inv.items.iter().map(|i| view(&content, i)).collect();
        out.push(&encode_event(&ServerEvent::Inventory {
            slots: inv.slots,
            items,
        }));
        let slots = eq.0.iter().map(|(s, i)| (*s, view(&content, i))).collect();
        out.push(&encode_event(&ServerEvent::Equipment { slots }));
        commands.entity(e).remove::<ItemsDirty>();
    }
}
