//! The save queue: batches the store has not taken yet, oldest first, retried with capped
//! exponential backoff until it takes them. Saves never give up: a character that already
//! left the world has nothing else that would save it again.
//!
//! **Ordering.** Batches are written strictly in the order the world sent them, one at a
//! time; the head is removed only once the store has taken it. A later batch may hold a
//! newer state of a character, so an older state never lands after a newer one.
//!
//! **Coalescing (the memory bound).** A new batch is merged into the LAST queued batch,
//! unless that one is the head handed to the writer (it may be on the wire, or waiting for
//! its retry: it must stay exactly what is being written; the storage task hands the head
//! out again as soon as an attempt fails). Merging two consecutive batches A then B into one
//! batch M (a character or guild in B replaces the same one in A; a guild removed in B is
//! removed from M, one saved in B is no longer removed; the higher item-id mark) gives M the
//! same end state as writing A then B. Since the store writes M atomically, every state it
//! can be left in — before A, or after B — is one the world actually had after a whole tick,
//! so each batch's value moves (an item leaving one character and reaching another in the
//! same batch) stay atomic. What is lost is only the state between A and B, which nobody can
//! read anyway (reads wait for, or are refused until, the queue is empty). Merging
//! NON-consecutive batches, or merging into a batch being written, could reorder states or
//! drop B's changes, so neither is done. So the queue holds at most two batches — the head
//! being retried and one batch with everything since — and at most two records per
//! character and guild, whatever the outage's length.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use emberkeep_components::persist::SaveBatch;

/// Delay before the first retry of a failing batch; it doubles with each failure.
pub(crate) const FIRST_RETRY: Duration = Duration::from_millis(50);
/// The longest delay between two attempts.
pub(crate) const MAX_RETRY: Duration = Duration::from_secs(2);

/// One queued batch and where its records are.
#[derive(Debug)]
struct Queued {
    batch: SaveBatch,
    /// Number of the newest `Save` request merged into it.
    upto: u64,
    /// Character key → index in `batch.characters`.
    index: HashMap<String, usize>,
}

impl Queued {
    fn new(batch: SaveBatch, upto: u64) -> Queued {
        let index = (batch.characters.iter().enumerate())
            .map(|(i, c)| (c.key(), i))
            .collect();
        Queued { batch, upto, index }
    }

    /// Merges `newer`, which was sent right after everything in `self`. (Also into a head
    /// a failed attempt gave back: a failed write left nothing, or — MongoDB — a journal
    /// entry with a lower sequence number than the retry's, which never overwrites it.)
    fn absorb(&mut self, newer: SaveBatch, upto: u64) {
        // Destructured so that a new field of SaveBatch cannot be forgotten here.
        let SaveBatch {
            characters,
            guilds,
            removed_guilds,
            next_item_id,
            reason,
            world,
            leases,
        } = newer;
        let old = &mut self.batch;
        for record in characters {
            match self.index.get(&record.key()) {
                Some(&i) => old.characters[i] = record,
                None => {
                    self.index.insert(record.key(), old.characters.len());
                    old.characters.push(record);
                }
            }
        }
        for guild in guilds {
            let key = guild.key();
            old.removed_guilds.retain(|k| *k != key);
            match old.guilds.iter_mut().find(|g| g.key() == key) {
                Some(g) => *g = guild,
                None => old.guilds.push(guild),
            }
        }
        for key in removed_guilds {
            old.guilds.retain(|g| g.key() != key);
            if !old.removed_guilds.contains(&key) {
                old.removed_guilds.push(key);
            }
        }
        old.world.absorb(world);
        old.leases.extend(leases);
        old.next_item_id = old.next_item_id.max(next_item_id);
        old.reason = reason;
        self.upto = upto;
    }
}

/// Records (characters, guilds and guild removals) in a batch.
pub(crate) fn records(batch: &SaveBatch) -> usize {
    batch.characters.len() + batch.guilds.len() + batch.removed_guilds.len()
}

/// What a flush after an outage wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Recovered {
    /// How long saves were refused by the store.
    pub down_for: Duration,
    /// Batches and records written since the first failure.
    pub batches: u64,
    pub records: u64,
}

/// An outage in progress: from the first failed attempt until the queue is empty again.
#[derive(Debug, Clone, Copy)]
struct Outage {
    since: std::time::Instant,
    batches: u64,
    records: u64,
}

/// Batches waiting for the store, oldest first (see the module comment).
#[derive(Debug, Default)]
pub(crate) struct SaveQueue {
    queue: VecDeque<Queued>,
    /// The head has been handed out for writing and must not change.
    head_taken: bool,
    /// Failed attempts at the head in a row.
    failures: u32,
    /// Number of the last `Save` pushed, and of the newest one written.
    pushed: u64,
    written: u64,
    outage: Option<Outage>,
}

