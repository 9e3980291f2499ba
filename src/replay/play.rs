//! `emberkeep replay LOG`: builds the world from the log's header, feeds each recorded tick's
//! inputs through the same step as the live runner ([`crate::runner::step`]), headless and
//! unpaced, prints the world hash every N ticks and checks it at every recorded checkpoint.
//! No network and no storage: storage's answers are inputs in the log.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use bevy_ecs::prelude::World;
use emberkeep_components::net::{AdminResults, InboundQueue, Outbox, WorldInput};
use emberkeep_components::persist::StorageOut;
use emberkeep_components::world::Tick;
use emberkeep_systems::commands::staff::AuditLog;

use super::{Entry, FORMAT, First, Header, Line, Numbered, hex};
use crate::runner::{admit, step};

/// What to replay and how.
#[derive(Debug, Clone)]
pub struct Options {
    pub log: PathBuf,
    /// Print the hash every this many ticks (default: the recording's checkpoint interval).
    pub every: Option<u64>,
    /// Assets folders to look in for the content the log names (by fingerprint), besides the
    /// folder the log was recorded from.
    pub assets: Vec<PathBuf>,
}

/// How a replay that did not fail ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The last tick replayed.
    pub tick: u64,
    /// Recorded checkpoints compared (all matched).
    pub checkpoints: u64,
    /// Why the log ended early (a cut-short line or no end line), if it did.
    pub cut_short: Option<String>,
}

/// Replays the log, writing `tick <n> hash <hex>` lines to `out`. Fails at the first
/// checkpoint whose hash differs, and at anything in the log it cannot trust (a damaged or
/// missing line, a hole, content it cannot find), naming the line.
pub fn replay(options: &Options, out: &mut impl Write) -> anyhow::Result<Report> {
    let file = std::fs::File::open(&options.log)
        .with_context(|| format!("cannot open the replay log {}", options.log.display()))?;
    let mut lines = Lines {
        path: options.log.clone(),
        reader: std::io::BufReader::new(file),
        n: 0,
        buf: String::new(),
    };
    let header = match lines.next::<First>()? {
        Read::Line(First::Header(h)) => *h,
        Read::Cut(why) | Read::Eof(why) => bail!("{}: no header ({why})", lines.at()),
    };
    if header.format != FORMAT {
        bail!(
            "{}: format {} is not the one this server replays ({FORMAT}); use the server version \
             that recorded it ({})",
            lines.at(),
            header.format,
            header.server_version
        );
    }
    if header.server_version != env!("CARGO_PKG_VERSION") {
        tracing::warn!(
            recorded_by = %header.server_version,
            "the log was recorded by another server version: a different hash may mean different code"
        );
    }
    let mut content = ContentFinder::new(&header, &options.assets);
    let mut world = content.build_world(&header)?;
    let every = options.every.unwrap_or(header.hash_every).max(1);
    let mut replay = Replay {
        world: &mut world,
        every,
        out,
    };
    let mut checkpoints = 0;
    loop {
        let line = match lines.next::<Line>()? {
            Read::Line(line) => line,
            Read::Cut(why) | Read::Eof(why) => {
                return Ok(Report {
                    tick: replay.tick(),
                    checkpoints,
                    cut_short: Some(why),
                });
            }
        };
        let at = lines.at();
        match line {
            Line::Inputs { tick, inputs } => {
                if tick <= replay.tick() {
                    bail!(
                        "{at}: inputs for tick {tick}, but tick {} has run: lines out of order",
                        replay.tick()
                    );
                }
                replay.run_to(tick - 1)?;
                let world = &mut *replay.world;
                let mut queue = std::mem::take(&mut world.resource_mut::<InboundQueue>().0);
                for entry in inputs {
                    match entry {
                        Entry::Input(input) => admit(world, &mut queue, input),
                        Entry::Locale { conn, locale } => {
                            emberkeep_systems::text::set_locale(world, conn, &locale)
                        }
                        Entry::Reload { fingerprint } => {
                            let new = content.load(&fingerprint).with_context(|| {
                                format!("{at}: the content reloaded before tick {tick}")
                            })?;
                            admit(world, &mut queue, WorldInput::Reload(Arc::new(new)));
                        }
                    }
                }
                world.resource_mut::<InboundQueue>().0 = queue;
                replay.run_to(tick)?;
            }
            Line::Hash { tick, hash } => {
                replay.run_to(tick)?;
                let now = hex(emberkeep_systems::world_hash(replay.world));
                if now != hash {
                    bail!(
                        "{at}: the world hash after tick {tick} is {now}, but the recording has \
                         {hash}: the replay diverged from the recorded run in the last {} ticks",
                        header.hash_every
                    );
                }
                checkpoints += 1;
            }
            Line::Hole { from } => bail!(
                "{at}: the recording lost its lines from tick {from} on (its writer fell behind \
                 the live server); replayed and checked up to tick {}, and it cannot go further",
                replay.tick()
            ),
            Line::End { tick } => {
                replay.run_to(tick)?;
                return Ok(Report {
                    tick,
                    checkpoints,
                    cut_short: None,
                });
            }
        }
    }
}

/// A world being replayed.
struct Replay<'a, W> {
    world: &'a mut World,
    every: u64,
    out: &'a mut W,
}

