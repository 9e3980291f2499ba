//! MongoDB through the official driver, for production and for several servers sharing one
//! database. Collections and indexes are created on start. Names are unique through `_id`
//! (the lower-case name).
//!
//! A save batch must be all or nothing without multi-document transactions (those need a
//! replica set): the batch is first inserted as one journal document (atomic), then applied
//! to each character and guild with a sequence guard (an older batch never overwrites a newer
//! one), then the journal entry is removed. On start, leftover journal entries — a crash
//! mid-apply — are applied again, so a batch is either fully in place or, if its journal
//! insert never happened, not at all. Deleting a character goes the same way, with the
//! change to its guild in the same entry. A removed guild is kept as a `removed` marker with
//! its sequence number, so replaying an older entry cannot bring it back.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use emberkeep_components::guild::GuildRecord;
use emberkeep_components::persist::{
    CharacterRecord, GroundRecord, LeaseChange, SaveBatch, WorldSnapshot,
};
use emberkeep_components::protocol::Role;
use futures_util::TryStreamExt;
use mongodb::bson::{Bson, Document, doc};
use mongodb::error::{ErrorKind, WriteFailure};
use mongodb::options::ClientOptions;
use mongodb::{Client, Collection, Database, IndexModel};

use super::{
    AccountRecord, BanRecord, BanTarget, SessionRecord, Store, StoreError, StoreResult, backend,
    guild_without, role_name, role_of,
};

/// The `world_state` document of the world record; a map's record is `map:` and its name.
const WORLD_KEY: &str = "world";

/// One journal entry: everything one atomic step writes (records as JSON).
#[derive(Debug, Default)]
struct Entry {
    characters: Vec<String>,
    guilds: Vec<String>,
    removed_guilds: Vec<String>,
    next_item_id: i64,
    /// A character to delete: its key and account.
    delete: Option<(String, String)>,
    /// Ground items put down (JSON records) and taken up (item ids).
    ground_put: Vec<String>,
    ground_taken: Vec<i64>,
    /// A whole world snapshot (JSON), applied last.
    snapshot: Option<String>,
    /// Lease changes (JSON `LeaseChange`s), in order.
    leases: Vec<String>,
}

impl Entry {
    fn to_doc(&self, seq: i64) -> Document {
        let mut d = doc! {
            "_id": seq,
            "characters": self.characters.clone(),
            "guilds": self.guilds.clone(),
            "removed_guilds": self.removed_guilds.clone(),
            "next_item_id": self.next_item_id,
        };
        if let Some((key, account)) = &self.delete {
            d.insert("delete", doc! {"key": key, "account": account});
        }
        if !self.ground_put.is_empty() {
            d.insert("ground_put", self.ground_put.clone());
        }
        if !self.ground_taken.is_empty() {
            d.insert("ground_taken", self.ground_taken.clone());
        }
        if let Some(snapshot) = &self.snapshot {
            d.insert("snapshot", snapshot.as_str());
        }
        if !self.leases.is_empty() {
            d.insert("leases", self.leases.clone());
        }
        d
    }

