//! The embedded default: SQLite through rusqlite (bundled), in WAL mode, created on first run.
//! A save batch is one transaction; character state is stored as JSON.

use std::path::Path;
use std::sync::{Arc, Mutex};

use emberkeep_components::guild::GuildRecord;
use emberkeep_components::persist::{
    CharacterRecord, GroundRecord, MapRecord, SaveBatch, WorldSave, WorldSnapshot,
};
use emberkeep_components::protocol::Role;
use rusqlite::{Connection, OptionalExtension, params};

use super::{
    AccountRecord, BanRecord, BanTarget, SessionRecord, Store, StoreError, StoreResult, backend,
    guild_without, role_name, role_of,
};

/// A SQLite database file.
#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS accounts (
    key TEXT PRIMARY KEY, username TEXT NOT NULL, password_hash TEXT NOT NULL,
    role TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY, account TEXT NOT NULL, expires_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS characters (
    key TEXT PRIMARY KEY, account TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS characters_by_account ON characters (account);
CREATE TABLE IF NOT EXISTS bans (key TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS guilds (key TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ground_items (
    id INTEGER PRIMARY KEY, map TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS ground_items_by_map ON ground_items (map);
CREATE TABLE IF NOT EXISTS world_state (key TEXT PRIMARY KEY, data TEXT NOT NULL);
";

/// The `world_state` key of the world record; a map's record is `map:` and its name.
const WORLD_KEY: &str = "world";

fn decode(data: &str) -> StoreResult<CharacterRecord> {
    serde_json::from_str(data)
        .map_err(|e| StoreError::Backend(format!("corrupt character record: {e}")))
}

impl SqliteStore {
    /// Opens (creating if needed, with its folder) a database file and its tables.
    pub fn open(path: &Path) -> StoreResult<SqliteStore> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| backend(format!("cannot create {}: {e}", dir.display())))?;
        }
        let conn = Connection::open(path)
            .map_err(|e| backend(format!("cannot open {}: {e}", path.display())))?;
        // WAL survives a killed process; NORMAL sync is durable for that (not power loss).
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(backend)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(backend)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(backend)?;
        conn.execute_batch(SCHEMA).map_err(backend)?;
        Ok(SqliteStore {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Runs `f` on a blocking thread with the connection.
    async fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().map_err(|_| backend("database lock poisoned"))?;
            f(&mut guard)
        })
        .await
        .map_err(|e| backend(format!("storage thread failed: {e}")))?
    }
}

/// Every guild, read inside a transaction (or on the connection).
fn read_guilds(c: &Connection) -> StoreResult<Vec<GuildRecord>> {
    read_all(c, "guilds", "guild record")
}

/// Every row of a `(key, data)` table, its JSON `data` decoded, in key order; `what` names a
/// row in the error for one that does not decode.
fn read_all<T: serde::de::DeserializeOwned>(
    c: &Connection,
    table: &str,
    what: &str,
) -> StoreResult<Vec<T>> {
    let mut stmt = c
        .prepare(&format!("SELECT data FROM {table} ORDER BY key"))
        .map_err(backend)?;
    let rows = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .map_err(backend)?;
    rows.map(|r| {
        r.map_err(backend).and_then(|d| {
            serde_json::from_str(&d).map_err(|e| backend(format!("corrupt {what}: {e}")))
        })
    })
    .collect()
}

/// Adds or replaces a guild, or removes the one with `key` when `guild` is `None`.
fn write_guild(c: &Connection, key: &str, guild: Option<&GuildRecord>) -> StoreResult<()> {
    match guild {
        Some(g) => {
            let data = serde_json::to_string(g).map_err(backend)?;
            c.execute(
                "INSERT INTO guilds (key, data) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET data = excluded.data",
                params![key, data],
            )
        }
        None => c.execute("DELETE FROM guilds WHERE key = ?1", params![key]),
    }
    .map(|_| ())
    .map_err(backend)
}

/// Adds or replaces a `(key, data)` row of the world state.
fn write_state<T: serde::Serialize>(c: &Connection, key: &str, value: &T) -> StoreResult<()> {
    let data = serde_json::to_string(value).map_err(backend)?;
    c.execute(
        "INSERT INTO world_state (key, data) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET data = excluded.data",
        params![key, data],
    )
    .map(|_| ())
    .map_err(backend)
}

/// Adds or replaces a ground item.
fn put_ground(c: &Connection, g: &GroundRecord) -> StoreResult<()> {
    let data = serde_json::to_string(g).map_err(backend)?;
    c.execute(
        "INSERT INTO ground_items (id, map, data) VALUES (?1, ?2, ?3)
         ON CONFLICT(id) DO UPDATE SET map = excluded.map, data = excluded.data",
        params![g.item.id as i64, g.map, data],
    )
    .map(|_| ())
    .map_err(backend)
}

/// Applies a batch's world changes inside its transaction.
fn write_world(c: &Connection, w: &WorldSave) -> StoreResult<()> {
    for g in &w.ground_put {
        put_ground(c, g)?;
    }
    for id in &w.ground_taken {
        c.execute(
            "DELETE FROM ground_items WHERE id = ?1",
            params![*id as i64],
        )
        .map_err(backend)?;
    }
    let Some(snap) = &w.snapshot else {
        return Ok(());
    };
    for m in &snap.maps {
        c.execute("DELETE FROM ground_items WHERE map = ?1", params![m.map])
            .map_err(backend)?;
        write_state(c, &format!("map:{}", m.map), m)?;
    }
    for g in &snap.ground {
        put_ground(c, g)?;
    }
    write_state(c, WORLD_KEY, &snap.world)
}

fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation)
}

impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn create_account(&self, a: AccountRecord) -> StoreResult<()> {
        self.with(move |c| {
            c.execute(
                "INSERT INTO accounts (key, username, password_hash, role, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![a.key, a.username, a.password_hash, role_name(a.role), a.created_at as i64],
            )
            .map(|_| ())
            .map_err(|e| if is_unique_violation(&e) { StoreError::Conflict(a.key.clone()) } else { backend(e) })
        })
        .await
    }

    async fn account(&self, key: String) -> StoreResult<Option<AccountRecord>> {
        self.with(move |c| {
            c.query_row(
                "SELECT key, username, password_hash, role, created_at FROM accounts WHERE key = ?1",
                params![key],
                |r| {
                    Ok(AccountRecord {
                        key: r.get(0)?,
                        username: r.get(1)?,
                        password_hash: r.get(2)?,
                        role: role_of(&r.get::<_, String>(3)?),
                        created_at: r.get::<_, i64>(4)? as u64,
                    })
                },
            )
            .optional()
            .map_err(backend)
        })
        .await
    }

    async fn set_role(&self, key: String, role: Role) -> StoreResult<bool> {
        self.with(move |c| {
            c.execute(
                "UPDATE accounts SET role = ?2 WHERE key = ?1",
                params![key, role_name(role)],
            )
            .map(|n| n > 0)
            .map_err(backend)
        })
        .await
    }

    async fn put_session(&self, s: SessionRecord) -> StoreResult<()> {
        self.with(move |c| {
            c.execute(
                "INSERT OR REPLACE INTO sessions (token_hash, account, expires_at) VALUES (?1, ?2, ?3)",
                params![s.token_hash, s.account, s.expires_at as i64],
            )
            .map(|_| ())
            .map_err(backend)
        })
        .await
    }

    async fn session(&self, token_hash: String) -> StoreResult<Option<SessionRecord>> {
        self.with(move |c| {
            c.query_row(
                "SELECT token_hash, account, expires_at FROM sessions WHERE token_hash = ?1",
                params![token_hash],
                |r| {
                    Ok(SessionRecord {
                        token_hash: r.get(0)?,
                        account: r.get(1)?,
                        expires_at: r.get::<_, i64>(2)? as u64,
                    })
                },
            )
            .optional()
            .map_err(backend)
        })
        .await
    }

    async fn delete_session(&self, token_hash: String) -> StoreResult<()> {
        self.with(move |c| {
            c.execute(
                "DELETE FROM sessions WHERE token_hash = ?1",
                params![token_hash],
            )
            .map(|_| ())
            .map_err(backend)
        })
        .await
    }

    async fn create_character(
        &self,
        record: CharacterRecord,
        max_per_account: u32,
    ) -> StoreResult<()> {
        self.with(move |c| {
            let tx = c.transaction().map_err(backend)?;
            let have: i64 = tx
                .query_row(
                    "SELECT COUNT(*) FROM characters WHERE account = ?1",
                    params![record.account],
                    |r| r.get(0),
                )
                .map_err(backend)?;
            if have >= i64::from(max_per_account) {
                return Err(StoreError::Limit(format!("{have} characters")));
            }
            let data = serde_json::to_string(&record).map_err(backend)?;
            tx.execute(
                "INSERT INTO characters (key, account, data) VALUES (?1, ?2, ?3)",
                params![record.key(), record.account, data],
            )
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::Conflict(record.name.clone())
                } else {
                    backend(e)
                }
            })?;
            tx.commit().map_err(backend)
        })
        .await
    }

    async fn characters(&self, account: String) -> StoreResult<Vec<CharacterRecord>> {
        self.with(move |c| {
            let mut stmt = c
                .prepare("SELECT data FROM characters WHERE account = ?1 ORDER BY key")
                .map_err(backend)?;
            let rows = stmt
                .query_map(params![account], |r| r.get::<_, String>(0))
                .map_err(backend)?;
            rows.map(|r| r.map_err(backend).and_then(|d| decode(&d)))
                .collect()
        })
        .await
    }

    async fn character(&self, key: String) -> StoreResult<Option<CharacterRecord>> {
        self.with(move |c| {
            let data: Option<String> = c
                .query_row(
                    "SELECT data FROM characters WHERE key = ?1",
                    params![key],
                    |r| r.get(0),
                )
                .optional()
                .map_err(backend)?;
            data.map(|d| decode(&d)).transpose()
        })
        .await
    }

    async fn all_characters(&self) -> StoreResult<Vec<CharacterRecord>> {
        self.with(move |c| {
            let mut stmt = c
                .prepare("SELECT data FROM characters ORDER BY key")
                .map_err(backend)?;
            let rows = stmt
                .query_map([], |r| r.get::<_, String>(0))
                .map_err(backend)?;
            rows.map(|r| r.map_err(backend).and_then(|d| decode(&d)))
                .collect()
        })
        .await
    }

    async fn delete_character(&self, account: String, key: String) -> StoreResult<bool> {
        self.with(move |c| {
            let tx = c.transaction().map_err(backend)?;
            let deleted = tx
                .execute(
                    "DELETE FROM characters WHERE key = ?1 AND account = ?2",
                    params![key, account],
                )
                .map_err(backend)?;
            if deleted == 0 {
                return Ok(false);
            }
            if let Some((guild, rest)) = guild_without(read_guilds(&tx)?, &key) {
                write_guild(&tx, &guild, rest.as_ref())?;
            }
            tx.commit().map_err(backend)?;
            Ok(true)
        })
        .await
    }

    async fn save(&self, batch: SaveBatch) -> StoreResult<()> {
        self.with(move |c| {
            let tx = c.transaction().map_err(backend)?;
            for record in &batch.characters {
                let data = serde_json::to_string(record).map_err(backend)?;
                // A character deleted meanwhile stays deleted.
                tx.execute(
                    "UPDATE characters SET data = ?2 WHERE key = ?1",
                    params![record.key(), data],
                )
                .map_err(backend)?;
            }
            for guild in &batch.guilds {
                write_guild(&tx, &guild.key(), Some(guild))?;
            }
            for key in &batch.removed_guilds {
                write_guild(&tx, key, None)?;
            }
            write_world(&tx, &batch.world)?;
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('next_item_id', ?1)
                 ON CONFLICT(key) DO UPDATE SET value = MAX(value, excluded.value)",
                params![batch.next_item_id as i64],
            )
            .map_err(backend)?;
            tx.commit().map_err(backend)
        })
        .await
    }

    async fn guilds(&self) -> StoreResult<Vec<GuildRecord>> {
        self.with(|c| read_guilds(c)).await
    }

    async fn world_snapshot(&self) -> StoreResult<WorldSnapshot> {
        self.with(|c| {
            let mut stmt = c
                .prepare("SELECT key, data FROM world_state ORDER BY key")
                .map_err(backend)?;
            let rows = stmt
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
                .map_err(backend)?;
            let mut snap = WorldSnapshot::default();
            for row in rows {
                let (key, data) = row.map_err(backend)?;
                let corrupt =
                    |e: serde_json::Error| backend(format!("corrupt world state {key:?}: {e}"));
                if key == WORLD_KEY {
                    snap.world = serde_json::from_str(&data).map_err(corrupt)?;
                } else if key.starts_with("map:") {
                    snap.maps
                        .push(serde_json::from_str::<MapRecord>(&data).map_err(corrupt)?);
                }
            }
            let mut stmt = c
                .prepare("SELECT id, data FROM ground_items ORDER BY id")
                .map_err(backend)?;
            let rows = stmt
                .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
                .map_err(backend)?;
            snap.ground = rows
                .map(|r| {
                    r.map_err(backend).and_then(|(id, d)| {
                        serde_json::from_str(&d)
                            .map_err(|e| backend(format!("corrupt ground item {id}: {e}")))
                    })
                })
                .collect::<StoreResult<_>>()?;
            Ok(snap)
        })
        .await
    }

    async fn next_item_id(&self) -> StoreResult<u64> {
        self.with(move |c| {
            let stored: Option<i64> = c
                .query_row(
                    "SELECT value FROM meta WHERE key = 'next_item_id'",
                    [],
                    |r| r.get(0),
                )
                .optional()
                .map_err(backend)?;
            Ok(stored.map(|v| v.max(1) as u64).unwrap_or(1))
        })
        .await
    }

    async fn put_ban(&self, ban: BanRecord) -> StoreResult<()> {
        self.with(move |c| {
            let data = serde_json::to_string(&ban).map_err(backend)?;
            c.execute(
                "INSERT OR REPLACE INTO bans (key, data) VALUES (?1, ?2)",
                params![ban.target.key(), data],
            )
            .map(|_| ())
            .map_err(backend)
        })
        .await
    }

    async fn delete_ban(&self, target: BanTarget) -> StoreResult<bool> {
        self.with(move |c| {
            c.execute("DELETE FROM bans WHERE key = ?1", params![target.key()])
                .map(|n| n > 0)
                .map_err(backend)
        })
        .await
    }

    async fn bans(&self) -> StoreResult<Vec<BanRecord>> {
        self.with(|c| read_all(c, "bans", "ban")).await
    }
}
