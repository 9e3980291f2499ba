//! Observability over HTTP: `/metrics` in the Prometheus text format, `/status.json` for the
//! status page and the web client's observer view, and `/status`, a small page that shows it
//! live. Everything is read from the lock-free [`Stats`] counters.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use emberkeep_components::protocol::ClientMsg;
use emberkeep_systems::Phase;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{
    DescriptorEncoder, EncodeGaugeValue, EncodeMetric, MetricEncoder, NoLabelSet, prometheus_text,
};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;

use crate::stats::{BUCKETS_US, Histogram, Stats};

/// The `Content-Type` of [`prometheus`]'s text.
pub const CONTENT_TYPE: &str = prometheus_text::CONTENT_TYPE;

fn get(a: &AtomicU64) -> u64 {
    a.load(Ordering::Relaxed)
}

/// Every metric, in the Prometheus text exposition format (version 0.0.4).
pub fn prometheus(stats: &Arc<Stats>) -> String {
    // A registry per scrape is two small allocations next to the text's own; it reads the
    // counters through `Scrape`, so nothing the world thread writes is shared with it.
    let mut registry = Registry::default();
    registry.register_collector(Box::new(Scrape(stats.clone())));
    let mut out = String::with_capacity(8 * 1024);
    // Writing into a String cannot fail.
    let _ = prometheus_text::encode(&mut out, &registry);
    out
}

/// Reads every metric from [`Stats`] when scraped. The counters stay plain atomics (the world
/// thread never takes a lock for them); prometheus-client writes the text.
#[derive(Debug)]
struct Scrape(Arc<Stats>);

type Written = Result<(), std::fmt::Error>;

fn gauge<N: EncodeGaugeValue>(e: &mut DescriptorEncoder, name: &str, help: &str, v: N) -> Written {
    ConstGauge::new(v).encode(e.encode_descriptor(name, help, None, MetricType::Gauge)?)
}

/// A counter; `name` is written with `_total` after it.
fn counter(e: &mut DescriptorEncoder, name: &str, help: &str, v: &AtomicU64) -> Written {
    ConstCounter::new(get(v)).encode(e.encode_descriptor(name, help, None, MetricType::Counter)?)
}

impl Collector for Scrape {
    fn encode(&self, mut e: DescriptorEncoder) -> Written {
        let stats = &*self.0;
        let help = "Players with a character in the world.";
        gauge(
            &mut e,
            "emberkeep_players_online",
            help,
            get(&stats.players),
        )?;
        let help = "WebSocket connections the world knows.";
        gauge(
            &mut e,
            "emberkeep_connections",
            help,
            get(&stats.connections),
        )?;
        let help = "Connection tasks alive.";
        gauge(
            &mut e,
            "emberkeep_open_sockets",
            help,
            get(&stats.open_sockets),
        )?;
        counter(&mut e, "emberkeep_ticks", "Ticks run.", &stats.ticks)?;
        let help = "Ticks that took longer than the tick period.";
        counter(&mut e, "emberkeep_tick_overruns", help, &stats.overruns)?;
        let help = "WebSocket frames handed to connections.";
        counter(&mut e, "emberkeep_frames_out", help, &stats.frames_out)?;
        let help = "Bytes of frames handed to connections.";
        counter(&mut e, "emberkeep_bytes_out", help, &stats.bytes_out)?;
        let help = "Clients disconnected because their outbound queue was full.";
        counter(
            &mut e,
            "emberkeep_outbound_queue_drops",
            help,
            &stats.slow_disconnects,
        )?;
        counter(
            &mut e,
            "emberkeep_saves",
            "Save batches written.",
            &stats.saves,
        )?;
        let help = "Failed attempts at writing a save batch (each is retried until written).";
        counter(
            &mut e,
            "emberkeep_save_failures",
            help,
            &stats.save_failures,
        )?;
        let help = "1 while the database takes saves and nothing waits after a failure; 0 from a failed save until the queue is written (logins are refused meanwhile).";
        let up = 1 - get(&stats.storage_down).min(1);
        gauge(&mut e, "emberkeep_storage_available", help, up)?;
        let help = "1 while the link to the cluster's NATS server is up (0: down, or no cluster).";
        gauge(
            &mut e,
            "emberkeep_cluster_connected",
            help,
            get(&stats.cluster_connected),
        )?;
        let help = "Other live processes of the cluster (by their heartbeats).";
        gauge(
            &mut e,
            "emberkeep_cluster_peers",
            help,
            get(&stats.cluster_peers),
        )?;
        for (name, help, value) in [
            (
                "emberkeep_cluster_messages_sent",
                "NATS messages this process published.",
                &stats.cluster_msgs_out,
            ),
            (
                "emberkeep_cluster_bytes_sent",
                "Bytes of the NATS messages this process published (payloads).",
                &stats.cluster_bytes_out,
            ),
            (
                "emberkeep_cluster_messages_received",
                "NATS messages this process took from the cluster's subjects.",
                &stats.cluster_msgs_in,
            ),
            (
                "emberkeep_cluster_bytes_received",
                "Bytes of the NATS messages this process took (payloads).",
                &stats.cluster_bytes_in,
            ),
            (
                "emberkeep_cluster_messages_dropped",
                "Messages on the cluster's subjects dropped as malformed or foreign.",
                &stats.cluster_dropped,
            ),
            (
                "emberkeep_handoffs_out",
                "Players handed to another process.",
                &stats.handoffs_out,
            ),
            (
                "emberkeep_handoffs_in",
                "Players taken from another process.",
                &stats.handoffs_in,
            ),
        ] {
            counter(&mut e, name, help, value)?;
        }
        let help = "Times the database began refusing saves.";
        counter(
            &mut e,
            "emberkeep_storage_outages",
            help,
            &stats.storage_outages,
        )?;
        let help = "Save batches waiting for the database (queued batches are merged: at most 2).";
        let queued = get(&stats.storage_queued_batches);
        gauge(&mut e, "emberkeep_storage_queued_batches", help, queued)?;
        let help = "Records (characters, guilds) in the save batches waiting for the database.";
        let queued = get(&stats.storage_queued_records);
        gauge(&mut e, "emberkeep_storage_queued_records", help, queued)?;
        let help = "How long the last save batch took.";
        let secs = get(&stats.last_save_micros) as f64 / 1e6;
        gauge(&mut e, "emberkeep_last_save_seconds", help, secs)?;
        let help = "Storage requests waiting for room in the storage queue.";
        gauge(
            &mut e,
            "emberkeep_storage_backlog",
            help,
            get(&stats.storage_backlog),
        )?;
        let help = "Password hashes computed (registrations and login checks).";
        counter(
            &mut e,
            "emberkeep_password_hashes",
            help,
            &stats.password_hashes,
        )?;
        let help = "Password hashes running now (at most server.password_hash_threads).";
        let running = get(&stats.hashes_running);
        gauge(&mut e, "emberkeep_password_hashes_running", help, running)?;
        let help = "HTTP connections open now (at most server.http_max_connections).";
        let open = get(&stats.http_connections);
        gauge(&mut e, "emberkeep_http_connections", help, open)?;
        let help = "Content reloads applied.";
        counter(&mut e, "emberkeep_content_reloads", help, &stats.reloads)?;
        let help = "Content reloads refused (broken files).";
        counter(
            &mut e,
            "emberkeep_content_reload_failures",
            help,
            &stats.reload_failures,
        )?;

        let help = "Entities in the world, by kind.";
        let mut family =
            e.encode_descriptor("emberkeep_entities", help, None, MetricType::Gauge)?;
        for (kind, v) in [
            ("player", &stats.players_in_world),
            ("mob", &stats.mobs),
            ("npc", &stats.npcs),
            ("item", &stats.ground_items),
        ] {
            ConstGauge::new(get(v)).encode(family.encode_family(&[("kind", kind)])?)?;
        }
        let help = "Every entity of the ECS world, of any kind or none.";
        gauge(
            &mut e,
            "emberkeep_ecs_entities",
            help,
            get(&stats.ecs_entities),
        )?;
        let help = "Client messages decoded, by type.";
        let kind = MetricType::Counter;
        let mut family = e.encode_descriptor("emberkeep_inbound_messages", help, None, kind)?;
        for (kind, v) in ClientMsg::KINDS.iter().zip(stats.inbound_by_type.iter()) {
            ConstCounter::new(get(v)).encode(family.encode_family(&[("type", *kind)])?)?;
        }
        let help = "Messages and connections refused before the world, by reason.";
        let kind = MetricType::Counter;
        let mut family = e.encode_descriptor("emberkeep_rejected", help, None, kind)?;
        let r = &stats.rejected;
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
            ConstCounter::new(get(v)).encode(family.encode_family(&[("reason", reason)])?)?;
        }

