//! What the bots measure: counters shared by every bot, move→confirmation latencies, the
//! once-a-second progress line and the final report (printed, and written as JSON).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;

/// Counters every bot adds to. Cheap on the hot path: relaxed atomics, and a lock only for
/// latency samples and rare events (errors, drops).
#[derive(Default)]
pub struct Metrics {
    /// Clients in the world now (floor mode: connected now).
    pub connected: AtomicU64,
    /// Entries into the world (a guest enters once, a churning bot once per session).
    pub joined: AtomicU64,
    pub frames_in: AtomicU64,
    pub events_in: AtomicU64,
    pub bytes_in: AtomicU64,
    pub msgs_out: AtomicU64,
    pub bytes_out: AtomicU64,
    /// Steps that got neither a confirmation nor a refusal within the timeout.
    pub unconfirmed: AtomicU64,
    /// Abilities cast (`cast` sent; a refusal, e.g. by a server without abilities, is
    /// counted among the errors).
    pub casts: AtomicU64,
    /// On once every client had been started (the steady window).
    pub steady: AtomicBool,
    /// When the steady window began.
    steady_since: Mutex<Option<Instant>>,
    /// Bytes each client received in the steady window (pushed when it ends normally).
    client_bytes: Mutex<Vec<u64>>,
    /// The same bytes of all those clients together, by event type.
    kind_bytes: Mutex<BTreeMap<String, u64>>,
    latencies: Mutex<Latencies>,
    errors: Mutex<BTreeMap<String, u64>>,
    dropped: Mutex<BTreeMap<String, u64>>,
    connect_failed: Mutex<BTreeMap<String, u64>>,
    /// Churn mode's counters (sessions, logins, leaves, returns).
    pub churn: crate::churn::ChurnCounters,
    /// Handoff mode's counters (handoffs, their latencies, failures).
    pub handoff: crate::handoff::HandoffCounters,
}

#[derive(Default)]
struct Latencies {
    /// Samples of the current second, in µs.
    second: Vec<u32>,
    /// Every sample of the run.
    all: Vec<u32>,
    /// Samples taken once every client had been started (after the ramp).
    steady: Vec<u32>,
    steady_on: bool,
}

pub fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}

fn get(counter: &AtomicU64) -> u64 {
    counter.load(Ordering::Relaxed)
}

pub(crate) fn bump(map: &Mutex<BTreeMap<String, u64>>, key: &str) {
    let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
    match map.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            map.insert(key.to_string(), 1);
        }
    }
}

impl Metrics {
    /// A step was confirmed `took` after it was sent.
    pub fn latency(&self, took: Duration) {
        let us = took.as_micros().min(u128::from(u32::MAX)) as u32;
        let mut l = self.latencies.lock().unwrap_or_else(|e| e.into_inner());
        l.second.push(us);
        l.all.push(us);
        if l.steady_on {
            l.steady.push(us);
        }
    }

    /// The server sent an `error` with this code.
    pub fn error(&self, code: &str) {
        bump(&self.errors, code);
    }

    /// A connection ended without being asked to.
    pub fn dropped(&self, reason: &str) {
        bump(&self.dropped, reason);
    }

    /// A connection could not be opened.
    pub fn connect_failed(&self, reason: &str) {
        bump(&self.connect_failed, reason);
    }

    fn total(map: &Mutex<BTreeMap<String, u64>>) -> u64 {
        map.lock().unwrap_or_else(|e| e.into_inner()).values().sum()
    }

