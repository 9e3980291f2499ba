//! Components of entities in the world and the world-wide bookkeeping resources.

use std::collections::HashMap;

use rustc_hash::FxHashMap;
use std::sync::Arc;

use bevy_ecs::prelude::{Component, Entity, Resource};

use crate::map::Tile;
use crate::net::ConnId;
use crate::protocol::EntityKind;

/// The current tick number: the world's only notion of time.
#[derive(Resource, Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tick(pub u64);

/// A live client connection; the entity also becomes the player's character after `hello`.
#[derive(Component, Debug, Clone)]
pub struct Connection {
    pub id: ConnId,
    pub addr: String,
    pub opened_tick: u64,
    /// The last tick a command from this client arrived in: that tick's frame answers it, so
    /// it goes out at once (see `server.view_every_ticks`).
    pub last_command_tick: Option<u64>,
}

/// Events queued for one connection this tick, already encoded: comma-separated JSON objects.
///
/// Two parts: most events go first in the client's frame, before what it sees of the regions
/// around it; the despawns of entities that left the world go last (`push_last`), after the
/// region events, so that what happened to an entity this tick (its `death`, its last `chat`)
/// reaches a viewer before the entity disappears.
///
/// Events are urgent (the frame goes out in its tick) unless pushed as a view change
/// (`push_view*`: what entered or left the client's view because others moved or left, or
/// because it walked), which may wait for the client's next paced frame like the region
/// events (see `server.view_every_ticks`).
#[derive(Component, Debug, Default)]
pub struct Outgoing {
    buf: String,
    last: String,
    urgent: bool,
}

impl Outgoing {
    /// Appends one encoded event.
    pub fn push(&mut self, event_json: &str) {
        push_event(&mut self.buf, event_json);
        self.urgent = true;
    }

    /// Appends the one event that `write` writes (see `protocol::write_*`), without an
    /// intermediate string.
    pub fn push_with(&mut self, write: impl FnOnce(&mut String)) {
        self.push_view_with(write);
        self.urgent = true;
    }

    /// Appends one encoded event to the part sent after the region events.
    pub fn push_last(&mut self, event_json: &str) {
        push_event(&mut self.last, event_json);
        self.urgent = true;
    }

    /// Appends a view change (a spawn or despawn), which may wait for the next paced frame.
    pub fn push_view(&mut self, event_json: &str) {
        push_event(&mut self.buf, event_json);
    }

    /// Appends the view change that `write` writes, which may wait for the next paced frame.
    pub fn push_view_with(&mut self, write: impl FnOnce(&mut String)) {
        if !self.buf.is_empty() {
            self.buf.push(',');
        }
        write(&mut self.buf);
    }

    /// Appends a view change to the part sent after the region events (the despawn of an
    /// entity that left the world), which may wait for the next paced frame.
    pub fn push_last_view(&mut self, event_json: &str) {
        push_event(&mut self.last, event_json);
    }

    /// Whether something queued must go out this tick (anything but view changes).
    pub fn is_urgent(&self) -> bool {
        self.urgent
    }

    /// The events sent before the region events, comma-separated, without brackets.
    pub fn as_str(&self) -> &str {
        &self.buf
    }

    /// The events sent after the region events, comma-separated, without brackets.
    pub fn last_str(&self) -> &str {
        &self.last
    }

    /// Appends everything queued here to `to`, each part to its part (urgent if it was).
    pub fn copy_into(&self, to: &mut Outgoing) {
        if !self.buf.is_empty() {
            push_event(&mut to.buf, &self.buf);
        }
        if !self.last.is_empty() {
            push_event(&mut to.last, &self.last);
        }
        to.urgent |= self.urgent;
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty() && self.last.is_empty()
    }

    /// Forgets the queued events, keeping the allocations.
    pub fn clear(&mut self) {
        self.buf.clear();
        self.last.clear();
        self.urgent = false;
    }
}

fn push_event(buf: &mut String, event_json: &str) {
    if !buf.is_empty() {
        buf.push(',');
    }
    buf.push_str(event_json);
}

/// The id clients know an entity by; allocated from [`NetIds`], never reused.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NetId(pub u64);