    fn of_doc(d: &Document) -> Entry {
        let strings = |key: &str| -> Vec<String> {
            d.get_array(key)
                .map(|a| {
                    a.iter()
                        .filter_map(|b| b.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default()
        };
        Entry {
            characters: strings("characters"),
            guilds: strings("guilds"),
            removed_guilds: strings("removed_guilds"),
            next_item_id: int(d, "next_item_id"),
            delete: d
                .get_document("delete")
                .ok()
                .map(|x| (text(x, "key"), text(x, "account"))),
            ground_put: strings("ground_put"),
            ground_taken: d
                .get_array("ground_taken")
                .map(|a| {
                    a.iter()
                        .filter_map(|b| match b {
                            Bson::Int64(v) => Some(*v),
                            Bson::Int32(v) => Some(i64::from(*v)),
                            _ => None,
                        })
                        .collect()
                })
                .unwrap_or_default(),
            snapshot: d.get_str("snapshot").ok().map(String::from),
            leases: strings("leases"),
        }
    }
}

/// A MongoDB database.
#[derive(Clone)]
pub struct MongoStore {
    db: Database,
    seq: Arc<AtomicI64>,
}

fn is_duplicate(e: &mongodb::error::Error) -> bool {
    match e.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(w)) => w.code == 11000,
        ErrorKind::InsertMany(m) => m.write_errors.iter().flatten().any(|w| w.code == 11000),
        _ => e.to_string().contains("E11000"),
    }
}

fn int(d: &Document, key: &str) -> i64 {
    match d.get(key) {
        Some(Bson::Int64(v)) => *v,
        Some(Bson::Int32(v)) => i64::from(*v),
        Some(Bson::Double(v)) => *v as i64,
        _ => 0,
    }
}

fn text(d: &Document, key: &str) -> String {
    d.get_str(key).unwrap_or_default().to_string()
}

/// A ground item's document (`data`: its JSON).
fn ground_doc(g: &GroundRecord, data: &str) -> Document {
    doc! {"_id": g.item.id as i64, "map": g.map.as_str(), "data": data}
}

/// Records as the JSON strings a journal entry holds.
fn to_json<T: serde::Serialize>(records: &[T]) -> StoreResult<Vec<String>> {
    records
        .iter()
        .map(serde_json::to_string)
        .collect::<Result<_, _>>()
        .map_err(backend)
}

fn character_of(d: &Document) -> StoreResult<CharacterRecord> {
    serde_json::from_str(d.get_str("data").map_err(backend)?)
        .map_err(|e| backend(format!("corrupt character record: {e}")))
}

impl MongoStore {
    /// Connects (failing within a few seconds if the server is unreachable), creates indexes
    /// and replays any interrupted save.
    pub async fn open(url: &str) -> StoreResult<MongoStore> {
        let mut options = ClientOptions::parse(url)
            .await
            .map_err(|e| backend(format!("bad MongoDB URL: {e}")))?;
        options.server_selection_timeout = Some(Duration::from_secs(2));
        options.connect_timeout = Some(Duration::from_secs(2));
        options.app_name = Some("emberkeep".into());
        let client = Client::with_options(options).map_err(backend)?;
        let db = client
            .default_database()
            .unwrap_or_else(|| client.database("emberkeep"));
        let store = MongoStore {
            db,
            seq: Arc::new(AtomicI64::new(0)),
        };
        store
            .coll("characters")
            .create_index(IndexModel::builder().keys(doc! {"account": 1}).build())
            .await
            .map_err(|e| backend(format!("cannot reach MongoDB at {url}: {e}")))?;
        store
            .coll("sessions")
            .create_index(IndexModel::builder().keys(doc! {"account": 1}).build())
            .await
            .map_err(backend)?;
        store
            .coll("ground")
            .create_index(IndexModel::builder().keys(doc! {"map": 1}).build())
            .await
            .map_err(backend)?;
        // Sequence numbers continue above anything stored.
        let mut highest = 0;
        for name in ["characters", "guilds", "journal"] {
            let mut cursor = store.coll(name).find(doc! {}).await.map_err(backend)?;
            while let Some(d) = cursor.try_next().await.map_err(backend)? {
                highest = highest.max(int(&d, "seq")).max(if name == "journal" {
                    int(&d, "_id")
                } else {
                    0
                });
            }
        }
        store.seq.store(highest, Ordering::SeqCst);
        // The counter every process sharing this database draws from (see `next_seq`).
        store
            .coll("meta")
            .update_one(doc! {"_id": "seq"}, doc! {"$max": {"value": highest}})
            .upsert(true)
            .await
            .map_err(backend)?;
        store.replay_journal().await?;
        Ok(store)
    }

    /// Inserts a document whose `_id` must be new; a taken one is a conflict on `what`.
    async fn insert_new(&self, coll: &str, d: Document, what: &str) -> StoreResult<()> {
        match self.coll(coll).insert_one(d).await {
            Ok(_) => Ok(()),
            Err(e) if is_duplicate(&e) => Err(StoreError::Conflict(what.to_string())),
            Err(e) => Err(backend(e)),
        }
    }

    /// Every document of a collection matching `filter`, in `_id` order.
    async fn find_sorted(&self, coll: &str, filter: Document) -> StoreResult<Vec<Document>> {
        self.coll(coll)
            .find(filter)
            .sort(doc! {"_id": 1})
            .await
            .map_err(backend)?
            .try_collect()
            .await
            .map_err(backend)
    }

