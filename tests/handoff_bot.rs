//! The load bot's handoff mode (`emberkeep-bot --handoffs`, what tools/cluster_load.sh runs)
//! against a real pair of processes: `a` hosts the map `test`, `b` the map `vault`, joined by a
//! real `nats-server` on the MongoDB-compatible server of `MONGODB_URI`. The bots register on
//! `a`, walk onto the stairs down, follow the handoff to `b`, walk onto the stairs up, follow
//! the handoff back, and so on; every trip is timed and none fails. Skipped (with a line
//! saying so) without `MONGODB_URI` or `nats-server`.

mod common;

use std::path::Path;
use std::time::Duration;

use common::cluster::{Nats, fresh_db, join, parts, until_joined};
use common::two_maps;
use common::{TestServer, start_with_maps};
use serde_json::Value;

const CLIENTS: u64 = 2;

/// A process of the cluster called `name` hosting `maps`.
async fn node(name: &str, maps: &[&str], nats: &Nats, db: &str) -> TestServer {
    start_with_maps(&two_maps(), |c| join(c, name, maps, nats, db)).await
}

/// Runs the bot binary in handoff mode for a few seconds, starting on `home`; returns its
/// JSON report.
async fn handoffs(home: &TestServer, dir: &Path) -> Value {
    let json = dir.join("handoffs.json");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_emberkeep-bot"));
    cmd.args(["--url", &format!("ws://{}", home.addr)])
        .args(["--clients", &CLIENTS.to_string(), "--ramp", "10"])
        .args(["--duration", "8", "--name-prefix", "hop", "--handoffs"])
        // The stairs down on `test` and up on `vault` (tests/common/cluster.rs).
        .args(["--warp", "test:5,1", "--warp", "vault:2,4"])
        .args(["--handoff-pause", "0.2..0.5"])
        .arg("--json")
        .arg(&json);
    // The bot ends itself (--duration, then at most 5 s for stragglers); this only bounds a
    // hang.
    let out = tokio::time::timeout(
        Duration::from_secs(60),
        tokio::task::spawn_blocking(move || cmd.output()),
    )
    .await
    .expect("the bot ends within 60 s")
    .unwrap()
    .expect("the bot runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the bot failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["mode"], "handoffs", "{report}");
    report["handoffs"].clone()
}

fn n(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

fn ms(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a latency: {v}"))
}

/// A counter of a server's `/metrics` (with or without the `_total` suffix).
async fn counter(s: &TestServer, name: &str) -> u64 {
    let addr = s.handle.as_ref().unwrap().http_addr();
    let text = common::http::get(addr, "/metrics").await.text();
    let value = text.lines().find_map(|l| {
        let (key, value) = l.split_once(' ')?;
        (key == name || key.strip_suffix("_total") == Some(name)).then_some(value)
    });
    value
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in /metrics:\n{text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handoff_bots_go_back_and_forth_between_two_processes_and_time_every_trip() {
    let Some((mongo, bin)) = parts("handoff_bot") else {
        return;
    };
    let nats = Nats::shared(&bin).await;
    let db = fresh_db(&mongo, "handoff_bot");
    let a = node("a", &["test"], &nats, &db).await;
    let b = node("b", &["vault"], &nats, &db).await;
    until_joined(&[&a, &b], 2).await;
    let dir = tempfile::tempdir().unwrap();

    let h = handoffs(&a, dir.path()).await;
    assert_eq!(h["failures"], serde_json::json!({}), "{h}");
    assert_eq!(n(&h["registered"]), CLIENTS, "{h}");
    assert_eq!(n(&h["characters_created"]), CLIENTS, "{h}");
    assert_eq!(n(&h["local_warps"]), 0, "{h}");
    // Several round trips each: first entries on `test`, then back and forth.
    let done = n(&h["handoffs"]);
    assert!(done >= 2 * CLIENTS, "few handoffs: {h}");
    assert_eq!(
        n(&h["arrivals"]["vault"]) + n(&h["arrivals"]["test"]),
        done + CLIENTS,
        "{h}"
    );
    assert!(n(&h["arrivals"]["vault"]) >= CLIENTS, "{h}");
    // Every trip timed; the two parts add up to the whole at each percentile's scale.
    let l = &h["latency"];
    assert_eq!(n(&l["samples"]), done, "{h}");
    assert!(ms(&l["p50_ms"]) <= ms(&l["p90_ms"]), "{h}");
    assert!(ms(&l["p90_ms"]) <= ms(&l["p99_ms"]), "{h}");
    assert!(ms(&l["p99_ms"]) <= ms(&l["max_ms"]), "{h}");
    assert!(ms(&l["p50_ms"]) > 0.0, "{h}");
    assert_eq!(n(&h["save_latency"]["samples"]), done, "{h}");
    assert!(ms(&h["save_latency"]["max_ms"]) <= ms(&l["max_ms"]), "{h}");
    assert!(
        ms(&h["reconnect_latency"]["max_ms"]) <= ms(&l["max_ms"]),
        "{h}"
    );

    // The servers counted the same trips (the last ones may have been under way at the end).
    let out =
        counter(&a, "emberkeep_handoffs_out").await + counter(&b, "emberkeep_handoffs_out").await;
    let taken =
        counter(&a, "emberkeep_handoffs_in").await + counter(&b, "emberkeep_handoffs_in").await;
    assert!(
        taken >= done && out >= taken,
        "servers: out {out}, in {taken}; bot: {done}"
    );
    assert!(out <= done + CLIENTS, "servers: out {out}; bot: {done}");
    a.shutdown().await;
    b.shutdown().await;
}
