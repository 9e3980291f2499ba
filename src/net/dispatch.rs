//! The dispatcher: a network task that hands each tick's frames to the connections' queues.
//!
//! The world thread sends it one [`Batch`] per tick — one channel send and one wake-up —
//! instead of touching every client's queue and waking every writer itself, which cost the
//! tick about 1 µs per client (each queue is a cache line another core owns). The dispatcher
//! owns the connections' handles: the runner passes on each new handle, and each connection
//! the network reported closed, in the batch of the tick that saw it, so the dispatcher's
//! view always matches the world's.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use emberkeep_components::net::{ConnId, Frame, Frames, Sight, write_runs};
use emberkeep_components::protocol::CloseReason;
use emberkeep_components::regions::RegionEvents;
use emberkeep_components::text::{Text, keys};
use rustc_hash::FxHashMap;
use tokio_tungstenite::tungstenite::Utf8Bytes;
use tracing::{info, warn};

use crate::net::{ConnHandle, NetTexts, Outgoing, QueueError};
use crate::stats::Stats;

/// What one tick hands to the connections, in this order: handles added, handles dropped,
/// frames, closes.
#[derive(Debug, Default)]
pub struct Batch {
    /// Connections that finished their handshake.
    pub opened: Vec<(ConnId, ConnHandle)>,
    /// Connections whose tasks reported them gone.
    pub closed: Vec<ConnId>,
    /// Each tick's frames (one per client with something new), oldest first: more than
    /// one tick's when the dispatcher fell behind.
    pub frames: Vec<Frames>,
    /// Connections to close, after their frames.
    pub closes: Vec<(ConnId, CloseReason)>,
}

impl Batch {
    /// Whether there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.opened.is_empty()
            && self.closed.is_empty()
            && self.frames.is_empty()
            && self.closes.is_empty()
    }
}

/// The most ticks a client's view of others may wait: `server.view_every_ticks` is 1 to this.
pub const MAX_VIEW_EVERY: u32 = 4;

/// Decides which of a tick's frames go out now and joins their text, off the world thread,
/// from each client's own events and its view's region events.
///
/// A frame that holds events of the client's own, or answers a command it sent this tick,
/// goes out at once. A frame of only what others did goes out every `every` ticks (clients
/// take turns by connection id, so each tick sends about the same number); until then its
/// views wait here and go out, oldest first, at the head of the client's next frame. So a
/// client sees the world around it at least every `every` ticks, its own actions answered
/// in the tick they happen, and every event exactly once, in order.
///
/// Clients with no events of their own whose frames hold the same views get the same bytes,
/// joined once (a crowd in one town square costs one join per region, not one per client).
#[derive(Debug)]
pub struct Views {
    every: u64,
    /// The last ticks' frames whose views some client may still be waiting for, oldest first.
    recent: VecDeque<Frames>,
    waiting: FxHashMap<ConnId, Waiting>,
    /// This tick's frames without events of their own, counted by region (once per tick):
    /// only where there are two or more can texts be shared.
    alike: Vec<u32>,
    counted: bool,
    /// This tick's texts of frames without events of their own, by what they hold.
    shared: FxHashMap<(Waiting, Sight), Option<Utf8Bytes>>,
}

/// The frames a client has not been sent yet (what it saw, and view changes of its own),
/// oldest first, with their ticks.
/// (Slots past `len` stay zero, so the derived equality agrees with the hash, which reads
/// only the used ones: a client waiting for nothing hashes one byte.)
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Waiting {
    len: u8,
    views: [(u64, Frame); MAX_VIEW_EVERY as usize - 1],
}

impl std::hash::Hash for Waiting {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u8(self.len);
        for (tick, frame) in self.iter() {
            state.write_u64(tick);
            frame.hash(state);
        }
    }
}

impl Waiting {
    fn iter(&self) -> impl Iterator<Item = (u64, Frame)> + '_ {
        self.views[..usize::from(self.len)].iter().copied()
    }

    fn oldest(&self) -> Option<u64> {
        self.iter().next().map(|(tick, _)| tick)
    }

    fn is_full(&self) -> bool {
        usize::from(self.len) == self.views.len()
    }

    fn push(&mut self, tick: u64, frame: Frame) {
        self.views[usize::from(self.len)] = (tick, frame);
        self.len += 1;
    }
}

