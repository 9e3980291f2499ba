//! The storage task: serves the world's [`StorageRequest`]s and posts [`StorageReply`]s back
//! as inbound input (a refusal as a text key, which the world thread renders in the client's
//! language).
//!
//! Logins and registrations (slow on purpose: argon2) run concurrently, at most
//! `hash_threads` hashes at once with a bounded queue behind them (`auth::HashGate`), after
//! the throttles (`throttle.rs`) had their say. Saves go into a queue (`save_queue.rs`)
//! written one batch at a time, in order, and retried until the store takes them; loads,
//! creations and deletions of characters run in arrival order on this task after the saves
//! queued before them, so a load always sees them. From the first failed save until the
//! queue is written again, everything that reads or writes characters or accounts is
//! refused `storage_unavailable` (a stale read could hand out an item twice); characters in
//! the world play on, their saves queueing.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use emberkeep_components::cluster::Handoff;
use emberkeep_components::limits::{MAX_SANCTION_MINUTES, sanction_minutes_problem};
use emberkeep_components::net::{ConnId, WorldInput};
use emberkeep_components::persist::{LeaseChange, SaveBatch, StorageReply, StorageRequest};
use emberkeep_components::protocol::{ErrorCode, Role};
use emberkeep_components::text::{Text, keys};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tracing::{error, info, warn};

use super::auth::HashGate;
use super::save_queue::SaveQueue;
use super::throttle::{LoginLimits, LoginThrottle, RegistrationLimits, RegistrationThrottle};
use super::{AccountRecord, SessionRecord, Store, StoreError, StoreResult, auth, now_secs};
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
    /// On shutdown, how long to keep trying to write the saves still queued.
    pub shutdown_flush: Duration,
    /// In a cluster: this process's leases (one login per account across the cluster).
    pub cluster: Option<LeaseSettings>,
}

/// How this process of a cluster holds account leases.
#[derive(Debug, Clone)]
pub struct LeaseSettings {
    /// This process's name.
    pub process: String,
    /// How long a lease lasts unless renewed; a crashed process's players can log in
    /// elsewhere after this.
    pub lease: Duration,
    /// How long a handoff token stays valid.
    pub handoff: Duration,
}

impl LeaseSettings {
    fn until(&self, now_ms: u64, d: Duration) -> u64 {
        now_ms.saturating_add(d.as_millis() as u64)
    }
}

/// What the account requests share: settings, throttles and the password-hash gate.
struct Accounts {
    settings: StorageSettings,
    logins: Mutex<LoginThrottle>,
    registrations: Mutex<RegistrationThrottle>,
    hashes: HashGate,
    stats: Arc<Stats>,
}

/// A write of the queue's head: the backoff delay, then the store's answer.
type Attempt = std::pin::Pin<Box<dyn std::future::Future<Output = StoreResult<()>> + Send>>;

/// Serves requests until the world drops its sender, then flushes the saves still queued
/// (for at most `settings.shutdown_flush`) and finishes what is in flight.
pub async fn run<S: Store>(
    store: S,
    mut rx: mpsc::Receiver<StorageRequest>,
    inbound: crossbeam_channel::Sender<Inbound>,
    settings: StorageSettings,
    stats: Arc<Stats>,
) {
    let mut tasks = JoinSet::new();
    let accounts = Arc::new(Accounts {
        hashes: HashGate::new(settings.hash_threads, settings.hash_queue, stats.clone()),
        settings: settings.clone(),
        logins: Mutex::new(LoginThrottle::default()),
        registrations: Mutex::new(RegistrationThrottle::default()),
        stats: stats.clone(),
    });
    let mut saves = Saves {
        queue: SaveQueue::default(),
        attempt: None,
        handing: Vec::new(),
        waiting: VecDeque::new(),
        stats: stats.clone(),
        leases: settings.cluster.clone(),
    };
    // A cluster's leases are renewed three times per lease, so one late renewal loses none.
    let renew_every = (settings.cluster.as_ref()).map_or(Duration::from_secs(3600), |c| {
        (c.lease / 3).max(Duration::from_millis(100))
    });
    let mut renew = tokio::time::interval(renew_every);
    renew.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        saves.start_next(&store);
        tokio::select! {
            request = rx.recv() => {
                let Some(request) = request else { break };
                let ctx = Ctx { store: &store, inbound: &inbound, settings: &settings, accounts: &accounts };
                serve(&ctx, &mut saves, &mut tasks, request).await;
            }
            result = saves.attempt_done() => {
                for handed in saves.settled(result) {
                    reply_to(&inbound, handed).await;
                }
                saves.answer_waiting(&store, &inbound, &settings).await;
            }
            _ = renew.tick(), if settings.cluster.is_some() => {
                if let Some(c) = settings.cluster.clone() {
                    let store = store.clone();
                    tasks.spawn(async move {
                        let until = c.until(super::now_ms(), c.lease);
                        if let Err(e) = store.renew_leases(c.process.clone(), until).await {
                            warn!(error = %e, "could not renew this process's account leases");
                        }
                    });
                }
            }
        }
        while tasks.try_join_next().is_some() {}
    }
    saves
        .flush_before_exit(&store, settings.shutdown_flush)
        .await;
    while tasks.join_next().await.is_some() {}
    info!(
        backend = store.backend(),
        "storage finished its last writes"
    );
}

