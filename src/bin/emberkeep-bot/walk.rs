//! One stay of a handoff bot (`handoff.rs`) on one process of the cluster: it pauses, walks
//! to the nearest warp of the map it is on (`warps.rs`), one step in flight, steps onto it
//! and waits for the `handoff` event, noting when the step was sent and when the event came.
//! Meanwhile it keeps track of where it stands (its own moves, corrections, death and
//! respawn, a `map` event when a warp leads to a map of the same process) and may say a line
//! in the `global` channel now and then.

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::Value;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use crate::bot::{self, Rng, Settings, Ws};
use crate::handoff::HandoffSettings;
use crate::metrics::{Metrics, add};
use crate::scan;
use crate::warps::{self, Tile, Warps};

/// From stepping onto a warp to the `handoff` event, and from it to `welcome` elsewhere.
const HANDOFF_TIMEOUT: Duration = Duration::from_secs(15);
/// A step with no answer after this long is forgotten (and sent again).
const STEP_TIMEOUT: Duration = Duration::from_secs(2);
/// Refused steps in a row after which a bot gives up on reaching its warp.
const MAX_BLOCKED: u32 = 20;

/// Where the bot stands after a `welcome` (or a `map` event).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Place {
    me: u64,
    pub(crate) map: String,
    origin: Tile,
    at: Tile,
}

/// A handoff under way: when the step onto the warp was sent and when `handoff` came.
#[derive(Clone, Copy)]
pub(crate) struct Underway {
    pub(crate) stepped: Instant,
    pub(crate) told: Instant,
}

/// How a stay on one process ended.
pub(crate) enum Stay {
    Handoff {
        url: String,
        token: String,
        underway: Underway,
    },
    End,
    Failed(String),
}

/// Where a `welcome` put the bot.
pub(crate) fn place(welcome: &Value) -> Option<Place> {
    let map = &welcome["map"];
    Some(Place {
        me: welcome["id"].as_u64()?,
        map: map["name"].as_str()?.to_string(),
        origin: origin(map),
        at: tile(welcome)?,
    })
}

fn origin(map: &Value) -> Tile {
    let o = &map["origin"];
    let n = |v: &Value| v.as_i64().and_then(|v| i32::try_from(v).ok()).unwrap_or(0);
    (n(&o["x"]), n(&o["y"]))
}

fn tile(ev: &Value) -> Option<Tile> {
    let n = |k: &str| ev[k].as_i64().and_then(|v| i32::try_from(v).ok());
    Some((n("x")?, n("y")?))
}

/// A step sent and not yet answered.
#[derive(Clone, Copy)]
struct Step {
    to: Tile,
    sent: Instant,
}

/// One bot's walk on one process: pause, walk to a warp, step on, wait for the handoff.
struct Walk {
    place: Place,
    /// Not before this: heading for the warp (a pause after arriving or respawning).
    rest_until: Instant,
    step: Option<Step>,
    next_step: Instant,
    /// The `move` onto the warp, when it was sent.
    onto_warp: Option<Instant>,
    blocked: u32,
    dead: bool,
    seq: u64,
    chat_due: Option<Instant>,
}

/// Plays one stay on a process: returns when the bot is handed off, the run ends, or
/// something fails. `chat_due` (when the next line in `global` is due) carries over from
/// stay to stay.
pub(crate) async fn stay(
    ws: &mut Ws,
    place: Place,
    rng: &mut Rng,
    chat_due: &mut Option<Instant>,
    s: &Settings,
    h: &HandoffSettings,
    m: &Metrics,
) -> Stay {
    let now = Instant::now();
    let mut w = Walk {
        place,
        rest_until: now + secs(rng, h.pause_secs),
        step: None,
        next_step: now,
        onto_warp: None,
        blocked: 0,
        dead: false,
        seq: 0,
        chat_due: *chat_due,
    };
    let ended = walk(ws, &mut w, rng, s, h, m).await;
    *chat_due = w.chat_due;
    ended
}

/// A random duration in `lo..=hi` seconds.
pub(crate) fn secs(rng: &mut Rng, (lo, hi): (f64, f64)) -> Duration {
    rng.millis((lo * 1000.0) as u64, (hi * 1000.0) as u64)
}

