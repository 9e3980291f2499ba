//! Throttles on the account side, kept by the storage task: failed logins (per account and
//! address, per address, and a slowdown per account) and registrations (per address, per
//! minute and per day).
//!
//! Attempts are counted when they START, before the password hash, and taken back when
//! they succeed: guesses still in flight count against the limits, so sending many at once
//! gains nothing. Nothing here locks an account for everyone: the account-wide measure is a
//! slowdown that spaces attempts, so a stranger's guesses cost the owner seconds, not the
//! account.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use emberkeep_components::text::{Key, Text, keys};

use crate::net::policy::TokenBucket;

/// Entries kept before expired ones are dropped.
const PRUNE_AT: usize = 100_000;
/// How long a day is for `accounts_per_day`.
const DAY: Duration = Duration::from_secs(24 * 3600);
/// The first step of the per-account slowdown; each further failure doubles it.
const SLOWDOWN_STEP: Duration = Duration::from_secs(1);

/// Settings of the login throttle.
#[derive(Debug, Clone)]
pub struct LoginLimits {
    /// Failed logins on one account from one address within `window` that lock that
    /// address out of that account for `window`.
    pub failures_per_pair: u32,
    /// Failed logins from one address, on any accounts, within `window` that lock it out.
    pub failures_per_ip: u32,
    /// The window failures are counted in, and how long a lockout lasts.
    pub window: Duration,
    /// Longest spacing between two attempts on one account (0: no slowdown). An attempt
    /// that would wait longer than this is refused.
    pub slowdown_max: Duration,
}

/// Attempts counted in a window, locked once they reach a limit.
#[derive(Debug, Clone, Copy)]
struct Window {
    count: u32,
    since: Instant,
    locked_until: Option<Instant>,
}

impl Window {
    fn new(now: Instant) -> Self {
        Window {
            count: 0,
            since: now,
            locked_until: None,
        }
    }

    /// Time left locked, if locked; starts a new window once the old one is over.
    fn locked(&mut self, now: Instant, window: Duration) -> Option<Duration> {
        match self.locked_until {
            Some(until) if until > now => return Some(until - now),
            Some(_) => *self = Window::new(now),
            None if now.duration_since(self.since) >= window => *self = Window::new(now),
            None => {}
        }
        None
    }

    fn count(&mut self, now: Instant, limit: u32, lockout: Duration) {
        self.count += 1;
        if self.count >= limit {
            self.locked_until = Some(now + lockout);
        }
    }

    fn uncount(&mut self, limit: u32) {
        self.count = self.count.saturating_sub(1);
        if self.count < limit {
            self.locked_until = None;
        }
    }

    fn expired(&self, now: Instant, window: Duration) -> bool {
        self.locked_until.is_none_or(|u| u <= now) && now.duration_since(self.since) >= window
    }
}

/// The account-wide slowdown: failures on an account from anywhere, and when the next
/// attempt on it may start.
#[derive(Debug, Clone, Copy)]
struct Slowdown {
    failures: u32,
    since: Instant,
    next_start: Instant,
}

/// Which limit keeps a login from starting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locked {
    /// The address failed on too many accounts.
    Address,
    /// The address failed on this account too often.
    AccountFromAddress,
    /// The account is being guessed from many places (the slowdown's queue is too long).
    AccountSlowdown,
}

/// Why a login may not start now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockedOut {
    /// Which limit.
    pub who: Locked,
    /// How long until an attempt may start.
    pub left: Duration,
}

impl LockedOut {
    /// The text a client gets: which limit, and when to try again.
    pub fn text(&self) -> Text {
        let minutes = self.left >= Duration::from_secs(60);
        let key: Key = match (self.who, minutes) {
            (Locked::Address, true) => keys::ACCOUNT_LOCKED_ADDRESS_MINUTES,
            (Locked::Address, false) => keys::ACCOUNT_LOCKED_ADDRESS_SECONDS,
            (Locked::AccountFromAddress, true) => keys::ACCOUNT_LOCKED_ACCOUNT_MINUTES,
            (Locked::AccountFromAddress, false) => keys::ACCOUNT_LOCKED_ACCOUNT_SECONDS,
            (Locked::AccountSlowdown, true) => keys::ACCOUNT_LOCKED_SLOWDOWN_MINUTES,
            (Locked::AccountSlowdown, false) => keys::ACCOUNT_LOCKED_SLOWDOWN_SECONDS,
        };
        if minutes {
            Text::new(key).arg("minutes", crate::net::policy::minutes(self.left))
        } else {
            Text::new(key).arg("seconds", self.left.as_secs().max(1))
        }
    }
}

