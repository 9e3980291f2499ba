//! The storage task: serves the world's [`StorageRequest`]s and posts [`StorageReply`]s back
//! as inbound input (a refusal as a text key, which the world thread renders in the client's
//! language).
//!
//! Logins and registrations (slow on purpose: argon2) run concurrently, at most
//! `hash_threads` hashes at once with a bounded queue behind them (`auth::HashGate`), after
//! the throttles (`throttle.rs`) had their say. Everything that reads or writes a
//! character runs in arrival order on this task, so a load always sees the saves queued
//! before it. A failed save is retried with backoff, then reported (logged, counted, and the
//! world marks the characters dirty so the next periodic save tries again).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use emberkeep_components::limits::{MAX_SANCTION_MINUTES, sanction_minutes_problem};
use emberkeep_components::net::{ConnId, WorldInput};
use emberkeep_components::persist::{SaveBatch, StorageReply, StorageRequest};
use emberkeep_components::protocol::{ErrorCode, Role};
use emberkeep_components::text::{Text, keys};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tracing::{error, info, warn};

use super::auth::HashGate;
use super::throttle::{LoginLimits, LoginThrottle, RegistrationLimits, RegistrationThrottle};
use super::{AccountRecord, SessionRecord, Store, StoreError, auth, now_secs};
use crate::net::{Inbound, TextInput};
use crate::stats::Stats;

/// Settings of the account side.
#[derive(Debug, Clone)]
pub struct StorageSettings {
    /// How long a session token stays valid.
    pub session_ttl_secs: u64,
    pub max_characters: u32,
    /// Failed-login lockouts and the per-account slowdown.
    pub login: LoginLimits,
    /// Registrations per address.
    pub registrations: RegistrationLimits,
    /// Password hashes computed at once.
    pub hash_threads: usize,
    /// Password hashes that may wait for a thread; more are refused `busy`.
    pub hash_queue: usize,
}

/// What the account requests share: settings, throttles and the password-hash gate.
struct Accounts {
    settings: StorageSettings,
    logins: Mutex<LoginThrottle>,
    registrations: Mutex<RegistrationThrottle>,
    hashes: HashGate,
    stats: Arc<Stats>,
}

/// Delays between attempts of a failing save.
const SAVE_BACKOFF_MS: [u64; 3] = [50, 250, 1000];

/// Serves requests until the world drops its sender, then finishes what is in flight.
pub async fn run<S: Store>(
    store: S,
    mut rx: mpsc::Receiver<StorageRequest>,
    inbound: crossbeam_channel::Sender<Inbound>,
    settings: StorageSettings,
    stats: Arc<Stats>,
) {
    let mut logins = JoinSet::new();
    let accounts = Arc::new(Accounts {
        hashes: HashGate::new(settings.hash_threads, settings.hash_queue, stats.clone()),
        settings: settings.clone(),
        logins: Mutex::new(LoginThrottle::default()),
        registrations: Mutex::new(RegistrationThrottle::default()),
        stats: stats.clone(),
    });
    while let Some(request) = rx.recv().await {
        match request {
            r @ (StorageRequest::Register { .. }
            | StorageRequest::Login { .. }
            | StorageRequest::Resume { .. }
            | StorageRequest::Logout { .. }
            | StorageRequest::ListCharacters { .. }) => {
                let (store, inbound, accounts) = (store.clone(), inbound.clone(), accounts.clone());
                logins.spawn(async move {
                    if let Some(reply) = account_request(&store, r, &accounts).await {
                        reply_to(&inbound, reply).await;
                    }
                });
            }
            // A guest's name check is a read that no save must delay (a failing save retries
            // for seconds): it runs beside the logins.
            r @ StorageRequest::CheckGuestName { .. } => {
                let (store, inbound, settings) = (store.clone(), inbound.clone(), settings.clone());
                logins.spawn(async move {
                    if let Some(reply) = character_request(&store, r, &settings).await {
                        reply_to(&inbound, reply).await;
                    }
                });
            }
            StorageRequest::Save(batch) => {
                if let Some(reply) = save(&store, batch, &stats).await {
                    reply_to(&inbound, reply).await;
                }
            }
            r => {
                if let Some(reply) = character_request(&store, r, &settings).await {
                    reply_to(&inbound, reply).await;
                }
            }
        }
        while logins.try_join_next().is_some() {}
    }
    while logins.join_next().await.is_some() {}
    info!(
        backend = store.backend(),
        "storage finished its last writes"
    );
}

