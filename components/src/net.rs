//! What crosses between the network layer and the world: connection ids, decoded input,
//! and the frames and closes the world hands back.

use std::collections::BTreeMap;

use bevy_ecs::prelude::Resource;
use serde::{Deserialize, Serialize};

use crate::content::EquipSlot;
use crate::protocol::{ClientMsg, CloseReason, ErrorCode};
use crate::regions::{RegionEvents, RegionId, RegionLayout};

/// Identifies one WebSocket connection for its whole life; never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ConnId(pub u64);

/// One decoded input for the world, applied in the Input phase in arrival order. Serialized
/// only into replay logs (`src/replay`), which write a reload as its content's fingerprint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorldInput {
    /// A client completed the WebSocket handshake.
    Opened { conn: ConnId, addr: String },
    /// A well-formed message from a client.
    Command { conn: ConnId, msg: ClientMsg },
    /// A message that failed to decode; the client gets an `error` event.
    Rejected {
        conn: ConnId,
        code: ErrorCode,
        message: String,
    },
    /// The client must be disconnected (oversized frame, flood...).
    Kick { conn: ConnId, reason: CloseReason },
    /// The socket is gone.
    Closed { conn: ConnId, reason: String },
    /// The server is stopping: save everyone, then close every connection.
    Shutdown,
    /// An answer from the storage task.
    Storage(crate::persist::StorageReply),
    /// News from the other processes of the cluster.
    Cluster(crate::cluster::ClusterNews),
    /// An admin API request; the result goes to [`AdminResults`] under `id`.
    Admin { id: u64, action: AdminAction },
    /// New content (already validated) to use from this tick on.
    #[serde(skip)]
    Reload(std::sync::Arc<crate::content::Content>),
}

/// What the admin API asks the world to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdminAction {
    /// Online players.
    Players,
    /// One player in detail.
    Inspect {
        name: String,
    },
    Kick {
        name: String,
        reason: String,
    },
    /// Close every connection of this account or from this IP, saying it is banned for
    /// `reason` (in each client's language).
    KickBanned {
        account: Option<String>,
        ip: Option<String>,
        reason: String,
    },
    Mute {
        name: String,
        minutes: u64,
        reason: String,
    },
    Broadcast {
        text: String,
    },
    Teleport {
        name: String,
        x: i32,
        y: i32,
    },
    Give {
        name: String,
        item: String,
        count: u32,
    },
    Spawn {
        mob: String,
        x: i32,
        y: i32,
        count: u32,
    },
    Despawn {
        id: u64,
    },
    /// Counts of what is in the world.
    Stats,
}

/// What an admin action did or found, or why it was refused (a message for the operator).
pub type AdminResult = Result<AdminOutcome, String>;

/// What an admin action did or found; the admin API renders it as JSON (docs/admin-api.md).
#[derive(Debug, Clone, PartialEq)]
pub enum AdminOutcome {
    /// The online players, by name.
    Players(Vec<PlayerSummary>),
    /// One player in detail.
    Player(Box<PlayerDetail>),
    /// The player's connection was closed.
    Kicked { name: String },
    /// How many connections of a banned account or address were closed.
    Closed { connections: usize },
    /// The player cannot chat for `minutes`.
    Muted { name: String, minutes: u64 },
    /// How many connections were sent the announcement.
    Broadcast { recipients: usize },
    /// The player now stands at (`x`, `y`).
    Teleported { name: String, x: i32, y: i32 },
    /// The id of the new item (stack) in the player's inventory.
    Given { item_id: u64 },
    /// How many mobs were spawned (fewer than asked if there was no room).
    Spawned { count: u32 },
    /// The net id of the mob that was removed.
    Despawned { id: u64 },
    /// Counts of what is in the world.
    Stats(WorldStats),
}

/// One player as the admin API lists them; `None` for what the character does not have yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlayerSummary {
    /// Net id.
    pub id: Option<u64>,
    pub name: Option<String>,
    pub account: Option<String>,
    pub level: Option<u32>,
    pub x: i32,
    pub y: i32,
    /// Whether a connection holds the character (it may be lingering after a disconnect).
    pub connected: bool,
    /// The connection's peer address.
    pub addr: Option<String>,
}

/// One player in detail: the summary, a line describing them for staff and, once the
/// character is in the world, what it carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlayerDetail {
    #[serde(flatten)]
    pub player: PlayerSummary,
    /// The same text as the `/inspect` staff command.
    pub summary: String,
    #[serde(flatten)]
    pub belongings: Option<Belongings>,
}

