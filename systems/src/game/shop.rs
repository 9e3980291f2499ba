//! Shops and banks at NPCs (`shops.toml`): looking at a shop, buying and selling, and moving
//! items and gold between the bag and the bank. The NPC must be within talking range.
//!
//! Every trade is all-or-nothing: all refusals are checked before anything changes, then the
//! items and the gold move in the same tick and the character is saved in that tick's one
//! batch. An item id is held in exactly one place: the bag, the bank, or (sold) nowhere.

use bevy_ecs::prelude::*;
use emberkeep_components::combat::Dead;
use emberkeep_components::content::{Content, GameContent};
use emberkeep_components::economy::{Bank, Purse, ShopDef, ShopStock};
use emberkeep_components::items::{Inventory, ItemIds, ItemInstance};
use emberkeep_components::mobs::Mob;
use emberkeep_components::protocol::{EntityKind, ErrorCode, OfferView, ServerEvent, WareView};
use emberkeep_components::text::{Text, keys};
use emberkeep_components::world::{DisplayName, Kind, NetId, NetIndex, TALK_RANGE, Tick};

use crate::game::gold::{self, GoldError};
use crate::game::items::{add, fits, held, locked_in_trade, take, transferred};
use crate::send_to;
use crate::text::{say_error, say_error_text, say_info};

/// The shop an NPC keeps: the NPC's id, its template (the shop's id), its name and its offer.
struct Keeper {
    id: u64,
    template: String,
    name: String,
    shop: ShopDef,
}

fn refuse(world: &mut World, p: Entity, code: ErrorCode, text: Text) -> Option<Keeper> {
    say_error_text(world, p, code, &text);
    None
}

/// The shop NPC `npc_id` keeps, if `p` is alive and near it; refuses otherwise.
fn keeper(world: &mut World, p: Entity, npc_id: u64) -> Option<Keeper> {
    if world.get::<Dead>(p).is_some() {
        say_error(world, p, ErrorCode::YouAreDead, keys::YOU_ARE_DEAD, &[]);
        return None;
    }
    let npc = world
        .resource::<NetIndex>()
        .0
        .get(&npc_id)
        .copied()
        .filter(|n| {
            world
                .get::<Kind>(*n)
                .is_some_and(|k| k.0 == EntityKind::Npc)
        });
    let Some(npc) = npc else {
        let text = Text::new(keys::SHOP_NO_NPC).arg("id", npc_id);
        return refuse(world, p, ErrorCode::UnknownTarget, text);
    };
    keeper_of(world, p, npc)
}

/// The shop `npc` keeps, if `p` is near it; refuses otherwise.
fn keeper_of(world: &mut World, p: Entity, npc: Entity) -> Option<Keeper> {
    let name = world
        .get::<DisplayName>(npc)
        .map(|n| n.0.to_string())
        .unwrap_or_default();
    let near =
        crate::world::tiles_of(world, p, npc).is_some_and(|(a, b)| a.distance(b) <= TALK_RANGE);
    if !near {
        let text = Text::new(keys::SHOP_TOO_FAR)
            .arg("name", &name)
            .arg("range", TALK_RANGE);
        return refuse(world, p, ErrorCode::OutOfRange, text);
    }
    let template = world.get::<Mob>(npc).map(|m| m.template.clone());
    let shop = template
        .as_ref()
        .and_then(|t| world.resource::<GameContent>().shops.get(t).cloned());
    let (Some(template), Some(shop)) = (template, shop) else {
        let text = Text::new(keys::SHOP_NONE).arg("name", &name);
        return refuse(world, p, ErrorCode::NoShop, text);
    };
    let id = world.get::<NetId>(npc).map_or(0, |n| n.0);
    Some(Keeper {
        id,
        template,
        name,
        shop,
    })
}

/// The banker NPC `npc_id`, if `p` is near it; refuses otherwise.
fn banker(world: &mut World, p: Entity, npc_id: u64) -> Option<Keeper> {
    let k = keeper(world, p, npc_id)?;
    if !k.shop.banker {
        let text = Text::new(keys::SHOP_NO_BANK).arg("name", &k.name);
        return refuse(world, p, ErrorCode::NoShop, text);
    }
    Some(k)
}

