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

use emberkeep_components::net::{ConnId, Frames};
use emberkeep_components::protocol::CloseReason;
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
        for (conn, frame) in tick.iter() {
            let Some(handle) = handles.get(conn) else {
                continue;
            };
            // The frame's text is joined here, off the world thread, from the client's own
            // events and its view's region buffers; a frame with nothing new is not sent.
            let Some(text) = tick.to_text(frame) else {
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
                    Outgoing::Frame(f) => f,
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
}