impl<W: Write> Replay<'_, W> {
    fn tick(&self) -> u64 {
        self.world.resource::<Tick>().0
    }

    /// Runs ticks until `tick` has run, printing the hash every `every` ticks.
    fn run_to(&mut self, tick: u64) -> anyhow::Result<()> {
        while self.tick() < tick {
            step(self.world, |_, _| {});
            settle(self.world);
            let now = self.tick();
            if now.is_multiple_of(self.every) {
                let hash = hex(emberkeep_systems::world_hash(self.world));
                writeln!(self.out, "tick {now} hash {hash}")?;
            }
        }
        Ok(())
    }
}

/// Drops what a tick produced for the outside world (frames, storage requests, admin answers,
/// log lines), as the live runner hands them on; frames' buffers are reused as it does.
fn settle(world: &mut World) {
    let mut outbox = world.resource_mut::<Outbox>();
    let frames = std::mem::take(&mut outbox.frames);
    outbox.closes.clear();
    if outbox.spare.len() < crate::net::dispatch::SPARE_BUFFERS {
        outbox.spare.push(frames.into_spare());
    }
    world.resource_mut::<StorageOut>().0.clear();
    world.resource_mut::<AdminResults>().0.clear();
    world
        .resource_mut::<emberkeep_components::story::StoryLog>()
        .0
        .clear();
    world.resource_mut::<AuditLog>().0.clear();
}

/// The assets folders replay may load content from, matched by fingerprint.
struct ContentFinder {
    region_size: i32,
    map: String,
    /// Folders in the order they are tried, each with its fingerprint once read.
    folders: Vec<(PathBuf, Option<String>)>,
}

impl ContentFinder {
    fn new(header: &Header, extra: &[PathBuf]) -> Self {
        let mut folders: Vec<(PathBuf, Option<String>)> =
            extra.iter().map(|d| (d.clone(), None)).collect();
        folders.push((header.assets.clone(), None));
        ContentFinder {
            region_size: header.sim.region_size,
            map: header.map.clone(),
            folders,
        }
    }

    /// The folder whose files have this fingerprint.
    fn find(&mut self, fingerprint: &str) -> anyhow::Result<PathBuf> {
        for (dir, known) in &mut self.folders {
            if known.is_none() {
                *known =
                    Some(super::fingerprint(dir).unwrap_or_else(|e| format!("unreadable ({e})")));
            }
            if known.as_deref() == Some(fingerprint) {
                return Ok(dir.clone());
            }
        }
        let tried: Vec<String> = self
            .folders
            .iter()
            .map(|(d, f)| format!("{} ({})", d.display(), f.as_deref().unwrap_or("?")))
            .collect();
        bail!(
            "no assets folder has the content the log names (fingerprint {fingerprint}); tried {}. \
             Pass the assets as they were then with --assets DIR (or --reloaded-assets DIR for \
             content reloaded while recording)",
            tried.join(", ")
        )
    }

    fn load_from(&self, dir: &Path) -> anyhow::Result<crate::assets::Assets> {
        crate::assets::load_assets(dir, &self.map, self.region_size)
            .map_err(|e| anyhow::anyhow!("the assets in {} are invalid:\n{e}", dir.display()))
    }

    /// The content of the folder with this fingerprint (for a reload).
    fn load(
        &mut self,
        fingerprint: &str,
    ) -> anyhow::Result<emberkeep_components::content::Content> {
        let dir = self.find(fingerprint)?;
        Ok(self.load_from(&dir)?.content)
    }

    /// The world as the recorded server built it before its first tick.
    fn build_world(&mut self, header: &Header) -> anyhow::Result<World> {
        let dir = self
            .find(&header.content)
            .context("line 1: the content the world started with")?;
        let assets = self.load_from(&dir)?;
        let mut world = emberkeep_systems::build_world_with_maps(
            assets.map,
            assets.maps,
            assets.content,
            header.sim.clone(),
            header.seed,
        );
        // The same content as the recording, so the same stored records are skipped as live.
        for skipped in header.start.apply(&mut world) {
            eprintln!("replay: as when recorded, {skipped}");
        }
        Ok(world)
    }
}

/// The log's lines, numbered and checked.
struct Lines<R> {
    path: PathBuf,
    reader: R,
    /// The number of the line last read.
    n: u64,
    buf: String,
}

/// One read from the log.
enum Read<T> {
    Line(T),
    /// The file ends here (why, for the report).
    Eof(String),
    /// The last line is cut short (the server was killed mid-write).
    Cut(String),
}

impl<R: BufRead> Lines<R> {
    fn at(&self) -> String {
        format!("{} line {}", self.path.display(), self.n)
    }

    fn next<T: serde::de::DeserializeOwned>(&mut self) -> anyhow::Result<Read<T>> {
        self.buf.clear();
        let read = self.reader.read_line(&mut self.buf).with_context(|| {
            format!("cannot read {} after line {}", self.path.display(), self.n)
        })?;
        if read == 0 {
            return Ok(Read::Eof(format!(
                "the log ends after line {} without an end line: the server did not stop cleanly",
                self.n
            )));
        }
        self.n += 1;
        let complete = self.buf.ends_with('\n');
        match serde_json::from_str::<Numbered<T>>(self.buf.trim_end()) {
            Ok(line) if line.n == self.n => Ok(Read::Line(line.line)),
            Ok(line) => bail!(
                "{}: it says it is line {}: a line is missing before it, or the log was edited",
                self.at(),
                line.n
            ),
            Err(_) if !complete => Ok(Read::Cut(format!(
                "line {} is cut short (the server was stopped while writing it); replayed up to \
                 the line before",
                self.n
            ))),
            Err(e) => bail!("{}: damaged, cannot be read: {e}", self.at()),
        }
    }
}
