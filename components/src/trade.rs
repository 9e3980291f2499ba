//! Trade between two players: the open trade each side holds ([`Trading`]: its offer, which
//! stays in the offerer's bag and purse, locked, until the trade ends) and a request waiting
//! for its answer ([`TradeAsk`]).

use bevy_ecs::prelude::{Component, Entity};

/// How near (Chebyshev tiles) two players must stand to open a trade.
pub const TRADE_RANGE: i32 = 1;

/// How far apart two trading players may drift before their trade is cancelled.
pub const TRADE_KEEP_RANGE: i32 = 2;

/// How long a trade request stays open, in seconds.
pub const TRADE_REQUEST_SECS: u64 = 30;

/// One offered item: its instance id in the offerer's bag and how many of its stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offered {
    pub id: u64,
    pub count: u32,
}

/// What one side puts into a trade.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TradeOffer {
    pub items: Vec<Offered>,
    pub gold: u64,
}

/// An open trade, on both players: who with, what this side offers, whether it accepted.
#[derive(Component, Debug, Clone, PartialEq, Eq)]
pub struct Trading {
    pub with: Entity,
    pub offer: TradeOffer,
    pub accepted: bool,
}

impl Trading {
    /// A trade with `with` that just opened: nothing offered, nothing accepted.
    pub fn with(with: Entity) -> Self {
        Trading {
            with,
            offer: TradeOffer::default(),
            accepted: false,
        }
    }

    /// Whether item `id` (any part of its stack) is offered, and so locked.
    pub fn offers_item(&self, id: u64) -> bool {
        self.offer.items.iter().any(|o| o.id == id)
    }
}

/// A trade request `e` sent to `to`, open until tick `until`.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub struct TradeAsk {
    pub to: Entity,
    pub until: u64,
}
