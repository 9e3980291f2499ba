//! Trade between two players standing next to each other: a request (`trade_request`), which
//! the other answers by asking back; then both offer items and gold (`trade_offer`, each offer
//! replacing the last), both accept (`trade_accept`), and everything changes hands in one tick
//! and one save batch. Any change of an offer clears both accepts.
//!
//! An offer stays in its owner's bag and purse, locked by the open [`Trading`]: every way an
//! item leaves the bag asks `items::locked_in_trade`, and `gold::after` refuses to spend
//! offered gold. A trade ends, with nothing moved, when either side cancels, they drift more
//! than [`TRADE_KEEP_RANGE`] tiles apart or onto other maps, either dies
//! ([`end_broken_trades`], each tick, looking only at players who trade), or either leaves
//! the world or the server shuts down ([`leave`], called by `session::presence`).

use bevy_ecs::prelude::*;
use emberkeep_components::atlas::OnMap;
use emberkeep_components::combat::Dead;
use emberkeep_components::config::SimConfig;
use emberkeep_components::content::{Content, GameContent};
use emberkeep_components::economy::Purse;
use emberkeep_components::items::{Inventory, ItemIds};
use emberkeep_components::protocol::{ErrorCode, ServerEvent, TradeItem, TradeSide};
use emberkeep_components::text::{Text, keys};
use emberkeep_components::trade::{
    Offered, TRADE_KEEP_RANGE, TRADE_RANGE, TRADE_REQUEST_SECS, TradeAsk, TradeOffer, Trading,
};
use emberkeep_components::world::{Connection, NetId, NetIndex, Player, Tick};

use crate::game::gold;
use crate::game::items::{add, fits, take, transferred, view};
use crate::text::{render, render_text, say_error, say_error_text, say_info};
use crate::{name_of, send_to};

fn net_id(world: &World, e: Entity) -> u64 {
    world.get::<NetId>(e).map_or(0, |n| n.0)
}

/// `e`'s open trade, if any.
fn trading(world: &World, e: Entity) -> Option<Trading> {
    world.get::<Trading>(e).cloned()
}

/// Whether `a` and `b` stand within `range` tiles of each other on the same map.
fn near(world: &World, a: Entity, b: Entity, range: i32) -> bool {
    let same_map = world.get::<OnMap>(a) == world.get::<OnMap>(b);
    same_map && crate::world::tiles_of(world, a, b).is_some_and(|(x, y)| x.distance(y) <= range)
}

/// The player `to` (an entity id) asks to trade with, or refuses.
pub(crate) fn request(world: &mut World, e: Entity, to: u64) {
    let target = world.resource::<NetIndex>().0.get(&to).copied();
    match target {
        Some(t) => request_entity(world, e, t, &to.to_string()),
        None => say_error(
            world,
            e,
            ErrorCode::UnknownTarget,
            keys::TRADE_NOT_HERE,
            &[("name", &to)],
        ),
    }
}

