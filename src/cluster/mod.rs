//! The cluster task (issue 20): this process's link to the others over NATS.
//!
//! Every process publishes on one subject, `<prefix>.all` (heartbeats, presence, rosters,
//! chat lines, guild changes, goodbyes), and answers requests on its own,
//! `<prefix>.to.<name>` (whispers). A message is a JSON [`Envelope`]: the sender's name and
//! one [`Wire`] message. What is malformed, of another version, or claims to come from this
//! process is dropped and counted (`emberkeep_cluster_messages_dropped`), never trusted: no
//! message moves anything of value — handoffs go through the shared database, with a
//! single-use token ([`crate::storage`]).
//!
//! The world hears the cluster as [`ClusterNews`] inputs and speaks through
//! [`ClusterSend`]s the runner forwards here. The task keeps the live processes (a process
//! whose heartbeats stop for `cluster.peer_timeout_secs` is gone, its players offline) and
//! this world's own roster (to answer whispers). NATS going away is survived: the world
//! hears `Link { connected: false }`, cross-process features answer `cluster_unavailable`,
//! and the client reconnects by itself; on reconnecting, rosters are exchanged again.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use emberkeep_components::cluster::{ClusterNews, ClusterSend, Peer, RosterEntry, Shared};
use emberkeep_components::net::WorldInput;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, watch};
use tracing::{debug, info, warn};

use crate::net::Inbound;
use crate::stats::Stats;

/// Version of the wire format; messages of another are dropped.
pub const WIRE_VERSION: u32 = 1;

/// How this process joins the cluster.
#[derive(Debug, Clone)]
pub struct ClusterSettings {
    /// `nats://host:port`.
    pub url: String,
    /// First part of every subject.
    pub prefix: String,
    /// This process's name.
    pub name: String,
    /// Where clients reach this process.
    pub ws_url: String,
    /// The maps it hosts (every map, spelled out, when it hosts all).
    pub maps: Vec<String>,
    pub capacity: u32,
    pub heartbeat: Duration,
    pub peer_timeout: Duration,
}

/// What this process says about the cluster (for `/cluster.json`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct ClusterStatus {
    pub name: String,
    pub connected: bool,
    pub draining: bool,
    /// This process and every live other one, by name.
    pub processes: Vec<Peer>,
    /// Each map and the live processes hosting it.
    pub maps: BTreeMap<String, Vec<String>>,
}

/// The running task's handles.
pub struct ClusterHandle {
    /// What the world sends (the runner forwards [`ClusterSend`]s here).
    pub sends: mpsc::UnboundedSender<ClusterSend>,
    /// Its view of the cluster.
    pub status: watch::Receiver<ClusterStatus>,
    /// Set to make this process drain (stop taking players, hand its players over).
    pub draining: Arc<AtomicBool>,
    pub task: tokio::task::JoinHandle<()>,
    stop: mpsc::Sender<()>,
}

impl ClusterHandle {
    /// Says goodbye to the cluster and stops the task.
    pub async fn stop(self) {
        let _ = self.stop.send(()).await;
        let _ = tokio::time::timeout(Duration::from_secs(2), self.task).await;
    }
}

/// One message on the cluster's subjects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// Wire version ([`WIRE_VERSION`]).
    pub v: u32,
    /// The sending process.
    pub from: String,
    pub msg: Wire,
}

/// The messages processes exchange.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Wire {
    Heartbeat {
        ws_url: String,
        maps: Vec<String>,
        players: u32,
        capacity: u32,
        draining: bool,
    },
    /// The sender stops (drained or shut down): its players are offline now.
    Goodbye,
    Presence {
        name: String,
        online: bool,
        guild: Option<String>,
    },
    Roster {
        players: Vec<RosterEntry>,
    },
    /// Every process is asked to send its roster (a process that just joined).
    RosterPlease,
    /// A line or change every process applies alike.
    Shared(Shared),
    /// A request on `<prefix>.to.<name>`: answered with a [`WhisperReply`].
    Whisper {
        from: String,
        to: String,
        text: String,
    },
}

/// The answer to a whisper request: the recipient's name as it spells it, if it is here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WhisperReply {
    pub delivered: Option<String>,
}

/// Longest message taken from NATS, in bytes (a roster of 10,000 players fits easily).
const MAX_MESSAGE: usize = 1 << 20;

/// Parses a message from another process; `None` (counted by the caller) when it is
/// malformed, of another wire version, from this process itself, or names a sender that
/// is not a process name.
pub fn parse(payload: &[u8], me: &str) -> Option<Envelope> {
    if payload.len() > MAX_MESSAGE {
        return None;
    }
    let env: Envelope = serde_json::from_slice(payload).ok()?;
    let name_ok = !env.from.is_empty()
        && env.from.len() <= 32
        && (env.from.bytes()).all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    (env.v == WIRE_VERSION && name_ok && env.from != me).then_some(env)
}

