//! One conformance suite for every storage backend: the same checks run against SQLite (a
//! temp file) and MongoDB (the server in `MONGODB_URI`, started by scripts/test.sh).

use std::collections::BTreeMap;

use emberkeep::storage::{
    AccountRecord, BanRecord, BanTarget, MongoStore, SessionRecord, SqliteStore, Store, StoreError,
};
use emberkeep_components::content::EquipSlot;
use emberkeep_components::guild::{GuildMember, GuildRank, GuildRecord};
use emberkeep_components::persist::{
    CharacterRecord, DoorRecord, GroundRecord, ItemRecord, MapRecord, SaveBatch, SaveReason,
    WorldRecord, WorldSave, WorldSnapshot,
};
use emberkeep_components::protocol::Role;

fn account(key: &str) -> AccountRecord {
    AccountRecord {
        key: key.to_lowercase(),
        username: key.into(),
        password_hash: "h".into(),
        role: Role::Player,
        created_at: 1,
    }
}

fn character(name: &str, account: &str, items: &[u64]) -> CharacterRecord {
    let mut c = CharacterRecord::new(name, account, "warrior");
    c.inventory = items
        .iter()
        .map(|id| ItemRecord {
            id: *id,
            template: "rat_tail".into(),
            count: 1,
        })
        .collect();
    c
}

/// Every check, in order, on one fresh store.
async fn conformance<S: Store>(s: S) {
    accounts(&s).await;
    sessions(&s).await;
    characters(&s).await;
    saves(&s).await;
    social_and_purses(&s).await;
    guilds(&s).await;
    bans(&s).await;
    hostile_strings(&s).await;
    ground_and_world(&s).await;
}

async fn accounts<S: Store>(s: &S) {
    assert_eq!(s.account("ann".into()).await.unwrap(), None);
    s.create_account(account("Ann")).await.unwrap();
    let got = s.account("ann".into()).await.unwrap().unwrap();
    assert_eq!((got.username.as_str(), got.role), ("Ann", Role::Player));
    assert!(
        matches!(
            s.create_account(account("ANN")).await,
            Err(StoreError::Conflict(_))
        ),
        "usernames are unique in any case"
    );
    assert!(s.set_role("ann".into(), Role::Admin).await.unwrap());
    assert_eq!(
        s.account("ann".into()).await.unwrap().unwrap().role,
        Role::Admin
    );
    assert!(!s.set_role("nobody".into(), Role::Gm).await.unwrap());
}

async fn sessions<S: Store>(s: &S) {
    let session = SessionRecord {
        token_hash: "abc".into(),
        account: "ann".into(),
        expires_at: 99,
    };
    s.put_session(session.clone()).await.unwrap();
    assert_eq!(s.session("abc".into()).await.unwrap(), Some(session));
    s.delete_session("abc".into()).await.unwrap();
    assert_eq!(s.session("abc".into()).await.unwrap(), None);
}

async fn characters<S: Store>(s: &S) {
    s.create_character(character("Zed", "ann", &[]), 2)
        .await
        .unwrap();
    s.create_character(character("Amy", "ann", &[1, 2]), 2)
        .await
        .unwrap();
    assert!(matches!(
        s.create_character(character("AMY", "bob", &[]), 5).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        s.create_character(character("Cat", "ann", &[]), 2).await,
        Err(StoreError::Limit(_))
    ));
    let names: Vec<String> = s
        .characters("ann".into())
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, vec!["Amy", "Zed"]);
    assert_eq!(
        s.character("amy".into())
            .await
            .unwrap()
            .unwrap()
            .inventory
            .len(),
        2
    );
    assert!(
        !s.delete_character("bob".into(), "zed".into())
            .await
            .unwrap(),
        "only the owner deletes"
    );
    assert!(
        s.delete_character("ann".into(), "zed".into())
            .await
            .unwrap()
    );
    assert_eq!(s.character("zed".into()).await.unwrap(), None);
}

