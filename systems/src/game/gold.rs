//! Gold: the one function every change of a character's purse or bank balance goes through
//! ([`change_gold`]). Balances never go negative or overflow (a change that would is refused
//! whole), and every change saves the character in this tick's one batch, so gold moving
//! together with items (a shop trade, a bank move) is stored atomically with them. Gold
//! offered in an open trade stays in the purse, locked: no change may take the purse below it.

use bevy_ecs::prelude::*;
use emberkeep_components::content::GameContent;
use emberkeep_components::economy::{Bank, Purse};
use emberkeep_components::persist::{SaveReason, SaveSoon};
use emberkeep_components::protocol::{ErrorCode, ServerEvent};
use emberkeep_components::text::keys;
use emberkeep_components::trade::Trading;

use crate::send_to;
use crate::text::{say_error, say_info};

/// Why a change of gold was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GoldError {
    /// The purse (or the bank) holds less than would be taken.
    NotEnough,
    /// The balance would overflow.
    TooMuch,
    /// The purse would drop below the gold offered in the open trade.
    InTrade,
}

/// What `e`'s purse would hold after adding `purse` and `bank` (negative to take), or why not.
pub(crate) fn after(world: &World, e: Entity, purse: i128, bank: i128) -> Result<Purse, GoldError> {
    let next = unlocked_after(world, e, purse, bank)?;
    let offered = world.get::<Trading>(e).map_or(0, |t| t.offer.gold);
    if purse < 0 && next.gold < offered {
        return Err(GoldError::InTrade);
    }
    Ok(next)
}

/// [`after`], ignoring the gold locked in an open trade (for the trade itself).
pub(crate) fn unlocked_after(
    world: &World,
    e: Entity,
    purse: i128,
    bank: i128,
) -> Result<Purse, GoldError> {
    let now = world.get::<Purse>(e).copied().unwrap_or_default();
    let apply = |have: u64, delta: i128| {
        let sum = i128::from(have)
            .checked_add(delta)
            .ok_or(GoldError::TooMuch)?;
        if sum < 0 {
            return Err(GoldError::NotEnough);
        }
        u64::try_from(sum).map_err(|_| GoldError::TooMuch)
    };
    Ok(Purse {
        gold: apply(now.gold, purse)?,
        bank_gold: apply(now.bank_gold, bank)?,
    })
}

/// Changes `e`'s purse by `purse` and bank by `bank` gold, both or neither; the character is
/// saved in this tick's batch and told its new purse (and bank, if that changed).
pub(crate) fn change_gold(
    world: &mut World,
    e: Entity,
    purse: i128,
    bank: i128,
) -> Result<Purse, GoldError> {
    let next = after(world, e, purse, bank)?;
    world.entity_mut(e).insert(next);
    world
        .resource_mut::<SaveSoon>()
        .add(&[e], SaveReason::Transfer);
    if purse != 0 {
        send_to(world, e, &ServerEvent::Purse { gold: next.gold });
    }
    if bank != 0 {
        send_bank(world, e);
    }
    Ok(next)
}

/// Refuses (`in_trade`) a change that would spend gold `e` offers in its open trade.
pub(crate) fn in_trade_refusal(world: &mut World, e: Entity) {
    let gold = world.get::<Trading>(e).map_or(0, |t| t.offer.gold);
    say_error(
        world,
        e,
        ErrorCode::InTrade,
        keys::TRADE_GOLD_LOCKED,
        &[("gold", &gold)],
    );
}

/// Tells `e` what its bank holds.
pub(crate) fn send_bank(world: &mut World, e: Entity) {
    let content = world.resource::<GameContent>().clone();
    let gold = world.get::<Purse>(e).map_or(0, |p| p.bank_gold);
    let Some(bank) = world.get::<Bank>(e) else {
        return;
    };
    let event = ServerEvent::Bank {
        slots: bank.0.slots,
        items: bank
            .0
            .items
            .iter()
            .map(|i| crate::game::items::view(&content, i))
            .collect(),
        gold,
    };
    send_to(world, e, &event);
}

/// Tells `e` how much gold it carries (on entering the world).
pub(crate) fn send_purse(world: &mut World, e: Entity) {
    let gold = world.get::<Purse>(e).map_or(0, |p| p.gold);
    send_to(world, e, &ServerEvent::Purse { gold });
}

/// A kill's gold goes straight into the killer's purse (a full purse gets nothing).
pub(crate) fn loot_gold(world: &mut World, killer: Entity, amount: u64) {
    if amount == 0 || world.get_entity(killer).is_err() {
        return;
    }
    if change_gold(world, killer, i128::from(amount), 0).is_ok() {
        say_info(world, killer, keys::LOOT_GOLD, &[("amount", &amount)]);
    }
}
