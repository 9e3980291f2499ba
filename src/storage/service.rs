//! The storage task: serves the world's [`StorageRequest`]s and posts [`StorageReply`]s back
//! as inbound input.
//!
//! Logins (slow on purpose: argon2) run concurrently. Everything that reads or writes a
//! character runs in arrival order on this task, so a load always sees the saves queued
//! before it. A failed save is retried with backoff, then reported (logged, counted, and the
//! world marks the characters dirty so the next periodic save tries again).

use std::sync::Arc;
use std::time::{Duration, Instant};

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
    while let Some(request) = rx.recv().await {
        match request {
            r @ (StorageRequest::Register { .. }
            | StorageRequest::Login { .. }
            | StorageRequest::Resume { .. }
            | StorageRequest::Logout { .. }
            | StorageRequest::ListCharacters { .. }) => {
                let (store, inbound, settings) = (store.clone(), inbound.clone(), settings.clone());
                logins.spawn(async move {
                    if let Some(reply) = account_request(&store, r, &settings).await {
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
        } => {
            let key = username.to_lowercase();
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
                return refused(
                    conn,
                    ErrorCode::BadCredentials,
                    "wrong username or password",
                );
            };
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