async fn walk(
    ws: &mut Ws,
    w: &mut Walk,
    rng: &mut Rng,
    s: &Settings,
    h: &HandoffSettings,
    m: &Metrics,
) -> Stay {
    let sleep = tokio::time::sleep_until(Instant::now());
    tokio::pin!(sleep);
    loop {
        let wake = w.wake().min(s.end_at);
        if sleep.deadline() != wake {
            sleep.as_mut().reset(wake);
        }
        tokio::select! {
            biased;
            msg = ws.next() => match msg {
                Some(Ok(Message::Text(text))) => {
                    add(&m.frames_in, 1);
                    add(&m.bytes_in, text.len() as u64);
                    if let Some(stay) = w.on_frame(text.as_str(), m) {
                        return stay;
                    }
                }
                Some(Ok(Message::Close(frame))) => return Stay::Failed(bot::close_label(frame.as_ref())),
                Some(Ok(_)) => {}
                Some(Err(e)) => return Stay::Failed(format!("read error: {e}")),
                None => return Stay::Failed("connection ended without a close frame".into()),
            },
            () = &mut sleep => {
                let now = Instant::now();
                if now >= s.end_at {
                    return Stay::End;
                }
                if let Some(stepped) = w.onto_warp
                    && now >= stepped + HANDOFF_TIMEOUT
                {
                    return Stay::Failed(format!("no handoff {} s after stepping onto the warp", HANDOFF_TIMEOUT.as_secs()));
                }
                let mut out = Vec::new();
                if let Some(due) = w.chat_due && now >= due {
                    add(&m.handoff.chat_lines, 1);
                    out.push(r#"{"type":"channel_say","channel":"global","text":"anyone going east?"}"#.to_string());
                    w.chat_due = h.chat_secs.map(|r| now + secs(rng, r));
                }
                match w.act(now, s.step_interval, &h.warps) {
                    Ok(Some(msg)) => out.push(msg),
                    Ok(None) => {}
                    Err(reason) => return Stay::Failed(reason),
                }
                for text in out {
                    if let Err(e) = bot::send(ws, m, text).await {
                        return Stay::Failed(format!("send failed: {e}"));
                    }
                }
            }
        }
    }
}

impl Walk {
    fn wake(&self) -> Instant {
        let mut at = match (self.onto_warp, self.step) {
            // Dead: nothing to do until the `respawn` (checked again now and then).
            _ if self.dead => Instant::now() + Duration::from_secs(1),
            // Waiting for the handoff (or for the step to be refused).
            (Some(stepped), _) => stepped + HANDOFF_TIMEOUT,
            (None, Some(step)) => step.sent + STEP_TIMEOUT,
            (None, None) => self.next_step.max(self.rest_until),
        };
        if let Some(c) = self.chat_due {
            at = at.min(c);
        }
        at
    }

    /// The next step towards the nearest warp, if one is due.
    fn act(
        &mut self,
        now: Instant,
        interval: Duration,
        warps: &Warps,
    ) -> Result<Option<String>, String> {
        if self.onto_warp.is_some() || self.dead || now < self.rest_until || now < self.next_step {
            return Ok(None);
        }
        if let Some(step) = self.step {
            if now < step.sent + STEP_TIMEOUT {
                return Ok(None);
            }
            self.step = None;
        }
        let p = &self.place;
        let Some(goal) = warps.nearest(&p.map, p.origin, p.at) else {
            return Err(format!("no warp known on map {}", p.map));
        };
        if self.blocked >= MAX_BLOCKED {
            return Err(format!("stuck on the way to the warp on {}", p.map));
        }
        // Standing on a warp that let it stay: off it, and on again.
        let to = if goal == p.at {
            (p.at.0 + 1, p.at.1)
        } else {
            warps::step_towards(p.at, goal, self.blocked % 2 == 1)
        };
        self.seq += 1;
        self.step = Some(Step { to, sent: now });
        self.next_step = now + interval;
        if warps.on_warp(&p.map, p.origin, to) {
            self.onto_warp = Some(now);
        }
        Ok(Some(format!(
            r#"{{"type":"move","x":{},"y":{},"seq":{}}}"#,
            to.0, to.1, self.seq
        )))
    }

    /// Reads one frame; returns how the stay ends if it does.
    fn on_frame(&mut self, text: &str, m: &Metrics) -> Option<Stay> {
        for ev in scan::events(text) {
            match ev.kind {
                "move" if ev.id() == Some(self.place.me) => {
                    let Some(tile) = ev.tile() else { continue };
                    self.place.at = tile;
                    if self.step.is_some_and(|s| s.to == tile) {
                        self.step = None;
                        self.blocked = 0;
                    }
                }
                "correction" => {
                    if let Some(tile) = ev.tile() {
                        self.place.at = tile;
                    }
                    self.refused();
                }
                "error" => match ev.str("code") {
                    Some("move_blocked" | "move_not_adjacent" | "move_too_fast") => self.refused(),
                    Some("you_are_dead") => self.dead = true,
                    Some(code @ ("map_unavailable" | "cluster_unavailable")) => {
                        return Some(Stay::Failed(format!("stepped onto the warp: {code}")));
                    }
                    _ => {}
                },
                "death" if ev.id() == Some(self.place.me) => {
                    add(&m.handoff.deaths, 1);
                    self.dead = true;
                    self.step = None;
                    self.onto_warp = None;
                }
                "respawn" => {
                    self.dead = false;
                    if let Some(tile) = ev.tile() {
                        self.place.at = tile;
                    }
                    self.rest_until = Instant::now() + Duration::from_millis(500);
                }
                // A warp (or respawn) onto another map of this process.
                "map" | "handoff" => return self.on_rare(text, m),
                _ => {}
            }
        }
        None
    }

    /// A step was refused: try the other axis next time.
    fn refused(&mut self) {
        self.step = None;
        self.onto_warp = None;
        self.blocked += 1;
    }

    /// Frames with a `map` or `handoff` event are read whole.
    fn on_rare(&mut self, text: &str, m: &Metrics) -> Option<Stay> {
        let Ok(events) = serde_json::from_str::<Vec<Value>>(text) else {
            return Some(Stay::Failed("a frame is not a JSON array".into()));
        };
        let mut left = None;
        for ev in &events {
            match ev["type"].as_str() {
                Some("handoff") => {
                    let (Some(url), Some(token)) = (ev["url"].as_str(), ev["token"].as_str())
                    else {
                        return Some(Stay::Failed("a handoff without url or token".into()));
                    };
                    let Some(stepped) = self.onto_warp else {
                        return Some(Stay::Failed("a handoff without a step onto a warp".into()));
                    };
                    left = Some(Stay::Handoff {
                        url: url.into(),
                        token: token.into(),
                        underway: Underway {
                            stepped,
                            told: Instant::now(),
                        },
                    });
                }
                Some("map") => {
                    let (Some(name), Some(at)) = (ev["map"]["name"].as_str(), tile(ev)) else {
                        continue;
                    };
                    if self.onto_warp.take().is_some() {
                        add(&m.handoff.local_warps, 1);
                    }
                    self.place.map = name.to_string();
                    self.place.origin = origin(&ev["map"]);
                    self.place.at = at;
                    self.step = None;
                }
                _ => {}
            }
        }
        left
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_welcome_gives_the_place_in_global_tiles() {
        let w = json!({"type": "welcome", "version": 1, "id": 42, "name": "hop1", "x": 1090,
            "y": 17, "map": {"name": "east", "display_name": "east", "width": 1024,
            "height": 1024, "origin": {"x": 1056, "y": 0}}, "tick_rate": 20});
        assert_eq!(
            place(&w),
            Some(Place {
                me: 42,
                map: "east".into(),
                origin: (1056, 0),
                at: (1090, 17),
            })
        );
        assert_eq!(place(&json!({"type": "welcome", "id": 1})), None);
    }

    fn walker(at: Tile) -> Walk {
        let now = Instant::now();
        Walk {
            place: Place {
                me: 7,
                map: "west".into(),
                origin: (0, 0),
                at,
            },
            rest_until: now,
            step: None,
            next_step: now,
            onto_warp: None,
            blocked: 0,
            dead: false,
            seq: 0,
            chat_due: None,
        }
    }

    #[test]
    fn a_walk_steps_to_the_warp_and_times_the_last_step() {
        let warps = Warps::from_flags(&[("west".into(), (10, 5))]);
        let m = Metrics::default();
        let mut w = walker((8, 5));
        let now = Instant::now();
        let step = Duration::from_millis(250);
        assert_eq!(
            w.act(now, step, &warps).unwrap().as_deref(),
            Some(r#"{"type":"move","x":9,"y":5,"seq":1}"#)
        );
        // One step in flight: nothing more until it is answered.
        assert_eq!(w.act(now + step, step, &warps).unwrap(), None);
        assert!(
            w.on_frame(r#"[{"type":"move","id":7,"x":9,"y":5}]"#, &m)
                .is_none()
        );
        assert!(w.onto_warp.is_none());
        let later = now + step;
        assert_eq!(
            w.act(later, step, &warps).unwrap().as_deref(),
            Some(r#"{"type":"move","x":10,"y":5,"seq":2}"#)
        );
        assert_eq!(w.onto_warp, Some(later));
        let frame =
            r#"[{"type":"handoff","url":"ws://127.0.0.1:9402","token":"ab12","map":"east"}]"#;
        match w.on_frame(frame, &m) {
            Some(Stay::Handoff {
                url,
                token,
                underway,
            }) => {
                assert_eq!(
                    (url.as_str(), token.as_str()),
                    ("ws://127.0.0.1:9402", "ab12")
                );
                assert_eq!(underway.stepped, later);
            }
            _ => panic!("the handoff is followed"),
        }
    }

    #[test]
    fn refused_steps_try_the_other_axis_and_give_up_in_the_end() {
        let warps = Warps::from_flags(&[("west".into(), (10, 10))]);
        let m = Metrics::default();
        let mut w = walker((5, 8));
        let now = Instant::now();
        let step = Duration::ZERO;
        assert!(
            w.act(now, step, &warps)
                .unwrap()
                .unwrap()
                .contains(r#""x":6,"y":8"#)
        );
        w.on_frame(r#"[{"type":"error","code":"move_blocked","seq":1}]"#, &m);
        assert!(
            w.act(now, step, &warps)
                .unwrap()
                .unwrap()
                .contains(r#""x":5,"y":9"#)
        );
        // A confirmed step clears the count; refusals in a row end the walk.
        w.on_frame(r#"[{"type":"move","id":7,"x":5,"y":9}]"#, &m);
        assert_eq!(w.blocked, 0);
        for _ in 0..MAX_BLOCKED {
            assert!(w.act(now, step, &warps).unwrap().is_some());
            w.on_frame(r#"[{"type":"correction","x":5,"y":9}]"#, &m);
        }
        let e = w.act(now, step, &warps).unwrap_err();
        assert!(e.contains("stuck"), "{e}");
        // A map without warps is a failure the report names.
        let mut lost = walker((1, 1));
        lost.place.map = "crypt".into();
        let e = lost.act(Instant::now(), step, &warps).unwrap_err();
        assert_eq!(e, "no warp known on map crypt");
    }

    #[test]
    fn a_warp_on_the_same_process_is_counted_and_the_walk_goes_on_from_there() {
        let warps = Warps::from_flags(&[("west".into(), (10, 5)), ("east".into(), (2, 2))]);
        let m = Metrics::default();
        let mut w = walker((9, 5));
        w.act(Instant::now(), Duration::ZERO, &warps).unwrap();
        let frame = r#"[{"type":"map","map":{"name":"east","display_name":"East","width":64,"height":64,"origin":{"x":100,"y":0}},"x":105,"y":3}]"#;
        assert!(w.on_frame(frame, &m).is_none());
        assert_eq!(
            m.handoff
                .local_warps
                .load(std::sync::atomic::Ordering::Relaxed),
            1
        );
        assert_eq!(
            (w.place.map.as_str(), w.place.origin, w.place.at),
            ("east", (100, 0), (105, 3))
        );
        assert_eq!(
            warps.nearest("east", w.place.origin, w.place.at),
            Some((102, 2))
        );
    }
}