async fn saves<S: Store>(s: &S) {
    assert_eq!(s.next_item_id().await.unwrap(), 1, "empty store");
    s.create_character(character("Bob", "bob", &[3]), 5)
        .await
        .unwrap();
    // One atomic batch moves item 2 from Amy to Bob.
    let mut amy = character("Amy", "ann", &[1]);
    amy.x = 12;
    amy.level = 4;
    // Ability cooldowns: ticks left, by ability.
    amy.cooldowns = BTreeMap::from([("power_strike".into(), 15), ("charge".into(), 200)]);
    amy.equipment = BTreeMap::from([(
        EquipSlot::Weapon,
        ItemRecord {
            id: 7,
            template: "rusty_sword".into(),
            count: 1,
        },
    )]);
    let bob = character("Bob", "bob", &[3, 2]);
    let batch = SaveBatch {
        leases: Vec::new(),
        characters: vec![amy.clone(), bob.clone()],
        guilds: Vec::new(),
        removed_guilds: Vec::new(),
        next_item_id: 40,
        reason: SaveReason::Transfer,
        world: WorldSave::default(),
    };
    s.save(batch).await.unwrap();
    assert_eq!(s.character("amy".into()).await.unwrap().unwrap(), amy);
    assert_eq!(s.character("bob".into()).await.unwrap().unwrap(), bob);
    assert_eq!(s.next_item_id().await.unwrap(), 40);
    // The mark never goes back.
    s.save(SaveBatch {
        leases: Vec::new(),
        characters: vec![amy],
        guilds: Vec::new(),
        removed_guilds: Vec::new(),
        next_item_id: 12,
        reason: SaveReason::Periodic,
        world: WorldSave::default(),
    })
    .await
    .unwrap();
    assert_eq!(s.next_item_id().await.unwrap(), 40);
    let all: Vec<u64> = s
        .all_characters()
        .await
        .unwrap()
        .iter()
        .flat_map(|c| c.item_ids().collect::<Vec<_>>())
        .collect();
    let mut sorted = all.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, vec![1, 2, 3, 7]);
}

/// A batch of these characters and guild changes (the item-id mark kept where it is).
fn batch(
    characters: Vec<CharacterRecord>,
    guilds: Vec<GuildRecord>,
    removed: &[&str],
) -> SaveBatch {
    SaveBatch {
        leases: Vec::new(),
        characters,
        guilds,
        removed_guilds: removed.iter().map(|k| k.to_string()).collect(),
        next_item_id: 1,
        reason: SaveReason::Guild,
        world: WorldSave::default(),
    }
}

/// Friends, ignores, gold, bank items and bank gold come back as saved.
async fn social_and_purses<S: Store>(s: &S) {
    let mut bob = s.character("bob".into()).await.unwrap().unwrap();
    bob.friends = vec!["Amy".into()];
    bob.ignores = vec!["Zed".into(), "Cat".into()];
    bob.gold = u64::MAX;
    bob.bank = vec![ItemRecord {
        id: 41,
        template: "health_potion".into(),
        count: 3,
    }];
    bob.bank_gold = 1234;
    bob.skills = [
        ("mining".to_string(), 120),
        ("cooking".to_string(), u64::MAX),
    ]
    .into_iter()
    .collect();
    s.save(batch(vec![bob.clone()], vec![], &[])).await.unwrap();
    assert_eq!(s.character("bob".into()).await.unwrap().unwrap(), bob);
}

fn on_ground(id: u64, map: &str) -> GroundRecord {
    GroundRecord {
        item: ItemRecord {
            id,
            template: "rat_tail".into(),
            count: 2,
        },
        map: map.into(),
        x: 4,
        y: 5,
        owner: Some("amy".into()),
        owner_until: 900,
        despawn_at: 3000,
    }
}

/// A batch of these characters with these ground changes.
fn ground_batch(
    characters: Vec<CharacterRecord>,
    put: Vec<GroundRecord>,
    taken: &[u64],
    snapshot: Option<WorldSnapshot>,
) -> SaveBatch {
    SaveBatch {
        leases: Vec::new(),
        characters,
        guilds: Vec::new(),
        removed_guilds: Vec::new(),
        next_item_id: 1,
        reason: SaveReason::Transfer,
        world: WorldSave {
            ground_put: put,
            ground_taken: taken.to_vec(),
            snapshot: snapshot.map(Box::new),
        },
    }
}