/// `e` asks `t` to trade (`asked_as` names `t` as `e` typed it, for refusals); if `t` asked
/// `e` first, the trade opens.
pub(crate) fn request_entity(world: &mut World, e: Entity, t: Entity, asked_as: &str) {
    if world.get::<Dead>(e).is_some() {
        return say_error(world, e, ErrorCode::YouAreDead, keys::YOU_ARE_DEAD, &[]);
    }
    if let Err((code, text)) = can_trade(world, e, t, asked_as) {
        return say_error_text(world, e, code, &text);
    }
    let now = world.resource::<Tick>().0;
    let asked_back = world
        .get::<TradeAsk>(t)
        .is_some_and(|a| a.to == e && now < a.until);
    if asked_back {
        world.entity_mut(t).remove::<TradeAsk>();
        withdraw_ask(world, e);
        world.entity_mut(e).insert(Trading::with(t));
        world.entity_mut(t).insert(Trading::with(e));
        return send_state(world, e);
    }
    if world.get::<TradeAsk>(t).is_some_and(|a| now < a.until) {
        let name = name_of(world, t);
        return say_error(
            world,
            e,
            ErrorCode::TradeBusy,
            keys::TRADE_BUSY,
            &[("name", &name)],
        );
    }
    if world.get::<TradeAsk>(e).is_some_and(|a| a.to != t) {
        withdraw_ask(world, e);
    }
    let rate = u64::from(world.resource::<SimConfig>().tick_rate.max(1));
    let until = now.saturating_add(TRADE_REQUEST_SECS.saturating_mul(rate));
    world.entity_mut(e).insert(TradeAsk { to: t, until });
    let (from, name) = (net_id(world, e), name_of(world, e));
    send_to(world, t, &ServerEvent::TradeRequest { from, name });
    let their_name = name_of(world, t);
    say_info(
        world,
        e,
        keys::TRADE_ASKED,
        &[("name", &their_name), ("secs", &TRADE_REQUEST_SECS)],
    );
}

/// Why `e` cannot trade with `t` now, if it cannot.
fn can_trade(world: &World, e: Entity, t: Entity, asked_as: &str) -> Result<(), (ErrorCode, Text)> {
    let online = world.get::<Player>(t).is_some() && world.get::<Connection>(t).is_some();
    if t == e {
        return Err((ErrorCode::UnknownTarget, Text::new(keys::TRADE_SELF)));
    }
    if !online {
        let text = Text::new(keys::TRADE_NOT_HERE).arg("name", asked_as);
        return Err((ErrorCode::UnknownTarget, text));
    }
    if world.get::<Dead>(t).is_some() {
        return Err((
            ErrorCode::UnknownTarget,
            Text::new(keys::ITEMS_THEY_ARE_DEAD),
        ));
    }
    let name = name_of(world, t);
    if !near(world, e, t, TRADE_RANGE) {
        let text = Text::new(keys::TRADE_TOO_FAR).arg("name", &name);
        return Err((ErrorCode::OutOfRange, text));
    }
    if let Some(mine) = world.get::<Trading>(e) {
        let text = Text::new(keys::TRADE_YOU_BUSY).arg("name", name_of(world, mine.with));
        return Err((ErrorCode::TradeBusy, text));
    }
    if world.get::<Trading>(t).is_some() {
        let text = Text::new(keys::TRADE_BUSY).arg("name", &name);
        return Err((ErrorCode::TradeBusy, text));
    }
    Ok(())
}

/// Replaces `e`'s whole offer: `items` from its bag (a missing count is the whole stack) and
/// `gold` from its purse. Both accepts are cleared.
pub(crate) fn offer(world: &mut World, e: Entity, items: &[TradeItem], gold: u64) {
    let Some(t) = trading(world, e) else {
        return not_trading(world, e);
    };
    let inv = world.get::<Inventory>(e).cloned().unwrap_or_default();
    let mut offered: Vec<Offered> = Vec::new();
    for it in items {
        let Some(held) = inv.find(it.item).map(|i| &inv.items[i]) else {
            let id = it.item;
            return say_error(
                world,
                e,
                ErrorCode::UnknownItem,
                keys::ITEMS_NO_ITEM,
                &[("id", &id)],
            );
        };
        let want = it.count.unwrap_or(held.count);
        let entry = match offered.iter_mut().find(|o| o.id == it.item) {
            Some(o) => o,
            None => {
                offered.push(Offered {
                    id: it.item,
                    count: 0,
                });
                offered.last_mut().expect("just pushed")
            }
        };
        let total = entry.count.checked_add(want).filter(|n| *n <= held.count);
        match total {
            Some(n) if want > 0 => entry.count = n,
            _ => {
                let text = Text::new(keys::ITEMS_CANNOT_TAKE)
                    .arg("have", held.count)
                    .arg("want", entry.count.saturating_add(want));
                return say_error_text(world, e, ErrorCode::BadCount, &text);
            }
        }
    }
    let purse = world.get::<Purse>(e).map_or(0, |p| p.gold);
    if gold > purse {
        return say_error(
            world,
            e,
            ErrorCode::NotEnoughGold,
            keys::TRADE_NOT_ENOUGH_GOLD,
            &[("amount", &gold), ("gold", &purse)],
        );
    }
    if let Some(mut mine) = world.get_mut::<Trading>(e) {
        mine.offer = TradeOffer {
            items: offered,
            gold,
        };
    }
    clear_accepts(world, e, t.with);
    send_state(world, e);
}

