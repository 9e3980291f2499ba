//! Issue 20: a process of the cluster killed with SIGKILL in the middle of a storm of
//! handoffs. Two real `emberkeep` processes (a hosts `test`, b the `vault` below its stairs)
//! on a real nats-server and the MongoDB-compatible server of `MONGODB_URI`; players carrying
//! items walk up and down the stairs, following every handoff, while a is killed. Then: b
//! kept serving; once a's leases ran out, every player logs in again (on b) and plays; and
//! every item is held by exactly one character in the database.

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use common::cluster::{Nats, free_port, fresh_db, parts};
use common::{Client, TO_VAULT, WAIT, greeted, login, register};
use emberkeep::storage::{AccountRecord, MongoStore, Store, auth};
use emberkeep_components::persist::{CharacterRecord, ItemRecord};
use emberkeep_components::protocol::{ClientMsg, Role, ServerEvent};

const PLAYERS: usize = 8;
const ITEMS_EACH: u64 = 3;

/// A server process this test started; killed (SIGKILL) by its PID when dropped.
struct Proc {
    child: Child,
    ws: SocketAddr,
    http: SocketAddr,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts process `name` hosting `maps` on the assets in `dir`.
async fn spawn(dir: &std::path::Path, name: &str, maps: &str, nats: &Nats, db: &str) -> Proc {
    let (ws, http) = (free_port(), free_port());
    let child = Command::new(env!("CARGO_BIN_EXE_emberkeep"))
        .env("EMBERKEEP_SERVER_WS_ADDR", format!("\"127.0.0.1:{ws}\""))
        .env(
            "EMBERKEEP_SERVER_HTTP_ADDR",
            format!("\"127.0.0.1:{http}\""),
        )
        .env("EMBERKEEP_SERVER_ASSETS", dir)
        .env("EMBERKEEP_SERVER_DATABASE", db)
        .env("EMBERKEEP_SERVER_NATS", nats.url())
        .env("EMBERKEEP_SERVER_WATCH_ASSETS", "false")
        .env("EMBERKEEP_SERVER_STATS_INTERVAL_SECS", "0")
        .env("EMBERKEEP_SERVER_SHUTDOWN_SAVE_SECS", "5")
        .env("EMBERKEEP_WORLD_MAP", "test")
        .env("EMBERKEEP_WORLD_MAPS", maps)
        .env("EMBERKEEP_WORLD_REGION_SIZE", "4")
        .env("EMBERKEEP_WORLD_STEPS_PER_SEC", "20")
        .env("EMBERKEEP_WORLD_STEP_BURST", "20")
        .env("EMBERKEEP_CLUSTER_NAME", name)
        .env("EMBERKEEP_CLUSTER_SUBJECT_PREFIX", &nats.prefix)
        .env("EMBERKEEP_CLUSTER_HEARTBEAT_SECS", "0.1")
        .env("EMBERKEEP_CLUSTER_PEER_TIMEOUT_SECS", "0.6")
        .env("EMBERKEEP_CLUSTER_LEASE_SECS", "2.0")
        .env("EMBERKEEP_CLUSTER_HANDOFF_SECS", "3.0")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("emberkeep starts");
    let ws: SocketAddr = format!("127.0.0.1:{ws}").parse().unwrap();
    let http: SocketAddr = format!("127.0.0.1:{http}").parse().unwrap();
    tokio::time::timeout(WAIT, async {
        while tokio::net::TcpStream::connect(ws).await.is_err() {
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
    })
    .await
    .expect("the process listens");
    Proc { child, ws, http }
}

/// Waits until the process at `http` sees `n` processes in its cluster.
async fn until_joined(http: SocketAddr, n: usize) {
    tokio::time::timeout(WAIT, async {
        loop {
            let r = common::http::get(http, "/cluster.json").await;
            let v: serde_json::Value = serde_json::from_str(&r.text()).unwrap_or_default();
            if v["processes"].as_array().map_or(0, |p| p.len()) == n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
    })
    .await
    .expect("the processes see each other");
}

/// `test` with stairs at (5, 1) down to the vault's (2, 2); the vault's stairs at (2, 4)
/// lead back up to (4, 1).
fn write_maps(dir: &std::path::Path) {
    common::write_test_content(dir);
    std::fs::create_dir_all(dir.join("maps")).unwrap();
    for (name, json) in common::two_maps() {
        std::fs::write(dir.join(format!("maps/{name}.tmj")), json).unwrap();
    }
}

/// The handoff a client is told about (`None`: its connection ended first, or nothing came).
async fn handoff(c: &mut Client) -> Option<(SocketAddr, String)> {
    loop {
        match tokio::time::timeout(WAIT, c.next_or_end()).await {
            Ok(Some(ServerEvent::Handoff { url, token, .. })) => {
                return Some((url.trim_start_matches("ws://").parse().ok()?, token));
            }
            Ok(Some(_)) => continue,
            _ => return None,
        }
    }
}

/// One player of the storm: walks down to the vault and back up, following each handoff,
/// until `stop`, or until its process goes away under it. Counts its handoffs.
async fn storm(mut c: Client, stop: Arc<AtomicBool>, done: Arc<AtomicU64>) {
    let mut on_vault = false;
    while !stop.load(Ordering::Relaxed) {
        let path: Vec<(i32, i32)> = if on_vault {
            vec![(58, 3), (58, 4)]
        } else {
            TO_VAULT.to_vec()
        };
        for (x, y) in path {
            if c.try_send(&ClientMsg::Move { x, y, seq: None })
                .await
                .is_err()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(60)).await;
        }
        let Some((addr, token)) = handoff(&mut c).await else {
            return;
        };
        let Ok(Ok((ws, _))) = tokio::time::timeout(
            WAIT,
            tokio_tungstenite::connect_async(format!("ws://{addr}")),
        )
        .await
        else {
            return;
        };
        let mut next = Client::over(ws);
        let hello = ClientMsg::Hello {
            version: emberkeep_components::protocol::PROTOCOL_VERSION,
            name: None,
            class: None,
        };
        if next.try_send(&hello).await.is_err()
            || next.try_send(&ClientMsg::Handoff { token }).await.is_err()
        {
            return;
        }
        loop {
            match tokio::time::timeout(WAIT, next.next_or_end()).await {
                Ok(Some(ServerEvent::Welcome { .. })) => break,
                Ok(Some(ServerEvent::Error { .. })) | Ok(None) | Err(_) => return,
                Ok(Some(_)) => {}
            }
        }
        done.fetch_add(1, Ordering::Relaxed);
        c = next;
        on_vault = !on_vault;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_a_storm_of_handoffs_loses_and_duplicates_nothing() {
    let Some((mongo, bin)) = parts("storm") else {
        return;
    };
    let nats = Nats::shared(&bin).await;
    let db = fresh_db(&mongo, "storm");
    let dir = tempfile::tempdir().unwrap();
    write_maps(dir.path());

    // Players seeded on `test` holding items 1..=24.
    let store = MongoStore::open(&db).await.unwrap();
    let hash = auth::hash_password("password123").unwrap();
    let mut items = Vec::new();
    for p in 0..PLAYERS {
        let key = format!("user{p}");
        let account = AccountRecord {
            key: key.clone(),
            username: key.clone(),
            password_hash: hash.clone(),
            role: Role::Player,
            created_at: 0,
        };
        store.create_account(account).await.unwrap();
        let mut c = CharacterRecord::new(&format!("Hero{p}"), &key, "warrior");
        c.map = Some("test".into());
        (c.x, c.y) = (1, 1);
        for i in 0..ITEMS_EACH {
            let id = p as u64 * ITEMS_EACH + i + 1;
            let template = if i == 0 { "dagger" } else { "potion" };
            c.inventory.push(ItemRecord {
                id,
                template: template.into(),
                count: 1,
            });
            items.push(id);
        }
        store.create_character(c, 5).await.unwrap();
    }

    let a = spawn(dir.path(), "a", "test", &nats, &db).await;
    let b = spawn(dir.path(), "b", "vault", &nats, &db).await;
    until_joined(a.http, 2).await;
    until_joined(b.http, 2).await;

    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let mut players = Vec::new();
    for p in 0..PLAYERS {
        let mut c = greeted(a.ws).await;
        c.auth(login(&format!("user{p}"), "password123"))
            .await
            .unwrap();
        c.play(&format!("Hero{p}")).await;
        players.push(tokio::spawn(storm(c, stop.clone(), done.clone())));
    }
    // Kill a while handoffs are under way in both directions.
    tokio::time::timeout(WAIT, async {
        while done.load(Ordering::Relaxed) < PLAYERS as u64 * 2 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("handoffs go on");
    let mut a = a;
    a.child.kill().unwrap();
    a.child.wait().unwrap();
    let before_kill = done.load(Ordering::Relaxed);

    // b keeps serving: a new account registers and the players there go on.
    let mut newcomer = greeted(b.ws).await;
    newcomer
        .auth(register("newcomer", "password123"))
        .await
        .expect("b serves on");
    stop.store(true, Ordering::Relaxed);
    for p in players {
        let _ = tokio::time::timeout(WAIT * 2, p).await;
    }
    assert!(before_kill >= PLAYERS as u64 * 2, "{before_kill} handoffs");

    // With a still down, every player logs in again on b once a's leases (2 s) and handoff
    // tokens (3 s) ran out.
    let mut back = Vec::new();
    for p in 0..PLAYERS {
        let user = format!("user{p}");
        let c = tokio::time::timeout(WAIT, async {
            loop {
                let mut c = greeted(b.ws).await;
                if c.auth(login(&user, "password123")).await.is_ok() {
                    return c;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        })
        .await
        .unwrap_or_else(|_| panic!("{user} logs in again after the lease timeout"));
        back.push(c);
    }
    // a comes back; each plays: on b if it is in the vault, else handed on to a.
    let a = spawn(dir.path(), "a", "test", &nats, &db).await;
    until_joined(b.http, 2).await;
    for (p, mut c) in back.into_iter().enumerate() {
        c.send(&ClientMsg::Play {
            name: format!("Hero{p}"),
        })
        .await;
        let got = c
            .wait_for("welcome or handoff", |e| {
                matches!(e, ServerEvent::Welcome { .. } | ServerEvent::Handoff { .. })
            })
            .await;
        if let ServerEvent::Handoff { url, token, .. } = got {
            let to: SocketAddr = url.trim_start_matches("ws://").parse().unwrap();
            assert_eq!(to, a.ws, "the test map is a's");
            let mut there = greeted(to).await;
            there.send(&ClientMsg::Handoff { token }).await;
            there
                .wait_for("welcome on a", |e| matches!(e, ServerEvent::Welcome { .. }))
                .await;
        }
    }

    // Each item is held by exactly one character.
    let mut held: BTreeMap<u64, usize> = BTreeMap::new();
    for c in store.all_characters().await.unwrap() {
        for id in c.item_ids() {
            *held.entry(id).or_insert(0) += 1;
        }
    }
    for id in &items {
        assert_eq!(held.get(id), Some(&1), "item {id} (all: {held:?})");
    }
    assert_eq!(held.len(), items.len(), "no new item appeared: {held:?}");
    drop(a);
    drop(b);
}
