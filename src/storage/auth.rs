//! Passwords and session tokens: argon2id hashes (OWASP parameters: 19 MiB, 2 passes, 1 lane)
//! and random tokens stored only as SHA-256 hashes. Hashing is slow on purpose: call these
//! from a blocking thread, never from the world thread, and through a [`HashGate`], which
//! bounds how many run at once (each holds 19 MiB while it runs) and how many may wait.

use std::sync::Arc;

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use sha2::{Digest, Sha256};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::stats::Stats;

/// Bounds password hashing: at most `threads` hashes run at once and at most `queue` more
/// wait for a turn; beyond that a request is refused at once ([`Busy`]) rather than queued,
/// so a flood of logins costs a fixed amount of memory and a bounded wait.
#[derive(Debug, Clone)]
pub struct HashGate {
    /// Permits for running or waiting: `threads + queue`.
    admitted: Arc<Semaphore>,
    /// Permits for running: `threads`.
    running: Arc<Semaphore>,
    stats: Arc<Stats>,
}

/// The hash queue is full; try again later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

/// A place in the hash queue, taken by [`HashGate::admit`].
#[derive(Debug)]
pub struct HashTurn {
    _admitted: OwnedSemaphorePermit,
    running: Arc<Semaphore>,
    stats: Arc<Stats>,
}

impl HashGate {
    /// A gate for `threads` concurrent hashes (at least 1) and `queue` waiting ones.
    pub fn new(threads: usize, queue: usize, stats: Arc<Stats>) -> Self {
        let threads = threads.max(1);
        HashGate {
            admitted: Arc::new(Semaphore::new(threads + queue)),
            running: Arc::new(Semaphore::new(threads)),
            stats,
        }
    }

    /// Takes a place in the queue, or says the server is busy.
    pub fn admit(&self) -> Result<HashTurn, Busy> {
        match self.admitted.clone().try_acquire_owned() {
            Ok(permit) => Ok(HashTurn {
                _admitted: permit,
                running: self.running.clone(),
                stats: self.stats.clone(),
            }),
            Err(_) => {
                Stats::add(&self.stats.rejected.hash_busy, 1);
                Err(Busy)
            }
        }
    }
}

impl HashTurn {
    /// Waits for a free hashing thread, then runs `f` on it; `None` if `f` panicked.
    pub async fn run<T: Send + 'static>(self, f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
        let _running = self.running.acquire().await.ok()?;
        Stats::add(&self.stats.password_hashes, 1);
        Stats::add(&self.stats.hashes_running, 1);
        let result = tokio::task::spawn_blocking(f).await.ok();
        Stats::sub(&self.stats.hashes_running, 1);
        result
    }
}

/// Memory cost in KiB (19 MiB).
pub const M_COST_KIB: u32 = 19 * 1024;
/// Passes.
pub const T_COST: u32 = 2;
/// Lanes.
pub const P_COST: u32 = 1;

fn hasher() -> Argon2<'static> {
    let params = Params::new(M_COST_KIB, T_COST, P_COST, None).unwrap_or(Params::DEFAULT);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// An argon2id PHC string for the password (with a fresh random salt).
pub fn hash_password(password: &str) -> Result<String, String> {
    hasher()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Whether the password matches the stored hash (false for a malformed hash).
pub fn verify_password(password: &str, hash: &str) -> bool {
    hasher().verify_password(password.as_bytes(), hash).is_ok()
}

/// A new random session token: 32 bytes from the OS, hex-encoded.
pub fn new_token() -> Result<String, String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| e.to_string())?;
    Ok(hex(&bytes))
}

/// The stored form of a token.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_owasp_argon2id_parameters_and_verify() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong horse", &h));
        assert!(!verify_password("correct horse", "not a hash"));
        assert_ne!(h, hash_password("correct horse").unwrap(), "salted");
    }

    #[tokio::test]
    async fn a_full_hash_queue_answers_busy_at_once() {
        let gate = HashGate::new(1, 1, Arc::new(Stats::default()));
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let running = gate.admit().unwrap();
        let first = tokio::spawn(running.run(move || hold.recv().is_ok()));
        let waiting = gate.admit().expect("one may wait");
        assert_eq!(gate.admit().unwrap_err(), Busy, "a third is refused");
        release.send(()).unwrap();
        assert_eq!(first.await.unwrap(), Some(true));
        assert_eq!(waiting.run(|| 7).await, Some(7));
        assert!(gate.admit().is_ok(), "places come back");
    }

    #[test]
    fn tokens_are_random_and_stored_hashed() {
        let (a, b) = (new_token().unwrap(), new_token().unwrap());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_ne!(token_hash(&a), a);
    }
}