/// What the storage task answers: a reply for the world, or a refusal whose text the world
/// thread renders in the client's language.
#[derive(Debug)]
enum Answer {
    Reply(StorageReply),
    Refused {
        conn: ConnId,
        code: ErrorCode,
        text: Text,
    },
}

async fn reply_to(inbound: &crossbeam_channel::Sender<Inbound>, answer: Answer) {
    let item = match answer {
        Answer::Reply(reply) => Inbound::World(WorldInput::Storage(reply)),
        Answer::Refused { conn, code, text } => Inbound::Text {
            conn,
            text,
            input: TextInput::Refused(code),
        },
    };
    crate::net::conn::deliver(inbound, item).await;
}

fn unavailable(conn: ConnId, e: &StoreError) -> Answer {
    error!(error = %e, "storage request failed");
    Answer::Refused {
        conn,
        code: ErrorCode::StorageUnavailable,
        text: Text::new(keys::STORAGE_UNAVAILABLE),
    }
}

fn refused(conn: ConnId, code: ErrorCode, text: impl Into<Text>) -> Option<Answer> {
    Some(Answer::Refused {
        conn,
        code,
        text: text.into(),
    })
}

/// A hash no password matches, so unknown users cost as much time as wrong passwords.
/// Computed once, on the first hashing thread that needs it.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| auth::hash_password("no account has this password").unwrap_or_default())
}

fn busy(conn: ConnId) -> Option<Answer> {
    refused(conn, ErrorCode::Busy, keys::ACCOUNT_BUSY)
}

async fn account_request<S: Store>(
    store: &S,
    request: StorageRequest,
    accounts: &Accounts,
) -> Option<Answer> {
    let settings = &accounts.settings;
    match request {
        StorageRequest::Register {
            conn,
            username,
            password,
            addr,
        } => {
            let limits = &settings.registrations;
            let begun = match accounts.registrations.lock() {
                Ok(mut r) => r.begin(&addr, Instant::now(), limits),
                Err(_) => Ok(()),
            };
            if let Err(text) = begun {
                Stats::add(&accounts.stats.rejected.registration_limited, 1);
                return refused(conn, ErrorCode::RegistrationLimited, text);
            }
            let (reply, created) = register(store, accounts, conn, username, password).await;
            if let Ok(mut r) = accounts.registrations.lock() {
                r.finished(&addr, created);
            }
            reply
        }
        StorageRequest::Login {
            conn,
            username,
            password,
            addr,
        } => login(store, accounts, conn, username, password, addr).await,
        StorageRequest::Resume { conn, token } => {
            let session = match store.session(auth::token_hash(&token)).await {
                Ok(s) => s,
                Err(e) => return Some(unavailable(conn, &e)),
            };
            let Some(session) = session.filter(|s| s.expires_at > now_secs()) else {
                return refused(conn, ErrorCode::TokenInvalid, keys::ACCOUNT_SESSION_EXPIRED);
            };
            let account = match store.account(session.account.clone()).await {
                Ok(Some(a)) => a,
                Ok(None) => {
                    return refused(conn, ErrorCode::TokenInvalid, keys::ACCOUNT_GONE);
                }
                Err(e) => return Some(unavailable(conn, &e)),
            };
            if let Some(reply) = banned(store, conn, &account.key).await {
                return Some(reply);
            }
            let characters = match store.characters(account.key.clone()).await {
                Ok(c) => c.iter().map(|c| c.summary()).collect(),
                Err(e) => return Some(unavailable(conn, &e)),
            };
            let expires_in_secs = session.expires_at.saturating_sub(now_secs());
            Some(Answer::Reply(StorageReply::LoggedIn {
                conn,
                account: account.key,
                role: account.role,
                token,
                expires_in_secs,
                characters,
            }))
        }
        StorageRequest::Logout { token } => {
            if let Err(e) = store.delete_session(auth::token_hash(&token)).await {
                warn!(error = %e, "could not revoke a session token");
            }
            None
        }
        StorageRequest::ListCharacters { conn, account } => Some(list(store, conn, account).await),
        _ => None,
    }
}

