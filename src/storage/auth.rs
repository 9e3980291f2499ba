//! Passwords and session tokens: argon2id hashes (OWASP parameters: 19 MiB, 2 passes, 1 lane)
//! and random tokens stored only as SHA-256 hashes. Hashing is slow on purpose: call these
//! from a blocking thread, never from the world thread, and through a [`HashGate`], which
//! bounds how many run at once (each holds 19 MiB while it runs) and how many may wait.

use std::sync::{Arc, Mutex};

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
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
    /// Working memory of the hashes not running now; at most `threads` are ever made.
    memory: Arc<Mutex<Vec<HashMemory>>>,
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
    memory: Arc<Mutex<Vec<HashMemory>>>,
    stats: Arc<Stats>,
}

impl HashGate {
    /// A gate for `threads` concurrent hashes (at least 1) and `queue` waiting ones.
    pub fn new(threads: usize, queue: usize, stats: Arc<Stats>) -> Self {
        let threads = threads.max(1);
        HashGate {
            admitted: Arc::new(Semaphore::new(threads + queue)),
            running: Arc::new(Semaphore::new(threads)),
            memory: Arc::new(Mutex::new(Vec::new())),
            stats,
        }
    }

    /// Takes a place in the queue, or says the server is busy.
    pub fn admit(&self) -> Result<HashTurn, Busy> {
        match self.admitted.clone().try_acquire_owned() {
            Ok(permit) => Ok(HashTurn {
                _admitted: permit,
                running: self.running.clone(),
                memory: self.memory.clone(),
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
    /// Waits for a free hashing thread, then runs `f` on it with reused working memory;
    /// `None` if `f` panicked.
    pub async fn run<T: Send + 'static>(
        self,
        f: impl FnOnce(&mut HashMemory) -> T + Send + 'static,
    ) -> Option<T> {
        let _running = self.running.acquire().await.ok()?;
        let mut memory = self
            .memory
            .lock()
            .ok()
            .and_then(|mut m| m.pop())
            .unwrap_or_default();
        Stats::add(&self.stats.password_hashes, 1);
        Stats::add(&self.stats.hashes_running, 1);
        let done = tokio::task::spawn_blocking(move || {
            let result = f(&mut memory);
            (result, memory)
        })
        .await;
        Stats::sub(&self.stats.hashes_running, 1);
        let (result, memory) = done.ok()?;
        if let Ok(mut pool) = self.memory.lock() {
            pool.push(memory);
        }
        Some(result)
    }
}

/// Memory cost in KiB (19 MiB).
pub const M_COST_KIB: u32 = 19 * 1024;
/// Passes.
pub const T_COST: u32 = 2;
/// Lanes.
pub const P_COST: u32 = 1;

/// The largest working memory a stored hash may ask for to be checked (4x ours): a hash
/// asking for more is treated as not matching rather than allocated.
const MAX_VERIFY_KIB: u32 = 4 * M_COST_KIB;

fn params() -> Params {
    Params::new(M_COST_KIB, T_COST, P_COST, None).unwrap_or(Params::DEFAULT)
}

/// An argon2 computation's working memory (19 MiB), kept and reused from one hash to the
/// next. Allocating it per hash left glibc holding the freed blocks: a hundred hashes,
/// two at a time, grew the process by 1.4 GB that it never gave back.
#[derive(Debug, Default)]
pub struct HashMemory(Vec<Block>);

impl HashMemory {
    /// The first `count` blocks, grown to that size if needed.
    fn blocks(&mut self, count: usize) -> &mut [Block] {
        if self.0.len() < count {
            self.0.resize(count, Block::default());
        }
        &mut self.0[..count]
    }
}

/// An argon2id PHC string for the password (with a fresh random salt).
pub fn hash_password(password: &str) -> Result<String, String> {
    hash_password_with(&mut HashMemory::default(), password)
}

/// Like [`hash_password`], computed in `memory`.
pub fn hash_password_with(memory: &mut HashMemory, password: &str) -> Result<String, String> {
    let params = params();
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| e.to_string())?;
    let mut out = [0u8; 32];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(
            password.as_bytes(),
            &salt,
            &mut out,
            memory.blocks(params.block_count()),
        )
        .map_err(|e| e.to_string())?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| e.to_string())?,
        salt: Some(Salt::new(&salt).map_err(|e| e.to_string())?),
        hash: Some(Output::new(&out).map_err(|e| e.to_string())?),
    };
    Ok(phc.to_string())
}

/// Whether the password matches the stored hash (false for a malformed hash).
pub fn verify_password(password: &str, hash: &str) -> bool {
    verify_password_with(&mut HashMemory::default(), password, hash)
}

/// Like [`verify_password`], computed in `memory`. The hash's own algorithm, version and
/// parameters are used; the comparison takes constant time.
pub fn verify_password_with(memory: &mut HashMemory, password: &str, hash: &str) -> bool {
    let Ok(phc) = PasswordHash::new(hash) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&phc.salt, &phc.hash) else {
        return false;
    };
    let algorithm = Algorithm::try_from(phc.algorithm.as_str());
    let version = phc
        .version
        .map_or(Ok(Version::default()), Version::try_from);
    let (Ok(algorithm), Ok(version), Ok(params)) = (algorithm, version, Params::try_from(&phc))
    else {
        return false;
    };
    if params.m_cost() > MAX_VERIFY_KIB {
        return false;
    }
    let mut out = vec![0u8; expected.len()];
    let computed = Argon2::new(algorithm, version, params.clone()).hash_password_into_with_memory(
        password.as_bytes(),
        salt.as_ref(),
        &mut out,
        memory.blocks(params.block_count()),
    );
    computed.is_ok() && Output::new(&out).is_ok_and(|out| out == *expected)
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

    /// Hashes computed in reused memory are ordinary argon2id PHC strings: the argon2
    /// crate's own verifier accepts them, and ours accepts the crate's.
    #[test]
    fn hashes_in_reused_memory_match_the_reference_implementation() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let reference = Argon2::new(Algorithm::Argon2id, Version::V0x13, params());
        let mut memory = HashMemory::default();
        let ours = hash_password_with(&mut memory, "correct horse").unwrap();
        assert!(
            reference
                .verify_password(b"correct horse", ours.as_str())
                .is_ok()
        );
        assert!(
            reference
                .verify_password(b"wrong horse", ours.as_str())
                .is_err()
        );
        let theirs = reference
            .hash_password(b"battery staple")
            .unwrap()
            .to_string();
        assert!(verify_password_with(&mut memory, "battery staple", &theirs));
        assert!(!verify_password_with(
            &mut memory,
            "battery stapler",
            &theirs
        ));
        // A stored hash asking for more memory than we allow is refused, not allocated.
        let greedy = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(MAX_VERIFY_KIB + 8, 1, 1, None).unwrap(),
        );
        let big = greedy.hash_password(b"pw").unwrap().to_string();
        assert!(!verify_password_with(&mut memory, "pw", &big));
    }

    #[tokio::test]
    async fn a_full_hash_queue_answers_busy_at_once() {
        let gate = HashGate::new(1, 1, Arc::new(Stats::default()));
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let running = gate.admit().unwrap();
        let first = tokio::spawn(running.run(move |_| hold.recv().is_ok()));
        let waiting = gate.admit().expect("one may wait");
        assert_eq!(gate.admit().unwrap_err(), Busy, "a third is refused");
        release.send(()).unwrap();
        assert_eq!(first.await.unwrap(), Some(true));
        assert_eq!(waiting.run(|_| 7).await, Some(7));
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