fn item_name(content: &Content, template: &str) -> String {
    content
        .items
        .get(template)
        .map_or_else(|| template.to_string(), |d| d.name.clone())
}

/// Sends `p` what the shop sells (with the stock left now) and buys.
fn send_shop(world: &mut World, p: Entity, k: &Keeper) {
    let content = world.resource::<GameContent>().clone();
    let tick = world.resource::<Tick>().0;
    let sells = world.resource_scope(|_, mut stock: Mut<ShopStock>| {
        k.shop
            .sells
            .iter()
            .map(|w| WareView {
                item: w.item.clone(),
                name: item_name(&content, &w.item),
                price: w.price,
                stock: stock.left(&k.template, w, tick),
            })
            .collect()
    });
    let buys = k
        .shop
        .buys
        .iter()
        .map(|o| OfferView {
            item: o.item.clone(),
            name: item_name(&content, &o.item),
            price: o.price,
        })
        .collect();
    let event = ServerEvent::Shop {
        npc: k.id,
        name: k.name.clone(),
        sells,
        buys,
        banker: k.shop.banker,
    };
    send_to(world, p, &event);
}

/// Looks at the shop (and, at a banker, the bank) of NPC `npc`.
pub(crate) fn open(world: &mut World, p: Entity, npc: u64) {
    if let Some(k) = keeper(world, p, npc) {
        open_at(world, p, k);
    }
}

/// [`open`] for an NPC found by a text command.
pub(crate) fn open_npc(world: &mut World, p: Entity, npc: Entity) {
    if let Some(k) = keeper_of(world, p, npc) {
        open_at(world, p, k);
    }
}

fn open_at(world: &mut World, p: Entity, k: Keeper) {
    send_shop(world, p, &k);
    if k.shop.banker {
        gold::send_bank(world, p);
    }
}

fn gold_refusal(world: &mut World, p: Entity, err: GoldError, price: u64) {
    match err {
        GoldError::NotEnough => {
            let have = world.get::<Purse>(p).map_or(0, |g| g.gold);
            say_error(
                world,
                p,
                ErrorCode::NotEnoughGold,
                keys::SHOP_NOT_ENOUGH_GOLD,
                &[("price", &price), ("gold", &have)],
            );
        }
        GoldError::TooMuch => {
            say_error(world, p, ErrorCode::TooMuchGold, keys::SHOP_PURSE_FULL, &[])
        }
        GoldError::InTrade => gold::in_trade_refusal(world, p),
    }
}

/// Buys `count` (default 1) of `item` (a template id) from NPC `npc`'s shop.
pub(crate) fn buy(world: &mut World, p: Entity, npc: u64, item: &str, count: Option<u32>) {
    let Some(k) = keeper(world, p, npc) else {
        return;
    };
    let content = world.resource::<GameContent>().clone();
    let Some(ware) = k.shop.sells.iter().find(|w| w.item == item).cloned() else {
        let text = Text::new(keys::SHOP_NOT_SOLD)
            .arg("name", &k.name)
            .arg("item", item);
        return say_error_text(world, p, ErrorCode::UnknownItem, &text);
    };
    let n = count.unwrap_or(1);
    if n == 0 {
        let text = Text::new(keys::ITEMS_CANNOT_TAKE)
            .arg("have", ware.stock)
            .arg("want", n);
        return say_error_text(world, p, ErrorCode::BadCount, &text);
    }
    let tick = world.resource::<Tick>().0;
    let left = world
        .resource_mut::<ShopStock>()
        .left(&k.template, &ware, tick);
    let name = item_name(&content, &ware.item);
    if n > left {
        return say_error(
            world,
            p,
            ErrorCode::OutOfStock,
            keys::SHOP_OUT_OF_STOCK,
            &[("name", &name), ("left", &left)],
        );
    }
    let price = ware.price.saturating_mul(u64::from(n));
    if let Err(err) = gold::after(world, p, -i128::from(price), 0) {
        return gold_refusal(world, p, err, price);
    }
    if !world
        .get::<Inventory>(p)
        .is_some_and(|inv| fits(&content, inv, &ware.item, n))
    {
        return say_error(
            world,
            p,
            ErrorCode::InventoryFull,
            keys::ITEMS_INVENTORY_FULL,
            &[],
        );
    }
    // Every refusal is behind us: the gold and the item move together.
    let id = world.resource_mut::<ItemIds>().allocate();
    let bought = ItemInstance {
        id,
        template: ware.item.clone(),
        count: n,
    };
    if let Some(mut inv) = world.get_mut::<Inventory>(p) {
        add(&content, &mut inv, bought);
    }
    if let Err(err) = gold::change_gold(world, p, -i128::from(price), 0) {
        debug_assert!(false, "checked above: {err:?}");
    }
    world
        .resource_mut::<ShopStock>()
        .sold(&k.template, &ware, n, tick, k.shop.restock_ticks);
    transferred(world, &[p]);
    say_info(
        world,
        p,
        keys::SHOP_BOUGHT,
        &[("count", &n), ("name", &name), ("price", &price)],
    );
    send_shop(world, p, &k);
}