impl SaveQueue {
    /// Queues a batch the world sent; returns its number.
    pub fn push(&mut self, batch: SaveBatch) -> u64 {
        self.pushed += 1;
        let upto = self.pushed;
        let head_only_and_taken = self.head_taken && self.queue.len() == 1;
        match self.queue.back_mut() {
            Some(last) if !head_only_and_taken => last.absorb(batch, upto),
            _ => self.queue.push_back(Queued::new(batch, upto)),
        }
        upto
    }

    /// The batch to write next and how long to wait before writing it (backoff after
    /// failures); `None` if nothing waits or the head is being written already.
    pub fn next(&mut self) -> Option<(SaveBatch, Duration)> {
        if self.head_taken {
            return None;
        }
        let head = self.queue.front()?;
        self.head_taken = true;
        Some((head.batch.clone(), self.backoff()))
    }

    /// The delay before the next attempt: none at first, then 50 ms doubling up to 2 s.
    fn backoff(&self) -> Duration {
        match self.failures {
            0 => Duration::ZERO,
            n => FIRST_RETRY
                .saturating_mul(1 << (n - 1).min(16))
                .min(MAX_RETRY),
        }
    }

    /// The store took the head. Returns what the outage flushed if this emptied the queue
    /// after one.
    pub fn written(&mut self) -> Option<Recovered> {
        let head = self.queue.pop_front()?;
        self.head_taken = false;
        self.failures = 0;
        self.written = head.upto;
        if let Some(o) = &mut self.outage {
            o.batches += 1;
            o.records += records(&head.batch) as u64;
        }
        if !self.queue.is_empty() {
            return None;
        }
        let o = self.outage.take()?;
        Some(Recovered {
            down_for: o.since.elapsed(),
            batches: o.batches,
            records: o.records,
        })
    }

    /// The store refused the head; it stays first, to be tried again. True if this began
    /// an outage.
    pub fn failed(&mut self) -> bool {
        self.head_taken = false;
        self.failures = self.failures.saturating_add(1);
        if self.outage.is_some() {
            return false;
        }
        self.outage = Some(Outage {
            since: std::time::Instant::now(),
            batches: 0,
            records: 0,
        });
        true
    }

    /// From the first failed attempt until everything queued is written: reads of
    /// characters and accounts would see an older state than the world's, so they are refused.
    pub fn refusing(&self) -> bool {
        self.outage.is_some()
    }

    /// Number of the last batch queued (a read that arrives now must see it).
    pub fn pushed(&self) -> u64 {
        self.pushed
    }

    /// Whether every batch up to number `n` has been written.
    pub fn written_upto(&self, n: u64) -> bool {
        self.written >= n || self.queue.is_empty()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    pub fn batches(&self) -> usize {
        self.queue.len()
    }

    pub fn records(&self) -> usize {
        self.queue.iter().map(|q| records(&q.batch)).sum()
    }

    /// Names of the characters and keys of the guilds (saved or removed) still queued.
    pub fn unsaved(&self) -> (Vec<String>, Vec<String>) {
        let mut names: Vec<String> = Vec::new();
        let mut guilds: Vec<String> = Vec::new();
        for q in &self.queue {
            names.extend(q.batch.characters.iter().map(|c| c.name.clone()));
            guilds.extend(q.batch.guilds.iter().map(|g| g.key()));
            guilds.extend(q.batch.removed_guilds.iter().cloned());
        }
        names.sort_unstable();
        names.dedup();
        guilds.sort_unstable();
        guilds.dedup();
        (names, guilds)
    }
}

#[cfg(test)]
mod tests {
    use emberkeep_components::guild::GuildRecord;
    use emberkeep_components::persist::{CharacterRecord, ItemRecord, SaveReason};

    use super::*;

    fn holding(name: &str, items: &[u64]) -> CharacterRecord {
        let mut c = CharacterRecord::new(name, "acc", "warrior");
        c.inventory = (items.iter())
            .map(|id| ItemRecord {
                id: *id,
                template: "sword".into(),
                count: 1,
            })
            .collect();
        c
    }

    fn batch(characters: Vec<CharacterRecord>, next_item_id: u64) -> SaveBatch {
        SaveBatch {
            leases: Vec::new(),
            characters,
            guilds: Vec::new(),
            removed_guilds: Vec::new(),
            next_item_id,
            reason: SaveReason::Transfer,
            world: Default::default(),
        }
    }

    fn items_of(b: &SaveBatch, name: &str) -> Vec<u64> {
        let c = b.characters.iter().find(|c| c.name == name).unwrap();
        c.item_ids().collect()
    }