fn clear_accepts(world: &mut World, a: Entity, b: Entity) {
    for x in [a, b] {
        if let Some(mut t) = world.get_mut::<Trading>(x) {
            t.accepted = false;
        }
    }
}

/// `e` accepts both offers as they stand; when the other side already did, the trade completes.
pub(crate) fn accept(world: &mut World, e: Entity) {
    let Some(t) = trading(world, e) else {
        return not_trading(world, e);
    };
    if let Some(mut mine) = world.get_mut::<Trading>(e) {
        mine.accepted = true;
    }
    if world.get::<Trading>(t.with).is_some_and(|o| o.accepted) {
        complete(world, e, t.with);
    } else {
        send_state(world, e);
    }
}

/// `e` cancels its trade, withdraws its request, or declines the requests sent to it.
pub(crate) fn cancel(world: &mut World, e: Entity) {
    if let Some(t) = trading(world, e) {
        let (mine, theirs) = (name_of(world, e), name_of(world, t.with));
        let to_e = Text::new(keys::TRADE_YOU_CANCELLED).arg("name", &theirs);
        let to_other = Text::new(keys::TRADE_THEY_CANCELLED).arg("name", &mine);
        return end(world, e, t.with, false, &to_e, &to_other);
    }
    if world.get::<TradeAsk>(e).is_some() {
        return withdraw_ask(world, e);
    }
    let askers = askers_of(world, e);
    if askers.is_empty() {
        return not_trading(world, e);
    }
    let mine = name_of(world, e);
    for a in askers {
        world.entity_mut(a).remove::<TradeAsk>();
        let to_e = Text::new(keys::TRADE_YOU_CANCELLED).arg("name", name_of(world, a));
        let to_asker = Text::new(keys::TRADE_THEY_CANCELLED).arg("name", &mine);
        send_end(world, e, false, &to_e);
        send_end(world, a, false, &to_asker);
    }
}

/// Players with an open request to `e`.
fn askers_of(world: &mut World, e: Entity) -> Vec<Entity> {
    let mut q = world.query::<(Entity, &TradeAsk)>();
    q.iter(world)
        .filter(|(_, a)| a.to == e)
        .map(|(x, _)| x)
        .collect()
}

/// Takes back `e`'s request, if it has one; both sides are told.
fn withdraw_ask(world: &mut World, e: Entity) {
    let Some(ask) = world.get::<TradeAsk>(e).copied() else {
        return;
    };
    world.entity_mut(e).remove::<TradeAsk>();
    let to_e = Text::new(keys::TRADE_YOU_CANCELLED).arg("name", name_of(world, ask.to));
    let to_them = Text::new(keys::TRADE_THEY_CANCELLED).arg("name", name_of(world, e));
    send_end(world, e, false, &to_e);
    send_end(world, ask.to, false, &to_them);
}

fn not_trading(world: &mut World, e: Entity) {
    say_error(
        world,
        e,
        ErrorCode::NotTrading,
        keys::TRADE_NOT_TRADING,
        &[],
    );
}

