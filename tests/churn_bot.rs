//! The load bot's churn mode (`emberkeep-bot --churn`, what tools/soak.sh runs) against a
//! real server: bots register, play, leave every way there is, come back by token and by
//! password, find their characters where they left them, and a second soak on the same
//! database logs in to the accounts the first one made.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{TestServer, WAIT, start, status_until};
use serde_json::Value;

const CLIENTS: u64 = 4;

/// Runs the bot binary in churn mode against `server` for a few seconds; returns its JSON
/// report.
async fn churn(server: &TestServer, dir: &Path, run: &str) -> Value {
    let json = dir.join(format!("{run}.json"));
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_emberkeep-bot"));
    cmd.args(["--url", &format!("ws://{}", server.addr)])
        .args(["--clients", &CLIENTS.to_string(), "--ramp", "20"])
        .args([
            "--duration",
            "8",
            "--behaviour",
            "walk",
            "--name-prefix",
            "churn",
        ])
        .args([
            "--churn",
            "--session-secs",
            "0.5..1.5",
            "--away-secs",
            "0.2..2",
        ])
        .args([
            "--drop-share",
            "0.4",
            "--logout-share",
            "0.3",
            "--password-share",
            "0.3",
        ])
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
        "{run}: the bot failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["mode"], "churn", "{report}");
    report["churn"].clone()
}

fn n(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn churning_bots_come_back_as_themselves_where_they_left_and_a_second_soak_logs_in() {
    // A short linger: some returns find the character lingering, others saved and gone.
    let server = start(&[], |c| c.world.linger_secs = 1.0).await;
    let dir = tempfile::tempdir().unwrap();

    let c = churn(&server, dir.path(), "first").await;
    assert_eq!(c["failures"], serde_json::json!({}), "{c}");
    assert_eq!(n(&c["registered"]), CLIENTS, "{c}");
    assert_eq!(n(&c["characters_created"]), CLIENTS, "{c}");
    let sessions = n(&c["sessions"]);
    assert!(sessions >= 3 * CLIENTS, "few sessions: {c}");
    // Every session but each bot's first is a return, by token or by password.
    let logins = &c["logins"];
    assert_eq!(
        n(&logins["resume"]) + n(&logins["password"]),
        sessions - CLIENTS,
        "{c}"
    );
    assert!(
        n(&logins["resume"]) > 0 && n(&logins["password"]) > 0,
        "{c}"
    );
    for kind in ["close", "drop", "logout"] {
        assert!(n(&c["left"][kind]) > 0, "no leave by {kind}: {c}");
    }
    assert!(n(&c["resumed_lingering"]) > 0, "{c}");
    assert!(n(&c["entered_by_play"]) > CLIENTS, "{c}");
    // Walkers on an empty map: every return finds its character where it was left.
    assert_eq!(n(&c["returned_in_place"]), sessions - CLIENTS, "{c}");
    assert_eq!(n(&c["returned_elsewhere"]), 0, "{c}");

    // Every character left (lingering ended, saved); nobody stays behind in the world.
    status_until(&server, WAIT, |s| {
        s["players"] == 0 && s["entities"]["players"] == 0 && s["connections"] == 0
    })
    .await;

    // A second soak on the same database: the accounts exist, so the bots log in.
    let c = churn(&server, dir.path(), "second").await;
    assert_eq!(c["failures"], serde_json::json!({}), "{c}");
    assert_eq!(n(&c["registered"]), 0, "{c}");
    assert_eq!(n(&c["refusals"]["username_taken"]), CLIENTS, "{c}");
    assert_eq!(n(&c["characters_created"]), 0, "{c}");
    assert!(n(&c["logins"]["password"]) >= CLIENTS, "{c}");
    server.shutdown().await;
}