/// Ground items move with the characters they leave or reach, in one batch; a world
/// snapshot replaces the world record, its maps' records and their ground items, and leaves
/// other maps' items alone.
async fn ground_and_world<S: Store>(s: &S) {
    let empty = s.world_snapshot().await.unwrap();
    assert_eq!(empty, WorldSnapshot::default(), "empty store");
    s.create_character(character("Gwen", "gwen", &[50]), 5)
        .await
        .unwrap();
    // Gwen drops item 50: she is saved without it and it lies on the ground, together.
    s.save(ground_batch(
        vec![character("Gwen", "gwen", &[])],
        vec![on_ground(50, "field"), on_ground(51, "crypt")],
        &[],
        None,
    ))
    .await
    .unwrap();
    let got = s.world_snapshot().await.unwrap();
    assert_eq!(
        got.ground,
        vec![on_ground(50, "field"), on_ground(51, "crypt")]
    );
    assert!(
        s.character("gwen".into())
            .await
            .unwrap()
            .unwrap()
            .inventory
            .is_empty()
    );
    // She picks it up again: with it in her bag, off the ground.
    s.save(ground_batch(
        vec![character("Gwen", "gwen", &[50])],
        vec![],
        &[50, 999],
        None,
    ))
    .await
    .unwrap();
    let got = s.world_snapshot().await.unwrap();
    assert_eq!(got.ground, vec![on_ground(51, "crypt")]);
    // A snapshot of the field: its items replaced (52 stays, 53 arrives), the crypt's kept.
    s.save(ground_batch(
        vec![],
        vec![on_ground(52, "field")],
        &[],
        None,
    ))
    .await
    .unwrap();
    let snapshot = WorldSnapshot {
        world: WorldRecord {
            tick: 7777,
            flags: ["raid".to_string()].into(),
            trigger_cooldowns: [("bells".to_string(), 8000)].into(),
        },
        maps: vec![MapRecord {
            map: "field".into(),
            doors: vec![DoorRecord {
                name: "gate".into(),
                open: true,
                locked: false,
            }],
        }],
        ground: vec![on_ground(52, "field"), on_ground(53, "field")],
    };
    s.save(ground_batch(vec![], vec![], &[], Some(snapshot.clone())))
        .await
        .unwrap();
    let got = s.world_snapshot().await.unwrap();
    assert_eq!(got.world, snapshot.world);
    assert_eq!(got.maps, snapshot.maps);
    let ids: Vec<u64> = got.ground.iter().map(|g| g.item.id).collect();
    assert_eq!(ids, vec![51, 52, 53]);
    // A later snapshot replaces the record: a door shut again, a flag cleared.
    let mut later = snapshot;
    later.world.tick = 7800;
    later.world.flags.clear();
    later.maps[0].doors[0].open = false;
    later.ground = vec![on_ground(53, "field")];
    s.save(ground_batch(vec![], vec![], &[], Some(later.clone())))
        .await
        .unwrap();
    let got = s.world_snapshot().await.unwrap();
    assert_eq!((got.world, got.maps), (later.world, later.maps));
    let ids: Vec<u64> = got.ground.iter().map(|g| g.item.id).collect();
    assert_eq!(ids, vec![51, 53]);
}

fn guild(name: &str, members: &[(&str, GuildRank)]) -> GuildRecord {
    GuildRecord {
        name: name.into(),
        members: members
            .iter()
            .map(|(n, r)| GuildMember {
                name: n.to_string(),
                rank: *r,
            })
            .collect(),
    }
}