/// Creates an account: a taken name is refused before any hashing; the hash waits for its
/// turn at the gate, or the request is refused `busy`. Says whether an account was made.
async fn register<S: Store>(
    store: &S,
    accounts: &Accounts,
    conn: ConnId,
    username: String,
    password: String,
) -> (Option<Answer>, bool) {
    let key = username.to_lowercase();
    let taken = || refused(conn, ErrorCode::UsernameTaken, keys::ACCOUNT_USERNAME_TAKEN);
    match store.account(key.clone()).await {
        Ok(Some(_)) => return (taken(), false),
        Ok(None) => {}
        Err(e) => return (Some(unavailable(conn, &e)), false),
    }
    let Ok(turn) = accounts.hashes.admit() else {
        return (busy(conn), false);
    };
    let hashed = turn.run(move |memory| auth::hash_password_with(memory, &password));
    let Some(Ok(hash)) = hashed.await else {
        let reply = refused(
            conn,
            ErrorCode::StorageUnavailable,
            keys::ACCOUNT_HASH_FAILED,
        );
        return (reply, false);
    };
    let account = AccountRecord {
        key: key.clone(),
        username,
        password_hash: hash,
        role: Role::Player,
        created_at: now_secs(),
    };
    match store.create_account(account).await {
        Ok(()) => {
            let reply = logged_in(store, conn, key, Role::Player, &accounts.settings).await;
            (reply, true)
        }
        Err(StoreError::Conflict(_)) => (taken(), false),
        Err(e) => (Some(unavailable(conn, &e)), false),
    }
}

/// Checks a password. The attempt counts against the throttle from its start; it waits its
/// turn on the account (the slowdown) and at the hash gate, and a good one is taken back.
async fn login<S: Store>(
    store: &S,
    accounts: &Accounts,
    conn: ConnId,
    username: String,
    password: String,
    addr: String,
) -> Option<Answer> {
    let key = username.to_lowercase();
    let limits = &accounts.settings.login;
    let throttle = || accounts.logins.lock().ok();
    let begun = throttle().map(|mut t| t.begin(&key, &addr, Instant::now(), limits));
    let wait = match begun {
        Some(Err(locked)) => {
            Stats::add(&accounts.stats.rejected.locked_out, 1);
            return refused(conn, ErrorCode::LockedOut, locked.text());
        }
        Some(Ok(wait)) => wait,
        None => Duration::ZERO,
    };
    if !wait.is_zero() {
        tokio::time::sleep(wait).await;
    }
    let cancel = || {
        if let Some(mut t) = throttle() {
            t.cancelled(&key, &addr, limits);
        }
    };
    let Ok(turn) = accounts.hashes.admit() else {
        cancel();
        return busy(conn);
    };
    let account = match store.account(key.clone()).await {
        Ok(a) => a,
        Err(e) => {
            cancel();
            return Some(unavailable(conn, &e));
        }
    };
    let hash = account.as_ref().map(|a| a.password_hash.clone());
    let matches = turn
        .run(move |memory| {
            let hash = hash.as_deref().unwrap_or_else(|| dummy_hash());
            auth::verify_password_with(memory, &password, hash)
        })
        .await
        .unwrap_or(false);
    let Some(account) = account.filter(|_| matches) else {
        return refused(
            conn,
            ErrorCode::BadCredentials,
            keys::ACCOUNT_BAD_CREDENTIALS,
        );
    };
    if let Some(mut t) = throttle() {
        t.succeeded(&key, &addr, limits);
    }
    if let Some(reply) = banned(store, conn, &account.key).await {
        return Some(reply);
    }
    logged_in(store, conn, account.key, account.role, &accounts.settings).await
}

/// A refusal if the account is banned now.
async fn banned<S: Store>(store: &S, conn: ConnId, key: &str) -> Option<Answer> {
    let bans = match store.bans().await {
        Ok(b) => b,
        Err(e) => return Some(unavailable(conn, &e)),
    };
    let now = now_secs();
    let ban = bans
        .into_iter()
        .find(|b| b.active(now) && b.target == super::BanTarget::Account(key.to_string()))?;
    let text = match ban.until {
        Some(u) => Text::new(keys::ACCOUNT_BANNED_FOR)
            .arg("minutes", u.saturating_sub(now).div_ceil(60))
            .arg("reason", ban.reason),
        None => Text::new(keys::ACCOUNT_BANNED_PERMANENTLY).arg("reason", ban.reason),
    };
    refused(conn, ErrorCode::Banned, text)
}