/// What a character carries, wears and keeps in the bank.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Belongings {
    /// Experience per skill (by skill id); left out when there is none.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub skills: BTreeMap<String, u64>,
    pub inventory: Vec<HeldItem>,
    pub equipment: BTreeMap<EquipSlot, WornItem>,
    /// Gold carried.
    pub gold: u64,
    /// What the bank keeps.
    pub bank: Vec<HeldItem>,
    pub bank_gold: u64,
}

/// A stack in an inventory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeldItem {
    /// Item id.
    pub id: u64,
    /// Template id in items.toml.
    pub item: String,
    pub count: u32,
}

/// An item in an equipment slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WornItem {
    /// Item id.
    pub id: u64,
    /// Template id in items.toml.
    pub item: String,
}

/// Counts of what is in the world.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorldStats {
    pub tick: u64,
    /// Entities by kind (`player`, `mob`, ...).
    pub entities: BTreeMap<String, u64>,
    /// How many regions the map is cut into.
    pub regions: usize,
}

/// Results of admin requests, drained by the runner: `(id, result)`.
#[derive(Resource, Debug, Default)]
pub struct AdminResults(pub Vec<(u64, AdminResult)>);

/// Inputs waiting for the next Input phase, filled by the runner before each tick.
#[derive(Resource, Debug, Default)]
pub struct InboundQueue(pub Vec<WorldInput>);

/// What the flush phase produced this tick, drained by the runner after each tick.
#[derive(Resource, Debug, Default)]
pub struct Outbox {
    /// This tick's frames: one per connection that has something new.
    pub frames: Frames,
    /// Connections to close, after their last frame.
    pub closes: Vec<(ConnId, CloseReason)>,
    /// Region events the network has written out and handed back, cleared, for reuse by a
    /// later tick (see [`Frames::into_spare`]).
    pub spare: Vec<RegionEvents>,
}

/// One tick's frames. A client's frame is its own events followed by the events of each region
/// it sees; the region events are handed over whole, so a region's events are stored once
/// however many clients see them, and the network joins each frame's text when it writes
/// ([`write_runs`]). Nothing is copied per client on the world thread.
#[derive(Debug, Default)]
pub struct Frames {
    /// The tick these frames are from.
    tick: u64,
    /// Every client's own events, back to back.
    own: String,
    /// The tick's events, by region.
    regions: RegionEvents,
    layout: RegionLayout,
    list: Vec<(ConnId, Frame)>,
}

/// One client's frame in its tick's [`Frames`]: its own events and what it sees of others.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Frame {
    /// Start, end of the part before the view (and start of the part after it), end.
    own: (u32, u32, u32),
    sight: Option<Sight>,
    answering: bool,
    /// Its own events are only view changes, which may wait (see [`Frame::own_may_wait`]).
    own_may_wait: bool,
}

/// What a client placed on the map sees of others in one tick: the events of the region it
/// stands in and the 8 around it and, in a crowd, the moves of its nearest entities (the
/// regions' `positions` standing in for the rest; see `world.crowd_near_entities`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Sight {
    region: RegionId,
    /// In a crowd: where its nearest entities' moves are in the frames' text.
    near: Option<(u32, u32)>,
}

impl Sight {
    /// Sees every event of the regions around `region`.
    pub fn all(region: RegionId) -> Sight {
        Sight { region, near: None }
    }

    /// In a crowd around `region`: the nearest moves added with [`Frames::add_near`].
    pub fn crowd(region: RegionId, near: NearMoves) -> Sight {
        Sight {
            region,
            near: Some(near.0),
        }
    }

    /// The region the client stands in.
    #[inline]
    pub fn region(&self) -> RegionId {
        self.region
    }
}

/// Where a client's nearest moves are in [`Frames`].
#[derive(Debug, Clone, Copy, Default)]
pub struct NearMoves((u32, u32));

impl Frame {
    /// A frame of the client's own events (added with [`Frames::add_own`]) and, for a
    /// client placed on the map, what it sees of others. `answering`: the client sent a
    /// command this tick, so this frame answers it.
    pub fn new(own: OwnEvents, sight: Option<Sight>, answering: bool) -> Frame {
        Frame {
            own: own.0,
            sight,
            answering,
            own_may_wait: false,
        }
    }

