//! Handoff mode (`--handoffs`): each bot is a player with an account who goes back and forth
//! between the processes of a cluster. It registers (or logs in), creates its character (or
//! plays it), then, again and again: pauses a while, walks to the nearest warp of the map it
//! is on (`warps.rs`), steps onto it and follows the `handoff` the server answers like a
//! client does (docs/protocol.md, "Handoff (cluster)"): connects to its `url`, says `hello`,
//! waits for `server_info`, sends `handoff` with the token and waits for `welcome`.
//!
//! Handoff latency is from sending the `move` onto the warp to receiving `welcome` on the
//! other process, split at the `handoff` event into the old process's part (the step, the
//! save and the lease move in the database) and the reconnect (a new connection, `hello`,
//! the token checked and the character loaded there). A handoff that fails is counted by
//! reason and the bot goes home (`--url`): it logs in by password there and plays its
//! character, following a handoff if that process does not host its map.
//!
//! The account's username and its character's name are the bot's name (prefix and number),
//! the password is derived from it, so a second run on the same database logs in.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use tokio::time::Instant;

use crate::bot::{self, Rng, Shared, Ws};
use crate::metrics::{Metrics, add, bump, pct_ms};
use crate::walk::{Place, Stay, Underway, place, secs, stay};
use crate::warps::Warps;

/// Logging in may wait for an argon2 hash, and those queue when many bots register at once.
const ENTER_TIMEOUT: Duration = Duration::from_secs(60);
/// What handoff mode is told.
#[derive(Debug, Clone)]
pub struct HandoffSettings {
    pub warps: Warps,
    /// Seconds to stay after arriving before heading for the next warp, MIN..MAX.
    pub pause_secs: (f64, f64),
    /// Seconds between two lines in the `global` channel, MIN..MAX (none: silent).
    pub chat_secs: Option<(f64, f64)>,
}

/// Handoff mode's counters, shared by every bot.
#[derive(Default)]
pub struct HandoffCounters {
    registered: AtomicU64,
    logins: AtomicU64,
    characters_created: AtomicU64,
    /// Handoffs followed to `welcome` after stepping onto a warp.
    done: AtomicU64,
    /// Handoffs at login (the character was saved on a map the home process does not host).
    at_login: AtomicU64,
    /// Warps that moved the bot on the same process (its target map is hosted there too).
    pub(crate) local_warps: AtomicU64,
    pub(crate) deaths: AtomicU64,
    pub(crate) chat_lines: AtomicU64,
    /// Welcomes by map.
    arrivals: Mutex<BTreeMap<String, u64>>,
    refusals: Mutex<BTreeMap<String, u64>>,
    failures: Mutex<BTreeMap<String, u64>>,
    samples: Mutex<Samples>,
}

/// Handoff latencies in µs: the whole, its two parts, and the whole in the steady window.
#[derive(Default)]
struct Samples {
    total: Vec<u32>,
    save: Vec<u32>,
    reconnect: Vec<u32>,
    steady: Vec<u32>,
}