impl Views {
    /// Views sent at least every `every` ticks (clamped to 1..=[`MAX_VIEW_EVERY`]).
    pub fn new(every: u32) -> Views {
        Views {
            every: u64::from(every.clamp(1, MAX_VIEW_EVERY)),
            recent: VecDeque::new(),
            waiting: FxHashMap::default(),
            alike: Vec::new(),
            counted: false,
            shared: FxHashMap::default(),
        }
    }

    /// The text `conn` is sent this tick; None if its frame holds nothing new or waits.
    pub fn text(&mut self, tick: &Frames, conn: ConnId, frame: &Frame) -> Option<Utf8Bytes> {
        let now = tick.tick();
        let waited = if self.waiting.is_empty() {
            Waiting::default()
        } else {
            self.waiting.get(&conn).copied().unwrap_or_default()
        };
        let due = self.every == 1
            || frame.is_urgent()
            || now.wrapping_add(conn.0).is_multiple_of(self.every)
            || waited.is_full()
            || waited.oldest().is_some_and(|t| t + self.every - 1 <= now);
        if !due {
            if frame.has_own() || frame.sight().is_some_and(|s| tick.view_has_events(s)) {
                self.waiting.entry(conn).or_default().push(now, *frame);
            }
            return None;
        }
        if waited.len > 0 {
            self.waiting.remove(&conn);
        }
        if !self.counted {
            self.alike.clear();
            self.alike.resize(tick.region_count(), 0);
            for r in tick.iter().filter_map(|(_, f)| f.sight_only()) {
                if let Some(n) = self.alike.get_mut(r.region() as usize) {
                    *n += 1;
                }
            }
            self.counted = true;
        }
        let recent = &self.recent;
        let join = || {
            let earlier = waited.iter().flat_map(move |(t, waited)| {
                // (A tick that is gone was skipped: no client had a frame in it.)
                recent
                    .iter()
                    .find(move |f| f.tick() == t)
                    .into_iter()
                    .flat_map(move |f| f.runs(waited))
            });
            let mut out = String::new();
            write_runs(earlier.chain(tick.runs(*frame)), &mut out).then(|| Utf8Bytes::from(out))
        };
        match frame.sight_only() {
            Some(s) if self.alike.get(s.region() as usize).is_some_and(|n| *n > 1) => {
                self.shared.entry((waited, s)).or_insert_with(join).clone()
            }
            _ => join(),
        }
    }

    /// Done with a tick's frames: they stay while a client may still wait for their views.
    /// Returns the ticks no client can need any more.
    pub fn finish(&mut self, tick: Frames) -> Vec<Frames> {
        self.shared.clear();
        self.counted = false;
        let now = tick.tick();
        self.recent.push_back(tick);
        let mut done = Vec::new();
        // (Ticks only grow, so the first test decides; the second bounds memory regardless.)
        while let Some(oldest) = self.recent.front()
            && (oldest.tick() + self.every - 1 <= now || self.recent.len() as u64 > self.every)
        {
            done.extend(self.recent.pop_front());
        }
        done
    }

    /// Drops what a gone client was waiting for.
    pub fn forget(&mut self, conn: ConnId) {
        self.waiting.remove(&conn);
    }

    /// How many clients have views waiting.
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }
}

/// Sets of region events the dispatcher hands back to the world for reuse; more are dropped.
pub const SPARE_BUFFERS: usize = 2;

/// The dispatcher's state: the connections' handles and the views waiting to go out.
#[derive(Debug)]
pub struct Dispatcher {
    handles: HashMap<ConnId, ConnHandle>,
    views: Views,
    /// For the slow-client close, the one text the dispatcher writes.
    texts: Arc<NetTexts>,
}

impl Dispatcher {
    /// A dispatcher that sends each client's view of others at least every `view_every`
    /// ticks (see [`Views`]).
    pub fn new(view_every: u32, texts: Arc<NetTexts>) -> Dispatcher {
        Dispatcher {
            handles: HashMap::new(),
            views: Views::new(view_every),
            texts,
        }
    }