    fn counts(&self) -> Counts {
        Counts {
            frames_in: get(&self.frames_in),
            events_in: get(&self.events_in),
            bytes_in: get(&self.bytes_in),
            msgs_out: get(&self.msgs_out),
            bytes_out: get(&self.bytes_out),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
struct Counts {
    frames_in: u64,
    events_in: u64,
    bytes_in: u64,
    msgs_out: u64,
    bytes_out: u64,
}

/// One second of the run, as printed in the progress line.
#[derive(Debug, Clone, Serialize)]
pub struct Second {
    pub t: u64,
    pub connected: u64,
    pub frames_in: u64,
    pub events_in: u64,
    pub bytes_in: u64,
    pub msgs_out: u64,
    pub bytes_out: u64,
    pub latency_p50_ms: Option<f64>,
    pub latency_p99_ms: Option<f64>,
    pub errors: u64,
    pub dropped: u64,
}

/// Takes one [`Second`] each time it is called (once a second) and prints it.
pub struct Progress {
    start: Instant,
    last: Counts,
    pub seconds: Vec<Second>,
    requested: usize,
}

impl Progress {
    pub fn new(start: Instant, requested: usize) -> Self {
        Progress {
            start,
            last: Counts::default(),
            seconds: Vec::new(),
            requested,
        }
    }

    pub fn sample(&mut self, m: &Metrics) {
        let now = m.counts();
        let mut second = {
            let mut l = m.latencies.lock().unwrap_or_else(|e| e.into_inner());
            std::mem::take(&mut l.second)
        };
        second.sort_unstable();
        let s = Second {
            t: self.start.elapsed().as_secs_f64().round() as u64,
            connected: get(&m.connected),
            frames_in: now.frames_in - self.last.frames_in,
            events_in: now.events_in - self.last.events_in,
            bytes_in: now.bytes_in - self.last.bytes_in,
            msgs_out: now.msgs_out - self.last.msgs_out,
            bytes_out: now.bytes_out - self.last.bytes_out,
            latency_p50_ms: pct_ms(&second, 0.50),
            latency_p99_ms: pct_ms(&second, 0.99),
            errors: Metrics::total(&m.errors),
            dropped: Metrics::total(&m.dropped),
        };
        self.last = now;
        let ms = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.1}"));
        println!(
            "[{:>4}s] connected {}/{}  in {} frames/s {} ev/s {:.2} MB/s  out {} msg/s  move p50 {} ms p99 {} ms  errors {}  dropped {}",
            s.t,
            s.connected,
            self.requested,
            s.frames_in,
            s.events_in,
            s.bytes_in as f64 / 1e6,
            s.msgs_out,
            ms(s.latency_p50_ms),
            ms(s.latency_p99_ms),
            s.errors,
            s.dropped,
        );
        self.seconds.push(s);
    }
}

/// From now on latency samples also count towards the steady-state figures.
pub fn start_steady(m: &Metrics) {
    m.latencies
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .steady_on = true;
    *m.steady_since.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
    m.steady.store(true, Ordering::Relaxed);
}

impl Metrics {
    /// A client that stayed to the end received `bytes` in the steady window, `kinds` of
    /// them by event type.
    pub fn client_bytes(&self, bytes: u64, kinds: &[(String, u64)]) {
        self.client_bytes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(bytes);
        let mut by_kind = self.kind_bytes.lock().unwrap_or_else(|e| e.into_inner());
        for (kind, n) in kinds {
            *by_kind.entry(kind.clone()).or_default() += n;
        }
    }
}

/// What each client received per second over the steady window (clients that stayed to the
/// end): how much a crowd costs one player's connection.
#[derive(Debug, Serialize, Default, PartialEq)]
pub struct ClientBandwidth {
    pub clients: usize,
    pub mean_bytes_per_sec: f64,
    pub p50_bytes_per_sec: f64,
    pub p99_bytes_per_sec: f64,
    pub max_bytes_per_sec: f64,
    /// The mean client's bytes per second by event type (what the bytes are made of).
    pub by_kind: BTreeMap<String, f64>,
}

/// Per-client rates from the bytes each received over `secs` seconds (nearest rank).
pub fn bandwidth(mut bytes: Vec<u64>, kinds: BTreeMap<String, u64>, secs: f64) -> ClientBandwidth {
    if bytes.is_empty() || secs <= 0.0 {
        return ClientBandwidth::default();
    }
    bytes.sort_unstable();
    let rate = |b: u64| b as f64 / secs;
    let rank = |p: f64| ((bytes.len() as f64 * p).ceil() as usize).clamp(1, bytes.len()) - 1;
    ClientBandwidth {
        clients: bytes.len(),
        mean_bytes_per_sec: rate(bytes.iter().sum::<u64>()) / bytes.len() as f64,
        p50_bytes_per_sec: rate(bytes[rank(0.5)]),
        p99_bytes_per_sec: rate(bytes[rank(0.99)]),
        max_bytes_per_sec: rate(bytes[bytes.len() - 1]),
        by_kind: kinds
            .into_iter()
            .map(|(k, n)| (k, rate(n) / bytes.len() as f64))
            .collect(),
    }
}

/// Nearest-rank percentile of sorted µs samples, in ms.
pub(crate) fn pct_ms(sorted: &[u32], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len());
    Some(f64::from(sorted[rank - 1]) / 1000.0)
}

/// Latency percentiles of one set of samples.
#[derive(Debug, Serialize)]
pub struct LatencySummary {
    pub samples: usize,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub max_ms: Option<f64>,
}

pub(crate) fn summarize(mut v: Vec<u32>) -> LatencySummary {
    v.sort_unstable();
    LatencySummary {
        samples: v.len(),
        p50_ms: pct_ms(&v, 0.50),
        p95_ms: pct_ms(&v, 0.95),
        p99_ms: pct_ms(&v, 0.99),
        max_ms: v.last().map(|m| f64::from(*m) / 1000.0),
    }
}

/// Upper bounds of the latency histogram's buckets, in µs: ten a decade (the rounded R10
/// series 1, 1.25, 1.6, 2, 2.5, 3.15, 4, 5, 6.3, 8) from 1 ms to 2 s. A sample above the last
/// bound falls in an overflow bucket.
const HISTOGRAM_BOUNDS_US: [u32; 34] = [
    1_000, 1_250, 1_600, 2_000, 2_500, 3_150, 4_000, 5_000, 6_300, 8_000, //
    10_000, 12_500, 16_000, 20_000, 25_000, 31_500, 40_000, 50_000, 63_000, 80_000, //
    100_000, 125_000, 160_000, 200_000, 250_000, 315_000, 400_000, 500_000, 630_000,
    800_000, //
    1_000_000, 1_250_000, 1_600_000, 2_000_000,
];

/// How many samples fell in each bucket, as `[upper_bound_ms, count]` pairs in order: a sample
/// counts in the first bucket whose bound it does not exceed; the last pair's bound is `None`
/// (`null` in JSON) and counts the samples above 2,000 ms. Every bucket is listed, empty ones
/// too, so runs compare bucket by bucket and a CDF can be drawn from it.
fn histogram(samples_us: &[u32]) -> Vec<(Option<f64>, u64)> {
    let mut counts = [0u64; HISTOGRAM_BOUNDS_US.len() + 1];
    for &us in samples_us {
        counts[HISTOGRAM_BOUNDS_US.partition_point(|&b| b < us)] += 1;
    }
    let bounds = HISTOGRAM_BOUNDS_US
        .iter()
        .map(|&b| Some(f64::from(b) / 1000.0))
        .chain(std::iter::once(None));
    bounds.zip(counts).collect()
}

/// Per-second rates averaged over some seconds.
#[derive(Debug, Serialize, Default)]
pub struct Rates {
    pub seconds: usize,
    pub frames_in_per_sec: f64,
    pub events_in_per_sec: f64,
    pub bytes_in_per_sec: f64,
    pub msgs_out_per_sec: f64,
    pub bytes_out_per_sec: f64,
    pub mean_connected: f64,
}

fn rates(seconds: &[Second]) -> Rates {
    let n = seconds.len().max(1) as f64;
    let sum = |f: fn(&Second) -> u64| seconds.iter().map(f).sum::<u64>() as f64 / n;
    Rates {
        seconds: seconds.len(),
        frames_in_per_sec: sum(|s| s.frames_in),
        events_in_per_sec: sum(|s| s.events_in),
        bytes_in_per_sec: sum(|s| s.bytes_in),
        msgs_out_per_sec: sum(|s| s.msgs_out),
        bytes_out_per_sec: sum(|s| s.bytes_out),
        mean_connected: sum(|s| s.connected),
    }
}

/// The bot process's own CPU use.
#[derive(Debug, Serialize)]
pub struct BotCpu {
    pub cpu_secs: f64,
    /// Share of one core over the whole run, in percent.
    pub core_pct: f64,
    /// CPU per connected client per second of the run, in µs (busy µs per client-second).
    pub us_per_client_sec: f64,
    /// CPU per frame received, in µs.
    pub us_per_frame_in: f64,
}

/// User plus system CPU time of this process so far, from `/proc/self/stat`.
pub fn process_cpu_secs() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which is in parentheses and may hold spaces):
    // state is field 3, utime field 14, stime field 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    // Linux reports these in USER_HZ, which is 100 on every architecture it exposes to /proc.
    Some((utime + stime) / 100.0)
}

