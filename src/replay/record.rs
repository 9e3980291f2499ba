//! Recording a live world: the runner notes each input as it takes it; after each tick the
//! tick's inputs (and every `hash_every` ticks the world hash) go to a writer thread through a
//! bounded channel. The world never waits on disk: if the writer falls `QUEUE` lines behind,
//! the recording ends with a hole marker that replay refuses to pass.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use bevy_ecs::prelude::World;
use crossbeam_channel::{Sender, TrySendError};
use emberkeep_components::net::WorldInput;
use emberkeep_components::world::Tick;
use tracing::{error, info};

use super::{Entry, First, Header, Line, Numbered, hex, redacted};

/// Lines the writer may fall behind before the recording is cut (about 50 s of ticks that
/// all have input at 20 Hz).
pub const QUEUE: usize = 1024;

/// The world thread's end of a recording.
#[derive(Debug)]
pub struct Recorder {
    path: PathBuf,
    hash_every: u64,
    /// This tick's inputs so far.
    pending: Vec<Entry>,
    /// None once the recording has ended (cut, or the writer failed).
    tx: Option<Sender<Line>>,
    /// The tick from which lines were lost, until the hole marker is written.
    hole: Option<u64>,
    writer: Option<std::thread::JoinHandle<()>>,
}

impl Recorder {
    /// Creates the log at `path` (refusing to overwrite one), writes the header and starts the
    /// writer thread.
    pub fn start(path: &Path, header: Header) -> anyhow::Result<Recorder> {
        let file = File::create_new(path).with_context(|| {
            format!(
                "server.record: cannot create the replay log {} (an existing log is never \
                 overwritten: move it away or name another file)",
                path.display()
            )
        })?;
        let mut out = BufWriter::new(file);
        let hash_every = header.hash_every;
        let first = Numbered {
            n: 1,
            line: First::Header(Box::new(header)),
        };
        serde_json::to_writer(&mut out, &first)?;
        out.write_all(b"\n")?;
        out.flush()
            .with_context(|| format!("server.record: cannot write {}", path.display()))?;
        let (tx, rx) = crossbeam_channel::bounded(QUEUE);
        let shown = path.to_owned();
        let writer = std::thread::Builder::new()
            .name("record".into())
            .spawn(move || write(&shown, out, rx))
            .context("cannot start the replay log's writer thread")?;
        info!(log = %path.display(), hash_every, "recording every input for replay");
        Ok(Recorder {
            path: path.to_owned(),
            hash_every,
            pending: Vec::new(),
            tx: Some(tx),
            hole: None,
            writer: Some(writer),
        })
    }

    /// Notes an input the world takes this tick (as the log keeps it: see [`redacted`]).
    pub fn input(&mut self, input: &WorldInput) {
        if self.tx.is_some() {
            self.pending.push(Entry::Input(redacted(input)));
        }
    }

    /// Notes anything else the world takes this tick (a locale, a reload).
    pub fn note(&mut self, entry: Entry) {
        if self.tx.is_some() {
            self.pending.push(entry);
        }
    }

    /// After a tick's phases: hands its inputs, and at a checkpoint the world hash, to the writer.
    pub fn tick_done(&mut self, world: &mut World) {
        let tick = world.resource::<Tick>().0;
        if !self.pending.is_empty() {
            let inputs = std::mem::take(&mut self.pending);
            self.send(Line::Inputs { tick, inputs }, tick);
        }
        if self.tx.is_some() && tick.is_multiple_of(self.hash_every) {
            let hash = hex(emberkeep_systems::world_hash(world));
            self.send(Line::Hash { tick, hash }, tick);
        }
    }

    /// After the last tick: writes the end line and waits for the writer to finish the file.
    pub fn finish(mut self, world: &World) {
        let tick = world.resource::<Tick>().0;
        if let Some(tx) = self.tx.take()
            && self.hole.is_none()
        {
            // The world has stopped: waiting for room is fine now.
            let _ = tx.send(Line::End { tick });
        }
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
        info!(log = %self.path.display(), tick, "replay log closed");
    }

    fn send(&mut self, line: Line, tick: u64) {
        let Some(tx) = &self.tx else { return };
        if let Some(from) = self.hole {
            // Only the hole marker may follow a lost line; then the recording is over.
            if tx.try_send(Line::Hole { from }).is_ok() {
                self.tx = None;
            }
            return;
        }
        match tx.try_send(line) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                error!(
                    log = %self.path.display(),
                    tick,
                    queue = QUEUE,
                    "the replay log's writer fell behind: lines are lost from this tick on, \
                     so the recording ends here with a hole marker (replay stops at it)"
                );
                self.hole = Some(tick);
                self.pending.clear();
            }
            Err(TrySendError::Disconnected(_)) => {
                // The writer stopped on an error it logged; the file is a clean prefix.
                self.tx = None;
                self.pending.clear();
            }
        }
    }
}

/// The writer thread: numbers and writes lines as they come, flushing whenever it has caught
/// up (a crash loses at most what was still queued). Stops at the first write error.
fn write(path: &Path, mut out: BufWriter<File>, rx: crossbeam_channel::Receiver<Line>) {
    let mut n = 1;
    while let Ok(line) = rx.recv() {
        n += 1;
        let written = serde_json::to_writer(&mut out, &Numbered { n, line })
            .map_err(std::io::Error::from)
            .and_then(|()| out.write_all(b"\n"))
            .and_then(|()| if rx.is_empty() { out.flush() } else { Ok(()) });
        if let Err(e) = written {
            error!(log = %path.display(), line = n, error = %e, "cannot write the replay log; recording stopped");
            return;
        }
    }
    if let Err(e) = out.flush() {
        error!(log = %path.display(), error = %e, "cannot write the replay log's last lines");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(world: &mut World, tick: u64) {
        world.insert_resource(Tick(tick));
    }

    fn ticks(line: &Line) -> u64 {
        match line {
            Line::Inputs { tick, .. } => *tick,
            other => panic!("expected inputs, got {other:?}"),
        }
    }

    #[test]
    fn a_writer_that_falls_behind_ends_the_recording_with_a_hole_marker() {
        // A recorder whose writer is this test: a queue of one line, read only when told.
        let (tx, rx) = crossbeam_channel::bounded(1);
        let mut r = Recorder {
            path: "test.jsonl".into(),
            hash_every: 1000,
            pending: Vec::new(),
            tx: Some(tx),
            hole: None,
            writer: None,
        };
        let mut world = World::new();
        let input = WorldInput::Shutdown;
        for tick in 1..=3 {
            at(&mut world, tick);
            r.input(&input);
            r.tick_done(&mut world);
        }
        // Tick 1 fits; tick 2 finds the queue full: lost, and so is everything after it.
        assert_eq!(ticks(&rx.recv().unwrap()), 1);
        assert!(rx.try_recv().is_err());
        at(&mut world, 4);
        r.input(&input);
        r.tick_done(&mut world);
        assert_eq!(rx.recv().unwrap(), Line::Hole { from: 2 });
        // The recording is over: nothing more is taken or sent, not even the end line.
        at(&mut world, 5);
        r.input(&input);
        assert!(r.pending.is_empty());
        r.tick_done(&mut world);
        r.finish(&world);
        assert!(rx.try_recv().is_err());
    }
}
