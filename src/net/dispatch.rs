//! The dispatcher: a network task that hands each tick's frames to the connections' queues.
//!
//! The world thread sends it one [`Batch`] per tick — one channel send and one wake-up —
//! instead of touching every client's queue and waking every writer itself, which cost the
//! tick about 1 µs per client (each queue is a cache line another core owns). The dispatcher
//! owns the connections' handles: the runner passes on each new handle, and each connection
//! the network reported closed, in the batch of the tick that saw it, so the dispatcher's
//! view always matches the world's.

use std::collections::HashMap;
use std::sync::Arc;

use emberkeep_components::net::{ConnId, Frame, Frames};
use emberkeep_components::protocol::CloseReason;
use emberkeep_components::regions::RegionId;
use rustc_hash::FxHashMap;
use tokio_tungstenite::tungstenite::Utf8Bytes;
use tracing::{info, warn};

use crate::net::{ConnHandle, Outgoing, QueueError};
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

/// Joins the text of a tick's frames, off the world thread, from each client's own events
/// and its view's region buffers. Clients with no events of their own who stand in the same
/// region get the same bytes, joined once (a crowd in one town square costs one join per
/// region, not one per client).
#[derive(Debug)]
pub struct Joiner {
    /// By region: how many clients there have no events of their own.
    alike: Vec<u32>,
    shared: FxHashMap<RegionId, Option<Utf8Bytes>>,
}

impl Joiner {
    /// A joiner for one tick's frames.
    pub fn new(tick: &Frames) -> Joiner {
        let mut alike = vec![0; tick.region_count()];
        for r in tick.iter().filter_map(|(_, frame)| frame.region_only()) {
            if let Some(n) = alike.get_mut(r as usize) {
                *n += 1;
            }
        }
        Joiner {
            alike,
            shared: FxHashMap::default(),
        }
    }

    /// The frame's text; None if it holds nothing.
    pub fn text(&mut self, tick: &Frames, frame: &Frame) -> Option<Utf8Bytes> {
        let join = || tick.to_text(frame).map(Utf8Bytes::from);
        match frame.region_only() {
            Some(r) if self.alike.get(r as usize).is_some_and(|n| *n > 1) => {
                self.shared.entry(r).or_insert_with(join).clone()
            }
            _ => join(),
        }
    }
}

/// Sets of region buffers the dispatcher hands back to the world for reuse; more are dropped.
pub const SPARE_BUFFERS: usize = 2;

/// Delivers batches until the world drops its sender (then every batch sent before it has
/// been delivered). Each tick's region buffers go back to the world, cleared, through
/// `spare` (when it has room), so the world does not allocate them again.
pub async fn run(
    mut rx: tokio::sync::mpsc::Receiver<Batch>,
    spare: crossbeam_channel::Sender<Vec<String>>,
    stats: Arc<Stats>,
) {
    let mut handles = HashMap::new();
    while let Some(batch) = rx.recv().await {
        for tick in deliver(&mut handles, batch, &stats) {
            let _ = spare.try_send(tick.into_spare());
        }
    }
}

/// Applies one batch without waiting; returns its ticks' frames, delivered. A client whose
/// queue is full is too slow: its connection is aborted (its reader then reports it closed
/// to the world, whose character leaves) and counted in [`Stats::slow_disconnects`].
pub fn deliver(
    handles: &mut HashMap<ConnId, ConnHandle>,
    batch: Batch,
    stats: &Stats,
) -> Vec<Frames> {
    handles.extend(batch.opened);
    for conn in batch.closed {
        handles.remove(&conn);
    }
    let (mut frames, mut bytes) = (0u64, 0u64);
    for tick in &batch.frames {
        let mut joiner = Joiner::new(tick);
        for (conn, frame) in tick.iter() {
            let Some(handle) = handles.get(conn) else {
                continue;
            };
            // A frame with nothing new is not sent.
            let Some(text) = joiner.text(tick, frame) else {
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
                    handle.abort(CloseReason::policy("too slow: outbound queue full"));
                    handles.remove(conn);
                    Stats::add(&stats.slow_disconnects, 1);
                }
                Err(QueueError::Gone) => {
                    handles.remove(conn);
                }
            }
        }
    }
    for (conn, reason) in batch.closes {
        if let Some(handle) = handles.remove(&conn) {
            info!(conn = conn.0, code = reason.code, reason = %reason.reason, "closing connection");
            if handle.send(Outgoing::Close(reason.clone())) == Err(QueueError::Full) {
                handle.abort(reason);
            }
        }
    }
    Stats::add(&stats.frames_out, frames);
    Stats::add(&stats.bytes_out, bytes);
    Stats::set(&stats.connections, handles.len() as u64);
    batch.frames
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let mut handles = HashMap::new();
        let (a, a_rx, a_shared) = ConnHandle::new(4);
        let (b, b_rx, b_shared) = ConnHandle::new(1);
        deliver(
            &mut handles,
            Batch {
                opened: vec![(ConnId(1), a), (ConnId(2), b)],
                frames: frames(&[(1, "1"), (2, "2"), (3, "\"nobody\"")]),
                ..Batch::default()
            },
            &stats,
        );
        // b's queue (1 frame) is full now: the next frame makes it a slow client.
        deliver(
            &mut handles,
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
        assert!(b_shared.abort.get().is_some(), "b aborted");
        assert!(a_shared.abort.get().is_none(), "a untouched");
        assert_eq!(Stats::get(&stats.slow_disconnects), 1);
        assert_eq!(Stats::get(&stats.frames_out), 3);
        assert_eq!(Stats::get(&stats.connections), 1);
        // A reported close drops the handle before that batch's frames; a requested close
        // goes after them.
        deliver(
            &mut handles,
            Batch {
                frames: frames(&[(1, "5")]),
                closes: vec![(ConnId(1), CloseReason::policy("bye"))],
                ..Batch::default()
            },
            &stats,
        );
        assert_eq!(texts(&a_rx), vec!["[5]", "close 1008"]);
        assert!(handles.is_empty());
        let (c, c_rx, _) = ConnHandle::new(4);
        deliver(
            &mut handles,
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
        let mut handles = HashMap::new();
        let grid = RegionGrid::new(64, 48, 16); // 4 x 3 regions
        let mut regions = vec![String::new(); 12];
        regions[5] = r#"{"type":"move","id":1,"x":20,"y":20}"#.to_string();
        let mut tick = Frames::default();
        tick.set_regions(regions, vec![5], grid.layout());
        let none = tick.add_own("");
        let own = tick.add_own(r#"{"type":"chat","text":"hi"}"#);
        let mut receivers = Vec::new();
        let mut opened = Vec::new();
        for (conn, own, region) in [(1, none, 5), (2, none, 5), (3, own, 5), (4, none, 6)] {
            let (handle, rx, _) = ConnHandle::new(4);
            opened.push((ConnId(conn), handle));
            receivers.push(rx);
            tick.push(ConnId(conn), Frame::new(own, Some(region)));
        }
        let _ = deliver(
            &mut handles,
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
        let mv = r#"{"type":"move","id":1,"x":20,"y":20}"#;
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
}