/// Tile an entity stands on.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position(pub Tile);

/// The name shown above an entity. Shared, not copied: the 50,000 mobs of a big world hold
/// their template's one string, which also stays in cache when spawns are written.
#[derive(Component, Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(pub Arc<str>);

/// What clients are told this entity is.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind(pub EntityKind);

/// Marks a connection's character as being in the world.
#[derive(Component, Debug, Clone, Copy, Default)]
pub struct Player;

/// Steps a player may still take, in thousandths of a step; refilled every tick.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepBudget {
    pub milli: u32,
}

/// A requested step, applied in the Movement phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepRequest {
    pub to: Tile,
    pub seq: Option<u32>,
}

/// Steps requested this tick, in arrival order.
#[derive(Component, Debug, Default, Clone)]
pub struct MoveQueue(pub Vec<StepRequest>);

/// What a connected player is told of a crowd around it (see
/// `systems/src/world/interest.rs`).
#[derive(Component, Debug, Default)]
pub struct Interest {
    /// Whether its view holds a crowd this tick: then it gets each tick the moves within
    /// `radius` tiles of it, and the regions' `positions` for the rest.
    pub crowd: bool,
    /// Chebyshev distance, in tiles, within which it gets every move.
    pub radius: i32,
    /// This tick's moves within `radius`, comma-separated.
    pub near: String,
    /// The view (its centre region) it was last looked at in.
    pub checked: Option<u32>,
}

/// The region a player's view is centred on: it sees that one and the 8 around it. It follows
/// the player's region, but only once the player is more than `world.view_hysteresis_tiles`
/// past the border (so pacing along a border does not swap whole rows of regions in and out
/// of view); [`ViewCell::NONE`] until the region phase places it.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub struct ViewCell(pub u32);

impl ViewCell {
    /// Not yet placed.
    pub const NONE: ViewCell = ViewCell(u32::MAX);
}

/// The region an entity is registered in; [`RegionCell::NONE`] until the region phase places it.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegionCell(pub u32);

impl RegionCell {
    /// Not yet placed in any region.
    pub const NONE: RegionCell = RegionCell(u32::MAX);
}

/// Allocates [`NetId`]s.
#[derive(Resource, Debug)]
pub struct NetIds {
    next: u64,
}

impl Default for NetIds {
    fn default() -> Self {
        NetIds { next: 1 }
    }
}

impl NetIds {
    /// A fresh id, never handed out before.
    pub fn allocate(&mut self) -> NetId {
        let id = NetId(self.next);
        self.next += 1;
        id
    }
}

/// Entities by the id clients know them by. (Ids are handed out by the server, in order, so
/// a fast non-keyed hash is safe: a client cannot choose what goes in.)
#[derive(Resource, Debug, Default)]
pub struct NetIndex(pub FxHashMap<u64, Entity>);

/// Live connections by id (handed out by the server, like [`NetIndex`]'s).
#[derive(Resource, Debug, Default)]
pub struct ConnIndex(pub FxHashMap<ConnId, Entity>);

/// Online character names, lower-cased, for uniqueness checks. Players choose the keys, so
/// this keeps std's keyed hasher; its order differs between runs, so it is only ever looked
/// up, never iterated (a replay must take the same decisions as the recorded run).
#[derive(Resource, Debug, Default)]
pub struct NameIndex(pub HashMap<String, Entity>);

/// Which player spawn point the next newcomer gets (new players are spread over them in turn).
#[derive(Resource, Debug, Default)]
pub struct SpawnRotation(pub usize);

/// When a player's recent chat lines were said (ticks), for the chat rate limit.
#[derive(Component, Debug, Clone, Default)]
pub struct ChatHistory(pub std::collections::VecDeque<u64>);

/// A player who may not chat until `until` (a tick), and why.
#[derive(Component, Debug, Clone, PartialEq, Eq)]
pub struct Muted {
    pub until: u64,
    pub reason: String,
}

/// How near (in tiles, Chebyshev) a player must stand to talk or trade with an NPC.
pub const TALK_RANGE: i32 = 2;