/// Ends the trade between `a` and `b` (the locks drop); each is told why.
fn end(world: &mut World, a: Entity, b: Entity, done: bool, to_a: &Text, to_b: &Text) {
    for x in [a, b] {
        if let Ok(mut ent) = world.get_entity_mut(x) {
            ent.remove::<Trading>();
        }
    }
    send_end(world, a, done, to_a);
    send_end(world, b, done, to_b);
}

fn send_end(world: &mut World, e: Entity, done: bool, why: &Text) {
    if world.get_entity(e).is_err() {
        return;
    }
    let reason = render_text(world, e, why);
    send_to(world, e, &ServerEvent::TradeEnd { done, reason });
}

/// What `owner` offers, as the `trade` event shows it.
fn side(world: &World, content: &Content, owner: Entity) -> TradeSide {
    let Some(t) = world.get::<Trading>(owner) else {
        return TradeSide::default();
    };
    let inv = world.get::<Inventory>(owner);
    let items = t
        .offer
        .items
        .iter()
        .filter_map(|o| {
            let inv = inv?;
            let mut v = view(content, &inv.items[inv.find(o.id)?]);
            v.count = o.count;
            Some(v)
        })
        .collect();
    TradeSide {
        items,
        gold: t.offer.gold,
        accepted: t.accepted,
    }
}

/// Sends both sides of `e`'s trade its state.
fn send_state(world: &mut World, e: Entity) {
    let Some(t) = trading(world, e) else { return };
    let content = world.resource::<GameContent>().clone();
    for (me, other) in [(e, t.with), (t.with, e)] {
        let event = ServerEvent::Trade {
            with: net_id(world, other),
            name: name_of(world, other),
            mine: side(world, &content, me),
            theirs: side(world, &content, other),
        };
        send_to(world, me, &event);
    }
}

/// What `e`'s trade stands at, in words (the `trade` text command).
pub(crate) fn describe(world: &World, e: Entity) -> String {
    let Some(t) = world.get::<Trading>(e) else {
        return render(world, e, keys::TRADE_IDLE, &[]);
    };
    let content = world.resource::<GameContent>();
    let words = |s: &TradeSide| {
        let mut parts: Vec<String> = s
            .items
            .iter()
            .map(|i| {
                render(
                    world,
                    e,
                    keys::TRADE_ITEM,
                    &[("count", &i.count), ("name", &i.name)],
                )
            })
            .collect();
        if s.gold > 0 {
            parts.push(render(world, e, keys::TRADE_GOLD, &[("gold", &s.gold)]));
        }
        let offer = if parts.is_empty() {
            render(world, e, keys::TRADE_NOTHING, &[])
        } else {
            parts.join(", ")
        };
        if s.accepted {
            render(world, e, keys::TRADE_SIDE_ACCEPTED, &[("offer", &offer)])
        } else {
            offer
        }
    };
    let mine = words(&side(world, content, e));
    let theirs = words(&side(world, content, t.with));
    let name = name_of(world, t.with);
    render(
        world,
        e,
        keys::TRADE_STATE,
        &[("name", &name), ("mine", &mine), ("theirs", &theirs)],
    )
}

/// Who of the two would lack room (or overflow its purse) after the exchange.
enum Short {
    Room(Entity),
    Gold(Entity),
}

/// Moves `a`'s offer from `bag_a` into `bag_b` and `b`'s the other way, on these bags only;
/// `Err` names the side that has no room. Partial stacks taken get ids from `ids`.
fn exchange(
    content: &Content,
    sides: [(Entity, &mut Inventory, &TradeOffer); 2],
    ids: &mut ItemIds,
) -> Result<(), Entity> {
    let [(a, bag_a, offer_a), (b, bag_b, offer_b)] = sides;
    let mut moved = [Vec::new(), Vec::new()];
    for (owner, bag, offer, out) in [(a, &mut *bag_a, offer_a, 0), (b, &mut *bag_b, offer_b, 1)] {
        for o in &offer.items {
            let item = take(bag, ids, o.id, Some(o.count)).map_err(|_| owner)?;
            moved[out].push(item);
        }
    }
    let [from_a, from_b] = moved;
    for (bag, items, who) in [(bag_b, from_a, b), (bag_a, from_b, a)] {
        for item in items {
            if !fits(content, bag, &item.template, item.count) {
                return Err(who);
            }
            add(content, bag, item);
        }
    }
    Ok(())
}