/// Everything the run measured.
#[derive(Debug, Serialize)]
pub struct Report {
    pub mode: &'static str,
    pub url: String,
    pub behaviour: String,
    pub clients_requested: usize,
    pub ramp_per_sec: f64,
    pub duration_secs: f64,
    pub clients_joined: u64,
    /// Most clients in the world at once (from the once-a-second samples).
    pub peak_connected: u64,
    pub connect_failed: BTreeMap<String, u64>,
    pub dropped: BTreeMap<String, u64>,
    pub dropped_total: u64,
    /// Averages over the whole run.
    pub rates: Rates,
    /// Averages over the seconds after every client had been started (and 2 s to settle).
    pub steady_rates: Rates,
    pub latency: LatencySummary,
    pub steady_latency: LatencySummary,
    /// The steady samples by latency: `[upper_bound_ms, count]`, see [`histogram`].
    pub steady_latency_histogram: Vec<(Option<f64>, u64)>,
    pub unconfirmed_moves: u64,
    /// Bytes per second each client received in the steady window.
    pub client_bandwidth: ClientBandwidth,
    pub casts: u64,
    pub errors: BTreeMap<String, u64>,
    pub bot_cpu: BotCpu,
    /// Churn mode: sessions, logins, leaves, returns and failures.
    pub churn: Option<crate::churn::ChurnSummary>,
    /// Handoff mode: handoffs, their latency, failures.
    pub handoffs: Option<crate::handoff::HandoffSummary>,
    pub series: Vec<Second>,
}