/// Failed logins by (account, address), by address, and a slowdown per account.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    pairs: HashMap<(String, String), Window>,
    ips: HashMap<String, Window>,
    accounts: HashMap<String, Slowdown>,
}

impl LoginThrottle {
    /// Starts an attempt on `account` from `ip`: counts it as a failure until
    /// [`LoginThrottle::succeeded`] takes it back, and returns how long it must wait for its
    /// turn on the account (the slowdown). Refused if the address is locked out, of this
    /// account or of all, or if the account's queue of attempts is longer than the limit.
    pub fn begin(
        &mut self,
        account: &str,
        ip: &str,
        now: Instant,
        limits: &LoginLimits,
    ) -> Result<Duration, LockedOut> {
        self.prune(now, limits);
        let window = limits.window;
        let ip_window = self
            .ips
            .entry(ip.to_string())
            .or_insert_with(|| Window::new(now));
        // (Each map is a separate field, so the three entries can be held at once.)
        if let Some(left) = ip_window.locked(now, window) {
            return Err(LockedOut {
                who: Locked::Address,
                left,
            });
        }
        let pair = self
            .pairs
            .entry((account.to_string(), ip.to_string()))
            .or_insert_with(|| Window::new(now));
        if let Some(left) = pair.locked(now, window) {
            return Err(LockedOut {
                who: Locked::AccountFromAddress,
                left,
            });
        }
        let slow = self
            .accounts
            .entry(account.to_string())
            .or_insert(Slowdown {
                failures: 0,
                since: now,
                next_start: now,
            });
        if slow.next_start <= now && now.duration_since(slow.since) >= window {
            *slow = Slowdown {
                failures: 0,
                since: now,
                next_start: now,
            };
        }
        let wait = slow.next_start.saturating_duration_since(now);
        if wait > limits.slowdown_max {
            return Err(LockedOut {
                who: Locked::AccountSlowdown,
                left: wait,
            });
        }
        let start = now + wait;
        slow.next_start = start + slowdown(slow.failures, limits);
        slow.failures += 1;
        pair.count(now, limits.failures_per_pair, window);
        ip_window.count(now, limits.failures_per_ip, window);
        Ok(wait)
    }

    /// Takes back an attempt that turned out right: the owner's address forgets its
    /// failures on the account.
    pub fn succeeded(&mut self, account: &str, ip: &str, limits: &LoginLimits) {
        self.pairs.remove(&(account.to_string(), ip.to_string()));
        self.cancel_shared(account, ip, limits);
    }

    /// Takes back an attempt that never got to check the password (the server was busy).
    pub fn cancelled(&mut self, account: &str, ip: &str, limits: &LoginLimits) {
        if let Some(w) = self.pairs.get_mut(&(account.to_string(), ip.to_string())) {
            w.uncount(limits.failures_per_pair);
        }
        self.cancel_shared(account, ip, limits);
    }

    fn cancel_shared(&mut self, account: &str, ip: &str, limits: &LoginLimits) {
        if let Some(w) = self.ips.get_mut(ip) {
            w.uncount(limits.failures_per_ip);
        }
        if let Some(s) = self.accounts.get_mut(account) {
            s.failures = s.failures.saturating_sub(1);
        }
    }

    /// Drops what has expired once the maps grow large.
    fn prune(&mut self, now: Instant, limits: &LoginLimits) {
        let window = limits.window;
        if self.pairs.len() > PRUNE_AT {
            self.pairs.retain(|_, w| !w.expired(now, window));
        }
        if self.ips.len() > PRUNE_AT {
            self.ips.retain(|_, w| !w.expired(now, window));
        }
        if self.accounts.len() > PRUNE_AT {
            self.accounts
                .retain(|_, s| s.next_start > now || now.duration_since(s.since) < window);
        }
    }
}

