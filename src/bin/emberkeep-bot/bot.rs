//! One bot: a WebSocket client that joins as a guest and plays — walks with pauses, chats now
//! and then, hunts mobs it sees — or, in floor mode, only counts the frames it receives.
//!
//! A bot keeps one step in flight: it sends `move` with a `seq`, and times the step until the
//! server's `move` for its own id (or a refusal) comes back. That is the move→confirmation
//! latency the run reports.

use std::collections::HashMap;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::metrics::{Metrics, add};
use crate::scan;

pub(crate) type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long opening a connection (TCP and WebSocket handshake) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long to wait for `welcome` after `hello`.
const WELCOME_TIMEOUT: Duration = Duration::from_secs(10);
/// A step with no answer after this long is counted as unconfirmed and forgotten.
const CONFIRM_TIMEOUT: Duration = Duration::from_secs(2);
/// How far (Chebyshev tiles) a fighting bot goes after a mob it sees.
const HUNT_RANGE: i32 = 12;
/// A hunt that has not killed its mob after this long is given up.
const HUNT_TIMEOUT: Duration = Duration::from_secs(30);

/// What the bots do once in the world.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Behaviour {
    /// Walk legs of 1–8 steps in a random direction, pausing 0.5–3 s between them.
    Walk,
    /// Hunt the nearest mob in view (walk to it, `attack` when adjacent, and `cast`
    /// `power_strike` at it whenever it is off cooldown); walk when none.
    Fight,
    /// Walk, and say something every 3–8 s.
    Chat,
    /// Walk, hunt mobs in view, and say something every 10–30 s.
    Mixed,
}

impl Behaviour {
    pub fn name(self) -> &'static str {
        match self {
            Behaviour::Walk => "walk",
            Behaviour::Fight => "fight",
            Behaviour::Chat => "chat",
            Behaviour::Mixed => "mixed",
        }
    }

    fn fights(self) -> bool {
        matches!(self, Behaviour::Fight | Behaviour::Mixed)
    }

    /// Range of seconds between two chat lines, if this behaviour chats.
    fn chat_every(self) -> Option<(u64, u64)> {
        match self {
            Behaviour::Chat => Some((3, 8)),
            Behaviour::Mixed => Some((10, 30)),
            Behaviour::Walk | Behaviour::Fight => None,
        }
    }
}

/// Settings every bot shares.
pub struct Settings {
    pub url: String,
    pub behaviour: Behaviour,
    /// Floor mode: no `hello`, only count frames.
    pub floor: bool,
    pub name_prefix: String,
    pub step_interval: Duration,
    pub end_at: Instant,
    pub seed: u64,
    /// Churn mode: accounts that come and go (see `churn.rs`); `None`: guests that stay.
    pub churn: Option<crate::churn::ChurnSettings>,
    /// Handoff mode: accounts that go from process to process (see `handoff.rs`).
    pub handoffs: Option<crate::handoff::HandoffSettings>,
}

/// What every bot task holds.
pub struct Shared {
    pub settings: Settings,
    pub metrics: Metrics,
}