/// Both accepted: checks everything again, then swaps items and gold in this tick (one save
/// batch), or keeps the trade open with both accepts cleared and says why not.
fn complete(world: &mut World, a: Entity, b: Entity) {
    let (Some(ta), Some(tb)) = (trading(world, a), trading(world, b)) else {
        return;
    };
    if !offer_holds(world, a, &ta.offer) || !offer_holds(world, b, &tb.offer) {
        let text = Text::new(keys::TRADE_CHANGED);
        return end(world, a, b, false, &text, &text);
    }
    let content = world.resource::<GameContent>().clone();
    let mut bag_a = world.get::<Inventory>(a).cloned().unwrap_or_default();
    let mut bag_b = world.get::<Inventory>(b).cloned().unwrap_or_default();
    let gold_a = i128::from(tb.offer.gold) - i128::from(ta.offer.gold);
    let gold_b = -gold_a;
    // A dry run on copies with scratch ids: the real ids are only spent on a trade that happens.
    let dry = exchange(
        &content,
        [
            (a, &mut bag_a.clone(), &ta.offer),
            (b, &mut bag_b.clone(), &tb.offer),
        ],
        &mut ItemIds::default(),
    );
    let short = match dry {
        Err(who) => Some(Short::Room(who)),
        Ok(()) => [(a, gold_a), (b, gold_b)]
            .into_iter()
            .find(|(x, delta)| gold::unlocked_after(world, *x, *delta, 0).is_err())
            .map(|(x, _)| Short::Gold(x)),
    };
    if let Some(short) = short {
        return refuse_completion(world, a, b, short);
    }
    let done = world.resource_scope(|_, mut ids: Mut<ItemIds>| {
        exchange(
            &content,
            [(a, &mut bag_a, &ta.offer), (b, &mut bag_b, &tb.offer)],
            &mut ids,
        )
    });
    if done.is_err() {
        debug_assert!(false, "the dry run passed");
        return;
    }
    // Every check is behind us: the locks drop, and both bags and purses change together.
    world.entity_mut(a).remove::<Trading>().insert(bag_a);
    world.entity_mut(b).remove::<Trading>().insert(bag_b);
    for (x, delta) in [(a, gold_a), (b, gold_b)] {
        if delta != 0
            && let Err(err) = gold::change_gold(world, x, delta, 0)
        {
            debug_assert!(false, "checked above: {err:?}");
        }
    }
    transferred(world, &[a, b]);
    let to_a = Text::new(keys::TRADE_DONE).arg("name", name_of(world, b));
    let to_b = Text::new(keys::TRADE_DONE).arg("name", name_of(world, a));
    send_end(world, a, true, &to_a);
    send_end(world, b, true, &to_b);
}

/// Whether `e` still holds everything it offers.
fn offer_holds(world: &World, e: Entity, offer: &TradeOffer) -> bool {
    let purse = world.get::<Purse>(e).map_or(0, |p| p.gold);
    let Some(inv) = world.get::<Inventory>(e) else {
        return offer.items.is_empty() && offer.gold <= purse;
    };
    offer.gold <= purse
        && offer.items.iter().all(|o| {
            inv.find(o.id)
                .is_some_and(|i| inv.items[i].count >= o.count)
        })
}

fn refuse_completion(world: &mut World, a: Entity, b: Entity, short: Short) {
    clear_accepts(world, a, b);
    let (code, key, who) = match short {
        Short::Room(who) => (ErrorCode::InventoryFull, keys::TRADE_NO_ROOM, who),
        Short::Gold(who) => (ErrorCode::TooMuchGold, keys::TRADE_GOLD_FULL, who),
    };
    let name = name_of(world, who);
    for x in [a, b] {
        say_error(world, x, code, key, &[("name", &name)]);
    }
    send_state(world, a);
}