async fn logged_in<S: Store>(
    store: &S,
    conn: ConnId,
    account: String,
    role: Role,
    settings: &StorageSettings,
) -> Option<Answer> {
    let Ok(token) = auth::new_token() else {
        return refused(
            conn,
            ErrorCode::StorageUnavailable,
            keys::ACCOUNT_SESSION_FAILED,
        );
    };
    let session = SessionRecord {
        token_hash: auth::token_hash(&token),
        account: account.clone(),
        expires_at: now_secs() + settings.session_ttl_secs,
    };
    if let Err(e) = store.put_session(session).await {
        return Some(unavailable(conn, &e));
    }
    let characters = match store.characters(account.clone()).await {
        Ok(c) => c.iter().map(|c| c.summary()).collect(),
        Err(e) => return Some(unavailable(conn, &e)),
    };
    Some(Answer::Reply(StorageReply::LoggedIn {
        conn,
        account,
        role,
        token,
        expires_in_secs: settings.session_ttl_secs,
        characters,
    }))
}

async fn list<S: Store>(store: &S, conn: ConnId, account: String) -> Answer {
    match store.characters(account).await {
        Ok(c) => Answer::Reply(StorageReply::Characters {
            conn,
            characters: c.iter().map(|c| c.summary()).collect(),
        }),
        Err(e) => unavailable(conn, &e),
    }
}

/// A character was deleted: the world hears of it (to drop it from its guild) together with
/// the account's characters now (`None` if they could not be read).
async fn deleted<S: Store>(store: &S, conn: ConnId, account: String, name: String) -> Answer {
    let characters = match store.characters(account).await {
        Ok(c) => Some(c.iter().map(|c| c.summary()).collect()),
        Err(e) => {
            error!(error = %e, "could not list the characters after a deletion");
            None
        }
    };
    Answer::Reply(StorageReply::CharacterDeleted {
        conn,
        name,
        characters,
    })
}

async fn character_request<S: Store>(
    store: &S,
    request: StorageRequest,
    settings: &StorageSettings,
) -> Option<Answer> {
    match request {
        StorageRequest::CreateCharacter { conn, record } => {
            let account = record.account.clone();
            let name = record.name.clone();
            match store
                .create_character(*record, settings.max_characters)
                .await
            {
                Ok(()) => Some(list(store, conn, account).await),
                Err(StoreError::Conflict(_)) => refused(
                    conn,
                    ErrorCode::NameTaken,
                    Text::new(keys::CHARACTER_NAME_TAKEN).arg("name", format!("{name:?}")),
                ),
                Err(StoreError::Limit(_)) => refused(
                    conn,
                    ErrorCode::TooManyCharacters,
                    Text::new(keys::CHARACTER_TOO_MANY).arg("max", settings.max_characters),
                ),
                Err(e) => Some(unavailable(conn, &e)),
            }
        }
        StorageRequest::DeleteCharacter {
            conn,
            account,
            name,
        } => match store
            .delete_character(account.clone(), name.to_lowercase())
            .await
        {
            Ok(true) => Some(deleted(store, conn, account, name).await),
            Ok(false) => refused(
                conn,
                ErrorCode::UnknownCharacter,
                Text::new(keys::CHARACTER_UNKNOWN).arg("name", format!("{name:?}")),
            ),
            Err(e) => Some(unavailable(conn, &e)),
        },
        StorageRequest::BanAccount {
            account,
            reason,
            minutes,
            by,
        } => {
            let until = minutes.map(|m| ban_until(now_secs(), m, &account));
            let ban = super::BanRecord {
                target: super::BanTarget::Account(account.clone()),
                reason,
                until,
                by,
            };
            if let Err(e) = store.put_ban(ban).await {
                error!(error = %e, %account, "could not store a ban");
            }
            None
        }
        StorageRequest::CheckGuestName { conn, name, class } => {
            match store.character(name.to_lowercase()).await {
                Ok(None) => Some(Answer::Reply(StorageReply::GuestNameFree {
                    conn,
                    name,
                    class,
                })),
                Ok(Some(_)) => refused(
                    conn,
                    ErrorCode::NameTaken,
                    Text::new(keys::CHARACTER_GUEST_NAME_REGISTERED)
                        .arg("name", format!("{name:?}")),
                ),
                Err(e) => Some(unavailable(conn, &e)),
            }
        }
        StorageRequest::LoadCharacter {
            conn,
            account,
            name,
        } => match store.character(name.to_lowercase()).await {
            Ok(Some(record)) if record.account == account => {
                Some(Answer::Reply(StorageReply::CharacterLoaded {
                    conn,
                    record: Box::new(record),
                }))
            }
            Ok(_) => refused(
                conn,
                ErrorCode::UnknownCharacter,
                Text::new(keys::CHARACTER_UNKNOWN).arg("name", format!("{name:?}")),
            ),
            Err(e) => Some(unavailable(conn, &e)),
        },
        _ => None,
    }
}