    fn drop_conn(&mut self, conn: ConnId) -> Option<ConnHandle> {
        self.views.forget(conn);
        self.handles.remove(&conn)
    }

    /// Applies one batch without waiting; returns the ticks' frames no client needs any more.
    /// A client whose queue is full is too slow: its connection is aborted (its reader then
    /// reports it closed to the world, whose character leaves) and counted in
    /// [`Stats::slow_disconnects`].
    pub fn deliver(&mut self, batch: Batch, stats: &Stats) -> Vec<Frames> {
        self.handles.extend(batch.opened);
        for conn in batch.closed {
            self.drop_conn(conn);
        }
        let (mut frames, mut bytes) = (0u64, 0u64);
        let mut done = Vec::new();
        for tick in batch.frames {
            for (conn, frame) in answers_first(&tick) {
                let Some(handle) = self.handles.get(conn) else {
                    continue;
                };
                // A frame with nothing new, or one that may wait, is not sent now.
                let Some(text) = self.views.text(&tick, *conn, frame) else {
                    continue;
                };
                let len = text.len() as u64;
                match handle.send(Outgoing::Frame(text)) {
                    Ok(()) => {
                        frames += 1;
                        bytes += len;
                    }
                    Err(QueueError::Full) => {
                        warn!(
                            conn = conn.0,
                            "outbound queue full: disconnecting slow client"
                        );
                        let reason = Text::new(keys::CLOSE_TOO_SLOW);
                        let reason = self.texts.render(&handle.locale(), &reason);
                        handle.abort(CloseReason::policy(reason));
                        self.drop_conn(*conn);
                        Stats::add(&stats.slow_disconnects, 1);
                    }
                    Err(QueueError::Gone) => {
                        self.drop_conn(*conn);
                    }
                }
            }
            done.extend(self.views.finish(tick));
        }
        for (conn, reason) in batch.closes {
            if let Some(handle) = self.drop_conn(conn) {
                info!(conn = conn.0, code = reason.code, reason = %reason.reason, "closing connection");
                if handle.send(Outgoing::Close(reason.clone())) == Err(QueueError::Full) {
                    handle.abort(reason);
                }
            }
        }
        Stats::add(&stats.frames_out, frames);
        Stats::add(&stats.bytes_out, bytes);
        Stats::set(&stats.connections, self.handles.len() as u64);
        done
    }
}

/// A tick's frames in the order they are queued: those answering a command the client sent
/// this tick first (so they are written first), then the rest, each in the tick's order.
fn answers_first(tick: &Frames) -> impl Iterator<Item = &(ConnId, Frame)> {
    let answers = tick.iter().filter(|(_, f)| f.answers());
    answers.chain(tick.iter().filter(|(_, f)| !f.answers()))
}