/// Sells inventory item `id` (all of it or `count`) to NPC `npc`'s shop; the shop keeps it.
pub(crate) fn sell(world: &mut World, p: Entity, npc: u64, id: u64, count: Option<u32>) {
    let Some(k) = keeper(world, p, npc) else {
        return;
    };
    let content = world.resource::<GameContent>().clone();
    let Some(held) = held(world, p, id) else {
        return;
    };
    let name = item_name(&content, &held.template);
    let Some(offer) = k.shop.buys.iter().find(|o| o.item == held.template) else {
        return say_error(
            world,
            p,
            ErrorCode::WontBuy,
            keys::SHOP_WONT_BUY,
            &[("shop", &k.name), ("name", &name)],
        );
    };
    let n = count.unwrap_or(held.count);
    if n == 0 || n > held.count {
        let text = Text::new(keys::ITEMS_CANNOT_TAKE)
            .arg("have", held.count)
            .arg("want", n);
        return say_error_text(world, p, ErrorCode::BadCount, &text);
    }
    let price = offer.price.saturating_mul(u64::from(n));
    if let Err(err) = gold::after(world, p, i128::from(price), 0) {
        return gold_refusal(world, p, err, price);
    }
    let taken = world.resource_scope(|world, mut ids: Mut<ItemIds>| {
        world
            .get_mut::<Inventory>(p)
            .map(|mut inv| take(&mut inv, &mut ids, id, Some(n)))
    });
    let Some(Ok(_sold)) = taken else { return };
    if let Err(err) = gold::change_gold(world, p, i128::from(price), 0) {
        debug_assert!(false, "checked above: {err:?}");
    }
    transferred(world, &[p]);
    say_info(
        world,
        p,
        keys::SHOP_SOLD,
        &[("count", &n), ("name", &name), ("price", &price)],
    );
}

/// Which container an item moves out of, at the bank.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BankMove {
    Deposit,
    Withdraw,
}