/// Runs bot number `idx` as a guest until the end of the run or until its connection drops.
pub async fn run(idx: usize, shared: std::sync::Arc<Shared>) {
    let (s, m) = (&shared.settings, &shared.metrics);
    let mut ws = match connect(&s.url).await {
        Ok(ws) => ws,
        Err(reason) => return m.connect_failed(&reason),
    };
    if s.floor {
        return count_frames(ws, s, m).await;
    }
    let mut bot = Bot::new(idx, 0, s);
    let hello = format!(r#"{{"type":"hello","version":1,"name":"{}"}}"#, bot.name);
    if let Err(e) = send(&mut ws, m, hello).await {
        return m.dropped(&format!("before welcome: send failed: {e}"));
    }
    match play(&mut ws, &mut bot, s.end_at, m).await {
        Played::Until => {
            close(&mut ws).await;
            if bot.joined {
                m.client_bytes(bot.steady_bytes, &bot.steady_kinds);
            }
        }
        Played::Lost(reason) => {
            let when = if bot.joined { "" } else { "before welcome: " };
            m.dropped(&format!("{when}{reason}"));
        }
    }
}

/// How [`play`] ended.
pub enum Played {
    /// `until` came; the connection is still open (the caller closes or drops it).
    Until,
    /// The connection ended or was given up (closed politely where it still could be).
    Lost(String),
}

/// Plays `bot` on `ws` until `until`: waits for `welcome` (unless the bot is in the world
/// already), then walks, chats and fights by its behaviour. Counts the bot in
/// [`Metrics::connected`] while it is in the world.
pub async fn play(ws: &mut Ws, bot: &mut Bot, until: Instant, m: &Metrics) -> Played {
    if bot.joined {
        add(&m.joined, 1);
        add(&m.connected, 1);
    }
    let welcome_by = Instant::now() + WELCOME_TIMEOUT;
    let sleep = tokio::time::sleep_until(welcome_by.min(until));
    tokio::pin!(sleep);
    let ended = loop {
        let wake = if bot.joined {
            bot.wake().min(until)
        } else {
            welcome_by.min(until)
        };
        if sleep.deadline() != wake {
            sleep.as_mut().reset(wake);
        }
        tokio::select! {
            biased;
            msg = ws.next() => match msg {
                Some(Ok(Message::Text(text))) => {
                    let was_in = bot.joined;
                    bot.on_frame(text.as_str(), m);
                    if bot.joined && !was_in {
                        add(&m.joined, 1);
                        add(&m.connected, 1);
                    }
                    if let Some(code) = bot.refused.take() {
                        close(ws).await;
                        break Played::Lost(format!("hello refused: {code}"));
                    }
                }
                Some(Ok(Message::Close(frame))) => break Played::Lost(close_label(frame.as_ref())),
                Some(Ok(_)) => {}
                Some(Err(e)) => break Played::Lost(format!("read error: {e}")),
                None => break Played::Lost("connection ended without a close frame".into()),
            },
            () = &mut sleep => {
                let now = Instant::now();
                if now >= until {
                    break Played::Until;
                }
                if !bot.joined {
                    close(ws).await;
                    break Played::Lost(format!("no welcome within {} s", WELCOME_TIMEOUT.as_secs()));
                }
                bot.act(now, m);
                let mut failed = None;
                for text in bot.out.drain(..) {
                    if let Err(e) = send(ws, m, text).await {
                        failed = Some(format!("send failed: {e}"));
                        break;
                    }
                }
                if let Some(reason) = failed {
                    break Played::Lost(reason);
                }
            }
        }
    };
    if bot.joined {
        m.connected
            .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
    ended
}

/// Floor mode: stay connected and count what arrives until the end of the run.
async fn count_frames(mut ws: Ws, s: &Settings, m: &Metrics) {
    add(&m.joined, 1);
    add(&m.connected, 1);
    let sleep = tokio::time::sleep_until(s.end_at);
    tokio::pin!(sleep);
    let ended = loop {
        tokio::select! {
            biased;
            msg = ws.next() => match msg {
                Some(Ok(Message::Text(text))) => {
                    add(&m.frames_in, 1);
                    add(&m.events_in, 1);
                    add(&m.bytes_in, text.len() as u64);
                }
                Some(Ok(Message::Close(frame))) => break Some(close_label(frame.as_ref())),
                Some(Ok(_)) => {}
                Some(Err(e)) => break Some(format!("read error: {e}")),
                None => break Some("connection ended without a close frame".into()),
            },
            () = &mut sleep => {
                close(&mut ws).await;
                break None;
            }
        }
    };
    m.connected
        .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    if let Some(reason) = ended {
        m.dropped(&reason);
    }
}

pub(crate) async fn connect(url: &str) -> Result<Ws, String> {
    // Small buffers: thousands of bots share one process.
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0);
    let connecting = tokio_tungstenite::connect_async_with_config(url, Some(config), true);
    match tokio::time::timeout(CONNECT_TIMEOUT, connecting).await {
        Ok(Ok((ws, _))) => Ok(ws),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!(
            "no connection within {} s",
            CONNECT_TIMEOUT.as_secs()
        )),
    }
}