/// The spacing after an attempt on an account with `failures` failures so far: none for the
/// first `failures_per_pair` (a typo or two), then 1 s, 2 s, 4 s, ... up to the maximum.
fn slowdown(failures: u32, limits: &LoginLimits) -> Duration {
    let Some(over) = failures.checked_sub(limits.failures_per_pair) else {
        return Duration::ZERO;
    };
    SLOWDOWN_STEP
        .saturating_mul(1u32 << over.min(20))
        .min(limits.slowdown_max)
}

/// Settings of the registration throttle.
#[derive(Debug, Clone)]
pub struct RegistrationLimits {
    /// Registration attempts one address may make per minute (a burst of as many).
    pub per_minute: u32,
    /// Accounts one address may create per day.
    pub per_day: u32,
}

#[derive(Debug)]
struct IpRegistrations {
    attempts: TokenBucket,
    today: Window,
}

/// Registrations per address: attempts per minute (a token bucket) and accounts created per
/// day, counted from the attempt's start and taken back if no account was made.
#[derive(Debug, Default)]
pub struct RegistrationThrottle {
    ips: HashMap<String, IpRegistrations>,
}

impl RegistrationThrottle {
    /// Starts a registration from `ip`, or says why not and when to try again.
    pub fn begin(
        &mut self,
        ip: &str,
        now: Instant,
        limits: &RegistrationLimits,
    ) -> Result<(), Text> {
        if self.ips.len() > PRUNE_AT {
            self.ips.retain(|_, r| !r.today.expired(now, DAY));
        }
        let r = self
            .ips
            .entry(ip.to_string())
            .or_insert_with(|| IpRegistrations {
                attempts: TokenBucket::new(
                    f64::from(limits.per_minute) / 60.0,
                    f64::from(limits.per_minute),
                    now,
                ),
                today: Window::new(now),
            });
        if now.duration_since(r.today.since) >= DAY {
            r.today = Window::new(now);
        }
        if r.today.count >= limits.per_day {
            let left = DAY.saturating_sub(now.duration_since(r.today.since));
            return Err(Text::new(keys::ACCOUNT_REGISTRATIONS_TODAY)
                .arg("count", limits.per_day)
                .arg("hours", left.as_secs().div_ceil(3600).max(1)));
        }
        if !r.attempts.take(now) {
            return Err(
                Text::new(keys::ACCOUNT_REGISTRATIONS_PER_MINUTE).arg("count", limits.per_minute)
            );
        }
        r.today.count += 1;
        Ok(())
    }