    /// The store is down while Ann gives item 1 to Bob and Bob then gives it to Cid: the
    /// head (taken for writing) never changes, later batches merge behind it, newer records
    /// replace older ones, and once written in order every item is held exactly once.
    #[test]
    fn batches_are_written_in_order_and_later_ones_merge_behind_the_head() {
        let mut q = SaveQueue::default();
        let first = q.push(batch(vec![holding("Ann", &[1]), holding("Bob", &[])], 2));
        let (head, wait) = q.next().unwrap();
        assert_eq!(wait, Duration::ZERO);
        assert!(q.next().is_none(), "one attempt at a time");
        assert!(q.failed());
        assert!(q.refusing());
        // Retried with backoff (the storage task hands it out again at once), the head is
        // exactly the first batch.
        let (again, wait) = q.next().unwrap();
        assert_eq!(again, head);
        assert_eq!(wait, FIRST_RETRY);
        // Ann gives 1 to Bob: one batch with both.
        q.push(batch(vec![holding("Ann", &[]), holding("Bob", &[1])], 2));
        // Bob gives 1 to Cid and a new item 2 is made for Ann.
        let last = q.push(batch(
            vec![
                holding("Bob", &[]),
                holding("Cid", &[1]),
                holding("Ann", &[2]),
            ],
            3,
        ));
        assert_eq!(q.batches(), 2, "the head stays, the rest is one batch");
        assert_eq!(q.records(), 2 + 3);
        assert!(!q.failed(), "still the same outage");
        let (_, wait) = q.next().unwrap();
        assert_eq!(wait, FIRST_RETRY * 2);
        assert!(q.written().is_none(), "the merged batch is still queued");
        assert!(q.written_upto(first) && !q.written_upto(last));
        assert!(q.refusing(), "refused until everything is written");
        let (merged, wait) = q.next().unwrap();
        assert_eq!(wait, Duration::ZERO, "the backoff starts over");
        assert_eq!(merged.next_item_id, 3);
        assert_eq!(merged.characters.len(), 3);
        assert_eq!(items_of(&merged, "Ann"), vec![2]);
        assert_eq!(items_of(&merged, "Bob"), Vec::<u64>::new());
        assert_eq!(items_of(&merged, "Cid"), vec![1]);
        let back = q.written().expect("the outage is over");
        assert_eq!((back.batches, back.records), (2, 5));
        assert!(!q.refusing() && q.is_empty() && q.written_upto(last));
    }

    /// Without an outage a batch behind the one on the wire still merges (never into it).
    #[test]
    fn a_batch_being_written_is_never_changed() {
        let mut q = SaveQueue::default();
        q.push(batch(vec![holding("Ann", &[1])], 2));
        let (on_the_wire, _) = q.next().unwrap();
        q.push(batch(vec![holding("Ann", &[])], 2));
        q.push(batch(vec![holding("Ann", &[3])], 4));
        assert_eq!(q.batches(), 2);
        assert!(q.written().is_none(), "no outage, nothing to report");
        assert_eq!(items_of(&on_the_wire, "Ann"), vec![1]);
        let (next, _) = q.next().unwrap();
        assert_eq!(items_of(&next, "Ann"), vec![3]);
        assert!(q.written().is_none());
        assert!(q.is_empty());
    }

    #[test]
    fn guilds_saved_and_removed_merge_to_their_last_state() {
        let mut q = SaveQueue::default();
        q.push(batch(vec![], 1));
        q.next().unwrap();
        let guild = |leader: &str| GuildRecord::new("Iron Wolves", leader);
        let mut b = batch(vec![], 1);
        b.guilds = vec![guild("Ann")];
        q.push(b);
        let mut b = batch(vec![], 1);
        b.removed_guilds = vec!["iron wolves".into()];
        q.push(b);
        let mut b = batch(vec![], 1);
        b.guilds = vec![guild("Bob")];
        q.push(b);
        q.written();
        let (merged, _) = q.next().unwrap();
        assert_eq!(merged.guilds, vec![guild("Bob")]);
        assert!(merged.removed_guilds.is_empty());
        let mut b = batch(vec![], 1);
        b.removed_guilds = vec!["iron wolves".into()];
        q.push(b);
        q.push(batch(vec![], 1));
        q.written();
        let (last, _) = q.next().unwrap();
        assert!(last.guilds.is_empty());
        assert_eq!(last.removed_guilds, vec!["iron wolves".to_string()]);
    }

    #[test]
    fn the_backoff_is_capped() {
        let mut q = SaveQueue::default();
        q.push(batch(vec![holding("Ann", &[])], 1));
        for _ in 0..40 {
            q.next().unwrap();
            q.failed();
        }
        assert_eq!(q.next().unwrap().1, MAX_RETRY);
        assert_eq!(q.unsaved(), (vec!["Ann".to_string()], vec![]));
    }
}
