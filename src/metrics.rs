//! Observability over HTTP: `/metrics` in the Prometheus text format, `/status.json` for the
//! status page and the web client's observer view, and `/status`, a small page that shows it
//! live. Everything is read from the lock-free [`Stats`] counters.

use std::fmt::Write;
use std::sync::atomic::Ordering;

use emberkeep_components::protocol::ClientMsg;
use emberkeep_systems::Phase;

use crate::stats::{BUCKETS_US, Histogram, Stats};

fn get(a: &std::sync::atomic::AtomicU64) -> u64 {
    a.load(Ordering::Relaxed)
}

fn counter(out: &mut String, name: &str, help: &str, kind: &str, value: u64) {
    let _ = writeln!(
        out,
        "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
    );
}

fn histogram(out: &mut String, name: &str, labels: &str, h: &Histogram) {
    let mut cumulative = 0;
    for (i, bound) in BUCKETS_US.iter().enumerate() {
        cumulative += get(&h.buckets[i]);
        let le = *bound as f64 / 1e6;
        let _ = writeln!(out, "{name}_bucket{{{labels}le=\"{le}\"}} {cumulative}");
    }
    cumulative += get(&h.over);
    let _ = writeln!(out, "{name}_bucket{{{labels}le=\"+Inf\"}} {cumulative}");
    let l = labels.trim_end_matches(',');
    let l = if l.is_empty() {
        String::new()
    } else {
        format!("{{{l}}}")
    };
    let _ = writeln!(out, "{name}_sum{l} {}", get(&h.sum_us) as f64 / 1e6);
    let _ = writeln!(out, "{name}_count{l} {}", get(&h.count));
}

/// Every metric, in the Prometheus text exposition format.
pub fn prometheus(stats: &Stats) -> String {
    let mut out = String::with_capacity(8 * 1024);
    counter(
        &mut out,
        "emberkeep_players_online",
        "Players with a character in the world.",
        "gauge",
        get(&stats.players),
    );
    counter(
        &mut out,
        "emberkeep_connections",
        "WebSocket connections the world knows.",
        "gauge",
        get(&stats.connections),
    );
    counter(
        &mut out,
        "emberkeep_open_sockets",
        "Connection tasks alive.",
        "gauge",
        get(&stats.open_sockets),
    );
    counter(
        &mut out,
        "emberkeep_ticks_total",
        "Ticks run.",
        "counter",
        get(&stats.ticks),
    );
    counter(
        &mut out,
        "emberkeep_tick_overruns_total",
        "Ticks that took longer than the tick period.",
        "counter",
        get(&stats.overruns),
    );
    counter(
        &mut out,
        "emberkeep_frames_out_total",
        "WebSocket frames handed to connections.",
        "counter",
        get(&stats.frames_out),
    );
    counter(
        &mut out,
        "emberkeep_bytes_out_total",
        "Bytes of frames handed to connections.",
        "counter",
        get(&stats.bytes_out),
    );
    counter(
        &mut out,
        "emberkeep_outbound_queue_drops_total",
        "Clients disconnected because their outbound queue was full.",
        "counter",
        get(&stats.slow_disconnects),
    );
    counter(
        &mut out,
        "emberkeep_saves_total",
        "Save batches written.",
        "counter",
        get(&stats.saves),
    );
    counter(
        &mut out,
        "emberkeep_save_failures_total",
        "Save batches that failed after every retry.",
        "counter",
        get(&stats.save_failures),
    );
    let save_secs = get(&stats.last_save_micros) as f64 / 1e6;
    let _ = writeln!(
        out,
        "# HELP emberkeep_last_save_seconds How long the last save batch took.\n# TYPE emberkeep_last_save_seconds gauge\nemberkeep_last_save_seconds {save_secs}"
    );
    counter(
        &mut out,
        "emberkeep_storage_backlog",
        "Storage requests waiting for room in the storage queue.",
        "gauge",
        get(&stats.storage_backlog),
    );
    counter(
        &mut out,
        "emberkeep_password_hashes_total",
        "Password hashes computed (registrations and login checks).",
        "counter",
        get(&stats.password_hashes),
    );
    counter(
        &mut out,
        "emberkeep_password_hashes_running",
        "Password hashes running now (at most server.password_hash_threads).",
        "gauge",
        get(&stats.hashes_running),
    );
    counter(
        &mut out,
        "emberkeep_http_connections",
        "HTTP connections open now (at most server.http_max_connections).",
        "gauge",
        get(&stats.http_connections),
    );
    counter(
        &mut out,
        "emberkeep_content_reloads_total",
        "Content reloads applied.",
        "counter",
        get(&stats.reloads),
    );
    counter(
        &mut out,
        "emberkeep_content_reload_failures_total",
        "Content reloads refused (broken files).",
        "counter",
        get(&stats.reload_failures),
    );

    let _ = writeln!(
        out,
        "# HELP emberkeep_entities Entities in the world, by kind.\n# TYPE emberkeep_entities gauge"
    );
    for (kind, v) in [
        ("player", &stats.players_in_world),
        ("mob", &stats.mobs),
        ("npc", &stats.npcs),
        ("item", &stats.ground_items),
    ] {
        let _ = writeln!(out, "emberkeep_entities{{kind=\"{kind}\"}} {}", get(v));
    }
    let _ = writeln!(
        out,
        "# HELP emberkeep_inbound_messages_total Client messages decoded, by type.\n# TYPE emberkeep_inbound_messages_total counter"
    );
    for (i, kind) in ClientMsg::KINDS
        .iter()
        .enumerate()
        .take(stats.inbound_by_type.len())
    {
        let _ = writeln!(
            out,
            "emberkeep_inbound_messages_total{{type=\"{kind}\"}} {}",
            get(&stats.inbound_by_type[i])
        );
    }
    let r = &stats.rejected;
    let _ = writeln!(
        out,
        "# HELP emberkeep_rejected_total Messages and connections refused before the world, by reason.\n# TYPE emberkeep_rejected_total counter"
    );
    for (reason, v) in [
        ("rate_limited", &r.rate_limited),
        ("duplicate", &r.duplicate),
        ("malformed", &r.malformed),
        ("oversized", &r.oversized),
        ("flood_kick", &r.flood_kicks),
        ("idle_kick", &r.idle_kicks),
        ("refused_connection", &r.refused_connections),
        ("busy", &r.hash_busy),
        ("registration_limited", &r.registration_limited),
        ("locked_out", &r.locked_out),
    ] {
        let _ = writeln!(
            out,
            "emberkeep_rejected_total{{reason=\"{reason}\"}} {}",
            get(v)
        );
    }
    let _ = writeln!(
        out,
        "# HELP emberkeep_tick_seconds Duration of whole ticks.\n# TYPE emberkeep_tick_seconds histogram"
    );
    histogram(&mut out, "emberkeep_tick_seconds", "", &stats.tick_time);
    let _ = writeln!(
        out,
        "# HELP emberkeep_phase_seconds Duration of each tick phase.\n# TYPE emberkeep_phase_seconds histogram"
    );
    for (i, phase) in Phase::ALL.iter().enumerate() {
        histogram(
            &mut out,
            "emberkeep_phase_seconds",
            &format!("phase=\"{}\",", phase.name()),
            &stats.phase_time[i],
        );
    }
    out
}

