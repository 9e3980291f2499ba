//! Text commands for trade between players: `trade <player>` (ask, or accept their request),
//! `trade offer <item> [count]` (add to your offer, or change that item's count),
//! `trade offer <amount> gold`, `trade clear`, `trade accept`, `trade cancel`, and `trade`
//! alone (where the trade stands). They do what the typed messages do.

#![deny(clippy::arithmetic_side_effects)]

use bevy_ecs::prelude::*;
use emberkeep_components::protocol::{ErrorCode, TradeItem};
use emberkeep_components::text::keys;
use emberkeep_components::trade::Trading;
use emberkeep_components::world::NameIndex;

use super::text::{own_item, split_count};
use crate::game::trade;
use crate::text::{say_error, say_error_text};

/// Runs `trade ...` (`rest` is what follows the verb).
pub(crate) fn run(world: &mut World, e: Entity, rest: &str) {
    let (word, tail) = match rest.split_once(char::is_whitespace) {
        Some((w, t)) => (w, t.trim()),
        None => (rest, ""),
    };
    match word.to_ascii_lowercase().as_str() {
        "" => {
            let text = trade::describe(world, e);
            crate::send_to(
                world,
                e,
                &emberkeep_components::protocol::ServerEvent::Info { text },
            );
        }
        "accept" if tail.is_empty() => trade::accept(world, e),
        "cancel" | "decline" if tail.is_empty() => trade::cancel(world, e),
        "clear" if tail.is_empty() => trade::offer(world, e, &[], 0),
        "offer" if !tail.is_empty() => offer(world, e, tail),
        "accept" | "cancel" | "decline" | "clear" | "offer" => usage(world, e),
        _ if tail.is_empty() => ask(world, e, word),
        _ => usage(world, e),
    }
}

fn usage(world: &mut World, e: Entity) {
    say_error(world, e, ErrorCode::UnknownCommand, keys::TRADE_USAGE, &[]);
}

/// `trade <name>`: asks the online player called `name`.
fn ask(world: &mut World, e: Entity, name: &str) {
    let target = world
        .resource::<NameIndex>()
        .0
        .get(&name.to_lowercase())
        .copied();
    match target {
        Some(t) => trade::request_entity(world, e, t, name),
        None => say_error(
            world,
            e,
            ErrorCode::UnknownTarget,
            keys::TRADE_NOT_HERE,
            &[("name", &name)],
        ),
    }
}

/// `trade offer <amount> gold` or `trade offer <item> [count]`: the rest of the offer stays.
fn offer(world: &mut World, e: Entity, what: &str) {
    let Some(current) = world.get::<Trading>(e).map(|t| t.offer.clone()) else {
        return say_error(
            world,
            e,
            ErrorCode::NotTrading,
            keys::TRADE_NOT_TRADING,
            &[],
        );
    };
    let mut items: Vec<TradeItem> = current
        .items
        .iter()
        .map(|o| TradeItem {
            item: o.id,
            count: Some(o.count),
        })
        .collect();
    if let Some((amount, word)) = what.rsplit_once(' ')
        && word.eq_ignore_ascii_case("gold")
    {
        return match amount.trim().parse::<u64>() {
            Ok(gold) => trade::offer(world, e, &items, gold),
            Err(_) => usage(world, e),
        };
    }
    let (query, count) = split_count(what);
    let id = match own_item(world, e, query) {
        Ok(id) => id,
        Err(t) => return say_error_text(world, e, ErrorCode::UnknownItem, &t),
    };
    items.retain(|i| i.item != id);
    items.push(TradeItem { item: id, count });
    trade::offer(world, e, &items, current.gold);
}