/// Delivers batches until the world drops its sender (then every batch sent before it has
/// been delivered). Region events no client needs any more go back to the world, cleared,
/// through `spare` (when it has room), so the world does not allocate them again.
pub async fn run(
    mut rx: tokio::sync::mpsc::Receiver<Batch>,
    spare: crossbeam_channel::Sender<RegionEvents>,
    stats: Arc<Stats>,
    view_every: u32,
    texts: Arc<NetTexts>,
) {
    let mut dispatcher = Dispatcher::new(view_every, texts);
    while let Some(batch) = rx.recv().await {
        for tick in dispatcher.deliver(batch, &stats) {
            let _ = spare.try_send(tick.into_spare());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped_texts() -> Arc<NetTexts> {
        NetTexts::new(crate::assets::shipped_locales())
    }

    /// One tick's frames: for each (connection, events), a frame of those events.
    fn frames(list: &[(u64, &str)]) -> Vec<Frames> {
        let mut frames = Frames::default();
        for (conn, events) in list {
            frames.push_events(ConnId(*conn), events);
        }
        vec![frames]
    }

    #[test]
    fn frames_reach_open_connections_in_order_and_a_full_queue_aborts_that_client_only() {
        let stats = Stats::default();
        let mut d = Dispatcher::new(1, shipped_texts());
        let (a, a_rx, a_shared) = ConnHandle::new(4);
        let (b, b_rx, b_shared) = ConnHandle::new(1);
        b_shared.set_locale("de-AT"); // b's client reads German
        d.deliver(
            Batch {
                opened: vec![(ConnId(1), a), (ConnId(2), b)],
                frames: frames(&[(1, "1"), (2, "2"), (3, "\"nobody\"")]),
                ..Batch::default()
            },
            &stats,
        );
        // b's queue (1 frame) is full now: the next frame makes it a slow client.
        d.deliver(
            Batch {
                frames: frames(&[(1, "3"), (2, "4")]),
                ..Batch::default()
            },
            &stats,
        );
        let texts = |rx: &crossbeam_channel::Receiver<Outgoing>| {
            rx.try_iter()
                .map(|o| match o {
                    Outgoing::Frame(f) => f.to_string(),
                    Outgoing::Close(r) => format!("close {}", r.code),
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(texts(&a_rx), vec!["[1]", "[3]"]);
        assert_eq!(texts(&b_rx), vec!["[2]"]);
        let aborted = b_shared.abort.get().expect("b aborted");
        assert_eq!(
            aborted.reason, "zu langsam: die Ausgangswarteschlange ist voll",
            "in b's language"
        );
        assert!(a_shared.abort.get().is_none(), "a untouched");
        assert_eq!(Stats::get(&stats.slow_disconnects), 1);
        assert_eq!(Stats::get(&stats.frames_out), 3);
        assert_eq!(Stats::get(&stats.connections), 1);
        // A reported close drops the handle before that batch's frames; a requested close
        // goes after them.
        d.deliver(
            Batch {
                frames: frames(&[(1, "5")]),
                closes: vec![(ConnId(1), CloseReason::policy("bye"))],
                ..Batch::default()
            },
            &stats,
        );
        assert_eq!(texts(&a_rx), vec!["[5]", "close 1008"]);
        assert!(d.handles.is_empty());
        let (c, c_rx, _) = ConnHandle::new(4);
        d.deliver(
            Batch {
                opened: vec![(ConnId(7), c)],
                closed: vec![ConnId(7)],
                frames: frames(&[(7, "\"late\"")]),
                ..Batch::default()
            },
            &stats,
        );
        assert!(texts(&c_rx).is_empty(), "closed before its frame");
    }

    #[test]
    fn clients_with_nothing_of_their_own_in_one_region_share_one_frame() {
        use emberkeep_components::regions::RegionGrid;
        let stats = Stats::default();
        let mut d = Dispatcher::new(1, shipped_texts());
        let mut grid = RegionGrid::new(64, 48, 16); // 4 x 3 regions
        let mv = r#"{"type":"move","id":1,"x":20,"y":20}"#;
        grid.events.moves.push_with(5, |buf| buf.push_str(mv));
        let mut tick = Frames::default();
        let layout = grid.layout();
        tick.set_regions(1, grid.events, layout);
        let none = tick.add_own("");
        let own = tick.add_own(r#"{"type":"chat","text":"hi"}"#);
        let mut receivers = Vec::new();
        let mut opened = Vec::new();
        for (conn, own, region) in [(1, none, 5), (2, none, 5), (3, own, 5), (4, none, 6)] {
            let (handle, rx, _) = ConnHandle::new(4);
            opened.push((ConnId(conn), handle));
            receivers.push(rx);
            tick.push(
                ConnId(conn),
                Frame::new(own, Some(Sight::all(region)), false),
            );
        }
        let _ = d.deliver(
            Batch {
                opened,
                frames: vec![tick],
                ..Batch::default()
            },
            &stats,
        );
        let got: Vec<Utf8Bytes> = receivers
            .iter()
            .map(|rx| match rx.try_recv() {
                Ok(Outgoing::Frame(f)) => f,
                other => panic!("expected a frame, got {other:?}"),
            })
            .collect();
        assert_eq!(got[0].as_str(), format!("[{mv}]"));
        assert_eq!(got[1].as_str(), got[0].as_str());
        assert_eq!(
            got[1].as_str().as_ptr(),
            got[0].as_str().as_ptr(),
            "the same bytes, joined once"
        );
        assert_eq!(
            got[2].as_str(),
            format!(r#"[{{"type":"chat","text":"hi"}},{mv}]"#)
        );
        assert_eq!(
            got[3].as_str(),
            format!("[{mv}]"),
            "region 6 sees region 5 too"
        );
        assert_ne!(got[3].as_str().as_ptr(), got[0].as_str().as_ptr());
        assert_eq!(Stats::get(&stats.frames_out), 4);
    }

    /// A tick's frames over a 4 x 3 grid of 16-tile regions: `events` by region, and for each
    /// client (connection, own events, region it stands in, whether it sent a command).
    fn tick(n: u64, events: &[(u32, &str)], clients: &[(u64, &str, u32, bool)]) -> Frames {
        use emberkeep_components::regions::RegionGrid;
        let mut grid = RegionGrid::new(64, 48, 16);
        for (r, text) in events {
            grid.broadcast(*r, text);
        }
        let mut frames = Frames::default();
        let layout = grid.layout();
        frames.set_regions(n, grid.events, layout);
        for (conn, own, region, answering) in clients {
            let own = frames.add_own(own);
            frames.push(
                ConnId(*conn),
                Frame::new(own, Some(Sight::all(*region)), *answering),
            );
        }
        frames
    }

    #[test]
    fn views_of_others_wait_a_tick_and_arrive_in_order_but_own_events_and_answers_do_not() {
        let stats = Stats::default();
        let mut d = Dispatcher::new(2, shipped_texts());
        let mut receivers = Vec::new();
        let mut opened = Vec::new();
        for conn in 1..=5 {
            let (handle, rx, _) = ConnHandle::new(8);
            opened.push((ConnId(conn), handle));
            receivers.push(rx);
        }
        let m = |n: u32| format!(r#"{{"type":"move","id":{n}}}"#);
        let (m1, m2, m3) = (m(1), m(2), m(3));
        // Tick 1: a move in region 5. Clients take turns by id: 1, 3 and 5 are due.
        let done = d.deliver(
            Batch {
                opened,
                frames: vec![tick(
                    1,
                    &[(5, &m1)],
                    &[
                        (1, "", 5, false),
                        (2, "", 5, false),
                        (3, "", 6, false),
                        (4, "", 5, false),
                        (5, "", 0, false),
                    ],
                )],
                ..Batch::default()
            },
            &stats,
        );
        assert!(done.is_empty(), "tick 1 is kept while 2 and 4 wait for it");
        assert_eq!(d.views.waiting(), 2);
        // Tick 2: another move in region 5. 1 sent a command (answered now, though not its
        // turn); 5 has an event of its own and walked to region 6; 3 waits.
        let done = d.deliver(
            Batch {
                frames: vec![tick(
                    2,
                    &[(5, &m2)],
                    &[
                        (1, "", 5, true),
                        (2, "", 5, false),
                        (3, "", 6, false),
                        (4, "", 5, false),
                        (5, r#"{"type":"spawn"}"#, 6, false),
                    ],
                )],
                ..Batch::default()
            },
            &stats,
        );
        assert_eq!(done.len(), 1, "nobody can need tick 1 any more");
        assert_eq!(done[0].tick(), 1);
        // Tick 3: a move in region 10 (seen from 5 and 6). 3 is due with tick 2's view first;
        // 2 and 4 wait again. Then 4 leaves, and tick 4 has nothing new for anyone.
        d.deliver(
            Batch {
                frames: vec![tick(
                    3,
                    &[(10, &m3)],
                    &[
                        (1, "", 5, false),
                        (2, "", 5, false),
                        (3, "", 6, false),
                        (4, "", 5, false),
                        (5, "", 6, false),
                    ],
                )],
                ..Batch::default()
            },
            &stats,
        );
        d.deliver(
            Batch {
                closed: vec![ConnId(4)],
                frames: vec![tick(
                    4,
                    &[],
                    &[(1, "", 5, false), (2, "", 5, false), (3, "", 6, false)],
                )],
                ..Batch::default()
            },
            &stats,
        );
        let got: Vec<Vec<Utf8Bytes>> = receivers
            .iter()
            .map(|rx| {
                rx.try_iter()
                    .map(|o| match o {
                        Outgoing::Frame(f) => f,
                        other => panic!("expected frames, got {other:?}"),
                    })
                    .collect()
            })
            .collect();
        let texts = |i: usize| got[i].iter().map(|f| f.to_string()).collect::<Vec<_>>();
        assert_eq!(
            texts(0),
            [format!("[{m1}]"), format!("[{m2}]"), format!("[{m3}]")]
        );
        assert_eq!(texts(1), [format!("[{m1},{m2}]"), format!("[{m3}]")]);
        assert_eq!(texts(2), [format!("[{m1}]"), format!("[{m2},{m3}]")]);
        assert_eq!(
            texts(3),
            [format!("[{m1},{m2}]")],
            "gone before tick 3's turn"
        );
        assert_eq!(
            texts(4),
            [
                format!("[{m1}]"),
                format!(r#"[{{"type":"spawn"}},{m2}]"#),
                format!("[{m3}]")
            ]
        );
        assert_eq!(
            got[1][0].as_str().as_ptr(),
            got[3][0].as_str().as_ptr(),
            "alike waiting clients share one join"
        );
        assert_eq!(d.views.waiting(), 0, "nothing left behind");
    }

    /// Spawns and despawns of others (view changes) wait for the client's paced frame like
    /// the region events, and arrive in order before the next tick's events.
    #[test]
    fn view_changes_of_ones_own_wait_for_the_paced_frame() {
        use emberkeep_components::regions::RegionGrid;
        let stats = Stats::default();
        let mut d = Dispatcher::new(2, shipped_texts());
        let (handle, rx, _) = ConnHandle::new(8);
        let frames = |n: u64, own: &str, region_event: &str, may_wait: bool| {
            let mut grid = RegionGrid::new(64, 48, 16);
            if !region_event.is_empty() {
                grid.broadcast(5, region_event);
            }
            let mut frames = Frames::default();
            let layout = grid.layout();
            frames.set_regions(n, grid.events, layout);
            let own = frames.add_own(own);
            let frame = Frame::new(own, Some(Sight::all(5)), false);
            frames.push(
                ConnId(2),
                if may_wait {
                    frame.own_may_wait()
                } else {
                    frame
                },
            );
            frames
        };
        let (spawn, chat, hit) = (
            r#"{"type":"spawn","id":4}"#,
            r#"{"type":"chat","id":4}"#,
            r#"{"type":"error"}"#,
        );
        // Tick 1 is not client 2's turn (ticks 2, 4, ... are): its spawn waits.
        let b = |frames| Batch {
            frames: vec![frames],
            ..Batch::default()
        };
        d.deliver(
            Batch {
                opened: vec![(ConnId(2), handle)],
                ..b(frames(1, spawn, "", true))
            },
            &stats,
        );
        assert!(rx.try_recv().is_err(), "a view change waits");
        d.deliver(b(frames(2, "", chat, false)), &stats);
        // Tick 3: an urgent event of its own goes at once.
        d.deliver(b(frames(3, hit, "", false)), &stats);
        let got: Vec<String> = rx
            .try_iter()
            .map(|o| match o {
                Outgoing::Frame(f) => f.to_string(),
                other => panic!("expected frames, got {other:?}"),
            })
            .collect();
        assert_eq!(got, [format!("[{spawn},{chat}]"), format!("[{hit}]")]);
    }

    #[test]
    fn frames_answering_a_command_are_queued_first() {
        let m = r#"{"type":"move","id":9}"#;
        let t = tick(
            1,
            &[(5, m)],
            &[
                (1, "", 5, false),
                (2, "", 5, true),
                (3, r#"{"type":"pong"}"#, 5, false),
                (4, "", 6, true),
            ],
        );
        let order: Vec<u64> = answers_first(&t).map(|(c, _)| c.0).collect();
        assert_eq!(order, [2, 4, 1, 3]);
    }
}
