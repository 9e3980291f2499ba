//! The network side: a reader and a writer task per WebSocket connection, and the channels
//! that connect them to the world thread.
//!
//! Inbound: every task sends [`Inbound`] values into one bounded crossbeam channel that the
//! world drains at the start of each tick. Texts for a client made out here (refusals,
//! close reasons) travel as keys and arguments: the world thread renders them in the
//! client's language. Outbound: the world thread sends each tick's frames
//! as one batch to the dispatcher task ([`dispatch`]), which fills each connection's own
//! bounded queue ([`ConnHandle`]); a full queue means a slow client, which is disconnected —
//! nothing waits.

pub mod conn;
pub mod decode;
pub mod dispatch;
pub mod policy;

use std::sync::{Arc, OnceLock};

use emberkeep_components::net::{ConnId, WorldInput};
use emberkeep_components::persist::StorageReply;
use emberkeep_components::protocol::{CloseReason, ErrorCode};
use emberkeep_components::text::Text;
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::Utf8Bytes;

/// A message into the world thread.
#[derive(Debug)]
pub enum Inbound {
    /// A connection finished its handshake; the runner passes the handle to the dispatcher.
    Opened {
        conn: ConnId,
        addr: String,
        handle: ConnHandle,
    },
    /// Anything else, passed to the world as is.
    World(WorldInput),
    /// The `locale` a client named in `hello`, `login`, `register` or `resume`, sent before
    /// that message: the language of its texts from then on.
    Locale { conn: ConnId, locale: String },
    /// An input with a text for the client to read: the world thread renders it in the
    /// client's language and passes the input on (see [`TextInput`]).
    Text {
        conn: ConnId,
        text: Text,
        input: TextInput,
    },
    /// An admin API request; the runner answers on `reply` after the world applied it.
    Admin {
        action: emberkeep_components::net::AdminAction,
        reply: tokio::sync::oneshot::Sender<emberkeep_components::net::AdminResult>,
    },
}

/// What an [`Inbound::Text`] becomes once its text is rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextInput {
    /// `WorldInput::Rejected`: a message that failed to decode, or was over the rate.
    Rejected(ErrorCode),
    /// A storage refusal (`StorageReply::Refused`).
    Refused(ErrorCode),
    /// `WorldInput::Kick`: close the connection with this close code and the text as reason.
    Kick(u16),
}

impl TextInput {
    /// The world's input for connection `conn`, with the text rendered as `message`.
    pub fn into_world(self, conn: ConnId, message: String) -> WorldInput {
        match self {
            TextInput::Rejected(code) => WorldInput::Rejected {
                conn,
                code,
                message,
            },
            TextInput::Refused(code) => WorldInput::Storage(StorageReply::Refused {
                conn,
                code,
                message,
            }),
            TextInput::Kick(code) => WorldInput::Kick {
                conn,
                reason: CloseReason {
                    code,
                    reason: message,
                },
            },
        }
    }
}

/// One item in a connection's outbound queue.
#[derive(Debug)]
pub enum Outgoing {
    /// A text frame: the JSON array of one tick's events (shared bytes: clients who see the
    /// same regions and have nothing of their own get the same frame).
    Frame(Utf8Bytes),
    /// Close the connection with this reason after the frames before it.
    Close(CloseReason),
}

/// State shared between a connection's tasks and the dispatcher. Lock-free on the dispatcher's
/// side.
#[derive(Debug, Default)]
pub struct ConnShared {
    /// Wakes the writer when something was queued.
    pub wake_writer: Notify,
    /// Wakes the reader when the writer has finished.
    pub writer_done: Notify,
    /// Set when the connection must close at once, skipping its queue (e.g. the queue is full).
    pub abort: OnceLock<CloseReason>,
    /// Wakes the writer out of a blocked socket write when `abort` is set.
    pub aborted: Notify,
}

/// The dispatcher's end of one connection.
#[derive(Debug, Clone)]
pub struct ConnHandle {
    tx: crossbeam_channel::Sender<Outgoing>,
    shared: Arc<ConnShared>,
}

/// Why a queued item could not be handed over.
#[derive(Debug, PartialEq, Eq)]
pub enum QueueError {
    /// The client is not reading fast enough.
    Full,
    /// The connection's tasks are gone.
    Gone,
}

impl ConnHandle {
    /// A handle and the writer's end of its queue, bounded to `capacity` items.
    pub fn new(
        capacity: usize,
    ) -> (
        ConnHandle,
        crossbeam_channel::Receiver<Outgoing>,
        Arc<ConnShared>,
    ) {
        let (tx, rx) = crossbeam_channel::bounded(capacity);
        let shared = Arc::new(ConnShared::default());
        (
            ConnHandle {
                tx,
                shared: shared.clone(),
            },
            rx,
            shared,
        )
    }

    /// Queues an item without waiting.
    pub fn send(&self, item: Outgoing) -> Result<(), QueueError> {
        match self.tx.try_send(item) {
            Ok(()) => {
                self.shared.wake_writer.notify_one();
                Ok(())
            }
            Err(crossbeam_channel::TrySendError::Full(_)) => Err(QueueError::Full),
            Err(crossbeam_channel::TrySendError::Disconnected(_)) => Err(QueueError::Gone),
        }
    }

    /// Closes the connection at once with `reason`, dropping whatever is still queued.
    pub fn abort(&self, reason: CloseReason) {
        let _ = self.shared.abort.set(reason);
        self.shared.wake_writer.notify_one();
        self.shared.aborted.notify_one();
    }
}