/// The figures the status page and the observer view show.
pub fn status_json(stats: &Stats, tick_rate: u32) -> serde_json::Value {
    let mean_us = |h: &Histogram| get(&h.sum_us).checked_div(get(&h.count)).unwrap_or(0);
    serde_json::json!({
        "players": get(&stats.players),
        "connections": get(&stats.connections),
        "tick_rate": tick_rate,
        "ticks": get(&stats.ticks),
        "last_tick_us": get(&stats.last_tick_micros),
        "mean_tick_us": mean_us(&stats.tick_time),
        "overruns": get(&stats.overruns),
        "entities": {
            "players": get(&stats.players_in_world),
            "mobs": get(&stats.mobs),
            "npcs": get(&stats.npcs),
            "items": get(&stats.ground_items),
        },
        "frames_out": get(&stats.frames_out),
        "bytes_out": get(&stats.bytes_out),
        "saves": get(&stats.saves),
        "save_failures": get(&stats.save_failures),
    })
}

/// A self-refreshing page over `/status.json`.
pub const STATUS_PAGE: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Emberkeep status</title>
<style>body{font:15px system-ui,sans-serif;background:#15171c;color:#e8e6e1;margin:2rem}
h1{font-size:1.3rem}table{border-collapse:collapse}td{padding:.25rem 1.2rem .25rem 0}
td:first-child{color:#9aa0aa}.bad{color:#ff7b6b}</style></head>
<body><h1>Emberkeep status</h1><table id="t"></table><p><a href="/metrics" style="color:#8ab4f8">Prometheus metrics</a></p>
<script type="module">
const rows = [["players","Players online"],["connections","Connections"],["tick_rate","Tick rate (Hz)"],
  ["last_tick_us","Last tick (µs)"],["mean_tick_us","Mean tick (µs)"],["overruns","Tick overruns"],
  ["entities.mobs","Mobs"],["entities.npcs","NPCs"],["entities.items","Items on the ground"],
  ["saves","Saves"],["save_failures","Save failures"]];
const pick = (o, path) => path.split(".").reduce((v, k) => v?.[k], o);
async function refresh() {
  try {
    const s = await (await fetch("/status.json", {cache: "no-store"})).json();
    document.getElementById("t").innerHTML = rows.map(([k, label]) =>
      `<tr><td>${label}</td><td class="${k === "save_failures" && s[k] ? "bad" : ""}">${pick(s, k)}</td></tr>`).join("");
  } catch { document.getElementById("t").innerHTML = '<tr><td class="bad">server unreachable</td></tr>'; }
}
refresh(); setInterval(refresh, 1000);
</script></body></html>
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_text_has_help_type_and_cumulative_buckets() {
        let stats = Stats::default();
        stats.tick_time.observe(80);
        stats.tick_time.observe(3_000);
        stats.tick_time.observe(200_000);
        Stats::add(&stats.overruns, 2);
        let text = prometheus(&stats);
        assert!(text.contains(
            "# TYPE emberkeep_tick_overruns_total counter\nemberkeep_tick_overruns_total 2"
        ));
        assert!(text.contains("emberkeep_tick_seconds_bucket{le=\"0.0001\"} 1"));
        assert!(text.contains("emberkeep_tick_seconds_bucket{le=\"0.005\"} 2"));
        assert!(text.contains("emberkeep_tick_seconds_bucket{le=\"+Inf\"} 3"));
        assert!(text.contains("emberkeep_tick_seconds_count 3"));
        assert!(
            text.contains("emberkeep_phase_seconds_bucket{phase=\"movement\",le=\"0.0001\"} 0")
        );
        assert!(text.contains("emberkeep_inbound_messages_total{type=\"move\"} 0"));
    }
}