/// What serving a request needs.
struct Ctx<'a, S> {
    store: &'a S,
    inbound: &'a crossbeam_channel::Sender<Inbound>,
    settings: &'a StorageSettings,
    accounts: &'a Arc<Accounts>,
}

/// Routes one request: saves to the queue; account requests and guest name checks beside
/// the saves; character requests in arrival order after the saves queued before them. While
/// the queue is refusing (the store failed a save and has not taken everything back), every
/// request that reads or writes a character or an account is refused without asking it.
async fn serve<S: Store>(
    ctx: &Ctx<'_, S>,
    saves: &mut Saves,
    tasks: &mut JoinSet<()>,
    request: StorageRequest,
) {
    if saves.queue.refusing()
        && let Some(conn) = reads_or_writes_characters(&request)
    {
        reply_to(ctx.inbound, saves_pending(conn)).await;
        return;
    }
    match request {
        StorageRequest::Save(batch) => saves.push(batch),
        r @ (StorageRequest::Register { .. }
        | StorageRequest::Login { .. }
        | StorageRequest::Resume { .. }
        | StorageRequest::Logout { .. }
        | StorageRequest::ListCharacters { .. }) => {
            let (store, inbound) = (ctx.store.clone(), ctx.inbound.clone());
            let accounts = ctx.accounts.clone();
            tasks.spawn(async move {
                if let Some(reply) = account_request(&store, r, &accounts).await {
                    let reply = leased(&store, reply, &accounts.settings).await;
                    reply_to(&inbound, reply).await;
                }
            });
        }
        // The character was saved by another process before its token was made: no order
        // with this process's saves is needed.
        StorageRequest::HandIn { conn, token } => {
            let (store, inbound) = (ctx.store.clone(), ctx.inbound.clone());
            let (settings, stats) = (ctx.settings.clone(), ctx.accounts.stats.clone());
            tasks.spawn(async move {
                let answers = hand_in(&store, conn, token, &settings).await;
                if answers.len() >= 2 {
                    Stats::add(&stats.handoffs_in, 1);
                }
                for reply in answers {
                    reply_to(&inbound, reply).await;
                }
            });
        }
        // A guest's name check and a ban need no order with the saves (a save never makes a
        // new name): they run beside them, so a slow store does not delay them.
        r @ (StorageRequest::CheckGuestName { .. } | StorageRequest::BanAccount { .. }) => {
            let (store, inbound) = (ctx.store.clone(), ctx.inbound.clone());
            let settings = ctx.settings.clone();
            tasks.spawn(async move {
                if let Some(reply) = character_request(&store, r, &settings).await {
                    reply_to(&inbound, reply).await;
                }
            });
        }
        // Loads, creations and deletions see every save queued before them.
        r if saves.queue.written_upto(saves.queue.pushed()) && saves.waiting.is_empty() => {
            if let Some(reply) = character_request(ctx.store, r, ctx.settings).await {
                reply_to(ctx.inbound, reply).await;
            }
        }
        r => saves.waiting.push_back((saves.queue.pushed(), r)),
    }
}

/// The connection to refuse a request for while saves are queued after a failure: anything
/// that reads or writes accounts or characters (a ban, a logout's token revocation and the
/// saves themselves go ahead).
fn reads_or_writes_characters(request: &StorageRequest) -> Option<ConnId> {
    match request {
        StorageRequest::Register { conn, .. }
        | StorageRequest::Login { conn, .. }
        | StorageRequest::Resume { conn, .. }
        | StorageRequest::ListCharacters { conn, .. }
        | StorageRequest::CreateCharacter { conn, .. }
        | StorageRequest::DeleteCharacter { conn, .. }
        | StorageRequest::LoadCharacter { conn, .. }
        | StorageRequest::HandIn { conn, .. }
        | StorageRequest::CheckGuestName { conn, .. } => Some(*conn),
        StorageRequest::Logout { .. }
        | StorageRequest::Save(_)
        | StorageRequest::BanAccount { .. } => None,
    }
}

/// The refusal while saves wait for the store.
fn saves_pending(conn: ConnId) -> Answer {
    Answer::Refused {
        conn,
        code: ErrorCode::StorageUnavailable,
        text: Text::new(keys::STORAGE_SAVES_PENDING),
    }
}