pub(crate) async fn send(ws: &mut Ws, m: &Metrics, text: String) -> Result<(), String> {
    add(&m.msgs_out, 1);
    add(&m.bytes_out, text.len() as u64);
    ws.send(Message::text(text))
        .await
        .map_err(|e| e.to_string())
}

/// Closes the connection politely: a close frame, then wait (briefly) for the server's.
pub(crate) async fn close(ws: &mut Ws) {
    let _ = tokio::time::timeout(Duration::from_secs(3), async {
        let _ = ws.close(None).await;
        while let Some(Ok(_)) = ws.next().await {}
    })
    .await;
}

pub(crate) fn close_label(frame: Option<&CloseFrame>) -> String {
    match frame {
        Some(f) => format!("closed by server: {} {}", u16::from(f.code), f.reason),
        None => "closed by server".into(),
    }
}

/// A small, fast, seedable generator (splitmix64): bots need variety, not quality.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `lo..=hi`.
    pub(crate) fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }

    pub(crate) fn millis(&mut self, lo: u64, hi: u64) -> Duration {
        Duration::from_millis(self.range(lo, hi))
    }
}

/// Hashes entity ids with one multiplication: they are small, unique integers, and every
/// `move` in view looks one up.
#[derive(Default, Clone, Copy)]
struct IdHash;

struct IdHasher(u64);