    /// The same frame, its own events being only view changes (spawns and despawns of what
    /// others did, or of where the client walked): they may wait for its next paced frame
    /// like the region events.
    pub fn own_may_wait(self) -> Frame {
        Frame {
            own_may_wait: true,
            ..self
        }
    }

    /// Whether the frame answers a command the client sent this tick.
    #[inline]
    pub fn answers(&self) -> bool {
        self.answering
    }

    /// The region the client stands in, if it is placed on the map.
    #[inline]
    pub fn region(&self) -> Option<RegionId> {
        self.sight.map(|s| s.region)
    }

    /// What the client sees of others, if it is placed on the map.
    #[inline]
    pub fn sight(&self) -> Option<Sight> {
        self.sight
    }

    /// What the client sees, if that is all its frame holds (no events of its own, no
    /// nearest moves of its own): then its frame is the same as everyone's with that sight.
    #[inline]
    pub fn sight_only(&self) -> Option<Sight> {
        self.sight
            .filter(|s| !self.has_own() && s.near.is_none_or(|(a, b)| a == b))
    }

    /// Whether the frame may not wait for a later tick: it holds events of the client's own
    /// or answers a command the client sent this tick. (Only what the client sees of others
    /// may wait; see `server.view_every_ticks`.)
    #[inline]
    pub fn is_urgent(&self) -> bool {
        self.answering || (self.has_own() && !self.own_may_wait)
    }

    /// Whether the frame holds events of the client's own.
    #[inline]
    pub fn has_own(&self) -> bool {
        self.own.0 != self.own.2
    }
}

/// Where a client's own events are in [`Frames`]: those sent before its view, then those
/// sent after it.
#[derive(Debug, Clone, Copy, Default)]
pub struct OwnEvents((u32, u32, u32));

impl Frames {
    /// Copies a client's comma-separated `events` in, to be named in its frame.
    ///
    /// # Panics
    /// If one tick's own events pass 4 GiB (the server would have run out of memory first).
    pub fn add_own(&mut self, events: &str) -> OwnEvents {
        self.add_own_parts(events, "")
    }

    /// Copies a client's comma-separated events in: `first` go before its view's events,
    /// `last` after them (despawns of entities that left the world, so that what happened to
    /// them this tick arrives first).
    ///
    /// # Panics
    /// If one tick's own events pass 4 GiB (the server would have run out of memory first).
    pub fn add_own_parts(&mut self, first: &str, last: &str) -> OwnEvents {
        let start = self.own.len();
        self.own.push_str(first);
        let mid = self.own.len();
        self.own.push_str(last);
        let offset = |n: usize| u32::try_from(n).expect("a tick's events stay under 4 GiB");
        OwnEvents((offset(start), offset(mid), offset(self.own.len())))
    }

    /// Copies a client's nearest moves in (comma-separated events), to be named in its
    /// [`Sight`].
    ///
    /// # Panics
    /// If one tick's events pass 4 GiB (the server would have run out of memory first).
    pub fn add_near(&mut self, moves: &str) -> NearMoves {
        if moves.is_empty() {
            // (All empty ones alike, so that frames with nothing else can share a text.)
            return NearMoves((0, 0));
        }
        let (start, _, end) = self.add_own_parts(moves, "").0;
        NearMoves((start, end))
    }

    /// Hands over tick `tick`'s region events.
    pub fn set_regions(&mut self, tick: u64, regions: RegionEvents, layout: RegionLayout) {
        self.tick = tick;
        self.regions = regions;
        self.layout = layout;
    }

    /// Queues a frame for `conn`; the network skips it if it turns out to hold nothing.
    pub fn push(&mut self, conn: ConnId, frame: Frame) {
        self.list.push((conn, frame));
    }

    /// Queues a frame of just these events for `conn`.
    pub fn push_events(&mut self, conn: ConnId, events: &str) {
        let own = self.add_own(events);
        self.push(conn, Frame::new(own, None, false));
    }

    /// The tick these frames are from.
    #[inline]
    pub fn tick(&self) -> u64 {
        self.tick
    }