/// Guilds are written with the characters in one batch, replaced by key (any case of the
/// name is the same guild), removed, and a deleted character leaves its guild in the same step.
async fn guilds<S: Store>(s: &S) {
    use GuildRank::*;
    assert!(s.guilds().await.unwrap().is_empty());
    for name in ["Gil", "Hal"] {
        let record = character(name, &name.to_lowercase(), &[]);
        s.create_character(record, 5).await.unwrap();
    }
    // Founding: the gold taken and the guild land together.
    let mut gil = s.character("gil".into()).await.unwrap().unwrap();
    gil.gold = 5;
    let wolves = guild("Iron Wolves", &[("Gil", Leader)]);
    s.save(batch(vec![gil.clone()], vec![wolves.clone()], &[]))
        .await
        .unwrap();
    assert_eq!(s.character("gil".into()).await.unwrap().unwrap().gold, 5);
    assert_eq!(s.guilds().await.unwrap(), vec![wolves]);
    // An update replaces the guild of the same key, whatever the case of its name.
    let wolves = guild(
        "IRON wolves",
        &[("Gil", Leader), ("Amy", Member), ("Hal", Officer)],
    );
    let crows = guild("Crows", &[("Cat", Leader)]);
    s.save(batch(vec![], vec![wolves.clone(), crows.clone()], &[]))
        .await
        .unwrap();
    assert_eq!(
        s.guilds().await.unwrap(),
        vec![crows.clone(), wolves.clone()]
    );
    s.save(batch(vec![], vec![], &["crows"])).await.unwrap();
    assert_eq!(s.guilds().await.unwrap(), vec![wolves.clone()]);
    // A guild founded again after it was removed is there again.
    s.save(batch(vec![], vec![crows.clone()], &[]))
        .await
        .unwrap();
    assert_eq!(s.guilds().await.unwrap().len(), 2);
    s.save(batch(vec![], vec![], &["crows"])).await.unwrap();
    // Deleting the leader hands the guild to the oldest officer, in the same step.
    assert!(
        s.delete_character("gil".into(), "gil".into())
            .await
            .unwrap()
    );
    assert_eq!(s.character("gil".into()).await.unwrap(), None);
    let after = guild("IRON wolves", &[("Amy", Member), ("Hal", Leader)]);
    assert_eq!(s.guilds().await.unwrap(), vec![after]);
    // Only the owner deletes, and a refused deletion changes no guild.
    assert!(
        !s.delete_character("ann".into(), "hal".into())
            .await
            .unwrap()
    );
    assert!(
        s.delete_character("hal".into(), "hal".into())
            .await
            .unwrap()
    );
    let after = guild("IRON wolves", &[("Amy", Leader)]);
    assert_eq!(s.guilds().await.unwrap(), vec![after]);
    // A character in no guild is deleted without touching any.
    s.create_character(character("Ivy", "ivy", &[]), 5)
        .await
        .unwrap();
    assert!(
        s.delete_character("ivy".into(), "ivy".into())
            .await
            .unwrap()
    );
    assert_eq!(
        s.guilds().await.unwrap().len(),
        1,
        "kept for the reopen check"
    );
}

async fn bans<S: Store>(s: &S) {
    let ban = BanRecord {
        target: BanTarget::Account("bob".into()),
        reason: "spam".into(),
        until: Some(10),
        by: "admin".into(),
    };
    let ip = BanRecord {
        target: BanTarget::Ip("10.0.0.1".into()),
        reason: "flood".into(),
        until: None,
        by: "admin".into(),
    };
    s.put_ban(ban.clone()).await.unwrap();
    s.put_ban(ip.clone()).await.unwrap();
    assert_eq!(s.bans().await.unwrap(), vec![ban.clone(), ip.clone()]);
    assert!(ban.active(9) && !ban.active(10) && ip.active(u64::MAX));
    assert!(
        s.delete_ban(BanTarget::Account("bob".into()))
            .await
            .unwrap()
    );
    assert!(
        !s.delete_ban(BanTarget::Account("bob".into()))
            .await
            .unwrap()
    );
    assert_eq!(s.bans().await.unwrap(), vec![ip]);
}

