//! The storage task: serves the world's [`StorageRequest`]s and posts [`StorageReply`]s back
//! as inbound input.
//!
//! Logins (slow on purpose: argon2) run concurrently. Everything that reads or writes a
//! character runs in arrival order on this task, so a load always sees the saves queued
//! before it. A failed save is retried with backoff, then reported (logged, counted, and the
//! world marks the characters dirty so the next periodic save tries again).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use emberkeep_components::limits::{MAX_SANCTION_MINUTES, sanction_minutes_problem};
use emberkeep_components::net::WorldInput;
use emberkeep_components::persist::{SaveBatch, StorageReply, StorageRequest};
use emberkeep_components::protocol::{ErrorCode, Role};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tracing::{error, info, warn};

use super::{AccountRecord, SessionRecord, Store, StoreError, auth, now_secs};
use crate::net::Inbound;
use crate::stats::Stats;

/// Settings of the account side.
#[derive(Debug, Clone)]
pub struct StorageSettings {
    /// How long a session token stays valid.
    pub session_ttl_secs: u64,
    pub max_characters: u32,
    /// Failed logins for one account, within the lockout window, that lock it.
    pub failures_per_account: u32,
    /// Failed logins from one address, within the lockout window, that lock it.
    pub failures_per_ip: u32,
    /// How long a lockout lasts, and the window failures are counted in.
    pub lockout: Duration,
}

/// Failed logins by account and by address; a lock-out after too many.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    accounts: HashMap<String, Failures>,
    ips: HashMap<String, Failures>,
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    since: Instant,
    locked_until: Option<Instant>,
}

impl LoginThrottle {
    /// How long `account` or `ip` stays locked out, if it is.
    pub fn locked(
        &mut self,
        account: &str,
        ip: &str,
        now: Instant,
    ) -> Option<(Duration, &'static str)> {
        let left = |f: Option<&Failures>| {
            f.and_then(|f| f.locked_until)
                .filter(|u| *u > now)
                .map(|u| u - now)
        };
        left(self.accounts.get(account))
            .map(|d| (d, "this account"))
            .or_else(|| left(self.ips.get(ip)).map(|d| (d, "your address")))
    }

    /// Records a failure.
    pub fn failed(&mut self, account: &str, ip: &str, now: Instant, settings: &StorageSettings) {
        if self.accounts.len() + self.ips.len() > 100_000 {
            self.accounts
                .retain(|_, f| now.duration_since(f.since) < settings.lockout);
            self.ips
                .retain(|_, f| now.duration_since(f.since) < settings.lockout);
        }
        for (map, key, limit) in [
            (&mut self.accounts, account, settings.failures_per_account),
            (&mut self.ips, ip, settings.failures_per_ip),
        ] {
            let f = map.entry(key.to_string()).or_insert(Failures {
                count: 0,
                since: now,
                locked_until: None,
            });
            if now.duration_since(f.since) > settings.lockout {
                *f = Failures {
                    count: 0,
                    since: now,
                    locked_until: None,
                };
            }
            f.count += 1;
            if f.count >= limit {
                f.locked_until = Some(now + settings.lockout);
                f.count = 0;
                f.since = now;
            }
        }
    }