/// The save side of the storage task: the queue, the write in progress and the character
/// requests waiting for the saves queued before them.
struct Saves {
    queue: SaveQueue,
    attempt: Option<Attempt>,
    /// The handoffs in the batch being written: their clients are told where to go once
    /// it is.
    handing: Vec<Handoff>,
    /// In a cluster: how handoff tokens are made.
    leases: Option<LeaseSettings>,
    /// Character requests in arrival order, each with the number of the last save before it.
    waiting: VecDeque<(u64, StorageRequest)>,
    stats: Arc<Stats>,
}

impl Saves {
    fn push(&mut self, batch: SaveBatch) {
        if tracing::enabled!(tracing::Level::DEBUG) {
            let what: Vec<String> = (batch.characters.iter())
                .map(|c| format!("{}{:?}", c.name, c.item_ids().collect::<Vec<_>>()))
                .collect();
            tracing::debug!(reason = ?batch.reason, characters = %what.join(" "), "saving");
        }
        let mut batch = batch;
        if let Some(leases) = &self.leases {
            tokens_for(&mut batch, leases);
        }
        self.queue.push(batch);
        self.publish();
    }

    /// Starts writing the head of the queue unless a write is under way.
    fn start_next<S: Store>(&mut self, store: &S) {
        if self.attempt.is_some() {
            return;
        }
        let Some((batch, delay)) = self.queue.next() else {
            return;
        };
        self.handing = (batch.leases.iter())
            .filter_map(|l| match l {
                LeaseChange::Handoff(h) => Some(h.clone()),
                LeaseChange::Release { .. } => None,
            })
            .collect();
        let (store, stats) = (store.clone(), self.stats.clone());
        self.attempt = Some(Box::pin(async move {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            let started = Instant::now();
            store.save(batch).await?;
            let took = started.elapsed().as_micros() as u64;
            Stats::set(&stats.last_save_micros, took);
            Ok(())
        }));
    }

    /// The write under way finishing (never, if there is none).
    async fn attempt_done(&mut self) -> StoreResult<()> {
        match self.attempt.as_mut() {
            Some(a) => a.await,
            None => std::future::pending().await,
        }
    }

    /// Takes the outcome of a write: the head is done, or stays to be retried. Returns the
    /// `handed_off` answers of the handoffs a successful write stored.
    fn settled(&mut self, result: StoreResult<()>) -> Vec<Answer> {
        self.attempt = None;
        let handing = std::mem::take(&mut self.handing);
        let mut answers = Vec::new();
        match result {
            Ok(()) => {
                Stats::add(&self.stats.handoffs_out, handing.len() as u64);
                answers.extend(handing.into_iter().map(|h| {
                    Answer::Reply(StorageReply::HandedOff {
                        conn: h.conn,
                        ws_url: h.ws_url,
                        token: h.token,
                        map: h.map,
                    })
                }));
                Stats::add(&self.stats.saves, 1);
                if let Some(r) = self.queue.written() {
                    info!(
                        down_secs = r.down_for.as_secs_f64(),
                        batches = r.batches,
                        records = r.records,
                        "storage is back: flushed {} save batches ({} records) queued while it was away; logins are open again",
                        r.batches,
                        r.records
                    );
                }
            }
            Err(e) => {
                Stats::add(&self.stats.save_failures, 1);
                if self.queue.failed() {
                    Stats::add(&self.stats.storage_outages, 1);
                    error!(
                        error = %e,
                        queued_batches = self.queue.batches(),
                        queued_records = self.queue.records(),
                        "storage is unavailable: saves are queued and retried until it takes them; logins and character loads are refused until then"
                    );
                } else {
                    tracing::debug!(error = %e, "save failed again; retrying");
                }
            }
        }
        self.publish();
        answers
    }

    /// Answers the character requests whose saves are written; refuses them all if the
    /// store is failing.
    async fn answer_waiting<S: Store>(
        &mut self,
        store: &S,
        inbound: &crossbeam_channel::Sender<Inbound>,
        settings: &StorageSettings,
    ) {
        while let Some((after, _)) = self.waiting.front() {
            if !self.queue.refusing() && !self.queue.written_upto(*after) {
                return;
            }
            let Some((_, request)) = self.waiting.pop_front() else {
                return;
            };
            if self.queue.refusing() {
                if let Some(conn) = reads_or_writes_characters(&request) {
                    reply_to(inbound, saves_pending(conn)).await;
                }
            } else if let Some(reply) = character_request(store, request, settings).await {
                reply_to(inbound, reply).await;
            }
        }
    }