    /// The queued frames, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &(ConnId, Frame)> {
        self.list.iter()
    }

    /// How many regions the tick's events cover.
    pub fn region_count(&self) -> usize {
        self.regions.region_count()
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The non-empty comma-separated runs of events a frame is made of, in order: the
    /// client's own, then what it sees of others, then its own that go last.
    #[inline]
    pub fn runs(&self, frame: Frame) -> impl Iterator<Item = &str> + '_ {
        let (start, mid, end) = frame.own;
        let first = &self.own[start as usize..mid as usize];
        let last = &self.own[mid as usize..end as usize];
        std::iter::once(first)
            .filter(|run| !run.is_empty())
            .chain(frame.sight.into_iter().flat_map(|s| self.view_runs(s)))
            .chain(std::iter::once(last).filter(|run| !run.is_empty()))
    }

    /// The non-empty runs of events a client with this sight sees this tick: each region's
    /// buffer and moves (in a crowd: `positions`), then its nearest moves.
    #[inline]
    pub fn view_runs(&self, sight: Sight) -> impl Iterator<Item = &str> + '_ {
        let crowd = sight.near.is_some();
        let (start, end) = sight.near.unwrap_or_default();
        self.layout
            .view(sight.region)
            .into_iter()
            .flat_map(move |r| self.regions.runs(r, crowd))
            .chain(std::iter::once(&self.own[start as usize..end as usize]))
            .filter(|run| !run.is_empty())
    }

    /// Whether a client with this sight sees any event this tick.
    #[inline]
    pub fn view_has_events(&self, sight: Sight) -> bool {
        self.view_runs(sight).next().is_some()
    }

    /// The frame's JSON array, or None if it holds no events.
    pub fn to_text(&self, frame: &Frame) -> Option<String> {
        let mut out = String::new();
        write_runs(self.runs(*frame), &mut out).then_some(out)
    }

    /// The tick's region events, cleared, for a later tick to fill again.
    pub fn into_spare(mut self) -> RegionEvents {
        self.regions.clear();
        self.regions
    }
}