    /// Ends a registration: one that made no account does not count against the day.
    pub fn finished(&mut self, ip: &str, created: bool) {
        if !created && let Some(r) = self.ips.get_mut(ip) {
            r.today.count = r.today.count.saturating_sub(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A text as an English-reading client gets it.
    fn english(text: &Text) -> String {
        crate::assets::shipped_locales().render_text("en", text)
    }

    fn limits() -> LoginLimits {
        LoginLimits {
            failures_per_pair: 3,
            failures_per_ip: 5,
            window: Duration::from_secs(300),
            slowdown_max: Duration::from_secs(8),
        }
    }

    #[test]
    fn failed_logins_from_one_address_do_not_lock_the_owner_out() {
        let (l, t0) = (limits(), Instant::now());
        let mut t = LoginThrottle::default();
        for _ in 0..3 {
            assert!(t.begin("ann", "10.0.0.66", t0, &l).is_ok());
        }
        let refused = t.begin("ann", "10.0.0.66", t0, &l).unwrap_err();
        assert_eq!(refused.who, Locked::AccountFromAddress);
        let message = english(&refused.text());
        assert!(
            message.contains("this account from your address") && message.contains("5 minutes"),
            "{message}"
        );
        // The owner, elsewhere, gets in: the account is only slowed (1 s after three failures).
        let wait = t.begin("ann", "10.0.0.1", t0, &l).expect("not locked out");
        assert_eq!(wait, Duration::ZERO);
        t.succeeded("ann", "10.0.0.1", &l);
        assert!(
            t.begin("ann", "10.0.0.66", t0 + Duration::from_secs(301), &l)
                .is_ok(),
            "the lock ends"
        );
    }

    #[test]
    fn guesses_in_flight_count_against_the_limit() {
        let (l, t0) = (limits(), Instant::now());
        let mut t = LoginThrottle::default();
        // 33 guesses started before any has finished: only the limit gets through.
        let started = (0..33)
            .filter(|_| t.begin("ann", "10.0.0.66", t0, &l).is_ok())
            .count();
        assert_eq!(started, 3);
    }

    #[test]
    fn guessing_across_accounts_locks_the_address() {
        let (l, t0) = (limits(), Instant::now());
        let mut t = LoginThrottle::default();
        for user in ["a", "b", "c", "d", "e"] {
            assert!(t.begin(user, "10.0.0.66", t0, &l).is_ok());
        }
        let refused = t.begin("zed", "10.0.0.66", t0, &l).unwrap_err();
        assert_eq!(refused.who, Locked::Address);
        assert!(t.begin("zed", "10.0.0.3", t0, &l).is_ok());
    }

    #[test]
    fn an_account_failing_from_many_addresses_is_slowed_not_locked() {
        let (l, t0) = (limits(), Instant::now());
        let mut t = LoginThrottle::default();
        // Three free failures, then attempts are spaced 1, 2, 4, 8 (the most) seconds apart.
        let waits: Vec<u64> = (0..6)
            .map(|i| {
                t.begin("ann", &format!("10.0.1.{i}"), t0, &l)
                    .unwrap()
                    .as_secs()
            })
            .collect();
        assert_eq!(waits, [0, 0, 0, 0, 1, 3]);
        // The next would wait 7 s (within 8): allowed; then 15 s: refused, saying when.
        assert_eq!(t.begin("ann", "10.0.2.1", t0, &l).unwrap().as_secs(), 7);
        let refused = t.begin("ann", "10.0.2.2", t0, &l).unwrap_err();
        let message = english(&refused.text());
        assert!(message.contains("15 seconds"), "{message}");
        // Once the queue has drained, the owner waits at most the maximum.
        let later = t0 + Duration::from_secs(15);
        assert!(t.begin("ann", "10.0.0.1", later, &l).unwrap() <= l.slowdown_max);
    }

    #[test]
    fn a_good_login_takes_its_attempt_back() {
        let (l, t0) = (limits(), Instant::now());
        let mut t = LoginThrottle::default();
        for _ in 0..10 {
            t.begin("ann", "ip", t0, &l).unwrap();
            t.succeeded("ann", "ip", &l);
        }
        assert_eq!(t.begin("ann", "ip", t0, &l), Ok(Duration::ZERO));
    }

    #[test]
    fn registrations_are_limited_per_minute_and_per_day() {
        let l = RegistrationLimits {
            per_minute: 2,
            per_day: 3,
        };
        let t0 = Instant::now();
        let mut r = RegistrationThrottle::default();
        r.begin("ip", t0, &l).unwrap();
        r.finished("ip", true);
        r.begin("ip", t0, &l).unwrap();
        r.finished("ip", false); // taken name: counts per minute, not per day
        let e = english(&r.begin("ip", t0, &l).unwrap_err());
        assert!(e.contains("at most 2 a minute"), "{e}");
        assert!(r.begin("other", t0, &l).is_ok(), "per address");
        let t1 = t0 + Duration::from_secs(60);
        for _ in 0..2 {
            r.begin("ip", t1, &l).unwrap();
            r.finished("ip", true);
        }
        let e = english(&r.begin("ip", t1 + Duration::from_secs(60), &l).unwrap_err());
        assert!(
            e.contains("3 accounts today") && e.contains("24 hours"),
            "{e}"
        );
        assert!(r.begin("ip", t0 + DAY, &l).is_ok(), "a new day");
    }
}
