//! Text commands at shops and banks: `shop`, `buy <item> [count]`, `sell <item> [count]`,
//! `bank`, `deposit|withdraw <item> [count]`, `deposit|withdraw <amount> gold`, `gold`. They
//! name the nearest shopkeeper (or banker) within talking range and do what the typed
//! messages do.

use bevy_ecs::prelude::*;
use emberkeep_components::content::GameContent;
use emberkeep_components::economy::{Bank, Purse};
use emberkeep_components::mobs::Mob;
use emberkeep_components::protocol::ErrorCode;
use emberkeep_components::text::{Key, Text, keys};

use super::text::{matches, own_item, split_count};
use crate::game::shop::{self, BankMove};
use crate::text::{say_error, say_error_text, say_info};

/// Runs a shop or bank command, or returns `false` if `verb` is not one.
pub(crate) fn run(world: &mut World, e: Entity, verb: &str, rest: &str) -> bool {
    match verb {
        "shop" | "wares" | "list" => match keeper(world, e, false) {
            Ok(npc) => shop::open_npc(world, e, npc),
            Err(t) => say_error_text(world, e, ErrorCode::NoShop, &t),
        },
        "bank" => match keeper(world, e, true) {
            Ok(npc) => shop::open_npc(world, e, npc),
            Err(t) => say_error_text(world, e, ErrorCode::NoShop, &t),
        },
        "gold" | "purse" => {
            let gold = world.get::<Purse>(e).map_or(0, |p| p.gold);
            say_info(world, e, keys::SHOP_PURSE, &[("gold", &gold)]);
        }
        "buy" => buy(world, e, rest),
        "sell" => sell(world, e, rest),
        "deposit" => bank(world, e, rest, BankMove::Deposit),
        "withdraw" => bank(world, e, rest, BankMove::Withdraw),
        _ => return false,
    }
    true
}

/// The nearest shopkeeper (banker if `banker`) near `e`.
fn keeper(world: &mut World, e: Entity, banker: bool) -> Result<Entity, Text> {
    shop::nearest_keeper(world, e, banker).ok_or(Text::new(keys::SHOP_NONE_NEAR))
}

fn usage(world: &mut World, e: Entity, key: Key) {
    say_error(world, e, ErrorCode::UnknownCommand, key, &[]);
}

fn buy(world: &mut World, e: Entity, rest: &str) {
    let (query, count) = split_count(rest);
    if query.is_empty() {
        return usage(world, e, keys::SHOP_USAGE_BUY);
    }
    let npc = match keeper(world, e, false) {
        Ok(npc) => npc,
        Err(t) => return say_error_text(world, e, ErrorCode::NoShop, &t),
    };
    let content = world.resource::<GameContent>().clone();
    let template = world.get::<Mob>(npc).map(|m| m.template.clone());
    let ware = template
        .and_then(|t| content.shops.get(&t))
        .and_then(|s| {
            s.sells
                .iter()
                .map(|w| {
                    let name = content
                        .items
                        .get(&w.item)
                        .map_or(w.item.as_str(), |d| &d.name);
                    (matches(query, 0, name, &w.item), w.item.clone())
                })
                .filter(|(score, _)| *score > 0)
                .max_by_key(|(score, _)| *score)
        })
        .map_or_else(|| query.to_string(), |(_, item)| item);
    let id = shop::net_id(world, npc);
    shop::buy(world, e, id, &ware, count);
}

fn sell(world: &mut World, e: Entity, rest: &str) {
    let (query, count) = split_count(rest);
    if query.is_empty() {
        return usage(world, e, keys::SHOP_USAGE_SELL);
    }
    let item = match own_item(world, e, query) {
        Ok(id) => id,
        Err(t) => return say_error_text(world, e, ErrorCode::UnknownItem, &t),
    };
    match keeper(world, e, false) {
        Ok(npc) => {
            let id = shop::net_id(world, npc);
            shop::sell(world, e, id, item, count);
        }
        Err(t) => say_error_text(world, e, ErrorCode::NoShop, &t),
    }
}

fn bank(world: &mut World, e: Entity, rest: &str, way: BankMove) {
    let usage_key = match way {
        BankMove::Deposit => keys::SHOP_USAGE_DEPOSIT,
        BankMove::Withdraw => keys::SHOP_USAGE_WITHDRAW,
    };
    if rest.is_empty() {
        return usage(world, e, usage_key);
    }
    let npc = match keeper(world, e, true) {
        Ok(npc) => shop::net_id(world, npc),
        Err(t) => return say_error_text(world, e, ErrorCode::NoShop, &t),
    };
    if let Some((amount, word)) = rest.rsplit_once(' ')
        && word.eq_ignore_ascii_case("gold")
    {
        return match amount.trim().parse::<u64>() {
            Ok(a) => shop::move_gold(world, e, npc, way, a),
            Err(_) => usage(world, e, usage_key),
        };
    }
    let (query, count) = split_count(rest);
    let item = match way {
        BankMove::Deposit => own_item(world, e, query),
        BankMove::Withdraw => banked_item(world, e, query),
    };
    match item {
        Ok(id) => shop::move_item(world, e, npc, way, id, count),
        Err(t) => say_error_text(world, e, ErrorCode::UnknownItem, &t),
    }
}

/// The bank item `query` names.
fn banked_item(world: &World, e: Entity, query: &str) -> Result<u64, Text> {
    let content = world.resource::<GameContent>();
    world
        .get::<Bank>(e)
        .into_iter()
        .flat_map(|b| b.0.items.iter())
        .map(|i| {
            let name = content
                .items
                .get(&i.template)
                .map_or(i.template.as_str(), |d| &d.name);
            (matches(query, i.id, name, &i.template), i.id)
        })
        .filter(|(score, _)| *score > 0)
        .max_by_key(|(score, _)| *score)
        .map(|(_, id)| id)
        .ok_or_else(|| Text::new(keys::COMMAND_NO_SUCH_ITEM).arg("query", format!("{query:?}")))
}