impl std::hash::BuildHasher for IdHash {
    type Hasher = IdHasher;
    fn build_hasher(&self) -> IdHasher {
        IdHasher(0)
    }
}

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(*b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// A step sent and not yet answered.
#[derive(Debug, Clone, Copy)]
struct Pending {
    to: (i32, i32),
    seq: u64,
    sent: Instant,
}

/// What a bot decided to do on waking.
enum Plan {
    /// Nothing to do here; let walking decide.
    Nothing,
    /// Busy (e.g. swinging at an adjacent mob): send nothing.
    Wait,
    Step((i32, i32)),
    Attack(u64),
    /// Cast [`ABILITY`] at the mob being fought.
    Cast(u64),
}

/// The ability fighting bots cast whenever it is ready and they have the mana for it: the
/// warrior's (guests are warriors), and what it costs (assets/abilities.toml).
const ABILITY: &str = "power_strike";
const ABILITY_MANA: i64 = 8;

/// How long a refused cast (no such message on an older server, no mana, ...) keeps a bot
/// from trying again.
const CAST_RETRY: Duration = Duration::from_secs(5);

const DIRS: [(i32, i32); 4] = [(1, 0), (-1, 0), (0, 1), (0, -1)];

const LINES: [&str; 6] = [
    "hello there",
    "anyone seen the wolves?",
    "selling rat tails, cheap",
    "lfg for the forest",
    "nice weather in Emberfield",
    "brb",
];

/// One bot's view of the game and its plans.
pub struct Bot {
    behaviour: Behaviour,
    step_interval: Duration,
    rng: Rng,
    pub(crate) name: String,
    pub(crate) joined: bool,
    /// Bytes received in the run's steady window (what one player's link carries).
    steady_bytes: u64,
    /// The same bytes by event type (the few types a frame holds, in first-seen order).
    steady_kinds: Vec<(String, u64)>,
    /// Set when `hello` was refused (e.g. `name_taken`).
    refused: Option<String>,
    me: u64,
    pub(crate) pos: (i32, i32),
    map: (i32, i32),
    pub(crate) dead: bool,
    seq: u64,
    pending: Option<Pending>,
    last_step: Instant,
    /// When to think about the next step (or attack).
    step_due: Instant,
    chat_due: Option<Instant>,
    /// Current walking leg: direction and steps left.
    leg: ((i32, i32), u32),
    /// Mobs in view (fighting behaviours only): id → tile.
    mobs: HashMap<u64, (i32, i32), IdHash>,
    target: Option<(u64, Instant)>,
    attacking: Option<u64>,
    /// When [`ABILITY`] is ready again (from the server's `cooldown` events).
    cast_ready: Instant,
    /// The bot's mana, from its own `stat_update`s (like a client greying a slot, it does
    /// not cast without it); `i64::MAX` until the server said.
    mp: i64,
    given_up: Vec<u64>,
    /// Messages to send, filled by [`Bot::act`].
    out: Vec<String>,
}

fn chebyshev(a: (i32, i32), b: (i32, i32)) -> i32 {
    (a.0 - b.0).abs().max((a.1 - b.1).abs())
}

impl Bot {
    /// Bot number `idx` in its `session`-th stay in the world (0 for a guest, which has one).
    pub(crate) fn new(idx: usize, session: u64, s: &Settings) -> Bot {
        let mut rng = Rng(s.seed
            ^ (idx as u64).wrapping_mul(0x2545_f491_4f6c_dd1d)
            ^ session.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        rng.next();
        let now = Instant::now();
        Bot {
            behaviour: s.behaviour,
            step_interval: s.step_interval,
            name: format!("{}{idx}", s.name_prefix),
            joined: false,
            refused: None,
            me: 0,
            pos: (0, 0),
            map: (1, 1),
            dead: false,
            seq: 0,
            pending: None,
            last_step: now,
            step_due: now,
            chat_due: None,
            leg: ((1, 0), 0),
            mobs: HashMap::default(),
            target: None,
            attacking: None,
            cast_ready: now,
            mp: i64::MAX,
            given_up: Vec::new(),
            steady_bytes: 0,
            steady_kinds: Vec::new(),
            out: Vec::new(),
            rng,
        }
    }

    fn wake(&self) -> Instant {
        match self.chat_due {
            Some(c) => c.min(self.step_due),
            None => self.step_due,
        }
    }

    /// Adds an event's bytes to its type's count.
    fn count_kind(&mut self, kind: &str, bytes: u64) {
        match self.steady_kinds.iter_mut().find(|(k, _)| k == kind) {
            Some((_, n)) => *n += bytes,
            None => self.steady_kinds.push((kind.to_string(), bytes)),
        }
    }

    /// Reads one frame and updates what the bot knows.
    pub(crate) fn on_frame(&mut self, text: &str, m: &Metrics) {
        add(&m.frames_in, 1);
        add(&m.bytes_in, text.len() as u64);
        let steady = m.steady.load(std::sync::atomic::Ordering::Relaxed);
        if steady {
            self.steady_bytes += text.len() as u64;
        }
        let mut n = 0;
        for ev in scan::events(text) {
            n += 1;
            if steady {
                self.count_kind(ev.kind, ev.bytes() as u64);
            }
            match ev.kind {
                "move" => {
                    let (Some(id), Some(tile)) = (ev.id(), ev.tile()) else {
                        continue;
                    };
                    if id == self.me {
                        self.pos = tile;
                        if let Some(p) = self.pending
                            && p.to == tile
                        {
                            let now = Instant::now();
                            m.latency(now - p.sent);
                            self.answered(now);
                        }
                    } else if let Some(at) = self.mobs.get_mut(&id) {
                        *at = tile;
                    }
                }
                // (In a crowd: where farther entities stand, for the mobs it hunts.)
                "positions" if self.behaviour.fights() => {
                    let Some((x0, y0)) = ev.tile() else { continue };
                    let at: Vec<i64> = ev.ints("at").collect();
                    let mut id = 0i64;
                    for t in at.chunks_exact(3) {
                        id = id.wrapping_add(t[0]);
                        if let Some(tile) = self.mobs.get_mut(&(id as u64)) {
                            *tile = (x0 + t[1] as i32, y0 + t[2] as i32);
                        }
                    }
                }
                "spawn" if self.behaviour.fights() => {
                    if ev.str("kind") == Some("mob")
                        && let (Some(id), Some(tile)) = (ev.id(), ev.tile())
                    {
                        self.mobs.insert(id, tile);
                    }
                }
                "despawn" | "death" => {
                    let Some(id) = ev.id() else { continue };
                    if id == self.me && ev.kind == "death" {
                        self.dead = true;
                        self.pending = None;
                        self.target = None;
                        self.attacking = None;
                    } else {
                        self.forget(id);
                    }
                }
                "respawn" => {
                    self.dead = false;
                    if let Some(tile) = ev.tile() {
                        self.pos = tile;
                    }
                    self.step_due = Instant::now() + self.rng.millis(200, 1000);
                }
                "error" => self.on_error(ev, m),
                "stat_update" if ev.id() == Some(self.me) => {
                    if let Some(mp) = ev.int("mp") {
                        self.mp = mp;
                    }
                }
                "cooldown" if ev.str("ability") == Some(ABILITY) => {
                    let ticks = ev.int("ticks").unwrap_or(0).max(0) as u64;
                    self.cast_ready = Instant::now() + Duration::from_millis(ticks * 50);
                }
                "correction" => {
                    if let Some(tile) = ev.tile() {
                        self.pos = tile;
                    }
                    if self.pending.is_some() {
                        self.answered(Instant::now());
                    }
                }
                "welcome" => {
                    if let (Some(id), Some(tile)) = (ev.id(), ev.tile()) {
                        self.me = id;
                        self.pos = tile;
                        self.map = (
                            ev.int("width").unwrap_or(1) as i32,
                            ev.int("height").unwrap_or(1) as i32,
                        );
                        self.joined = true;
                        let now = Instant::now();
                        self.step_due = now + self.rng.millis(100, 1000);
                        self.chat_due = self
                            .behaviour
                            .chat_every()
                            .map(|(lo, hi)| now + self.rng.millis(lo * 1000, hi * 1000));
                    }
                }
                _ => {}
            }
        }
        add(&m.events_in, n);
    }

    fn on_error(&mut self, ev: scan::Event<'_>, m: &Metrics) {
        let code = ev.str("code").unwrap_or("?");
        m.error(code);
        if !self.joined {
            self.refused = Some(code.to_string());
            return;
        }
        match code {
            "move_blocked" | "move_not_adjacent" | "move_too_fast" => {
                // A correction follows; turn elsewhere.
                self.leg.1 = 0;
                if let Some(p) = self.pending
                    && ev.int("seq") == Some(p.seq as i64)
                {
                    self.answered(Instant::now());
                }
            }
            "unknown_target" | "not_attackable" => {
                if let Some((t, _)) = self.target {
                    self.given_up.push(t);
                    self.forget(t);
                }
            }
            "out_of_range" => self.attacking = None,
            // A cast refused (or a server that knows no `cast`): try again later.
            "unknown_type" | "bad_field" | "no_mana" | "on_cooldown" | "not_learned"
            | "bad_target" | "stunned" | "busy_casting" => {
                self.cast_ready = Instant::now() + CAST_RETRY;
            }
            "you_are_dead" => self.dead = true,
            _ => {}
        }
    }

    fn forget(&mut self, id: u64) {
        self.mobs.remove(&id);
        if self.target.is_some_and(|(t, _)| t == id) {
            self.target = None;
            self.attacking = None;
        }
    }

    /// The step in flight got its answer: the next one may follow after the step interval.
    fn answered(&mut self, now: Instant) {
        self.pending = None;
        self.step_due = (self.last_step + self.step_interval).max(now);
    }

    /// Decides what to send now (into `out`) and when to wake next.
    fn act(&mut self, now: Instant, m: &Metrics) {
        if let Some(due) = self.chat_due
            && now >= due
        {
            let line = LINES[self.rng.range(0, LINES.len() as u64 - 1) as usize];
            self.out
                .push(format!(r#"{{"type":"say","text":"{line}"}}"#));
            let (lo, hi) = self.behaviour.chat_every().unwrap_or((10, 30));
            self.chat_due = Some(now + self.rng.millis(lo * 1000, hi * 1000));
        }
        if now < self.step_due {
            return;
        }
        if let Some(p) = self.pending {
            if now < p.sent + CONFIRM_TIMEOUT {
                self.step_due = p.sent + CONFIRM_TIMEOUT;
                return;
            }
            add(&m.unconfirmed, 1);
            self.pending = None;
        }
        if self.dead {
            self.step_due = now + Duration::from_secs(1);
            return;
        }
        let plan = match self.hunt(now) {
            Plan::Nothing => self.walk(now),
            plan => plan,
        };
        match plan {
            Plan::Nothing => {}
            Plan::Wait => self.step_due = now + Duration::from_millis(250),
            Plan::Attack(t) => {
                self.attacking = Some(t);
                self.out
                    .push(format!(r#"{{"type":"attack","target":{t}}}"#));
                self.step_due = now + Duration::from_millis(500);
            }
            Plan::Cast(t) => {
                add(&m.casts, 1);
                self.out.push(format!(
                    r#"{{"type":"cast","ability":"{ABILITY}","target":{t}}}"#
                ));
                // (Until the `cooldown` event says when it is ready again.)
                self.cast_ready = now + Duration::from_secs(1);
                self.step_due = now + Duration::from_millis(250);
            }
            Plan::Step(to) => {
                self.seq += 1;
                self.pending = Some(Pending {
                    to,
                    seq: self.seq,
                    sent: now,
                });
                self.last_step = now;
                self.step_due = now + self.step_interval;
                self.out.push(format!(
                    r#"{{"type":"move","x":{},"y":{},"seq":{}}}"#,
                    to.0, to.1, self.seq
                ));
            }
        }
    }

    /// Fighting behaviours: go for the nearest mob in view and attack it when adjacent.
    fn hunt(&mut self, now: Instant) -> Plan {
        if !self.behaviour.fights() {
            return Plan::Nothing;
        }
        if let Some((t, since)) = self.target
            && now > since + HUNT_TIMEOUT
        {
            self.given_up.push(t);
            self.forget(t);
        }
        if self.target.is_none() {
            let here = self.pos;
            self.target = self
                .mobs
                .iter()
                .filter(|(id, at)| {
                    chebyshev(here, **at) <= HUNT_RANGE && !self.given_up.contains(id)
                })
                .min_by_key(|(id, at)| (chebyshev(here, **at), **id))
                .map(|(id, _)| (*id, now));
        }
        let Some((t, _)) = self.target else {
            return Plan::Nothing;
        };
        let Some(&at) = self.mobs.get(&t) else {
            self.target = None;
            return Plan::Nothing;
        };
        if chebyshev(self.pos, at) <= 1 {
            let can_cast = now >= self.cast_ready && self.mp >= ABILITY_MANA;
            return if self.attacking == Some(t) && can_cast {
                Plan::Cast(t)
            } else if self.attacking == Some(t) {
                Plan::Wait
            } else {
                Plan::Attack(t)
            };
        }
        let (dx, dy) = (at.0 - self.pos.0, at.1 - self.pos.1);
        let to = if dx.abs() >= dy.abs() {
            (self.pos.0 + dx.signum(), self.pos.1)
        } else {
            (self.pos.0, self.pos.1 + dy.signum())
        };
        Plan::Step(to)
    }

    /// Walk legs in random directions with pauses between them, staying on the map.
    fn walk(&mut self, now: Instant) -> Plan {
        if self.leg.1 == 0 {
            let dir = DIRS[self.rng.range(0, 3) as usize];
            self.leg = (dir, self.rng.range(1, 8) as u32);
            self.step_due = now + self.rng.millis(500, 3000);
            return Plan::Nothing;
        }
        for _ in 0..4 {
            let (dx, dy) = self.leg.0;
            let to = (self.pos.0 + dx, self.pos.1 + dy);
            if to.0 >= 0 && to.1 >= 0 && to.0 < self.map.0 && to.1 < self.map.1 {
                self.leg.1 -= 1;
                return Plan::Step(to);
            }
            self.leg.0 = DIRS[self.rng.range(0, 3) as usize];
        }
        self.leg.1 = 0;
        self.step_due = now + Duration::from_millis(500);
        Plan::Nothing
    }
}

/// The next text frame, by `by`.
pub async fn next_text(ws: &mut Ws, m: &Metrics, by: Instant) -> Result<String, String> {
    loop {
        let msg = match tokio::time::timeout_at(by, ws.next()).await {
            Ok(msg) => msg,
            Err(_) => return Err("timed out".into()),
        };
        match msg {
            Some(Ok(Message::Text(text))) => {
                add(&m.frames_in, 1);
                add(&m.bytes_in, text.len() as u64);
                return Ok(text.as_str().to_owned());
            }
            Some(Ok(Message::Close(frame))) => return Err(close_label(frame.as_ref())),
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(format!("read error: {e}")),
            None => return Err("connection ended without a close frame".into()),
        }
    }
}