/// What the run was asked to do.
pub struct RunInfo {
    pub mode: &'static str,
    pub url: String,
    pub behaviour: String,
    pub clients: usize,
    pub ramp: f64,
    /// Seconds after the start from which the run counts as steady.
    pub steady_from: u64,
    /// When the bots stopped (the end of the steady window).
    pub end_at: Instant,
    pub churn: bool,
    pub handoffs: bool,
}

pub fn report(m: &Metrics, info: RunInfo, progress: Progress, wall: Duration) -> Report {
    let take = |map: &Mutex<BTreeMap<String, u64>>| {
        std::mem::take(&mut *map.lock().unwrap_or_else(|e| e.into_inner()))
    };
    let (all, steady) = {
        let mut l = m.latencies.lock().unwrap_or_else(|e| e.into_inner());
        (std::mem::take(&mut l.all), std::mem::take(&mut l.steady))
    };
    let dropped = take(&m.dropped);
    let seconds = progress.seconds;
    let steady_seconds: Vec<Second> = seconds
        .iter()
        .filter(|s| s.t > info.steady_from)
        .cloned()
        .collect();
    let steady_secs = m
        .steady_since
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .map_or(0.0, |t| {
            info.end_at.saturating_duration_since(t).as_secs_f64()
        });
    let client_bytes =
        std::mem::take(&mut *m.client_bytes.lock().unwrap_or_else(|e| e.into_inner()));
    let cpu = process_cpu_secs().unwrap_or(0.0);
    let client_secs: f64 = seconds.iter().map(|s| s.connected as f64).sum();
    let frames = get(&m.frames_in).max(1) as f64;
    Report {
        mode: info.mode,
        url: info.url,
        behaviour: info.behaviour,
        clients_requested: info.clients,
        ramp_per_sec: info.ramp,
        duration_secs: wall.as_secs_f64(),
        clients_joined: get(&m.joined),
        peak_connected: seconds.iter().map(|s| s.connected).max().unwrap_or(0),
        connect_failed: take(&m.connect_failed),
        dropped_total: dropped.values().sum(),
        dropped,
        rates: rates(&seconds),
        steady_rates: rates(&steady_seconds),
        latency: summarize(all),
        steady_latency_histogram: histogram(&steady),
        steady_latency: summarize(steady),
        unconfirmed_moves: get(&m.unconfirmed),
        client_bandwidth: bandwidth(client_bytes, take(&m.kind_bytes), steady_secs),
        casts: get(&m.casts),
        errors: take(&m.errors),
        bot_cpu: BotCpu {
            cpu_secs: cpu,
            core_pct: 100.0 * cpu / wall.as_secs_f64().max(1e-9),
            us_per_client_sec: 1e6 * cpu / client_secs.max(1.0),
            us_per_frame_in: 1e6 * cpu / frames,
        },
        churn: info.churn.then(|| crate::churn::summary(&m.churn)),
        handoffs: info.handoffs.then(|| crate::handoff::summary(&m.handoff)),
        series: seconds,
    }
}