    fn coll(&self, name: &str) -> Collection<Document> {
        self.db.collection(name)
    }

    async fn replay_journal(&self) -> StoreResult<()> {
        let entries = self.find_sorted("journal", doc! {}).await?;
        for d in entries {
            let seq = int(&d, "_id");
            self.apply(seq, &Entry::of_doc(&d)).await?;
            self.coll("journal")
                .delete_one(doc! {"_id": seq})
                .await
                .map_err(backend)?;
        }
        Ok(())
    }

    /// Journals `entry`, applies it and drops the journal entry.
    async fn journaled(&self, entry: Entry) -> StoreResult<()> {
        let seq = self.next_seq().await?;
        self.coll("journal")
            .insert_one(entry.to_doc(seq))
            .await
            .map_err(backend)?;
        self.apply(seq, &entry).await?;
        self.coll("journal")
            .delete_one(doc! {"_id": seq})
            .await
            .map_err(backend)?;
        Ok(())
    }

    /// Writes a journaled entry: characters and guilds where the stored copy is older than
    /// `seq`, removed guilds, a deleted character, and the item-id mark.
    async fn apply(&self, seq: i64, entry: &Entry) -> StoreResult<()> {
        for data in &entry.characters {
            let record: CharacterRecord = serde_json::from_str(data).map_err(backend)?;
            self.coll("characters")
                .update_one(
                    doc! {"_id": record.key(), "seq": {"$lt": seq}},
                    doc! {"$set": {"data": data.as_str(), "seq": seq}},
                )
                .await
                .map_err(backend)?;
        }
        for data in &entry.guilds {
            let record: GuildRecord = serde_json::from_str(data).map_err(backend)?;
            self.put_guild(seq, &record.key(), Some(data)).await?;
        }
        for key in &entry.removed_guilds {
            self.put_guild(seq, key, None).await?;
        }
        if let Some((key, account)) = &entry.delete {
            self.coll("characters")
                .delete_one(doc! {"_id": key, "account": account})
                .await
                .map_err(backend)?;
        }
        self.apply_world(entry).await?;
        self.apply_leases(entry).await?;
        let meta = self.coll("meta");
        let stored = meta
            .find_one(doc! {"_id": "next_item_id"})
            .await
            .map_err(backend)?
            .map(|d| int(&d, "value"))
            .unwrap_or(1);
        if entry.next_item_id > stored {
            meta.update_one(
                doc! {"_id": "next_item_id"},
                doc! {"$set": {"value": entry.next_item_id}},
            )
            .upsert(true)
            .await
            .map_err(backend)?;
        }
        Ok(())
    }

    /// Writes a journaled entry's world changes: ground items put and taken, then the
    /// snapshot (its maps' ground items replaced, the world and map records written).
    /// Applying an entry twice (a replay) leaves the same state.
    async fn apply_world(&self, entry: &Entry) -> StoreResult<()> {
        // A few round trips per batch however many items it moves: fights leave thousands
        // of drops on the ground, and one write per item once made a batch take longer
        // than the snapshot interval, so the save queue (and the handoffs and logins
        // waiting on it) never caught up.
        let mut put = Vec::with_capacity(entry.ground_put.len());
        for data in &entry.ground_put {
            let record: GroundRecord = serde_json::from_str(data).map_err(backend)?;
            put.push(ground_doc(&record, data));
        }
        let mut gone: Vec<i64> = entry.ground_taken.clone();
        gone.extend(put.iter().filter_map(|d| d.get_i64("_id").ok()));
        self.replace_ground(gone, put).await?;
        let Some(data) = &entry.snapshot else {
            return Ok(());
        };
        let snap: WorldSnapshot = serde_json::from_str(data).map_err(backend)?;
        let maps: Vec<&str> = snap.maps.iter().map(|m| m.map.as_str()).collect();
        self.coll("ground")
            .delete_many(doc! {"map": {"$in": maps}})
            .await
            .map_err(backend)?;
        let mut put = Vec::with_capacity(snap.ground.len());
        for g in &snap.ground {
            put.push(ground_doc(g, &serde_json::to_string(g).map_err(backend)?));
        }
        let ids = put.iter().filter_map(|d| d.get_i64("_id").ok()).collect();
        self.replace_ground(ids, put).await?;
        for m in &snap.maps {
            let key = format!("map:{}", m.map);
            self.put_state(&key, &serde_json::to_string(m).map_err(backend)?)
                .await?;
        }
        self.put_state(
            WORLD_KEY,
            &serde_json::to_string(&snap.world).map_err(backend)?,
        )
        .await
    }