/// Operator and SQL look-alikes are stored and matched as plain strings.
async fn hostile_strings<S: Store>(s: &S) {
    for key in [r#"{"$gt": ""}"#, "'; drop table accounts; --", "$where"] {
        s.create_account(account(key)).await.unwrap();
        assert_eq!(
            s.account(key.to_lowercase())
                .await
                .unwrap()
                .unwrap()
                .username,
            key
        );
    }
    assert!(
        s.account("ann".into()).await.unwrap().is_some(),
        "nothing else was touched"
    );
    assert_eq!(s.account(r#"{"$ne": null}"#.into()).await.unwrap(), None);
}

#[tokio::test]
async fn sqlite_passes_the_conformance_suite_and_keeps_data_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/dir/test.db");
    conformance(SqliteStore::open(&path).unwrap()).await;
    let again = SqliteStore::open(&path).unwrap();
    assert_eq!(again.next_item_id().await.unwrap(), 40);
    assert_eq!(again.guilds().await.unwrap()[0].name, "IRON wolves");
    assert_eq!(
        again.character("amy".into()).await.unwrap().unwrap().level,
        4
    );
    assert_eq!(again.world_snapshot().await.unwrap().world.tick, 7800);
}

/// A batch with ground changes is one transaction: when part of it cannot be written, the
/// character in it is not written either (the item stays where it was, once).
#[tokio::test]
async fn sqlite_a_batch_with_ground_changes_is_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("atomic.db");
    let s = SqliteStore::open(&path).unwrap();
    s.create_character(character("Gwen", "gwen", &[50]), 5)
        .await
        .unwrap();
    // A second connection makes writing ground item 666 fail, as a full disk would.
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch(
        "CREATE TRIGGER refuse BEFORE INSERT ON ground_items WHEN NEW.id = 666
         BEGIN SELECT RAISE(ABORT, 'disk full'); END;",
    )
    .unwrap();
    let failed = s
        .save(ground_batch(
            vec![character("Gwen", "gwen", &[])],
            vec![on_ground(50, "field"), on_ground(666, "field")],
            &[],
            None,
        ))
        .await;
    assert!(failed.is_err());
    let gwen = s.character("gwen".into()).await.unwrap().unwrap();
    assert_eq!(
        gwen.item_ids().collect::<Vec<_>>(),
        vec![50],
        "still in her bag"
    );
    assert!(
        s.world_snapshot().await.unwrap().ground.is_empty(),
        "and not on the ground"
    );
}

/// MongoDB: a batch with ground changes whose journal entry was written but not applied (a
/// crash in between) is applied whole when the store opens again.
#[tokio::test]
async fn mongodb_replays_a_journaled_batch_with_ground_changes_whole() {
    let Ok(uri) = std::env::var("MONGODB_URI") else {
        eprintln!(
            "MONGODB_URI is not set: this MongoDB test DID NOT RUN (scripts/test.sh provides it)"
        );
        return;
    };
    let db = format!(
        "ek_replay_{}_{}",
        std::process::id(),
        emberkeep::storage::now_secs()
    );
    let url = format!("{}/{db}", uri.trim_end_matches('/'));
    let s = MongoStore::open(&url).await.unwrap();
    s.create_character(character("Gwen", "gwen", &[50]), 5)
        .await
        .unwrap();
    // The journal entry of Gwen dropping item 50, as a crash left it: not applied.
    let client = mongodb::Client::with_uri_str(&url).await.unwrap();
    let journal = client
        .database(&db)
        .collection::<mongodb::bson::Document>("journal");
    let gwen = serde_json::to_string(&character("Gwen", "gwen", &[])).unwrap();
    let dropped = serde_json::to_string(&on_ground(50, "field")).unwrap();
    journal
        .insert_one(mongodb::bson::doc! {
            "_id": 1_000_i64, "characters": [gwen], "guilds": [], "removed_guilds": [],
            "next_item_id": 51_i64, "ground_put": [dropped],
        })
        .await
        .unwrap();
    let again = MongoStore::open(&url).await.unwrap();
    let gwen = again.character("gwen".into()).await.unwrap().unwrap();
    assert!(gwen.inventory.is_empty());
    assert_eq!(
        again.world_snapshot().await.unwrap().ground,
        vec![on_ground(50, "field")]
    );
    assert_eq!(again.next_item_id().await.unwrap(), 51);
}