/// Appends one frame's JSON array, the runs joined by commas in brackets, to `out`; false,
/// and nothing appended, if every run is empty.
pub fn write_runs<'a>(runs: impl Iterator<Item = &'a str>, out: &mut String) -> bool {
    // Collected once, to reserve the text's length before writing it. A frame is a few runs:
    // its own events and, per tick it covers, a buffer and a run of moves for each of the 9
    // regions it sees that have any (3 or 4 in a world as busy as the benches'; more spill).
    let mut first = [""; 20];
    let mut n = 0;
    let mut more = Vec::new();
    for run in runs.filter(|run| !run.is_empty()) {
        match first.get_mut(n) {
            Some(slot) => {
                *slot = run;
                n += 1;
            }
            None => more.push(run),
        }
    }
    let runs = || first[..n].iter().chain(more.iter());
    let len: usize = runs().map(|run| run.len() + 1).sum();
    if len == 0 {
        return false;
    }
    out.reserve(len + 1);
    for (i, run) in runs().enumerate() {
        out.push(if i == 0 { '[' } else { ',' });
        out.push_str(run);
    }
    out.push(']');
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::regions::RegionGrid;

    #[test]
    fn frames_join_own_events_and_the_view_s_region_events() {
        let mut grid = RegionGrid::new(64, 48, 16); // 4 x 3 regions
        grid.broadcast(5, r#"{"type":"despawn","id":9}"#);
        grid.broadcast(11, r#"{"type":"chat","text":"far"}"#);
        for (r, id) in [(5, 1), (5, 2), (8, 3)] {
            grid.events
                .moves
                .push_with(r, |b| b.push_str(&format!(r#"{{"move":{id}}}"#)));
        }
        // Region 5: its buffer, then its moves.
        let mv = r#"{"type":"despawn","id":9},{"move":1},{"move":2}"#;
        let mut frames = Frames::default();
        let events = std::mem::replace(&mut grid.events, RegionEvents::new(12));
        frames.set_regions(1, events, grid.layout());
        let own = frames.add_own(r#"{"type":"error","code":"x"}"#);
        let none = frames.add_own("");
        // Ann stands in region 0 (sees 0, 1, 4, 5), with an event of her own; Bob in region 6
        // (sees 5 and 11 too); Cy in region 3 sees only empty regions; Dee is not placed.
        frames.push(ConnId(1), Frame::new(own, Some(Sight::all(0)), false));
        frames.push(ConnId(2), Frame::new(none, Some(Sight::all(6)), true));
        frames.push(ConnId(3), Frame::new(none, Some(Sight::all(3)), false));
        frames.push_events(ConnId(4), r#"{"type":"bye"}"#);
        let texts: Vec<Option<String>> = frames.iter().map(|(_, f)| frames.to_text(f)).collect();
        assert_eq!(
            texts[0].as_deref(),
            Some(format!(r#"[{{"type":"error","code":"x"}},{mv}]"#).as_str())
        );
        assert_eq!(
            texts[1].as_deref(),
            Some(format!(r#"[{mv},{{"type":"chat","text":"far"}}]"#).as_str())
        );
        assert_eq!(texts[2], None, "nothing new: no frame");
        assert_eq!(texts[3].as_deref(), Some(r#"[{"type":"bye"}]"#));
        // Events of one's own, or a command sent this tick, make a frame urgent; only a
        // frame of what others did may wait.
        let urgent: Vec<bool> = frames.iter().map(|(_, f)| f.is_urgent()).collect();
        assert_eq!(urgent, [true, true, false, true]);
        assert!(frames.view_has_events(Sight::all(6)) && !frames.view_has_events(Sight::all(3)));
        assert_eq!(
            frames.view_runs(Sight::all(8)).collect::<Vec<_>>(),
            [
                r#"{"type":"despawn","id":9}"#,
                r#"{"move":1},{"move":2}"#,
                r#"{"move":3}"#
            ],
            "region by region, each buffer before its moves"
        );
        assert_eq!(frames.tick(), 1);
        for text in texts.iter().flatten() {
            let parsed: serde_json::Value = serde_json::from_str(text).expect("JSON");
            assert!(parsed.is_array());
        }
        let spare = frames.into_spare();
        assert_eq!(spare.region_count(), 12);
        assert!(
            (0..12).all(|r| spare.runs(r, false) == ["", ""] && spare.runs(r, true) == ["", ""])
                && spare.dirty.is_empty(),
            "handed back cleared"
        );
    }

    /// In a crowd a client sees each region's buffer and `positions` instead of its moves,
    /// then the nearest moves picked for it.
    #[test]
    fn a_frame_in_a_crowd_has_positions_and_its_own_nearest_moves() {
        let mut grid = RegionGrid::new(64, 48, 16); // 4 x 3 regions
        grid.broadcast(5, r#"{"c":5}"#);
        grid.events.moves.push_with(5, |b| b.push_str(r#"{"m":5}"#));
        grid.events
            .positions
            .push_with(4, |b| b.push_str(r#"{"p":4}"#));
        grid.events
            .positions
            .push_with(5, |b| b.push_str(r#"{"p":5}"#));
        let mut frames = Frames::default();
        let events = std::mem::replace(&mut grid.events, RegionEvents::new(12));
        frames.set_regions(1, events, grid.layout());
        let none = frames.add_own("");
        let near = frames.add_near(r#"{"m":5}"#);
        let nothing_near = frames.add_near("");
        frames.push(
            ConnId(1),
            Frame::new(none, Some(Sight::crowd(0, near)), false),
        );
        frames.push(ConnId(2), Frame::new(none, Some(Sight::all(0)), false));
        let both = Frame::new(none, Some(Sight::crowd(0, nothing_near)), false);
        frames.push(ConnId(3), both);
        let texts: Vec<Option<String>> = frames.iter().map(|(_, f)| frames.to_text(f)).collect();
        assert_eq!(
            texts[0].as_deref(),
            Some(r#"[{"p":4},{"c":5},{"p":5},{"m":5}]"#)
        );
        assert_eq!(texts[1].as_deref(), Some(r#"[{"c":5},{"m":5}]"#));
        assert_eq!(texts[2].as_deref(), Some(r#"[{"p":4},{"c":5},{"p":5}]"#));
        // Only a frame of what everyone with its sight gets may be shared.
        let shared: Vec<bool> = frames
            .iter()
            .map(|(_, f)| f.sight_only().is_some())
            .collect();
        assert_eq!(shared, [false, true, true]);
        assert_ne!(Sight::all(0), both.sight().unwrap());
    }

    #[test]
    fn runs_are_joined_in_order_past_the_first_twenty() {
        let runs: Vec<String> = (1..=45).map(|n| n.to_string()).collect();
        let mut out = String::new();
        assert!(write_runs(
            runs.iter().map(String::as_str).chain(["", ""]),
            &mut out
        ));
        let expected = format!("[{}]", runs.join(","));
        assert_eq!(out, expected);
        assert!(!write_runs(["", ""].into_iter(), &mut out), "all empty");
        assert_eq!(out, expected, "nothing appended");
    }
}
