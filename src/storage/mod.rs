//! Persistence: one async [`Store`] trait with two real backends — embedded SQLite (the
//! default, no setup) and MongoDB — and the storage task that serves the world's requests.
//!
//! The world never waits on storage: it hands requests to [`service::run`] through a channel
//! and gets replies back as inbound input. A [`SaveBatch`] is written atomically by both
//! backends (SQLite: one transaction; MongoDB: a journal document replayed after a crash).

pub mod auth;
pub mod mongo;
mod save_queue;
pub mod service;
pub mod sqlite;
pub mod throttle;

use std::future::Future;

use emberkeep_components::guild::GuildRecord;
use emberkeep_components::persist::{CharacterRecord, SaveBatch, WorldSnapshot};
use emberkeep_components::protocol::Role;
use serde::{Deserialize, Serialize};

pub use mongo::MongoStore;
pub use sqlite::SqliteStore;

/// An account as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRecord {
    /// Lower-case username: the account's key.
    pub key: String,
    /// The username as typed at registration.
    pub username: String,
    /// argon2id PHC string.
    pub password_hash: String,
    pub role: Role,
    /// Unix seconds.
    pub created_at: u64,
}

/// A login session: only the hash of its token is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    pub token_hash: String,
    pub account: String,
    /// Unix seconds.
    pub expires_at: u64,
}

/// What a ban applies to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum BanTarget {
    /// An account key.
    Account(String),
    /// An IP address.
    Ip(String),
}

impl BanTarget {
    /// A single string key, e.g. `account:bob` or `ip:127.0.0.1`.
    pub fn key(&self) -> String {
        match self {
            BanTarget::Account(a) => format!("account:{a}"),
            BanTarget::Ip(ip) => format!("ip:{ip}"),
        }
    }
}

/// A ban, with optional expiry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BanRecord {
    pub target: BanTarget,
    pub reason: String,
    /// Unix seconds; `None` for a permanent ban.
    pub until: Option<u64>,
    /// Who banned.
    pub by: String,
}

impl BanRecord {
    /// Whether the ban is in force at `now` (unix seconds).
    pub fn active(&self, now: u64) -> bool {
        self.until.is_none_or(|u| now < u)
    }
}

/// Why a storage call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// A unique key exists already (username, character name).
    #[error("already exists: {0}")]
    Conflict(String),
    /// A limit was reached (characters per account).
    #[error("limit reached: {0}")]
    Limit(String),
    /// The database failed or could not be reached.
    #[error("storage backend error: {0}")]
    Backend(String),
}

/// Result of a storage call.
pub type StoreResult<T> = Result<T, StoreError>;