/// Moves item `id` (all of it or `count`) between the bag and the bank at banker `npc`.
pub(crate) fn move_item(
    world: &mut World,
    p: Entity,
    npc: u64,
    way: BankMove,
    id: u64,
    count: Option<u32>,
) {
    if banker(world, p, npc).is_none() {
        return;
    }
    if way == BankMove::Deposit && locked_in_trade(world, p, id) {
        return;
    }
    let content = world.resource::<GameContent>().clone();
    let (Some(inv), Some(bank)) = (world.get::<Inventory>(p), world.get::<Bank>(p)) else {
        return;
    };
    let (from, to) = match way {
        BankMove::Deposit => (inv, &bank.0),
        BankMove::Withdraw => (&bank.0, inv),
    };
    let Some(held) = from.find(id).map(|i| from.items[i].clone()) else {
        let key = match way {
            BankMove::Deposit => keys::ITEMS_NO_ITEM,
            BankMove::Withdraw => keys::BANK_NO_ITEM,
        };
        return say_error(world, p, ErrorCode::UnknownItem, key, &[("id", &id)]);
    };
    let n = count.unwrap_or(held.count);
    if n == 0 || n > held.count {
        let text = Text::new(keys::ITEMS_CANNOT_TAKE)
            .arg("have", held.count)
            .arg("want", n);
        return say_error_text(world, p, ErrorCode::BadCount, &text);
    }
    if !fits(&content, to, &held.template, n) {
        let (code, key) = match way {
            BankMove::Deposit => (ErrorCode::BankFull, keys::BANK_FULL),
            BankMove::Withdraw => (ErrorCode::InventoryFull, keys::ITEMS_INVENTORY_FULL),
        };
        return say_error(world, p, code, key, &[]);
    }
    let taken = world.resource_scope(|world, mut ids: Mut<ItemIds>| match way {
        BankMove::Deposit => world
            .get_mut::<Inventory>(p)
            .and_then(|mut inv| take(&mut inv, &mut ids, id, Some(n)).ok()),
        BankMove::Withdraw => world
            .get_mut::<Bank>(p)
            .and_then(|mut bank| take(&mut bank.0, &mut ids, id, Some(n)).ok()),
    });
    let Some(item) = taken else { return };
    match way {
        BankMove::Deposit => {
            if let Some(mut bank) = world.get_mut::<Bank>(p) {
                add(&content, &mut bank.0, item);
            }
        }
        BankMove::Withdraw => {
            if let Some(mut inv) = world.get_mut::<Inventory>(p) {
                add(&content, &mut inv, item);
            }
        }
    }
    transferred(world, &[p]);
    gold::send_bank(world, p);
    let name = item_name(&content, &held.template);
    let key = match way {
        BankMove::Deposit => keys::BANK_DEPOSITED,
        BankMove::Withdraw => keys::BANK_WITHDREW,
    };
    say_info(world, p, key, &[("count", &n), ("name", &name)]);
}

/// Moves `amount` gold between the purse and the bank at banker `npc`.
pub(crate) fn move_gold(world: &mut World, p: Entity, npc: u64, way: BankMove, amount: u64) {
    if banker(world, p, npc).is_none() {
        return;
    }
    if amount == 0 {
        let text = Text::new(keys::ITEMS_CANNOT_TAKE)
            .arg("have", 0)
            .arg("want", 0);
        return say_error_text(world, p, ErrorCode::BadCount, &text);
    }
    let a = i128::from(amount);
    let (purse, bank) = match way {
        BankMove::Deposit => (-a, a),
        BankMove::Withdraw => (a, -a),
    };
    match gold::change_gold(world, p, purse, bank) {
        Ok(_) => {
            let key = match way {
                BankMove::Deposit => keys::BANK_GOLD_DEPOSITED,
                BankMove::Withdraw => keys::BANK_GOLD_WITHDREW,
            };
            say_info(world, p, key, &[("amount", &amount)]);
        }
        Err(GoldError::NotEnough) => {
            let g = world.get::<Purse>(p).copied().unwrap_or_default();
            let have = match way {
                BankMove::Deposit => g.gold,
                BankMove::Withdraw => g.bank_gold,
            };
            say_error(
                world,
                p,
                ErrorCode::NotEnoughGold,
                keys::BANK_NOT_ENOUGH_GOLD,
                &[("amount", &amount), ("gold", &have)],
            );
        }
        Err(GoldError::TooMuch) => {
            say_error(world, p, ErrorCode::TooMuchGold, keys::BANK_GOLD_FULL, &[])
        }
        Err(GoldError::InTrade) => gold::in_trade_refusal(world, p),
    }
}

/// The nearest shop-keeping NPC within talking range of `p` (a banker if `banker`).
pub(crate) fn nearest_keeper(world: &mut World, p: Entity, banker: bool) -> Option<Entity> {
    let at = world.get::<emberkeep_components::world::Position>(p)?.0;
    let content = world.resource::<GameContent>().clone();
    let mut q = world.query::<(Entity, &Kind, &Mob, &emberkeep_components::world::Position)>();
    q.iter(world)
        .filter(|(_, k, m, pos)| {
            k.0 == EntityKind::Npc
                && pos.0.distance(at) <= TALK_RANGE
                && content
                    .shops
                    .get(&m.template)
                    .is_some_and(|s| !banker || s.banker)
        })
        .min_by_key(|(.., pos)| pos.0.distance(at))
        .map(|(e, ..)| e)
}

/// The NPC's id for messages.
pub(crate) fn net_id(world: &World, npc: Entity) -> u64 {
    world.get::<NetId>(npc).map_or(0, |n| n.0)
}