#[tokio::test]
async fn mongodb_passes_the_conformance_suite_and_keeps_data_across_reconnect() {
    let Ok(uri) = std::env::var("MONGODB_URI") else {
        eprintln!(
            "MONGODB_URI is not set: the MongoDB half of the storage suite DID NOT RUN (scripts/test.sh provides it)"
        );
        return;
    };
    let db = format!(
        "ek_test_{}_{}",
        std::process::id(),
        emberkeep::storage::now_secs()
    );
    let url = format!("{}/{db}", uri.trim_end_matches('/'));
    conformance(MongoStore::open(&url).await.unwrap()).await;
    let again = MongoStore::open(&url).await.unwrap();
    assert_eq!(again.next_item_id().await.unwrap(), 40);
    assert_eq!(again.guilds().await.unwrap()[0].name, "IRON wolves");
    assert_eq!(
        again.character("amy".into()).await.unwrap().unwrap().level,
        4
    );
    assert_eq!(again.world_snapshot().await.unwrap().world.tick, 7800);
}

#[tokio::test]
async fn an_unreachable_mongodb_is_a_clear_error_not_a_hang() {
    let attempt = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        MongoStore::open("mongodb://127.0.0.1:1/x"),
    );
    let err = attempt
        .await
        .expect("gives up instead of hanging")
        .err()
        .expect("nothing listens on port 1");
    assert!(err.to_string().contains("cannot reach MongoDB"), "{err}");
}

/// Claims the handoff with token hash `hash` for `process` at `now` (ms).
async fn claim(
    s: &MongoStore,
    hash: &str,
    process: &str,
    now: u64,
) -> Result<Option<emberkeep::storage::Claimed>, StoreError> {
    (s.claim_handoff(hash.into(), process.into(), now, now + 1_000)).await
}