fn us(d: Duration) -> u32 {
    d.as_micros().min(u128::from(u32::MAX)) as u32
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn get(c: &AtomicU64) -> u64 {
    c.load(std::sync::atomic::Ordering::Relaxed)
}

/// Percentiles of one set of latencies, in ms (nearest rank).
#[derive(Debug, Serialize, PartialEq)]
pub struct Percentiles {
    pub samples: usize,
    pub p50_ms: Option<f64>,
    pub p90_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub max_ms: Option<f64>,
}

/// The percentiles of µs samples.
pub fn percentiles(mut v: Vec<u32>) -> Percentiles {
    v.sort_unstable();
    Percentiles {
        samples: v.len(),
        p50_ms: pct_ms(&v, 0.50),
        p90_ms: pct_ms(&v, 0.90),
        p99_ms: pct_ms(&v, 0.99),
        max_ms: v.last().map(|m| f64::from(*m) / 1000.0),
    }
}

/// Handoff mode's part of the report.
#[derive(Debug, Serialize)]
pub struct HandoffSummary {
    /// Handoffs followed to `welcome` after a step onto a warp.
    pub handoffs: u64,
    /// From the `move` onto the warp to `welcome` on the other process.
    pub latency: Percentiles,
    /// The same, only handoffs that ended in the steady window.
    pub steady_latency: Percentiles,
    /// The first part: from the `move` to the `handoff` event (step, save, lease move).
    pub save_latency: Percentiles,
    /// The second part: from the `handoff` event to `welcome` (connect, hello, token, load).
    pub reconnect_latency: Percentiles,
    pub registered: u64,
    pub logins: u64,
    pub characters_created: u64,
    pub handoffs_at_login: u64,
    pub local_warps: u64,
    pub deaths: u64,
    /// Lines said in the `global` channel.
    pub chat_lines: u64,
    /// Welcomes by map.
    pub arrivals: BTreeMap<String, u64>,
    /// Server refusals while logging in or handing in a token, by error code.
    pub refusals: BTreeMap<String, u64>,
    /// Handoffs (or logins) that went wrong, by reason. A healthy run has none.
    pub failures: BTreeMap<String, u64>,
    pub failures_total: u64,
}

/// The handoff summary of a run.
pub fn summary(c: &HandoffCounters) -> HandoffSummary {
    let s = std::mem::take(&mut *lock(&c.samples));
    let failures = std::mem::take(&mut *lock(&c.failures));
    HandoffSummary {
        handoffs: get(&c.done),
        latency: percentiles(s.total),
        steady_latency: percentiles(s.steady),
        save_latency: percentiles(s.save),
        reconnect_latency: percentiles(s.reconnect),
        registered: get(&c.registered),
        logins: get(&c.logins),
        characters_created: get(&c.characters_created),
        handoffs_at_login: get(&c.at_login),
        local_warps: get(&c.local_warps),
        deaths: get(&c.deaths),
        chat_lines: get(&c.chat_lines),
        arrivals: std::mem::take(&mut *lock(&c.arrivals)),
        refusals: std::mem::take(&mut *lock(&c.refusals)),
        failures_total: failures.values().sum(),
        failures,
    }
}

/// One bot's account.
struct Account {
    name: String,
    password: String,
    /// The account exists (registered, or found taken by an earlier run).
    known: bool,
    rng: Rng,
}

/// How a connection is to let the bot in.
enum Ask {
    /// Register or log in by password, then play the character.
    Login,
    /// Hand in a handoff token.
    Token(String),
}

/// What entering ended with.
enum Entered {
    Welcome(Place),
    /// The server passed the bot on before `welcome`.
    Handoff {
        url: String,
        token: String,
    },
}

/// Runs bot number `idx` in handoff mode until the end of the run.
pub async fn run(idx: usize, shared: Arc<Shared>) {
    let (s, m) = (&shared.settings, &shared.metrics);
    let Some(h) = s.handoffs.as_ref() else { return };
    let name = format!("{}{idx}", s.name_prefix);
    let mut acc = Account {
        password: format!("{name}-handoff-password"),
        name,
        known: false,
        rng: Rng(s.seed ^ (idx as u64).wrapping_mul(0x9e6c_63d0_876a_3b15)),
    };
    let c = &m.handoff;
    let mut url = s.url.clone();
    let mut ask = Ask::Login;
    let mut underway: Option<Underway> = None;
    let mut in_world = false;
    let mut chat_due = (h.chat_secs).map(|r| Instant::now() + secs(&mut acc.rng, r));
    while Instant::now() < s.end_at {
        let failure = match bot::connect(&url).await {
            Err(e) if underway.is_none() => {
                m.connect_failed(&e);
                Some(None)
            }
            Err(e) => Some(Some(format!("handoff: connect: {e}"))),
            Ok(mut ws) => {
                let entered = enter(&mut ws, &mut acc, &ask, m, s.end_at).await;
                match entered {
                    Ok(Entered::Welcome(place)) => {
                        if let Some(u) = underway.take() {
                            record(c, m, u);
                        }
                        bump(&c.arrivals, &place.map);
                        add(&m.joined, 1);
                        if !in_world {
                            in_world = true;
                            add(&m.connected, 1);
                        }
                        match stay(&mut ws, place, &mut acc.rng, &mut chat_due, s, h, m).await {
                            Stay::Handoff {
                                url: next,
                                token,
                                underway: u,
                            } => {
                                tokio::spawn(async move { bot::close(&mut ws).await });
                                (url, ask, underway) = (next, Ask::Token(token), Some(u));
                                None
                            }
                            Stay::End => {
                                bot::close(&mut ws).await;
                                break;
                            }
                            Stay::Failed(reason) => {
                                bot::close(&mut ws).await;
                                Some(Some(reason))
                            }
                        }
                    }
                    Ok(Entered::Handoff { url: next, token }) => {
                        add(&c.at_login, 1);
                        tokio::spawn(async move { bot::close(&mut ws).await });
                        (url, ask, underway) = (next, Ask::Token(token), None);
                        None
                    }
                    Err(_) if Instant::now() >= s.end_at => {
                        bot::close(&mut ws).await;
                        break;
                    }
                    Err(Refused::Fatal(reason)) => {
                        bump(&c.failures, &reason);
                        break;
                    }
                    Err(Refused::Retry(reason)) => {
                        bot::close(&mut ws).await;
                        let what = if underway.is_some() {
                            "handoff"
                        } else {
                            "login"
                        };
                        Some(Some(format!("{what}: {reason}")))
                    }
                }
            }
        };
        if let Some(reason) = failure {
            if let Some(reason) = reason {
                bump(&c.failures, &reason);
            }
            // Home again, by password, after a breath.
            (url, ask, underway) = (s.url.clone(), Ask::Login, None);
            let wait = acc.rng.millis(1000, 3000);
            tokio::time::sleep_until((Instant::now() + wait).min(s.end_at)).await;
        }
    }
    if in_world {
        m.connected
            .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Counts a handoff that reached `welcome` now.
fn record(c: &HandoffCounters, m: &Metrics, u: Underway) {
    let now = Instant::now();
    add(&c.done, 1);
    let total = us(now - u.stepped);
    let mut s = lock(&c.samples);
    s.total.push(total);
    s.save.push(us(u.told - u.stepped));
    s.reconnect.push(us(now - u.told));
    if m.steady.load(std::sync::atomic::Ordering::Relaxed) {
        s.steady.push(total);
    }
}

/// Why entering failed.
enum Refused {
    /// Retrying cannot help (the name belongs to someone else, the password is wrong).
    Fatal(String),
    Retry(String),
}

/// Says `hello`, then logs in and plays (or hands in a token), until `welcome` or a handoff.
async fn enter(
    ws: &mut Ws,
    acc: &mut Account,
    ask: &Ask,
    m: &Metrics,
    end_at: Instant,
) -> Result<Entered, Refused> {
    let c = &m.handoff;
    let by = (Instant::now() + ENTER_TIMEOUT).min(end_at);
    let request = |acc: &Account| {
        match ask {
        Ask::Token(token) => serde_json::json!({"type": "handoff", "token": token}),
        Ask::Login if acc.known => {
            serde_json::json!({"type": "login", "username": acc.name, "password": acc.password})
        }
        Ask::Login => {
            serde_json::json!({"type": "register", "username": acc.name, "password": acc.password})
        }
    }
    .to_string()
    };
    let retry = |e: String| Refused::Retry(e);
    send(ws, m, r#"{"type":"hello","version":1}"#.into())
        .await
        .map_err(retry)?;
    loop {
        let text = bot::next_text(ws, m, by).await.map_err(retry)?;
        let events: Vec<Value> = serde_json::from_str(&text)
            .map_err(|e| retry(format!("a frame is not a JSON array: {e}")))?;
        let mut next: Option<String> = None;
        for ev in &events {
            match ev["type"].as_str().unwrap_or("") {
                "server_info" => next = Some(request(acc)),
                "logged_in" => {
                    match ask {
                        Ask::Token(_) => {}
                        Ask::Login if acc.known => add(&c.logins, 1),
                        Ask::Login => add(&c.registered, 1),
                    }
                    acc.known = true;
                    if matches!(ask, Ask::Login) {
                        next = Some(play_or_create(acc, &ev["characters"], c));
                    }
                }
                "characters" => next = Some(play_or_create(acc, &ev["characters"], c)),
                "welcome" => {
                    return place(ev)
                        .map(Entered::Welcome)
                        .ok_or_else(|| retry("a welcome without id, x, y or map".into()));
                }
                "handoff" => {
                    let (Some(url), Some(token)) = (ev["url"].as_str(), ev["token"].as_str())
                    else {
                        return Err(retry("a handoff without url or token".into()));
                    };
                    return Ok(Entered::Handoff {
                        url: url.into(),
                        token: token.into(),
                    });
                }
                "error" => {
                    let code = ev["code"].as_str().unwrap_or("?");
                    bump(&c.refusals, code);
                    let wait = match code {
                        "username_taken" => {
                            acc.known = true;
                            None
                        }
                        "busy" | "storage_unavailable" => Some(acc.rng.millis(1000, 3000)),
                        "registration_limited" | "locked_out" => Some(acc.rng.millis(5000, 10000)),
                        "unknown_character" => {
                            next = Some(create(acc, c));
                            continue;
                        }
                        "bad_credentials" | "name_taken" | "banned" => {
                            return Err(Refused::Fatal(format!("refused: {code}")));
                        }
                        _ => return Err(retry(format!("refused: {code}"))),
                    };
                    if let Some(wait) = wait {
                        if Instant::now() + wait >= by {
                            return Err(retry(format!("refused: {code}, no time to retry")));
                        }
                        tokio::time::sleep(wait).await;
                    }
                    next = Some(request(acc));
                }
                _ => {}
            }
        }
        if let Some(msg) = next {
            send(ws, m, msg).await.map_err(retry)?;
        }
    }
}

/// `play` the bot's character if the list has it, else create it.
fn play_or_create(acc: &Account, list: &Value, c: &HandoffCounters) -> String {
    let mine = (list.as_array().into_iter().flatten())
        .any(|ch| ch["name"].as_str() == Some(acc.name.as_str()));
    if mine {
        serde_json::json!({"type": "play", "name": acc.name}).to_string()
    } else {
        create(acc, c)
    }
}

fn create(acc: &Account, c: &HandoffCounters) -> String {
    add(&c.characters_created, 1);
    serde_json::json!({"type": "create_character", "name": acc.name}).to_string()
}

async fn send(ws: &mut Ws, m: &Metrics, text: String) -> Result<(), String> {
    bot::send(ws, m, text)
        .await
        .map_err(|e| format!("send failed: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank_in_ms() {
        // 1..=100 ms, shuffled.
        let v: Vec<u32> = (1..=100).rev().map(|ms| ms * 1000).collect();
        let p = percentiles(v);
        assert_eq!(p.samples, 100);
        assert_eq!(p.p50_ms, Some(50.0));
        assert_eq!(p.p90_ms, Some(90.0));
        assert_eq!(p.p99_ms, Some(99.0));
        assert_eq!(p.max_ms, Some(100.0));
        let one = percentiles(vec![2500]);
        assert_eq!(
            (one.p50_ms, one.p99_ms, one.max_ms),
            (Some(2.5), Some(2.5), Some(2.5))
        );
        let none = percentiles(Vec::new());
        assert_eq!((none.samples, none.p50_ms, none.max_ms), (0, None, None));
    }
}