impl Report {
    /// The closing summary line.
    pub fn print_summary(&self) {
        let ms = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.1}"));
        let r = &self.steady_rates;
        let l = &self.steady_latency;
        println!(
            "done ({}): {} of {} clients joined, {} dropped, {} failed to connect; steady: {:.0} clients, in {:.0} frames/s {:.0} ev/s {:.2} MB/s, out {:.0} msg/s {:.2} MB/s; move p50/p95/p99/max {}/{}/{}/{} ms ({} samples, {} unconfirmed); per client in {:.1}/{:.1} KiB/s mean/p99; {} casts; errors {:?}; dropped {:?}; bot CPU {:.1} s = {:.0}% of a core, {:.1} µs per client-second, {:.2} µs per frame",
            self.mode,
            self.clients_joined,
            self.clients_requested,
            self.dropped_total,
            self.connect_failed.values().sum::<u64>(),
            r.mean_connected,
            r.frames_in_per_sec,
            r.events_in_per_sec,
            r.bytes_in_per_sec / 1e6,
            r.msgs_out_per_sec,
            r.bytes_out_per_sec / 1e6,
            ms(l.p50_ms),
            ms(l.p95_ms),
            ms(l.p99_ms),
            ms(l.max_ms),
            l.samples,
            self.unconfirmed_moves,
            self.client_bandwidth.mean_bytes_per_sec / 1024.0,
            self.client_bandwidth.p99_bytes_per_sec / 1024.0,
            self.casts,
            self.errors,
            self.dropped,
            self.bot_cpu.cpu_secs,
            self.bot_cpu.core_pct,
            self.bot_cpu.us_per_client_sec,
            self.bot_cpu.us_per_frame_in,
        );
        if let Some(c) = &self.churn {
            println!(
                "churn: {} sessions ({} resumed lingering, {} by play), {} registered, logins {:?}, {} characters created, left {:?}, returned in place {} / elsewhere {} / after death {}, enter p50/p99 {}/{} ms, refusals {:?}, failures {:?}",
                c.sessions,
                c.resumed_lingering,
                c.entered_by_play,
                c.registered,
                c.logins,
                c.characters_created,
                c.left,
                c.returned_in_place,
                c.returned_elsewhere,
                c.returned_after_death,
                ms(c.enter_latency.p50_ms),
                ms(c.enter_latency.p99_ms),
                c.refusals,
                c.failures,
            );
        }
        if let Some(h) = &self.handoffs {
            let l = &h.latency;
            println!(
                "handoffs: {} done, latency p50/p90/p99/max {}/{}/{}/{} ms (steady p50/p99 {}/{} ms; to the handoff event p50/p99 {}/{} ms, reconnect p50/p99 {}/{} ms), {} failed {:?}; {} registered, {} logins, {} at login, {} local warps, {} deaths, {} chat lines, arrivals {:?}, refusals {:?}",
                h.handoffs,
                ms(l.p50_ms),
                ms(l.p90_ms),
                ms(l.p99_ms),
                ms(l.max_ms),
                ms(h.steady_latency.p50_ms),
                ms(h.steady_latency.p99_ms),
                ms(h.save_latency.p50_ms),
                ms(h.save_latency.p99_ms),
                ms(h.reconnect_latency.p50_ms),
                ms(h.reconnect_latency.p99_ms),
                h.failures_total,
                h.failures,
                h.registered,
                h.logins,
                h.handoffs_at_login,
                h.local_warps,
                h.deaths,
                h.chat_lines,
                h.arrivals,
                h.refusals,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_bandwidth_is_per_client_per_second_by_nearest_rank() {
        // 100 clients: 1,000 .. 100,000 bytes over 10 s.
        let bytes: Vec<u64> = (1..=100).rev().map(|i| i * 1000).collect();
        let kinds = BTreeMap::from([("move".to_string(), 400_000), ("chat".to_string(), 100_000)]);
        let b = bandwidth(bytes, kinds, 10.0);
        assert_eq!(b.clients, 100);
        assert_eq!(b.mean_bytes_per_sec, 5050.0);
        assert_eq!(b.p50_bytes_per_sec, 5000.0);
        assert_eq!(b.p99_bytes_per_sec, 9900.0);
        assert_eq!(b.max_bytes_per_sec, 10000.0);
        // Per type: what the mean client received of it each second.
        assert_eq!(b.by_kind["move"], 400.0);
        assert_eq!(b.by_kind["chat"], 100.0);
        let none = BTreeMap::new;
        assert_eq!(
            bandwidth(Vec::new(), none(), 10.0),
            ClientBandwidth::default()
        );
        assert_eq!(bandwidth(vec![5], none(), 0.0), ClientBandwidth::default());
    }

    #[test]
    fn latency_histogram_counts_each_sample_in_the_first_bucket_it_does_not_exceed() {
        // µs: below the first bound, on it, just above it, on 50 ms, between 63 and 80 ms,
        // on the last bound (2 s), above it (overflow) twice.
        let h = histogram(&[
            0, 999, 1_000, 1_001, 50_000, 70_000, 2_000_000, 2_000_001, 9_999_999,
        ]);
        assert_eq!(h.len(), HISTOGRAM_BOUNDS_US.len() + 1);
        let count = |ms: f64| h.iter().find(|(b, _)| *b == Some(ms)).map(|(_, n)| *n);
        assert_eq!(count(1.0), Some(3));
        assert_eq!(count(1.25), Some(1));
        assert_eq!(count(50.0), Some(1));
        assert_eq!(count(63.0), Some(0));
        assert_eq!(count(80.0), Some(1));
        assert_eq!(count(2000.0), Some(1));
        assert_eq!(h.last(), Some(&(None, 2)));
        assert_eq!(h.iter().map(|(_, n)| n).sum::<u64>(), 9);
        // Bounds rise strictly, ten a decade.
        assert!(HISTOGRAM_BOUNDS_US.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(HISTOGRAM_BOUNDS_US[10], 10 * HISTOGRAM_BOUNDS_US[0]);
        // Compact in JSON: a list of pairs, null for the overflow bound.
        let json = serde_json::to_string(&histogram(&[1_500])).unwrap();
        assert!(
            json.starts_with("[[1.0,0],[1.25,0],[1.6,1],[2.0,0]"),
            "{json}"
        );
        assert!(json.ends_with(",[2000.0,0],[null,0]]"), "{json}");
        assert!(json.len() < 500, "{} bytes", json.len());
    }
}