/// Starts the cluster task. It connects in the background (a NATS server that is down at
/// start is retried for as long as the process runs).
pub async fn start(
    settings: ClusterSettings,
    inbound: crossbeam_channel::Sender<Inbound>,
    stats: Arc<Stats>,
) -> anyhow::Result<ClusterHandle> {
    let (link_tx, link_rx) = mpsc::unbounded_channel();
    let link = link_tx.clone();
    let client = async_nats::ConnectOptions::new()
        .name(format!("emberkeep {}", settings.name))
        .no_echo()
        .retry_on_initial_connect()
        .max_reconnects(None)
        .reconnect_delay_callback(|attempts| {
            Duration::from_millis((100 * attempts as u64).clamp(100, 2000))
        })
        .request_timeout(Some(Duration::from_secs(2)))
        .event_callback(move |event| {
            let link = link.clone();
            async move {
                let up = match event {
                    async_nats::Event::Connected => Some(true),
                    async_nats::Event::Disconnected | async_nats::Event::Closed => Some(false),
                    other => {
                        debug!(event = %other, "NATS event");
                        None
                    }
                };
                if let Some(up) = up {
                    let _ = link.send(up);
                }
            }
        })
        .connect(settings.url.as_str())
        .await
        .map_err(|e| anyhow::anyhow!("server.nats {}: {e}", settings.url))?;
    let all = format!("{}.all", settings.prefix);
    let mine = format!("{}.to.{}", settings.prefix, settings.name);
    let shared = client
        .subscribe(all.clone())
        .await
        .map_err(|e| anyhow::anyhow!("cannot subscribe to {all}: {e}"))?;
    let direct = client
        .subscribe(mine.clone())
        .await
        .map_err(|e| anyhow::anyhow!("cannot subscribe to {mine}: {e}"))?;
    let (sends_tx, sends_rx) = mpsc::unbounded_channel();
    let (status_tx, status_rx) = watch::channel(ClusterStatus {
        name: settings.name.clone(),
        ..ClusterStatus::default()
    });
    let (stop_tx, stop_rx) = mpsc::channel(1);
    let draining = Arc::new(AtomicBool::new(false));
    let node = Node {
        settings,
        client,
        inbound,
        stats,
        all,
        peers: BTreeMap::new(),
        here: BTreeMap::new(),
        connected: false,
        draining: draining.clone(),
        drain_told: false,
        beats: 0,
        status: status_tx,
    };
    let task = tokio::spawn(node.run(shared, direct, sends_rx, link_rx, stop_rx));
    Ok(ClusterHandle {
        sends: sends_tx,
        status: status_rx,
        draining,
        task,
        stop: stop_tx,
    })
}

/// The task's state.
struct Node {
    settings: ClusterSettings,
    client: async_nats::Client,
    inbound: crossbeam_channel::Sender<Inbound>,
    stats: Arc<Stats>,
    /// The shared subject.
    all: String,
    /// Live other processes and when each was last heard.
    peers: BTreeMap<String, (Peer, Instant)>,
    /// This world's players (lower-case name → as spelled), for whispers.
    here: BTreeMap<String, String>,
    connected: bool,
    draining: Arc<AtomicBool>,
    /// The world was told to drain.
    drain_told: bool,
    /// Heartbeats sent.
    beats: u64,
    status: watch::Sender<ClusterStatus>,
}