    /// Removes the ground items with ids `gone`, then inserts `put` (whose ids are among
    /// `gone`): one round trip each, and the same state when a replay applies it again.
    async fn replace_ground(&self, gone: Vec<i64>, put: Vec<Document>) -> StoreResult<()> {
        let ground = self.coll("ground");
        if !gone.is_empty() {
            ground
                .delete_many(doc! {"_id": {"$in": gone}})
                .await
                .map_err(backend)?;
        }
        // (One document per id, the last one given, as one write per item used to leave.)
        let given = put.len();
        let mut by_id: std::collections::BTreeMap<i64, Document> =
            std::collections::BTreeMap::new();
        for d in put {
            by_id.insert(d.get_i64("_id").unwrap_or_default(), d);
        }
        if by_id.len() < given {
            tracing::warn!(
                given,
                distinct = by_id.len(),
                "a save wrote some ground item ids twice; kept the last of each"
            );
        }
        if !by_id.is_empty() {
            (ground.insert_many(by_id.into_values()))
                .await
                .map_err(backend)?;
        }
        Ok(())
    }

    /// Adds or replaces a world-state document (`data`: its JSON).
    async fn put_state(&self, key: &str, data: &str) -> StoreResult<()> {
        self.coll("world_state")
            .replace_one(doc! {"_id": key}, doc! {"_id": key, "data": data})
            .upsert(true)
            .await
            .map(|_| ())
            .map_err(backend)
    }

    /// Writes a guild (`data`, as JSON) or its removal marker, unless a newer write is stored.
    async fn put_guild(&self, seq: i64, key: &str, data: Option<&str>) -> StoreResult<()> {
        let set = match data {
            Some(d) => doc! {"data": d, "seq": seq, "removed": false},
            None => doc! {"data": "", "seq": seq, "removed": true},
        };
        let written = self
            .coll("guilds")
            .update_one(doc! {"_id": key, "seq": {"$lt": seq}}, doc! {"$set": set})
            .upsert(true)
            .await;
        match written {
            // The upsert found the key taken by a newer write: that one stays.
            Err(e) if is_duplicate(&e) => Ok(()),
            other => other.map(|_| ()).map_err(backend),
        }
    }

    /// The next sequence number: drawn from one counter in the database, so that with
    /// several processes sharing it (a cluster) a character saved by one after another's
    /// last write always carries the higher number — the guard that keeps an older batch
    /// from overwriting a newer one holds across processes.
    async fn next_seq(&self) -> StoreResult<i64> {
        let d = self
            .coll("meta")
            .find_one_and_update(doc! {"_id": "seq"}, doc! {"$inc": {"value": 1_i64}})
            .upsert(true)
            .return_document(mongodb::options::ReturnDocument::After)
            .await
            .map_err(backend)?;
        let seq = d.map(|d| int(&d, "value")).unwrap_or(1);
        self.seq.fetch_max(seq, Ordering::SeqCst);
        Ok(seq)
    }

    /// Applies an entry's lease changes in order: a release drops the lease if the releasing
    /// process still holds it; a handoff gives it to the other process with its token.
    async fn apply_leases(&self, entry: &Entry) -> StoreResult<()> {
        let leases = self.coll("leases");
        for data in &entry.leases {
            let change: LeaseChange = serde_json::from_str(data).map_err(backend)?;
            match change {
                LeaseChange::Release { account, process } => {
                    leases
                        .delete_one(doc! {"_id": &account, "process": &process})
                        .await
                        .map_err(backend)?;
                }
                LeaseChange::Handoff(h) => {
                    let set = doc! {
                        "process": &h.to,
                        "until": h.until_ms as i64,
                        "token_hash": &h.token_hash,
                        "character": &h.character,
                        "party": h.party.clone(),
                    };
                    leases
                        .update_one(doc! {"_id": &h.account}, doc! {"$set": set})
                        .upsert(true)
                        .await
                        .map_err(backend)?;
                }
            }
        }
        Ok(())
    }
}

impl Store for MongoStore {
    fn backend(&self) -> &'static str {
        "mongodb"
    }

