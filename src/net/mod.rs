//! The network side: a reader and a writer task per WebSocket connection, and the channels
//! that connect them to the world thread.
//!
//! Inbound: every task sends [`Inbound`] values into one bounded crossbeam channel that the
//! world drains at the start of each tick. Texts for a client made out here (refusals,
//! close reasons) travel as keys and arguments: the world thread renders them in the
//! client's language. The few a connection hears without the world (a refusal at connect,
//! the slow-client close) are rendered here, from [`NetTexts`]. Outbound: the world thread sends each tick's frames
//! as one batch to the dispatcher task ([`dispatch`]), which fills each connection's own
//! bounded queue ([`ConnHandle`]); a full queue means a slow client, which is disconnected —
//! nothing waits.

pub mod conn;
pub mod decode;
pub mod dispatch;
pub mod policy;

use std::sync::{Arc, Mutex, OnceLock, RwLock};

use emberkeep_components::net::{ConnId, WorldInput};
use emberkeep_components::persist::StorageReply;
use emberkeep_components::protocol::{CloseReason, ErrorCode};
use emberkeep_components::text::{FALLBACK, Locales, Text, normalize_tag};
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
    /// New content (already validated) for the world; `fingerprint` names the assets folder
    /// it was loaded from ([`crate::replay::fingerprint`]), for the replay log.
    Reload {
        content: Arc<emberkeep_components::content::Content>,
        fingerprint: String,
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
    /// The language tag the connection asked for (in its handshake's `Accept-Language`, or
    /// the `locale` of a message since); empty for none. The world keeps its own copy
    /// (`ClientLocales`); this one is for the texts rendered out here.
    locale: Mutex<String>,
}

impl ConnShared {
    /// Records the language the connection asked for; one that is not a tag counts as none.
    pub fn set_locale(&self, locale: &str) {
        if let Ok(mut l) = self.locale.lock() {
            *l = normalize_tag(locale).unwrap_or_default();
        }
    }

    /// The language tag the connection asked for ([`FALLBACK`] if none).
    pub fn locale(&self) -> String {
        match self.locale.lock() {
            Ok(l) if !l.is_empty() => l.clone(),
            _ => FALLBACK.to_string(),
        }
    }
}

/// The locale files, for the texts the network tasks render themselves: replaced whenever a
/// content reload is accepted, so they always match the world's.
#[derive(Debug, Default)]
pub struct NetTexts(RwLock<Arc<Locales>>);

impl NetTexts {
    pub fn new(locales: Locales) -> Arc<NetTexts> {
        Arc::new(NetTexts(RwLock::new(Arc::new(locales))))
    }

    /// Puts the locales of newly accepted content in place.
    pub fn replace(&self, locales: Locales) {
        if let Ok(mut l) = self.0.write() {
            *l = Arc::new(locales);
        }
    }

    /// The locales now in place.
    pub fn locales(&self) -> Arc<Locales> {
        self.0.read().map(|l| l.clone()).unwrap_or_default()
    }

    /// `text` in language `lang`.
    pub fn render(&self, lang: &str, text: &Text) -> String {
        self.locales().render_text(lang, text)
    }
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

    /// The language tag the connection asked for (see [`ConnShared::locale`]).
    pub fn locale(&self) -> String {
        self.shared.locale()
    }

    /// Closes the connection at once with `reason`, dropping whatever is still queued.
    pub fn abort(&self, reason: CloseReason) {
        let _ = self.shared.abort.set(reason);
        self.shared.wake_writer.notify_one();
        self.shared.aborted.notify_one();
    }
}
