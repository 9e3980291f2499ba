//! A storage outage under play: the MongoDB-compatible database (a real secantusd process
//! keeping its data in a temporary folder) is killed while players play, stays away for
//! about 12 s (`EMBERKEEP_TEST_OUTAGE_SECS` sets it), and is started again on the same data.
//! Meanwhile items change hands, a player logs out, logins and guests are refused
//! `storage_unavailable` and the world keeps serving; afterwards the queued saves are
//! flushed, logins work again, and the player who left during the outage is back exactly as
//! he left, every item held once.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{Client, WAIT, greeted, login, register, start_with_mobs};
use emberkeep::storage::{MongoStore, Store};
use emberkeep_components::protocol::{
    ClientMsg, EntityKind, ErrorCode, PROTOCOL_VERSION, ServerEvent,
};

/// How long the database stays away: 12 s, or `EMBERKEEP_TEST_OUTAGE_SECS` (the issue's
/// minute is run by hand with `EMBERKEEP_TEST_OUTAGE_SECS=60`).
fn outage() -> Duration {
    let secs = std::env::var("EMBERKEEP_TEST_OUTAGE_SECS")
        .ok()
        .map(|v| {
            v.parse::<u64>().unwrap_or_else(|_| {
                panic!("EMBERKEEP_TEST_OUTAGE_SECS={v:?}: a whole number of seconds")
            })
        })
        .unwrap_or(12);
    Duration::from_secs(secs)
}

/// A database process, killed (SIGKILL) when dropped, so a failing test leaves none behind.
struct Db(Child);

impl Db {
    /// Kills the database at once: it is gone, as in a crash or a lost host.
    fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A secantusd on `port` keeping its data in `dir` (so it survives a restart).
fn start_db(bin: &str, port: u16, dir: &std::path::Path) -> Db {
    let db = Command::new(bin)
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .arg("--storage-path")
        .arg(dir)
        .arg("--sync-on-commit")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("secantusd starts");
    let deadline = std::time::Instant::now() + WAIT * 3;
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "the test database did not start on port {port}"
        );
        std::thread::sleep(Duration::from_millis(20)); // polling a port of another process
    }
    Db(db)
}

/// Registers `user`, creates the warrior `name` and enters the world.
async fn hero(addr: std::net::SocketAddr, user: &str, name: &str) -> Client {
    let mut c = greeted(addr).await;
    c.auth(register(user, "password123")).await.unwrap();
    c.create_and_play(name).await;
    c
}

/// Kills the rat `rat` (the test rat always drops a dagger), picks the dagger up; its item id.
async fn loot(c: &mut Client, rat: u64) -> u64 {
    c.send(&ClientMsg::Attack { target: rat }).await;
    let on_ground = c.next_ground_item(None).await;
    let before: Vec<u64> = (c.seen.iter().rev())
        .find_map(|e| match e {
            ServerEvent::Inventory { items, .. } => Some(items.iter().map(|i| i.id).collect()),
            _ => None,
        })
        .unwrap_or_default();
    c.send(&ClientMsg::Pickup { item: on_ground }).await;
    let new = |e: &ServerEvent| match e {
        ServerEvent::Inventory { items, .. } => (items.iter())
            .find(|i| !before.contains(&i.id))
            .map(|i| i.id),
        _ => None,
    };
    let bag = c
        .wait_for("the dagger in the bag", |e| new(e).is_some())
        .await;
    new(&bag).unwrap_or_default()
}

/// Waits until the client's inventory holds `item`.
async fn holding(c: &mut Client, item: u64) {
    c.saw_or_wait(
        "the item in the bag",
        |e| matches!(e, ServerEvent::Inventory { items, .. } if items.iter().any(|i| i.id == item)),
    )
    .await;
}

/// The mobs a client has been shown.
fn mobs(c: &Client) -> Vec<u64> {
    (c.seen.iter())
        .filter_map(|e| match e {
            ServerEvent::Spawn {
                id,
                kind: EntityKind::Mob,
                ..
            } => Some(*id),
            _ => None,
        })
        .collect()
}