    async fn create_account(&self, a: AccountRecord) -> StoreResult<()> {
        let d = doc! {
            "_id": &a.key, "username": &a.username, "password_hash": &a.password_hash,
            "role": role_name(a.role), "created_at": a.created_at as i64,
        };
        self.insert_new("accounts", d, &a.key).await
    }

    async fn account(&self, key: String) -> StoreResult<Option<AccountRecord>> {
        let d = self
            .coll("accounts")
            .find_one(doc! {"_id": &key})
            .await
            .map_err(backend)?;
        Ok(d.map(|d| AccountRecord {
            key: text(&d, "_id"),
            username: text(&d, "username"),
            password_hash: text(&d, "password_hash"),
            role: role_of(&text(&d, "role")),
            created_at: int(&d, "created_at") as u64,
        }))
    }

    async fn set_role(&self, key: String, role: Role) -> StoreResult<bool> {
        let r = self
            .coll("accounts")
            .update_one(doc! {"_id": &key}, doc! {"$set": {"role": role_name(role)}})
            .await
            .map_err(backend)?;
        Ok(r.matched_count > 0)
    }

    async fn put_session(&self, s: SessionRecord) -> StoreResult<()> {
        let d =
            doc! {"_id": &s.token_hash, "account": &s.account, "expires_at": s.expires_at as i64};
        self.coll("sessions")
            .replace_one(doc! {"_id": &s.token_hash}, d)
            .upsert(true)
            .await
            .map(|_| ())
            .map_err(backend)
    }

    async fn session(&self, token_hash: String) -> StoreResult<Option<SessionRecord>> {
        let d = self
            .coll("sessions")
            .find_one(doc! {"_id": &token_hash})
            .await
            .map_err(backend)?;
        Ok(d.map(|d| SessionRecord {
            token_hash: text(&d, "_id"),
            account: text(&d, "account"),
            expires_at: int(&d, "expires_at") as u64,
        }))
    }

    async fn delete_session(&self, token_hash: String) -> StoreResult<()> {
        self.coll("sessions")
            .delete_one(doc! {"_id": &token_hash})
            .await
            .map(|_| ())
            .map_err(backend)
    }

    async fn create_character(
        &self,
        record: CharacterRecord,
        max_per_account: u32,
    ) -> StoreResult<()> {
        let have = self
            .coll("characters")
            .count_documents(doc! {"account": &record.account})
            .await
            .map_err(backend)?;
        if have >= u64::from(max_per_account) {
            return Err(StoreError::Limit(format!("{have} characters")));
        }
        let data = serde_json::to_string(&record).map_err(backend)?;
        let d = doc! {"_id": record.key(), "account": &record.account, "seq": 0_i64, "data": data};
        self.insert_new("characters", d, &record.name).await
    }

    async fn characters(&self, account: String) -> StoreResult<Vec<CharacterRecord>> {
        let docs = self
            .find_sorted("characters", doc! {"account": &account})
            .await?;
        docs.iter().map(character_of).collect()
    }

    async fn character(&self, key: String) -> StoreResult<Option<CharacterRecord>> {
        let d = self
            .coll("characters")
            .find_one(doc! {"_id": &key})
            .await
            .map_err(backend)?;
        d.as_ref().map(character_of).transpose()
    }

    async fn all_characters(&self) -> StoreResult<Vec<CharacterRecord>> {
        let docs = self.find_sorted("characters", doc! {}).await?;
        docs.iter().map(character_of).collect()
    }

    async fn delete_character(&self, account: String, key: String) -> StoreResult<bool> {
        let found = self
            .coll("characters")
            .find_one(doc! {"_id": &key, "account": &account})
            .await
            .map_err(backend)?;
        if found.is_none() {
            return Ok(false);
        }
        let mut entry = Entry::default();
        match guild_without(self.guilds().await?, &key) {
            Some((_, Some(rest))) => entry.guilds = to_json(&[rest])?,
            Some((gone, None)) => entry.removed_guilds.push(gone),
            None => {}
        }
        entry.delete = Some((key, account));
        self.journaled(entry).await?;
        Ok(true)
    }