    /// Forgets an account's failures after a good login.
    pub fn succeeded(&mut self, account: &str) {
        self.accounts.remove(account);
    }
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
    let throttle = Arc::new(Mutex::new(LoginThrottle::default()));
    while let Some(request) = rx.recv().await {
        match request {
            r @ (StorageRequest::Register { .. }
            | StorageRequest::Login { .. }
            | StorageRequest::Resume { .. }
            | StorageRequest::Logout { .. }
            | StorageRequest::ListCharacters { .. }) => {
                let (store, inbound, settings) = (store.clone(), inbound.clone(), settings.clone());
                let throttle = throttle.clone();
                logins.spawn(async move {
                    if let Some(reply) = account_request(&store, r, &settings, &throttle).await {
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

async fn reply_to(inbound: &crossbeam_channel::Sender<Inbound>, reply: StorageReply) {
    crate::net::conn::deliver(inbound, Inbound::World(WorldInput::Storage(reply))).await;
}

fn unavailable(conn: emberkeep_components::net::ConnId, e: &StoreError) -> StorageReply {
    error!(error = %e, "storage request failed");
    StorageReply::Refused {
        conn,
        code: ErrorCode::StorageUnavailable,
        message: "storage is unavailable right now; try again in a moment".into(),
    }
}

fn refused(
    conn: emberkeep_components::net::ConnId,
    code: ErrorCode,
    message: impl Into<String>,
) -> Option<StorageReply> {
    Some(StorageReply::Refused {
        conn,
        code,
        message: message.into(),
    })
}

/// Runs an argon2 computation off the async threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    tokio::task::spawn_blocking(f).await.ok()
}

/// A hash no password matches, so unknown users cost as much time as wrong passwords.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| auth::hash_password("no account has this password").unwrap_or_default())
}

async fn account_request<S: Store>(
    store: &S,
    request: StorageRequest,
    settings: &StorageSettings,
    throttle: &Mutex<LoginThrottle>,
) -> Option<StorageReply> {
    match request {
        StorageRequest::Register {
            conn,
            username,
            password,
        } => {
            let key = username.to_lowercase();
            let Some(Ok(hash)) = blocking(move || auth::hash_password(&password)).await else {
                return refused(
                    conn,
                    ErrorCode::StorageUnavailable,
                    "could not hash the password; try again",
                );
            };
            let account = AccountRecord {
                key: key.clone(),
                username,
                password_hash: hash,
                role: Role::Player,
                created_at: now_secs(),
            };
            match store.create_account(account).await {
                Ok(()) => logged_in(store, conn, key, Role::Player, settings).await,
                Err(StoreError::Conflict(_)) => refused(
                    conn,
                    ErrorCode::UsernameTaken,
                    "that username is taken; pick another",
                ),
                Err(e) => Some(unavailable(conn, &e)),
            }
        }
        StorageRequest::Login {
            conn,
            username,
            password,
            addr,
        } => {
            let key = username.to_lowercase();
            let locked = throttle
                .lock()
                .ok()
                .and_then(|mut t| t.locked(&key, &addr, Instant::now()));
            if let Some((left, who)) = locked {
                let message = format!(
                    "too many failed logins for {who}; try again in {} minutes",
                    crate::net::policy::minutes(left)
                );
                return refused(conn, ErrorCode::LockedOut, message);
            }
            let account = match store.account(key.clone()).await {
                Ok(a) => a,
                Err(e) => return Some(unavailable(conn, &e)),
            };
            let hash = account
                .as_ref()
                .map(|a| a.password_hash.clone())
                .unwrap_or_else(|| dummy_hash().to_string());
            let matches = blocking(move || auth::verify_password(&password, &hash))
                .await
                .unwrap_or(false);
            let Some(account) = account.filter(|_| matches) else {
                if let Ok(mut t) = throttle.lock() {
                    t.failed(&key, &addr, Instant::now(), settings);
                }
                return refused(
                    conn,
                    ErrorCode::BadCredentials,
                    "wrong username or password",
                );
            };
            if let Ok(mut t) = throttle.lock() {
                t.succeeded(&key);
            }
            if let Some(reply) = banned(store, conn, &account.key).await {
                return Some(reply);
            }
            logged_in(store, conn, account.key, account.role, settings).await
        }
        StorageRequest::Resume { conn, token } => {
            let session = match store.session(auth::token_hash(&token)).await {
                Ok(s) => s,
                Err(e) => return Some(unavailable(conn, &e)),
            };
            let Some(session) = session.filter(|s| s.expires_at > now_secs()) else {
                return refused(
                    conn,
                    ErrorCode::TokenInvalid,
                    "that session has expired or was revoked; log in again",
                );
            };
            let account = match store.account(session.account.clone()).await {
                Ok(Some(a)) => a,
                Ok(None) => {
                    return refused(
                        conn,
                        ErrorCode::TokenInvalid,
                        "that account no longer exists",
                    );
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
            Some(StorageReply::LoggedIn {
                conn,
                account: account.key,
                role: account.role,
                token,
                expires_in_secs,
                characters,
            })
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

/// A refusal if the account is banned now.
async fn banned<S: Store>(
    store: &S,
    conn: emberkeep_components::net::ConnId,
    key: &str,
) -> Option<StorageReply> {
    let bans = match store.bans().await {
        Ok(b) => b,
        Err(e) => return Some(unavailable(conn, &e)),
    };
    let now = now_secs();
    let ban = bans
        .into_iter()
        .find(|b| b.active(now) && b.target == super::BanTarget::Account(key.to_string()))?;
    let until = ban
        .until
        .map(|u| format!("for {} more minutes", u.saturating_sub(now).div_ceil(60)))
        .unwrap_or_else(|| "permanently".into());
    refused(
        conn,
        ErrorCode::Banned,
        format!("this account is banned {until}: {}", ban.reason),
    )
}

async fn logged_in<S: Store>(
    store: &S,
    conn: emberkeep_components::net::ConnId,
    account: String,
    role: Role,
    settings: &StorageSettings,
) -> Option<StorageReply> {
    let Ok(token) = auth::new_token() else {
        return refused(
            conn,
            ErrorCode::StorageUnavailable,
            "could not create a session; try again",
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
    Some(StorageReply::LoggedIn {
        conn,
        account,
        role,
        token,
        expires_in_secs: settings.session_ttl_secs,
        characters,
    })
}

async fn list<S: Store>(
    store: &S,
    conn: emberkeep_components::net::ConnId,
    account: String,
) -> StorageReply {
    match store.characters(account).await {
        Ok(c) => StorageReply::Characters {
            conn,
            characters: c.iter().map(|c| c.summary()).collect(),
        },
        Err(e) => unavailable(conn, &e),
    }
}

async fn character_request<S: Store>(
    store: &S,
    request: StorageRequest,
    settings: &StorageSettings,
) -> Option<StorageReply> {
    match request {
        StorageRequest::CreateCharacter { conn, record } => {
            let account = record.account.clone();
            let name = record.name.clone();
            match store
                .create_character(record, settings.max_characters)
                .await
            {
                Ok(()) => Some(list(store, conn, account).await),
                Err(StoreError::Conflict(_)) => refused(
                    conn,
                    ErrorCode::NameTaken,
                    format!("the name {name:?} is taken; pick another"),
                ),
                Err(StoreError::Limit(_)) => refused(
                    conn,
                    ErrorCode::TooManyCharacters,
                    format!(
                        "an account has at most {} characters; delete one first",
                        settings.max_characters
                    ),
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
            Ok(true) => Some(list(store, conn, account).await),
            Ok(false) => refused(
                conn,
                ErrorCode::UnknownCharacter,
                format!("you have no character called {name:?}"),
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
        StorageRequest::LoadCharacter {
            conn,
            account,
            name,
        } => match store.character(name.to_lowercase()).await {
            Ok(Some(record)) if record.account == account => {
                Some(StorageReply::CharacterLoaded { conn, record })
            }
            Ok(_) => refused(
                conn,
                ErrorCode::UnknownCharacter,
                format!("you have no character called {name:?}"),
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
async fn save<S: Store>(store: &S, batch: SaveBatch, stats: &Stats) -> Option<StorageReply> {
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
                error!(error = %e, characters = ?names, reason = ?batch.reason, "save failed for good; will retry with the next periodic save");
                return Some(StorageReply::SaveFailed { names });
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
            failures_per_account: 3,
            failures_per_ip: 5,
            lockout: Duration::from_secs(300),
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

    #[test]
    fn failed_logins_lock_an_account_then_an_address_for_a_while() {
        let (s, t0) = (settings(), Instant::now());
        let mut t = LoginThrottle::default();
        for _ in 0..2 {
            t.failed("ann", "10.0.0.1", t0, &s);
        }
        assert!(t.locked("ann", "10.0.0.1", t0).is_none());
        t.failed("ann", "10.0.0.1", t0, &s);
        assert_eq!(
            t.locked("ann", "10.0.0.2", t0).map(|l| l.1),
            Some("this account")
        );
        assert!(
            t.locked("ann", "10.0.0.1", t0 + Duration::from_secs(301))
                .is_none(),
            "it ends"
        );
        // Guessing across accounts from one address locks the address.
        for user in ["b", "c"] {
            t.failed(user, "10.0.0.1", t0, &s);
        }
        assert_eq!(
            t.locked("zed", "10.0.0.1", t0).map(|l| l.1),
            Some("your address")
        );
        assert!(t.locked("zed", "10.0.0.3", t0).is_none());
    }

    #[test]
    fn a_good_login_forgets_the_failures() {
        let (s, t0) = (settings(), Instant::now());
        let mut t = LoginThrottle::default();
        t.failed("ann", "ip", t0, &s);
        t.failed("ann", "ip", t0, &s);
        t.succeeded("ann");
        t.failed("ann", "ip2", t0, &s);
        assert!(t.locked("ann", "ip3", t0).is_none());
    }
}