    /// On shutdown: keeps writing until the queue is empty or `limit` has passed, then names
    /// in the log whatever could not be saved.
    async fn flush_before_exit<S: Store>(&mut self, store: &S, limit: Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        if !self.queue.is_empty() {
            info!(
                queued_batches = self.queue.batches(),
                queued_records = self.queue.records(),
                limit_secs = limit.as_secs_f64(),
                "writing the queued saves before stopping"
            );
        }
        loop {
            self.start_next(store);
            if self.attempt.is_none() {
                break;
            }
            match tokio::time::timeout_at(deadline, self.attempt_done()).await {
                // (The world is gone: nobody is left to tell of a handoff.)
                Ok(result) => drop(self.settled(result)),
                Err(_) => break,
            }
        }
        if self.queue.is_empty() {
            return;
        }
        let (names, guilds) = self.queue.unsaved();
        error!(
            characters = ?names,
            guilds = ?guilds,
            queued_batches = self.queue.batches(),
            "storage did not take the queued saves within {} s of shutdown: the latest state of these characters and guilds was NOT saved (the store keeps their last saved state)",
            limit.as_secs_f64()
        );
    }

    /// Refreshes the queue's gauges.
    fn publish(&self) {
        let s = &self.stats;
        Stats::set(&s.storage_down, u64::from(self.queue.refusing()));
        Stats::set(&s.storage_queued_batches, self.queue.batches() as u64);
        Stats::set(&s.storage_queued_records, self.queue.records() as u64);
    }
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

/// Gives each handoff of `batch` its one-time token: the client gets the token, the store
/// only its hash, valid for `leases.handoff`.
fn tokens_for(batch: &mut SaveBatch, leases: &LeaseSettings) {
    let now = super::now_ms();
    for change in &mut batch.leases {
        if let LeaseChange::Handoff(h) = change
            && h.token.is_empty()
        {
            // (Without the OS's randomness no token can be made; a hash of nothing known
            // matches no token a client can send, so the handoff then simply expires.)
            h.token = auth::new_token().unwrap_or_default();
            h.token_hash = if h.token.is_empty() {
                String::from("-")
            } else {
                auth::token_hash(&h.token)
            };
            h.until_ms = leases.until(now, leases.handoff);
        }
    }
}

/// In a cluster, a login (register, login, resume) holds the account's lease: another
/// process holding it refuses the login, naming that process.
async fn leased<S: Store>(store: &S, answer: Answer, settings: &StorageSettings) -> Answer {
    let (Some(c), Answer::Reply(StorageReply::LoggedIn { conn, account, .. })) =
        (&settings.cluster, &answer)
    else {
        return answer;
    };
    let now = super::now_ms();
    let until = c.until(now, c.lease);
    match store
        .acquire_lease(account.clone(), c.process.clone(), now, until)
        .await
    {
        Ok(None) => answer,
        Ok(Some((holder, ends))) => {
            let secs = ends.saturating_sub(now).div_ceil(1000);
            let text = Text::new(keys::CLUSTER_PLAYING_ELSEWHERE)
                .arg("server", holder)
                .arg("secs", secs);
            Answer::Refused {
                conn: *conn,
                code: ErrorCode::AlreadyLoggedIn,
                text,
            }
        }
        Err(e) => unavailable(*conn, &e),
    }
}

/// `handoff {token}`: the claim (single use, for this process, before it expires), then the
/// account's login and its character, as two answers.
async fn hand_in<S: Store>(
    store: &S,
    conn: ConnId,
    token: String,
    settings: &StorageSettings,
) -> Vec<Answer> {
    let invalid = || {
        vec![Answer::Refused {
            conn,
            code: ErrorCode::HandoffInvalid,
            text: Text::new(keys::CLUSTER_HANDOFF_INVALID),
        }]
    };
    let Some(c) = &settings.cluster else {
        return invalid();
    };
    let now = super::now_ms();
    let claimed = store
        .claim_handoff(
            auth::token_hash(&token),
            c.process.clone(),
            now,
            c.until(now, c.lease),
        )
        .await;
    let super::Claimed {
        account,
        character,
        party,
    } = match claimed {
        Ok(Some(found)) => found,
        Ok(None) => return invalid(),
        Err(e) => return vec![unavailable(conn, &e)],
    };
    let role = match store.account(account.clone()).await {
        Ok(Some(a)) => a.role,
        Ok(None) => return invalid(),
        Err(e) => return vec![unavailable(conn, &e)],
    };
    let Some(login) = logged_in(store, conn, account.clone(), role, settings).await else {
        return invalid();
    };
    let load = StorageRequest::LoadCharacter {
        conn,
        account,
        name: character,
    };
    let mut answers = vec![login];
    answers.extend(character_request(store, load, settings).await);
    if answers.len() == 2 && !party.is_empty() {
        answers.push(Answer::Reply(StorageReply::Arrived { conn, party }));
    }
    answers
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> StorageSettings {
        StorageSettings {
            cluster: None,
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
            shutdown_flush: Duration::from_secs(1),
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