    async fn save(&self, batch: SaveBatch) -> StoreResult<()> {
        let entry = Entry {
            characters: to_json(&batch.characters)?,
            guilds: to_json(&batch.guilds)?,
            removed_guilds: batch.removed_guilds,
            next_item_id: batch.next_item_id as i64,
            delete: None,
            ground_put: to_json(&batch.world.ground_put)?,
            ground_taken: (batch.world.ground_taken.iter())
                .map(|id| *id as i64)
                .collect(),
            snapshot: (batch.world.snapshot)
                .map(|s| serde_json::to_string(&s))
                .transpose()
                .map_err(backend)?,
            leases: to_json(&batch.leases)?,
        };
        self.journaled(entry).await
    }

    async fn world_snapshot(&self) -> StoreResult<WorldSnapshot> {
        let mut snap = WorldSnapshot::default();
        for d in self.find_sorted("world_state", doc! {}).await? {
            let key = text(&d, "_id");
            let data = d.get_str("data").map_err(backend)?;
            let corrupt =
                |e: serde_json::Error| backend(format!("corrupt world state {key:?}: {e}"));
            if key == WORLD_KEY {
                snap.world = serde_json::from_str(data).map_err(corrupt)?;
            } else if key.starts_with("map:") {
                snap.maps.push(serde_json::from_str(data).map_err(corrupt)?);
            }
        }
        for d in self.find_sorted("ground", doc! {}).await? {
            let id = int(&d, "_id");
            let data = d.get_str("data").map_err(backend)?;
            snap.ground.push(
                serde_json::from_str(data)
                    .map_err(|e| backend(format!("corrupt ground item {id}: {e}")))?,
            );
        }
        Ok(snap)
    }

    async fn guilds(&self) -> StoreResult<Vec<GuildRecord>> {
        let docs = self.find_sorted("guilds", doc! {}).await?;
        docs.iter()
            .filter(|d| !d.get_bool("removed").unwrap_or(false))
            .map(|d| {
                serde_json::from_str(d.get_str("data").map_err(backend)?)
                    .map_err(|e| backend(format!("corrupt guild record: {e}")))
            })
            .collect()
    }

    async fn next_item_id(&self) -> StoreResult<u64> {
        let d = self
            .coll("meta")
            .find_one(doc! {"_id": "next_item_id"})
            .await
            .map_err(backend)?;
        Ok(d.map(|d| int(&d, "value").max(1) as u64).unwrap_or(1))
    }

    async fn put_ban(&self, ban: BanRecord) -> StoreResult<()> {
        let data = serde_json::to_string(&ban).map_err(backend)?;
        let key = ban.target.key();
        self.coll("bans")
            .replace_one(doc! {"_id": &key}, doc! {"_id": &key, "data": data})
            .upsert(true)
            .await
            .map(|_| ())
            .map_err(backend)
    }

    async fn delete_ban(&self, target: BanTarget) -> StoreResult<bool> {
        let r = self
            .coll("bans")
            .delete_one(doc! {"_id": target.key()})
            .await
            .map_err(backend)?;
        Ok(r.deleted_count > 0)
    }

    async fn bans(&self) -> StoreResult<Vec<BanRecord>> {
        let docs = self.find_sorted("bans", doc! {}).await?;
        docs.iter()
            .map(|d| {
                serde_json::from_str(d.get_str("data").map_err(backend)?)
                    .map_err(|e| backend(format!("corrupt ban: {e}")))
            })
            .collect()
    }