/// Everything the server keeps. Both backends pass the same conformance suite
/// (`tests/storage.rs`).
pub trait Store: Clone + Send + Sync + 'static {
    /// `sqlite` or `mongodb`, for logs.
    fn backend(&self) -> &'static str;
    /// Creates an account; [`StoreError::Conflict`] if the key exists.
    fn create_account(
        &self,
        account: AccountRecord,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// The account with this key.
    fn account(
        &self,
        key: String,
    ) -> impl Future<Output = StoreResult<Option<AccountRecord>>> + Send;
    /// Changes an account's role; false if there is no such account.
    fn set_role(&self, key: String, role: Role) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Stores a session.
    fn put_session(&self, session: SessionRecord) -> impl Future<Output = StoreResult<()>> + Send;
    /// The session with this token hash.
    fn session(
        &self,
        token_hash: String,
    ) -> impl Future<Output = StoreResult<Option<SessionRecord>>> + Send;
    /// Revokes a session.
    fn delete_session(&self, token_hash: String) -> impl Future<Output = StoreResult<()>> + Send;
    /// Creates a character; [`StoreError::Conflict`] if the name is taken (any case),
    /// [`StoreError::Limit`] if its account has `max_per_account` already.
    fn create_character(
        &self,
        record: CharacterRecord,
        max_per_account: u32,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// An account's characters, by name.
    fn characters(
        &self,
        account: String,
    ) -> impl Future<Output = StoreResult<Vec<CharacterRecord>>> + Send;
    /// The character with this key (lower-case name).
    fn character(
        &self,
        key: String,
    ) -> impl Future<Output = StoreResult<Option<CharacterRecord>>> + Send;
    /// Every character (for checks and tools).
    fn all_characters(&self) -> impl Future<Output = StoreResult<Vec<CharacterRecord>>> + Send;
    /// Deletes one of an account's characters and, in the same step, drops it from its guild
    /// (see `GuildRecord::without`); false if the account has none of that key.
    fn delete_character(
        &self,
        account: String,
        key: String,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Writes every character and guild of the batch, removes its removed guilds, stores
    /// the item-id mark and applies its world changes (ground items put and taken, then the
    /// snapshot, which replaces the world record, its maps' records and every ground item on
    /// its maps), all or nothing.
    fn save(&self, batch: SaveBatch) -> impl Future<Output = StoreResult<()>> + Send;
    /// The stored world: its record (a default one on an empty store), every map's record
    /// and every item on the ground, by item id.
    fn world_snapshot(&self) -> impl Future<Output = StoreResult<WorldSnapshot>> + Send;
    /// Every guild, by key.
    fn guilds(&self) -> impl Future<Output = StoreResult<Vec<GuildRecord>>> + Send;
    /// The next item id to hand out (1 on an empty store).
    fn next_item_id(&self) -> impl Future<Output = StoreResult<u64>> + Send;
    /// Adds or replaces a ban.
    fn put_ban(&self, ban: BanRecord) -> impl Future<Output = StoreResult<()>> + Send;
    /// Lifts a ban; false if there was none.
    fn delete_ban(&self, target: BanTarget) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Every ban.
    fn bans(&self) -> impl Future<Output = StoreResult<Vec<BanRecord>>> + Send;

    // The cluster (issue 20) needs a store every process shares: MongoDB. The defaults
    // refuse, for a store that cannot be shared.

    /// Takes `account`'s lease for `process` until `until_ms` (ms since the Unix epoch),
    /// unless another process holds one that has not expired: then that process's name and
    /// when its lease ends.
    fn acquire_lease(
        &self,
        _account: String,
        _process: String,
        _now_ms: u64,
        _until_ms: u64,
    ) -> impl Future<Output = StoreResult<Option<(String, u64)>>> + Send {
        async { Err(cluster_needs_mongodb()) }
    }
    /// Extends every settled lease of `process` (not those waiting for a handoff) to
    /// `until_ms`; how many.
    fn renew_leases(
        &self,
        _process: String,
        _until_ms: u64,
    ) -> impl Future<Output = StoreResult<u64>> + Send {
        async { Err(cluster_needs_mongodb()) }
    }
    /// Claims the handoff with this token hash for `process`, once: the account, the
    /// character and its party-mates, if the token is meant for `process` and has not
    /// expired; the lease then runs until `until_ms`.
    fn claim_handoff(
        &self,
        _token_hash: String,
        _process: String,
        _now_ms: u64,
        _until_ms: u64,
    ) -> impl Future<Output = StoreResult<Option<Claimed>>> + Send {
        async { Err(cluster_needs_mongodb()) }
    }
    /// Drops every lease `process` holds (it starts, with nobody in its world: leases left
    /// by an earlier run of the same name would otherwise be renewed by this one); how many.
    fn clear_leases(&self, _process: String) -> impl Future<Output = StoreResult<u64>> + Send {
        async { Err(cluster_needs_mongodb()) }
    }
    /// The first id of a block of `2^ITEM_BLOCK_BITS` item ids no other process will use.
    fn reserve_item_ids(&self) -> impl Future<Output = StoreResult<u64>> + Send {
        async { Err(cluster_needs_mongodb()) }
    }
}

/// A claimed handoff: the account, the character and its party-mates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    pub account: String,
    pub character: String,
    pub party: Vec<String>,
}

/// Item ids a process of a cluster reserves at start (2^36: far more than it can hand out).
pub use emberkeep_components::items::ITEM_BLOCK_BITS;

fn cluster_needs_mongodb() -> StoreError {
    backend("a cluster (server.nats) needs a MongoDB database every process shares")
}

/// Milliseconds since the Unix epoch (lease times).
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Which backend a database URL selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `sqlite://path/to/file.db` (relative paths are relative to the working directory).
    Sqlite(std::path::PathBuf),
    /// `mongodb://...` or `mongodb+srv://...`; the database name is the URL's path, else
    /// `emberkeep`.
    Mongo(String),
}