/// Issue 20, the cluster's part of the store (MongoDB only): account leases, handoff tokens
/// (single use, bound to their process, short-lived), sequence numbers shared by two
/// processes, and item-id blocks.
#[tokio::test]
async fn mongodb_leases_handoff_tokens_and_id_blocks_for_a_cluster() {
    use emberkeep::storage::Claimed;
    use emberkeep_components::cluster::Handoff;
    use emberkeep_components::net::ConnId;
    use emberkeep_components::persist::LeaseChange;
    let Ok(uri) = std::env::var("MONGODB_URI") else {
        eprintln!(
            "MONGODB_URI is not set: this MongoDB test DID NOT RUN (scripts/test.sh provides it)"
        );
        return;
    };
    let db = format!(
        "ek_leases_{}_{}",
        std::process::id(),
        emberkeep::storage::now_secs()
    );
    let url = format!("{}/{db}", uri.trim_end_matches('/'));
    // Two processes of one cluster: two stores on one database.
    let (a, b) = (
        MongoStore::open(&url).await.unwrap(),
        MongoStore::open(&url).await.unwrap(),
    );
    let (p, q) = ("a".to_string(), "b".to_string());

    // One lease per account: a holds it until 1,000; b is refused, naming a; after it ran
    // out, b takes it.
    assert_eq!(
        a.acquire_lease("ann".into(), p.clone(), 0, 1_000)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        b.acquire_lease("ann".into(), q.clone(), 500, 1_500)
            .await
            .unwrap(),
        Some((p.clone(), 1_000))
    );
    assert_eq!(a.renew_leases(p.clone(), 2_000).await.unwrap(), 1);
    assert!(
        b.acquire_lease("ann".into(), q.clone(), 1_500, 2_500)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        b.acquire_lease("ann".into(), q.clone(), 2_000, 3_000)
            .await
            .unwrap(),
        None
    );
    // a's late release (it no longer holds it) leaves b's lease alone.
    let release = |account: &str, process: &str| {
        let mut batch = batch(Vec::new(), Vec::new(), &[]);
        batch.leases = vec![LeaseChange::Release {
            account: account.into(),
            process: process.into(),
        }];
        batch
    };
    a.save(release("ann", "a")).await.unwrap();
    assert!(
        a.acquire_lease("ann".into(), p.clone(), 2_100, 3_100)
            .await
            .unwrap()
            .is_some()
    );

    // b hands Ann (and her dagger) to a in one write; the token is a's, once, until 5,000.
    a.create_character(character("Ann", "ann", &[]), 5)
        .await
        .unwrap();
    let mut moved = batch(vec![character("Ann", "ann", &[7])], Vec::new(), &[]);
    moved.leases = vec![LeaseChange::Handoff(Handoff {
        conn: ConnId(1),
        account: "ann".into(),
        character: "Ann".into(),
        to: p.clone(),
        ws_url: "ws://a".into(),
        map: "vault".into(),
        party: vec!["Bob".into()],
        token_hash: "h1".into(),
        until_ms: 5_000,
        token: String::new(),
    })];
    b.save(moved).await.unwrap();
    let saved = a.character("ann".into()).await.unwrap().unwrap();
    assert_eq!(
        saved.inventory.iter().map(|i| i.id).collect::<Vec<_>>(),
        vec![7]
    );
    assert_eq!(
        claim(&b, "h1", "b", 3_000).await.unwrap(),
        None,
        "b's own token? no: a's"
    );
    assert_eq!(claim(&a, "h1", "a", 5_001).await.unwrap(), None, "expired");
    assert_eq!(claim(&a, "h2", "a", 3_000).await.unwrap(), None, "unknown");
    assert_eq!(
        claim(&a, "h1", "a", 3_000).await.unwrap(),
        Some(Claimed {
            account: "ann".into(),
            character: "Ann".into(),
            party: vec!["Bob".into()],
        })
    );
    assert_eq!(claim(&a, "h1", "a", 3_001).await.unwrap(), None, "used");
    // The claim made the lease a's: b is refused again.
    assert!(
        b.acquire_lease("ann".into(), q.clone(), 3_100, 4_000)
            .await
            .unwrap()
            .is_some()
    );

    // Saves of two processes share one sequence: after b saved Ann a few times more, a's
    // save still wins (with a counter per process, a's lower number would be refused).
    for _ in 0..3 {
        b.save(batch(vec![character("Ann", "ann", &[7])], Vec::new(), &[]))
            .await
            .unwrap();
    }
    a.save(batch(
        vec![character("Ann", "ann", &[7, 8])],
        Vec::new(),
        &[],
    ))
    .await
    .unwrap();
    let saved = b.character("ann".into()).await.unwrap().unwrap();
    assert_eq!(saved.inventory.len(), 2);

    // Item-id blocks: distinct, and above every id handed out without one.
    let mut mark = batch(Vec::new(), Vec::new(), &[]);
    mark.next_item_id = (1 << 36) + 5;
    a.save(mark).await.unwrap();
    let (x, y) = (
        a.reserve_item_ids().await.unwrap(),
        b.reserve_item_ids().await.unwrap(),
    );
    assert_ne!(x, y);
    assert!(x > (1 << 36) + 5 && y > (1 << 36) + 5, "{x} {y}");
    assert_eq!(x % (1 << 36), 0);
    // A restarted process drops the leases its earlier run left.
    assert_eq!(a.clear_leases(p.clone()).await.unwrap(), 1);
    assert_eq!(
        b.acquire_lease("ann".into(), q, 3_200, 4_000)
            .await
            .unwrap(),
        None
    );
    // SQLite cannot be shared: it says so.
    let dir = tempfile::tempdir().unwrap();
    let lite = SqliteStore::open(&dir.path().join("x.db")).unwrap();
    let e = lite.acquire_lease("ann".into(), p, 0, 1).await.unwrap_err();
    assert!(e.to_string().contains("MongoDB"), "{e}");
}