/// The error a fresh connection gets for `msg` (after `hello` without a name if `greet`).
async fn refusal(addr: std::net::SocketAddr, msg: ClientMsg, greet: bool) -> (ErrorCode, String) {
    let mut c = if greet {
        greeted(addr).await
    } else {
        Client::connect(addr).await
    };
    c.send(&msg).await;
    match c
        .wait_for("error", |e| matches!(e, ServerEvent::Error { .. }))
        .await
    {
        ServerEvent::Error { code, message, .. } => (code, message),
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn a_storage_outage_queues_saves_refuses_logins_and_loses_nothing() {
    let Ok(bin) = std::env::var("SECANTUSD_BIN") else {
        eprintln!(
            "SECANTUSD_BIN is not set: the storage-outage test DID NOT RUN (scripts/test.sh provides it)"
        );
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut db = start_db(&bin, port, data.path());
    let uri = format!("mongodb://127.0.0.1:{port}/outage");
    let server = start_with_mobs(&[], &[("rat", 2, 1), ("rat", 1, 2)], |c| {
        c.server.database = uri.clone();
        c.world.save_interval_secs = 0.5;
    })
    .await;
    let mut ann = hero(server.addr, "ann", "Ann").await;
    let mut bob = hero(server.addr, "bob", "Bob").await;
    ann.sync().await;
    let rats = mobs(&ann);
    assert_eq!(rats.len(), 2, "{rats:?}");
    let first = loot(&mut ann, rats[0]).await;

    db.kill(); // SIGKILL: the database is gone
    let down_at = tokio::time::Instant::now();

    // A give between two players, and a pickup, while the store refuses every write.
    ann.send(&ClientMsg::Give {
        item: first,
        to: bob.id,
        count: None,
    })
    .await;
    holding(&mut bob, first).await;
    let second = loot(&mut bob, rats[1]).await;
    let deadline = tokio::time::Instant::now() + WAIT * 2;
    while common::stat(&server, |s| &s.storage_down) == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the failing save was never noticed"
        );
        ann.sync().await;
    }
    let status = common::status_json(&server).await;
    assert_eq!(status["storage_available"], false, "{status}");
    assert!(common::stat(&server, |s| &s.storage_queued_batches) >= 1);

    // Bob walks off and logs out: his last state exists only in the queue.
    for (x, y) in [(1, 2), (1, 3), (2, 3)] {
        bob.step(x, y).await;
    }
    bob.send(&ClientMsg::Logout).await;
    bob.wait_for("logged_out", |e| matches!(e, ServerEvent::LoggedOut))
        .await;

    // Logins and guests are refused, in words that say why; the world keeps serving Ann.
    let (code, text) = refusal(server.addr, login("bob", "password123"), true).await;
    assert_eq!(code, ErrorCode::StorageUnavailable);
    assert!(text.contains("database is unreachable"), "{text}");
    let guest = ClientMsg::Hello {
        version: PROTOCOL_VERSION,
        name: Some("Latecomer".into()),
        class: None,
    };
    assert_eq!(
        refusal(server.addr, guest, false).await.0,
        ErrorCode::StorageUnavailable
    );
    let mut at_home = true;
    let outage = outage();
    while down_at.elapsed() < outage {
        let to = if at_home { (0, 1) } else { (1, 1) };
        ann.step(to.0, to.1).await;
        at_home = !at_home;
    }
    assert_eq!(common::stat(&server, |s| &s.storage_down), 1);
    assert_eq!(common::stat(&server, |s| &s.storage_outages), 1);
    let queued = common::stat(&server, |s| &s.storage_queued_batches);
    assert!(
        (1..=2).contains(&queued),
        "later batches merge behind the head: {queued}"
    );

    // The database comes back on its data: the queue flushes and logins work again.
    let _db = start_db(&bin, port, data.path());
    let deadline = tokio::time::Instant::now() + WAIT * 3;
    while common::stat(&server, |s| &s.storage_down) == 1
        || common::stat(&server, |s| &s.storage_queued_batches) > 0
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the queue was not flushed after the database came back"
        );
        ann.sync().await;
    }
    let mut again = greeted(server.addr).await;
    again.auth(login("bob", "password123")).await.unwrap();
    match again.play("Bob").await {
        ServerEvent::Welcome { x, y, .. } => assert_eq!((x, y), (2, 3), "where Bob left"),
        _ => unreachable!(),
    }
    holding(&mut again, first).await;
    holding(&mut again, second).await;

    // In the database every item is held exactly once: both daggers by Bob.
    let store = MongoStore::open(&uri).await.unwrap();
    let all = store.all_characters().await.unwrap();
    let mut ids: Vec<(String, u64)> = (all.iter())
        .flat_map(|c| c.item_ids().map(|i| (c.name.clone(), i)))
        .collect();
    ids.sort();
    let mut daggers: Vec<(String, u64)> = (ids.iter())
        .filter(|&(_, i)| *i == first || *i == second)
        .cloned()
        .collect();
    daggers.sort_by_key(|(_, i)| *i);
    let mut want = vec![("Bob".to_string(), first), ("Bob".to_string(), second)];
    want.sort_by_key(|(_, i)| *i);
    assert_eq!(daggers, want);
    let mut unique: Vec<u64> = ids.iter().map(|(_, i)| *i).collect();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "an item saved twice: {ids:?}");

    server.shutdown().await;
}