impl DatabaseUrl {
    /// Parses `server.database` / `--database`.
    pub fn parse(url: &str) -> Result<DatabaseUrl, String> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err("sqlite:// needs a file path, e.g. sqlite://data/emberkeep.db".into());
            }
            return Ok(DatabaseUrl::Sqlite(path.into()));
        }
        if url.starts_with("mongodb://") || url.starts_with("mongodb+srv://") {
            return Ok(DatabaseUrl::Mongo(url.to_string()));
        }
        Err(format!(
            "unsupported database URL {url:?}; use sqlite://FILE or mongodb://HOST[:PORT][/DB]"
        ))
    }
}

/// Seconds since the Unix epoch.
pub fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The guild `name` (a character key) is in, and what it is without it (`None`: it is
/// gone), among `guilds`. Both backends drop a deleted character this way.
pub(crate) fn guild_without(
    guilds: Vec<GuildRecord>,
    name: &str,
) -> Option<(String, Option<GuildRecord>)> {
    let guild = guilds.into_iter().find(|g| g.member(name).is_some())?;
    Some((guild.key(), guild.without(name)))
}

/// A backend's own error, as the store's.
pub(crate) fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// How both backends store a role.
pub(crate) fn role_name(role: Role) -> &'static str {
    match role {
        Role::Player => "player",
        Role::Gm => "gm",
        Role::Admin => "admin",
    }
}

/// The role a stored name stands for (anything unknown is a plain player).
pub(crate) fn role_of(name: &str) -> Role {
    match name {
        "gm" => Role::Gm,
        "admin" => Role::Admin,
        _ => Role::Player,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_select_a_backend_or_say_why_not() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/x.db"),
            Ok(DatabaseUrl::Sqlite("data/x.db".into()))
        );
        assert!(matches!(
            DatabaseUrl::parse("mongodb://127.0.0.1:27017/game"),
            Ok(DatabaseUrl::Mongo(_))
        ));
        assert!(
            DatabaseUrl::parse("postgres://x")
                .unwrap_err()
                .contains("unsupported")
        );
        assert!(DatabaseUrl::parse("sqlite://").is_err());
    }
}

/// Either backend, for the code that picks one at run time (the admin API).
#[derive(Clone)]
pub enum AnyStore {
    Sqlite(SqliteStore),
    Mongo(MongoStore),
}

impl AnyStore {
    /// The role of the account a live session token belongs to, if any.
    pub async fn role_for_token(&self, token: &str) -> StoreResult<Option<Role>> {
        let hash = auth::token_hash(token);
        let session = match self {
            AnyStore::Sqlite(s) => s.session(hash).await?,
            AnyStore::Mongo(s) => s.session(hash).await?,
        };
        let Some(session) = session.filter(|s| s.expires_at > now_secs()) else {
            return Ok(None);
        };
        let account = match self {
            AnyStore::Sqlite(s) => s.account(session.account).await?,
            AnyStore::Mongo(s) => s.account(session.account).await?,
        };
        Ok(account.map(|a| a.role))
    }

    /// Adds or replaces a ban.
    pub async fn put_ban(&self, ban: BanRecord) -> StoreResult<()> {
        match self {
            AnyStore::Sqlite(s) => s.put_ban(ban).await,
            AnyStore::Mongo(s) => s.put_ban(ban).await,
        }
    }

    /// Lifts a ban.
    pub async fn delete_ban(&self, target: BanTarget) -> StoreResult<bool> {
        match self {
            AnyStore::Sqlite(s) => s.delete_ban(target).await,
            AnyStore::Mongo(s) => s.delete_ban(target).await,
        }
    }

    /// Every ban.
    pub async fn bans(&self) -> StoreResult<Vec<BanRecord>> {
        match self {
            AnyStore::Sqlite(s) => s.bans().await,
            AnyStore::Mongo(s) => s.bans().await,
        }
    }

    /// Changes an account's role (the `promote` command).
    pub async fn set_role(&self, key: String, role: Role) -> StoreResult<bool> {
        match self {
            AnyStore::Sqlite(s) => s.set_role(key, role).await,
            AnyStore::Mongo(s) => s.set_role(key, role).await,
        }
    }
}

impl From<SqliteStore> for AnyStore {
    fn from(s: SqliteStore) -> Self {
        AnyStore::Sqlite(s)
    }
}

impl From<MongoStore> for AnyStore {
    fn from(s: MongoStore) -> Self {
        AnyStore::Mongo(s)
    }
}