impl Node {
    async fn run(
        mut self,
        mut shared: async_nats::Subscriber,
        mut direct: async_nats::Subscriber,
        mut sends: mpsc::UnboundedReceiver<ClusterSend>,
        mut link: mpsc::UnboundedReceiver<bool>,
        mut stop: mpsc::Receiver<()>,
    ) {
        let mut beat = tokio::time::interval(self.settings.heartbeat);
        beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                Some(up) = link.recv() => self.link(up).await,
                Some(msg) = shared.next() => self.take(&msg.payload, None).await,
                Some(msg) = direct.next() => self.take(&msg.payload, msg.reply.clone()).await,
                Some(send) = sends.recv() => self.send(send).await,
                _ = beat.tick() => self.beat().await,
                _ = stop.recv() => break,
                else => break,
            }
        }
        self.publish(Wire::Goodbye).await;
        let _ = self.client.flush().await;
        info!(name = %self.settings.name, "left the cluster");
    }

    /// The NATS link came up or went down.
    async fn link(&mut self, up: bool) {
        if up == self.connected {
            return;
        }
        self.connected = up;
        Stats::set(&self.stats.cluster_connected, u64::from(up));
        if up {
            info!(url = %self.settings.url, name = %self.settings.name, "joined the cluster (NATS connected)");
            // Whatever was missed while away: ask everyone for their players, and tell
            // them ours (the world sends its roster on `Link { connected: true }`).
            self.publish(Wire::RosterPlease).await;
            self.beat().await;
        } else {
            warn!(url = %self.settings.url, "lost the cluster's NATS server; serving this process's players, reconnecting");
        }
        self.tell(ClusterNews::Link { connected: up });
        self.publish_status();
    }

    /// Hands news to the world.
    fn tell(&self, news: ClusterNews) {
        let _ = (self.inbound).try_send(Inbound::World(WorldInput::Cluster(news)));
    }

    async fn publish(&self, msg: Wire) {
        self.publish_to(self.all.clone(), msg).await;
    }

    async fn publish_to(&self, subject: String, msg: Wire) {
        let env = Envelope {
            v: WIRE_VERSION,
            from: self.settings.name.clone(),
            msg,
        };
        let Ok(bytes) = serde_json::to_vec(&env) else {
            return;
        };
        let n = bytes.len() as u64;
        if self.client.publish(subject, bytes.into()).await.is_ok() {
            Stats::add(&self.stats.cluster_msgs_out, 1);
            Stats::add(&self.stats.cluster_bytes_out, n);
        }
    }

    /// The heartbeat, and the check for processes that went quiet.
    async fn beat(&mut self) {
        self.beats = self.beats.wrapping_add(1);
        // News can be lost on a full inbound queue: the link's state is told again now and
        // then (the world acts on changes only).
        if self.beats.is_multiple_of(5) {
            self.tell(ClusterNews::Link {
                connected: self.connected,
            });
        }
        let draining = self.draining.load(Ordering::Relaxed);
        if draining && !self.drain_told {
            self.drain_told = true;
            self.tell(ClusterNews::Drain);
        }
        let players = self.here.len() as u32;
        self.publish(Wire::Heartbeat {
            ws_url: self.settings.ws_url.clone(),
            maps: self.settings.maps.clone(),
            players,
            capacity: self.settings.capacity,
            draining,
        })
        .await;
        let timeout = self.settings.peer_timeout;
        let gone: Vec<String> = (self.peers.iter())
            .filter(|(_, (_, seen))| seen.elapsed() > timeout)
            .map(|(name, _)| name.clone())
            .collect();
        for name in gone {
            self.gone(&name);
        }
        self.publish_status();
    }

    fn gone(&mut self, name: &str) {
        if self.peers.remove(name).is_some() {
            warn!(process = %name, "a process of the cluster is gone; its players are offline");
            self.tell(ClusterNews::PeerGone {
                name: name.to_string(),
            });
        }
    }

    /// What the world sends.
    async fn send(&mut self, send: ClusterSend) {
        match send {
            ClusterSend::Whisper {
                conn,
                process,
                from,
                to,
                text,
            } => {
                // The answer may take a while (or never come): it is awaited beside the task.
                let subject = format!("{}.to.{process}", self.settings.prefix);
                let env = Envelope {
                    v: WIRE_VERSION,
                    from: self.settings.name.clone(),
                    msg: Wire::Whisper {
                        from,
                        to: to.clone(),
                        text: text.clone(),
                    },
                };
                let Ok(bytes) = serde_json::to_vec(&env) else {
                    return;
                };
                Stats::add(&self.stats.cluster_msgs_out, 1);
                Stats::add(&self.stats.cluster_bytes_out, bytes.len() as u64);
                let (client, inbound) = (self.client.clone(), self.inbound.clone());
                tokio::spawn(async move {
                    let delivered = match client.request(subject, bytes.into()).await {
                        Ok(reply) => serde_json::from_slice::<WhisperReply>(&reply.payload)
                            .ok()
                            .and_then(|r| r.delivered),
                        Err(_) => None,
                    };
                    let news = ClusterNews::WhisperAnswer {
                        conn,
                        to,
                        delivered,
                        text,
                    };
                    let _ = inbound.try_send(Inbound::World(WorldInput::Cluster(news)));
                });
            }
            ClusterSend::Presence {
                name,
                online,
                guild,
            } => {
                if online {
                    self.here.insert(name.to_lowercase(), name.clone());
                } else {
                    self.here.remove(&name.to_lowercase());
                }
                self.publish(Wire::Presence {
                    name,
                    online,
                    guild,
                })
                .await;
            }
            ClusterSend::Roster { players } => {
                self.here = (players.iter())
                    .map(|p| (p.name.to_lowercase(), p.name.clone()))
                    .collect();
                self.publish(Wire::Roster { players }).await;
            }
            ClusterSend::Shared(shared) => self.publish(Wire::Shared(shared)).await,
        }
    }

    /// A message from another process.
    async fn take(&mut self, payload: &[u8], reply: Option<async_nats::Subject>) {
        Stats::add(&self.stats.cluster_msgs_in, 1);
        Stats::add(&self.stats.cluster_bytes_in, payload.len() as u64);
        let Some(env) = parse(payload, &self.settings.name) else {
            Stats::add(&self.stats.cluster_dropped, 1);
            debug!(
                bytes = payload.len(),
                "dropped a malformed or foreign cluster message"
            );
            return;
        };
        let from = env.from;
        // Anything from a process counts as a sign of life, but only a heartbeat says what
        // it hosts: until one comes, it is not a peer.
        if let Some((_, seen)) = self.peers.get_mut(&from) {
            *seen = Instant::now();
        }
        let news = match env.msg {
            Wire::Heartbeat {
                ws_url,
                maps,
                players,
                capacity,
                draining,
            } => {
                let peer = Peer {
                    name: from.clone(),
                    ws_url,
                    maps,
                    players,
                    capacity,
                    draining,
                };
                let changed = self.peers.get(&from).is_none_or(|(p, _)| *p != peer);
                let new = !self.peers.contains_key(&from);
                self.peers
                    .insert(from.clone(), (peer.clone(), Instant::now()));
                if new {
                    info!(process = %from, maps = ?peer.maps, "a process joined the cluster");
                }
                self.publish_status();
                if !changed {
                    return;
                }
                ClusterNews::Peer(peer)
            }
            Wire::Goodbye => {
                self.gone(&from);
                self.publish_status();
                return;
            }
            Wire::RosterPlease => ClusterNews::RosterWanted,
            Wire::Presence {
                name,
                online,
                guild,
            } => ClusterNews::Presence {
                process: from,
                name,
                online,
                guild,
            },
            Wire::Roster { players } => ClusterNews::Roster {
                process: from,
                players,
            },
            Wire::Shared(shared) => ClusterNews::Shared(shared),
            Wire::Whisper { from, to, text } => {
                let delivered = self.here.get(&to.trim().to_lowercase()).cloned();
                if let Some(reply) = reply {
                    let answer = WhisperReply {
                        delivered: delivered.clone(),
                    };
                    if let Ok(bytes) = serde_json::to_vec(&answer) {
                        Stats::add(&self.stats.cluster_msgs_out, 1);
                        Stats::add(&self.stats.cluster_bytes_out, bytes.len() as u64);
                        let _ = self.client.publish(reply, bytes.into()).await;
                    }
                }
                match delivered {
                    Some(to) => ClusterNews::Whisper { from, to, text },
                    None => return,
                }
            }
        };
        self.tell(news);
    }

    /// Refreshes what `/cluster.json` shows.
    fn publish_status(&self) {
        Stats::set(&self.stats.cluster_peers, self.peers.len() as u64);
        let me = Peer {
            name: self.settings.name.clone(),
            ws_url: self.settings.ws_url.clone(),
            maps: self.settings.maps.clone(),
            players: self.here.len() as u32,
            capacity: self.settings.capacity,
            draining: self.draining.load(Ordering::Relaxed),
        };
        let mut processes = vec![me];
        processes.extend(self.peers.values().map(|(p, _)| p.clone()));
        let mut maps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for p in &processes {
            for m in &p.maps {
                maps.entry(m.clone()).or_default().insert(p.name.clone());
            }
        }
        let status = ClusterStatus {
            name: self.settings.name.clone(),
            connected: self.connected,
            draining: self.draining.load(Ordering::Relaxed),
            processes,
            maps: (maps.into_iter())
                .map(|(m, names)| (m, names.into_iter().collect()))
                .collect(),
        };
        self.status.send_replace(status);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_that_are_malformed_foreign_or_our_own_are_dropped() {
        let good = Envelope {
            v: WIRE_VERSION,
            from: "b".into(),
            msg: Wire::Shared(Shared::Broadcast { text: "hi".into() }),
        };
        let bytes = serde_json::to_vec(&good).unwrap();
        assert_eq!(parse(&bytes, "a"), Some(good.clone()));
        assert_eq!(parse(&bytes, "b"), None, "our own name");
        assert_eq!(parse(b"{not json", "a"), None);
        assert_eq!(
            parse(br#"{"v":1,"from":"b","msg":{"kind":"steal"}}"#, "a"),
            None
        );
        let old = serde_json::to_vec(&Envelope {
            v: 0,
            ..good.clone()
        })
        .unwrap();
        assert_eq!(parse(&old, "a"), None, "another wire version");
        let spoof = Envelope {
            from: "b.to.a".into(),
            ..good
        };
        assert_eq!(parse(&serde_json::to_vec(&spoof).unwrap(), "a"), None);
        assert_eq!(parse(&vec![b' '; MAX_MESSAGE + 1], "a"), None);
    }
}