/// When a ban of `minutes` given at `now` ends. The world checks the range before asking;
/// an out-of-range length is held to the longest sanction here too, and the arithmetic
/// saturates, so no input overflows.
fn ban_until(now: u64, minutes: u64, account: &str) -> u64 {
    let minutes = if let Some(problem) = sanction_minutes_problem(minutes) {
        warn!(%account, %problem, "ban length out of range; using the nearest allowed");
        minutes.clamp(1, MAX_SANCTION_MINUTES)
    } else {
        minutes
    };
    now.saturating_add(minutes.saturating_mul(60))
}

/// Writes a batch, retrying with backoff; reports a lasting failure.
async fn save<S: Store>(store: &S, batch: SaveBatch, stats: &Stats) -> Option<Answer> {
    let started = Instant::now();
    if tracing::enabled!(tracing::Level::DEBUG) {
        let what: Vec<String> = batch
            .characters
            .iter()
            .map(|c| format!("{}{:?}", c.name, c.item_ids().collect::<Vec<_>>()))
            .collect();
        tracing::debug!(reason = ?batch.reason, characters = %what.join(" "), "saving");
    }
    let mut attempt = 0;
    loop {
        match store.save(batch.clone()).await {
            Ok(()) => {
                Stats::add(&stats.saves, 1);
                Stats::set(
                    &stats.last_save_micros,
                    started.elapsed().as_micros() as u64,
                );
                return None;
            }
            Err(e) if attempt < SAVE_BACKOFF_MS.len() => {
                warn!(error = %e, attempt = attempt + 1, reason = ?batch.reason, "save failed; retrying");
                tokio::time::sleep(Duration::from_millis(SAVE_BACKOFF_MS[attempt])).await;
                attempt += 1;
            }
            Err(e) => {
                Stats::add(&stats.save_failures, 1);
                let names: Vec<String> = batch.characters.iter().map(|c| c.name.clone()).collect();
                let guilds: Vec<String> = (batch.guilds.iter().map(|g| g.key()))
                    .chain(batch.removed_guilds.iter().cloned())
                    .collect();
                error!(error = %e, characters = ?names, guilds = ?guilds, reason = ?batch.reason, "save failed for good; will retry with the next periodic save");
                return Some(Answer::Reply(StorageReply::SaveFailed { names, guilds }));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> StorageSettings {
        StorageSettings {
            session_ttl_secs: 60,
            max_characters: 5,
            login: LoginLimits {
                failures_per_pair: 3,
                failures_per_ip: 5,
                window: Duration::from_secs(300),
                slowdown_max: Duration::from_secs(30),
            },
            registrations: RegistrationLimits {
                per_minute: 5,
                per_day: 20,
            },
            hash_threads: 1,
            hash_queue: 1,
        }
    }

    /// A ban of u64::MAX minutes from the world used to overflow `now + m * 60` (a panic in
    /// a debug build, a ban in the past in release); now it is held to the longest sanction.
    #[tokio::test]
    async fn a_huge_ban_duration_from_the_world_is_stored_bounded_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let store = super::super::SqliteStore::open(&dir.path().join("db")).unwrap();
        let request = StorageRequest::BanAccount {
            account: "ann".into(),
            reason: "test".into(),
            minutes: Some(u64::MAX),
            by: "gm".into(),
        };
        assert!(
            character_request(&store, request, &settings())
                .await
                .is_none()
        );
        let bans = store.bans().await.unwrap();
        let until = bans[0].until.expect("a timed ban");
        let expected = now_secs() + MAX_SANCTION_MINUTES * 60;
        assert!(until.abs_diff(expected) <= 5, "{until} vs {expected}");
        assert!(bans[0].active(now_secs()));
    }
}