/// Why a player leaves the world, for the trade it leaves behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TradeLeave {
    /// Disconnected, kicked, logged out, timed out: the other side is told who left.
    Left,
    /// The server shuts down: both sides are told so.
    Shutdown,
}

/// `e` leaves the world: its trade is cancelled (nothing moves) and its requests, sent or
/// received, are dropped, everyone involved told why.
pub(crate) fn leave(world: &mut World, e: Entity, why: TradeLeave) {
    let reason = match why {
        TradeLeave::Left => Text::new(keys::TRADE_LEFT).arg("name", name_of(world, e)),
        TradeLeave::Shutdown => Text::new(keys::TRADE_SHUTDOWN),
    };
    if let Some(t) = trading(world, e) {
        let to_e = match why {
            TradeLeave::Left => {
                Text::new(keys::TRADE_YOU_CANCELLED).arg("name", name_of(world, t.with))
            }
            TradeLeave::Shutdown => Text::new(keys::TRADE_SHUTDOWN),
        };
        end(world, e, t.with, false, &to_e, &reason);
    }
    if let Some(ask) = world.get::<TradeAsk>(e).copied() {
        world.entity_mut(e).remove::<TradeAsk>();
        send_end(world, ask.to, false, &reason);
    }
    for a in askers_of(world, e) {
        world.entity_mut(a).remove::<TradeAsk>();
        send_end(world, a, false, &reason);
    }
}

/// Each tick: trades whose sides drifted apart, changed maps, died or vanished are cancelled;
/// requests past their time expire. Only players who trade or ask are looked at.
pub(crate) fn end_broken_trades(
    world: &mut World,
    trades: &mut QueryState<(Entity, &Trading)>,
    asks: &mut QueryState<(Entity, &TradeAsk)>,
) {
    let now = world.resource::<Tick>().0;
    let mut broken: Vec<(Entity, Entity, Text, Text)> = Vec::new();
    for (e, t) in trades.iter(world) {
        let partner_ok = world.get::<Trading>(t.with).is_some_and(|o| o.with == e);
        if !partner_ok {
            let why = Text::new(keys::TRADE_LEFT).arg("name", name_of(world, t.with));
            broken.push((e, t.with, why.clone(), why));
            continue;
        }
        if e > t.with {
            continue; // each pair once
        }
        let dead = [e, t.with]
            .into_iter()
            .find(|x| world.get::<Dead>(*x).is_some());
        if let Some(d) = dead {
            let why = Text::new(keys::TRADE_DIED).arg("name", name_of(world, d));
            broken.push((e, t.with, why.clone(), why));
        } else if !near(world, e, t.with, TRADE_KEEP_RANGE) {
            let to_e = Text::new(keys::TRADE_APART).arg("name", name_of(world, t.with));
            let to_other = Text::new(keys::TRADE_APART).arg("name", name_of(world, e));
            broken.push((e, t.with, to_e, to_other));
        }
    }
    for (a, b, to_a, to_b) in broken {
        end(world, a, b, false, &to_a, &to_b);
    }
    let due: Vec<(Entity, TradeAsk)> = asks
        .iter(world)
        .filter(|(_, a)| now >= a.until)
        .map(|(e, a)| (e, *a))
        .collect();
    for (e, ask) in due {
        world.entity_mut(e).remove::<TradeAsk>();
        let to_e = Text::new(keys::TRADE_EXPIRED).arg("name", name_of(world, ask.to));
        let to_them = Text::new(keys::TRADE_EXPIRED).arg("name", name_of(world, e));
        send_end(world, e, false, &to_e);
        send_end(world, ask.to, false, &to_them);
    }
}
