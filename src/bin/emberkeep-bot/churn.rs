//! Churn mode (`--churn`): each bot is a player with an account who comes and goes. It
//! registers once (or logs in, when a soak before it left the account in the database),
//! creates its character or picks it, plays for a while, leaves — politely, by logging out, or
//! by dropping its TCP connection — stays away for a while and logs in again, mostly by
//! resuming its session token, sometimes by password. On each return it checks that it got
//! its own character back, standing where it left it.
//!
//! The account's username and its character's name are the bot's name (prefix and number);
//! the password is derived from it, so a second soak on the same database logs in.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use tokio::time::Instant;
use tokio_tungstenite::MaybeTlsStream;

use crate::bot::{self, Bot, Played, Rng, Settings, Shared, Ws};
use crate::metrics::{LatencySummary, Metrics, add, bump, summarize};

/// How long logging in and entering the world may take: a `register` or password `login`
/// waits for an argon2 hash, and those queue when many bots log in at once.
const ENTER_TIMEOUT: Duration = Duration::from_secs(60);
/// How long to wait for `logged_out` after `logout`.
const LOGOUT_TIMEOUT: Duration = Duration::from_secs(5);
/// A character that comes back within this many tiles (Chebyshev) of where its player last
/// saw it is "in place": a step still in flight when the player left may have landed.
const IN_PLACE_TILES: i32 = 1;

/// What churn mode does, from the command line.
#[derive(Debug, Clone)]
pub struct ChurnSettings {
    /// Seconds in the world per session, from .. to.
    pub session_secs: (f64, f64),
    /// Seconds away between sessions, from .. to.
    pub away_secs: (f64, f64),
    /// Share of leaves that drop the TCP connection without a WebSocket close.
    pub drop_share: f64,
    /// Share of leaves that send `logout` first (which revokes the token).
    pub logout_share: f64,
    /// Share of returns that log in by password although the bot holds a token.
    pub password_share: f64,
}

/// Counters of the churn, shared by every bot.
#[derive(Default)]
pub struct ChurnCounters {
    sessions: AtomicU64,
    registered: AtomicU64,
    logins_resume: AtomicU64,
    logins_password: AtomicU64,
    resumed_lingering: AtomicU64,
    entered_by_play: AtomicU64,
    characters_created: AtomicU64,
    left_close: AtomicU64,
    left_drop: AtomicU64,
    left_logout: AtomicU64,
    returned_in_place: AtomicU64,
    returned_elsewhere: AtomicU64,
    returned_after_death: AtomicU64,
    refusals: Mutex<BTreeMap<String, u64>>,
    failures: Mutex<BTreeMap<String, u64>>,
    /// Connect to `welcome`, in µs, one sample per session.
    enter_us: Mutex<Vec<u32>>,
}