        let help = "Duration of whole ticks.";
        let kind = MetricType::Histogram;
        Durations(&stats.tick_time).encode(e.encode_descriptor(
            "emberkeep_tick_seconds",
            help,
            None,
            kind,
        )?)?;
        let help = "Duration of each tick phase.";
        let mut family = e.encode_descriptor("emberkeep_phase_seconds", help, None, kind)?;
        for (phase, h) in Phase::ALL.iter().zip(&stats.phase_time) {
            Durations(h).encode(family.encode_family(&[("phase", phase.name())])?)?;
        }
        Ok(())
    }
}

/// A [`Histogram`] of durations, in seconds.
struct Durations<'a>(&'a Histogram);

impl EncodeMetric for Durations<'_> {
    fn encode(&self, mut encoder: MetricEncoder) -> Written {
        let h = self.0;
        let mut buckets = [(f64::INFINITY, get(&h.over)); BUCKETS_US.len() + 1];
        for (i, bound) in BUCKETS_US.iter().enumerate() {
            buckets[i] = (*bound as f64 / 1e6, get(&h.buckets[i]));
        }
        let sum = get(&h.sum_us) as f64 / 1e6;
        encoder.encode_histogram::<NoLabelSet>(sum, get(&h.count), &buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Histogram
    }
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
            "all": get(&stats.ecs_entities),
        },
        "frames_out": get(&stats.frames_out),
        "bytes_out": get(&stats.bytes_out),
        "saves": get(&stats.saves),
        "save_failures": get(&stats.save_failures),
        "storage_available": get(&stats.storage_down) == 0,
        "storage_queued_batches": get(&stats.storage_queued_batches),
        "storage_queued_records": get(&stats.storage_queued_records),
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
  ["saves","Saves"],["save_failures","Failed save attempts"],["storage_available","Database available"],
  ["storage_queued_records","Records waiting for the database"]];
const pick = (o, path) => path.split(".").reduce((v, k) => v?.[k], o);
const bad = (k, v) => (k === "storage_available" ? v === false : (k === "save_failures" || k === "storage_queued_records") && v);
async function refresh() {
  try {
    const s = await (await fetch("/status.json", {cache: "no-store"})).json();
    document.getElementById("t").innerHTML = rows.map(([k, label]) =>
      `<tr><td>${label}</td><td class="${bad(k, s[k]) ? "bad" : ""}">${pick(s, k)}</td></tr>`).join("");
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
        let stats = Arc::new(Stats::default());
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