    async fn acquire_lease(
        &self,
        account: String,
        process: String,
        now_ms: u64,
        until_ms: u64,
    ) -> StoreResult<Option<(String, u64)>> {
        let leases = self.coll("leases");
        let ours_or_expired = doc! {
            "_id": &account,
            "$or": [{"process": &process}, {"until": {"$lte": now_ms as i64}}],
        };
        let update = doc! {
            "$set": {"process": &process, "until": until_ms as i64},
            "$unset": {"token_hash": "", "character": "", "party": ""},
        };
        let taken = leases
            .update_one(ours_or_expired, update)
            .await
            .map_err(backend)?;
        if taken.matched_count > 0 {
            return Ok(None);
        }
        let fresh = doc! {"_id": &account, "process": &process, "until": until_ms as i64};
        match leases.insert_one(fresh).await {
            Ok(_) => Ok(None),
            Err(e) if is_duplicate(&e) => {
                let held = leases
                    .find_one(doc! {"_id": &account})
                    .await
                    .map_err(backend)?;
                Ok(Some(held.map_or_else(
                    || (String::from("?"), now_ms),
                    |d| (text(&d, "process"), int(&d, "until").max(0) as u64),
                )))
            }
            Err(e) => Err(backend(e)),
        }
    }

    async fn renew_leases(&self, process: String, until_ms: u64) -> StoreResult<u64> {
        let renewed = self
            .coll("leases")
            .update_many(
                doc! {"process": &process, "token_hash": {"$exists": false}},
                doc! {"$set": {"until": until_ms as i64}},
            )
            .await
            .map_err(backend)?;
        Ok(renewed.modified_count)
    }

    async fn claim_handoff(
        &self,
        token_hash: String,
        process: String,
        now_ms: u64,
        until_ms: u64,
    ) -> StoreResult<Option<super::Claimed>> {
        // Single use: the first claim unsets the token in the same atomic step.
        let found = self
            .coll("leases")
            .find_one_and_update(
                doc! {
                    "token_hash": &token_hash,
                    "process": &process,
                    "until": {"$gt": now_ms as i64},
                },
                doc! {
                    "$set": {"until": until_ms as i64},
                    "$unset": {"token_hash": ""},
                },
            )
            .await
            .map_err(backend)?;
        Ok(found.map(|d| super::Claimed {
            account: text(&d, "_id"),
            character: text(&d, "character"),
            party: (d.get_array("party").ok())
                .map(|a| {
                    a.iter()
                        .filter_map(|b| b.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default(),
        }))
    }

    async fn clear_leases(&self, process: String) -> StoreResult<u64> {
        let gone = self
            .coll("leases")
            .delete_many(doc! {"process": &process})
            .await
            .map_err(backend)?;
        Ok(gone.deleted_count)
    }

    async fn reserve_item_ids(&self) -> StoreResult<u64> {
        let meta = self.coll("meta");
        loop {
            let block = meta
                .find_one_and_update(doc! {"_id": "item_block"}, doc! {"$inc": {"value": 1_i64}})
                .upsert(true)
                .return_document(mongodb::options::ReturnDocument::After)
                .await
                .map_err(backend)?
                .map(|d| int(&d, "value"))
                .unwrap_or(1)
                .max(1) as u64;
            let start = block << super::ITEM_BLOCK_BITS;
            let stored = self.next_item_id().await?;
            if start >= stored {
                return Ok(start);
            }
            // Ids above the counter were handed out without a block (a process running
            // alone on this database): skip past them.
            let past = (stored >> super::ITEM_BLOCK_BITS) as i64 + 1;
            meta.update_one(doc! {"_id": "item_block"}, doc! {"$max": {"value": past}})
                .await
                .map_err(backend)?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Entry;

    /// A journal entry read back after a crash is the entry written: a deletion and its
    /// guild change replay together.
    #[test]
    fn a_journal_entry_reads_back_whole() {
        let entry = Entry {
            characters: vec!["{}".into()],
            guilds: vec![r#"{"name":"Crows","members":[]}"#.into()],
            removed_guilds: vec!["wolves".into()],
            next_item_id: 9,
            delete: Some(("amy".into(), "ann".into())),
            ground_put: vec![r#"{"item":{"id":3}}"#.into()],
            ground_taken: vec![4, 5],
            snapshot: Some("{}".into()),
            leases: vec![r#"{"release":{"account":"ann","process":"a"}}"#.into()],
        };
        let back = Entry::of_doc(&entry.to_doc(4));
        assert_eq!(format!("{back:?}"), format!("{entry:?}"));
        let plain = Entry::of_doc(&Entry::default().to_doc(5));
        assert!(plain.delete.is_none() && plain.guilds.is_empty());
        assert!(plain.ground_taken.is_empty() && plain.snapshot.is_none());
    }
}