impl ChurnCounters {
    fn fail(&self, reason: &str) {
        bump(&self.failures, reason);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn get(c: &AtomicU64) -> u64 {
    c.load(std::sync::atomic::Ordering::Relaxed)
}

/// The churn's part of the report.
#[derive(Debug, Serialize)]
pub struct ChurnSummary {
    /// Stays in the world (entries: first ones and returns).
    pub sessions: u64,
    pub registered: u64,
    /// Logins by kind: `resume` (session token) and `password` (`login`).
    pub logins: BTreeMap<&'static str, u64>,
    /// Entries that found the character still lingering (resumed in place at login), and
    /// entries by `play` (the character had been saved and had left).
    pub resumed_lingering: u64,
    pub entered_by_play: u64,
    pub characters_created: u64,
    /// Leaves by kind: `close` (WebSocket close), `drop` (TCP reset), `logout`.
    pub left: BTreeMap<&'static str, u64>,
    /// Returns that found the character where its player left it (within one tile), not
    /// there (it died or was moved meanwhile), or after its player had left it dead.
    pub returned_in_place: u64,
    pub returned_elsewhere: u64,
    pub returned_after_death: u64,
    /// Server refusals while logging in, by error code (some are retried: `busy`,
    /// `storage_unavailable`, `token_invalid`, `username_taken`...).
    pub refusals: BTreeMap<String, u64>,
    /// What went wrong, by reason: a bot that could not get back in, or came back as another
    /// character. A healthy soak has none.
    pub failures: BTreeMap<String, u64>,
    pub failures_total: u64,
    /// From opening the connection to `welcome`.
    pub enter_latency: LatencySummary,
}

/// The churn summary of a run.
pub fn summary(c: &ChurnCounters) -> ChurnSummary {
    let failures = std::mem::take(&mut *lock(&c.failures));
    ChurnSummary {
        sessions: get(&c.sessions),
        registered: get(&c.registered),
        logins: BTreeMap::from([
            ("resume", get(&c.logins_resume)),
            ("password", get(&c.logins_password)),
        ]),
        resumed_lingering: get(&c.resumed_lingering),
        entered_by_play: get(&c.entered_by_play),
        characters_created: get(&c.characters_created),
        left: BTreeMap::from([
            ("close", get(&c.left_close)),
            ("drop", get(&c.left_drop)),
            ("logout", get(&c.left_logout)),
        ]),
        returned_in_place: get(&c.returned_in_place),
        returned_elsewhere: get(&c.returned_elsewhere),
        returned_after_death: get(&c.returned_after_death),
        refusals: std::mem::take(&mut *lock(&c.refusals)),
        failures_total: failures.values().sum(),
        failures,
        enter_latency: summarize(std::mem::take(&mut *lock(&c.enter_us))),
    }
}

/// Where a character was when its player left it.
#[derive(Debug, Clone, Copy)]
struct Left {
    pos: (i32, i32),
    dead: bool,
}

/// One bot's account across its sessions.
struct Player {
    idx: usize,
    name: String,
    password: String,
    token: Option<String>,
    /// The account exists (registered, or found taken by an earlier soak).
    known: bool,
    sessions: u64,
    left: Option<Left>,
    rng: Rng,
}

/// Why a session ended early.
enum Stop {
    /// The run's end came.
    End,
    /// Something went wrong; `fatal` ends this bot (retrying cannot help).
    Failed { reason: String, fatal: bool },
}

fn failed(reason: impl Into<String>) -> Stop {
    Stop::Failed {
        reason: reason.into(),
        fatal: false,
    }
}

/// Runs bot number `idx` in churn mode until the end of the run.
pub async fn run(idx: usize, shared: Arc<Shared>) {
    let (s, m) = (&shared.settings, &shared.metrics);
    let Some(c) = s.churn.as_ref() else { return };
    let name = format!("{}{idx}", s.name_prefix);
    let mut p = Player {
        idx,
        password: format!("{name}-soak-password"),
        name,
        token: None,
        known: false,
        sessions: 0,
        left: None,
        rng: Rng(s.seed ^ (idx as u64).wrapping_mul(0xd1b5_4a32_d192_ed03)),
    };
    while Instant::now() < s.end_at {
        match session(&mut p, s, c, m).await {
            Ok(()) | Err(Stop::End) => {}
            Err(Stop::Failed { reason, fatal }) => {
                m.churn.fail(&reason);
                if fatal {
                    return;
                }
            }
        }
        let away = secs(&mut p.rng, c.away_secs);
        tokio::time::sleep_until((Instant::now() + away).min(s.end_at)).await;
    }
}

/// A random duration in `lo..=hi` seconds.
fn secs(rng: &mut Rng, (lo, hi): (f64, f64)) -> Duration {
    let ms = rng.range((lo * 1000.0) as u64, (hi * 1000.0) as u64);
    Duration::from_millis(ms)
}

/// A random number in `0.0..1.0`.
fn unit(rng: &mut Rng) -> f64 {
    (rng.next() >> 11) as f64 / (1u64 << 53) as f64
}

/// True with probability `share`.
fn chance(rng: &mut Rng, share: f64) -> bool {
    unit(rng) < share
}

/// One stay: connect, log in, enter, play, leave.
async fn session(p: &mut Player, s: &Settings, c: &ChurnSettings, m: &Metrics) -> Result<(), Stop> {
    let started = Instant::now();
    let mut ws = match bot::connect(&s.url).await {
        Ok(ws) => ws,
        Err(reason) => {
            m.connect_failed(&reason);
            return Ok(());
        }
    };
    let frame = match enter(&mut ws, p, c, m, started + ENTER_TIMEOUT, s.end_at).await {
        Ok(frame) => frame,
        Err(stop) => {
            bot::close(&mut ws).await;
            return Err(stop);
        }
    };
    let took = started.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
    lock(&m.churn.enter_us).push(took);
    add(&m.churn.sessions, 1);
    let mut b = Bot::new(p.idx, p.sessions, s);
    p.sessions += 1;
    b.on_frame(&frame, m);
    if b.name != p.name {
        bot::close(&mut ws).await;
        return Err(failed("entered as another character"));
    }
    if let Some(left) = p.left.take() {
        let counter = if left.dead {
            &m.churn.returned_after_death
        } else if chebyshev(left.pos, b.pos) <= IN_PLACE_TILES {
            &m.churn.returned_in_place
        } else {
            &m.churn.returned_elsewhere
        };
        add(counter, 1);
    }
    let until = (Instant::now() + secs(&mut p.rng, c.session_secs)).min(s.end_at);
    let played = bot::play(&mut ws, &mut b, until, m).await;
    p.left = Some(Left {
        pos: b.pos,
        dead: b.dead,
    });
    if let Played::Lost(reason) = played {
        m.dropped(&reason);
        return Ok(());
    }
    if Instant::now() >= s.end_at {
        bot::close(&mut ws).await;
        return Ok(());
    }
    leave(ws, p, c, m).await
}

fn chebyshev(a: (i32, i32), b: (i32, i32)) -> i32 {
    (a.0 - b.0).abs().max((a.1 - b.1).abs())
}

/// Leaves the world one of the three ways, by the shares.
async fn leave(mut ws: Ws, p: &mut Player, c: &ChurnSettings, m: &Metrics) -> Result<(), Stop> {
    let roll = unit(&mut p.rng);
    if roll < c.drop_share {
        add(&m.churn.left_drop, 1);
        // A reset, not a FIN: like a player whose network went away.
        if let MaybeTlsStream::Plain(tcp) = ws.get_ref() {
            let _ = tcp.set_zero_linger();
        }
        drop(ws);
        return Ok(());
    }
    if roll >= c.drop_share + c.logout_share {
        add(&m.churn.left_close, 1);
        bot::close(&mut ws).await;
        return Ok(());
    }
    add(&m.churn.left_logout, 1);
    // The token is revoked: the next login is by password.
    p.token = None;
    let sent = bot::send(&mut ws, m, r#"{"type":"logout"}"#.to_string()).await;
    let by = Instant::now() + LOGOUT_TIMEOUT;
    let answered = match sent {
        Ok(()) => wait_for(&mut ws, m, by, "logged_out").await,
        Err(e) => Err(format!("logout: send failed: {e}")),
    };
    bot::close(&mut ws).await;
    answered.map_err(failed)
}

/// Reads frames until one holds an event of type `kind`.
async fn wait_for(ws: &mut Ws, m: &Metrics, by: Instant, kind: &str) -> Result<(), String> {
    loop {
        let text = bot::next_text(ws, m, by)
            .await
            .map_err(|e| format!("waiting for {kind}: {e}"))?;
        if crate::scan::events(&text).any(|ev| ev.kind == kind) {
            return Ok(());
        }
    }
}

/// How the bot asked to be logged in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ask {
    Register,
    Login,
    Resume,
}

/// Logs in (resume, password or register, by what the bot has and the shares) and enters the
/// world with the bot's character; returns the frame that holds `welcome`.
async fn enter(
    ws: &mut Ws,
    p: &mut Player,
    c: &ChurnSettings,
    m: &Metrics,
    by: Instant,
    end_at: Instant,
) -> Result<String, Stop> {
    let mut ask = match &p.token {
        Some(_) if !chance(&mut p.rng, c.password_share) => Ask::Resume,
        _ if p.known => Ask::Login,
        _ => Ask::Register,
    };
    send(ws, m, r#"{"type":"hello","version":1}"#.to_string()).await?;
    loop {
        let text = match bot::next_text(ws, m, by.min(end_at)).await {
            Ok(text) => text,
            Err(_) if Instant::now() >= end_at => return Err(Stop::End),
            Err(e) => return Err(failed(format!("logging in ({ask:?}): {e}"))),
        };
        let events: Vec<Value> = serde_json::from_str(&text)
            .map_err(|e| failed(format!("logging in: a frame is not a JSON array: {e}")))?;
        let mut characters: Option<&Vec<Value>> = None;
        let mut next: Option<String> = None;
        for ev in &events {
            match ev["type"].as_str().unwrap_or("") {
                "server_info" => next = Some(request(ask, p)),
                "logged_in" => {
                    let counter = match ask {
                        Ask::Register => &m.churn.registered,
                        Ask::Login => &m.churn.logins_password,
                        Ask::Resume => &m.churn.logins_resume,
                    };
                    add(counter, 1);
                    p.known = true;
                    p.token = ev["token"].as_str().map(str::to_owned);
                    characters = ev["characters"].as_array();
                }
                "characters" => characters = ev["characters"].as_array(),
                "welcome" => {
                    let lingering = events.iter().any(|e| e["type"] == "logged_in");
                    let counter = if lingering {
                        &m.churn.resumed_lingering
                    } else {
                        &m.churn.entered_by_play
                    };
                    add(counter, 1);
                    return Ok(text);
                }
                "error" => {
                    let code = ev["code"].as_str().unwrap_or("?");
                    bump(&m.churn.refusals, code);
                    let retry = match code {
                        "username_taken" | "token_invalid" => {
                            p.known = true;
                            p.token = None;
                            ask = Ask::Login;
                            None
                        }
                        "busy" | "storage_unavailable" => Some((1000, 3000)),
                        "registration_limited" | "locked_out" => Some((5000, 10000)),
                        "unknown_character" => {
                            next = Some(create(p, m));
                            continue;
                        }
                        "bad_credentials" | "name_taken" | "banned" => {
                            return Err(Stop::Failed {
                                reason: format!("refused ({ask:?}): {code}"),
                                fatal: true,
                            });
                        }
                        _ => return Err(failed(format!("refused ({ask:?}): {code}"))),
                    };
                    if let Some((lo, hi)) = retry {
                        let wait = p.rng.millis(lo, hi);
                        if Instant::now() + wait >= by.min(end_at) {
                            return Err(failed(format!(
                                "refused ({ask:?}): {code}, no time to retry"
                            )));
                        }
                        tokio::time::sleep(wait).await;
                    }
                    next = Some(request(ask, p));
                }
                _ => {}
            }
        }
        if let Some(list) = characters {
            let mine = list
                .iter()
                .any(|ch| ch["name"].as_str() == Some(p.name.as_str()));
            next = Some(if mine {
                format!(r#"{{"type":"play","name":"{}"}}"#, p.name)
            } else {
                create(p, m)
            });
        }
        if let Some(msg) = next {
            send(ws, m, msg).await?;
        }
    }
}

/// The login request of this kind.
fn request(ask: Ask, p: &Player) -> String {
    match (ask, &p.token) {
        (Ask::Resume, Some(token)) => serde_json::json!({"type": "resume", "token": token}),
        (Ask::Register, _) => {
            serde_json::json!({"type": "register", "username": p.name, "password": p.password})
        }
        _ => serde_json::json!({"type": "login", "username": p.name, "password": p.password}),
    }
    .to_string()
}

fn create(p: &Player, m: &Metrics) -> String {
    add(&m.churn.characters_created, 1);
    format!(r#"{{"type":"create_character","name":"{}"}}"#, p.name)
}

async fn send(ws: &mut Ws, m: &Metrics, text: String) -> Result<(), Stop> {
    bot::send(ws, m, text)
        .await
        .map_err(|e| failed(format!("logging in: send failed: {e}")))
}
