//! `emberkeep-bot`: a load generator. Opens N real WebSocket clients against a server, ramps
//! them up, lets them play for a while (walk, chat, fight), prints a progress line every
//! second and a report at the end (optionally as JSON). `--floor` connects to
//! `emberkeep-floor` instead and only counts frames, to measure the raw cost of a frame.
//! `--churn` makes each client a player with an account who logs in, plays, leaves and comes
//! back, again and again (`churn.rs`), for soak runs (tools/soak.sh). `--handoffs` makes
//! each client a player with an account who walks onto warps and follows the handoffs from
//! process to process of a cluster, timing each (`handoff.rs`), for tools/cluster_load.sh.
//!
//! docs/PERFORMANCE.md shows how the figures there were produced with it.

mod bot;
mod churn;
mod handoff;
mod metrics;
mod scan;
mod walk;
mod warps;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use tokio::task::JoinSet;
use tokio::time::Instant;

use bot::{Behaviour, Settings, Shared};
use churn::ChurnSettings;
use handoff::HandoffSettings;
use metrics::{Metrics, Progress, RunInfo};

/// Load bot for Emberkeep: N WebSocket clients that join as guests and play (or, with
/// --churn, log in to accounts, play, leave and come back; with --handoffs, go back and forth
/// between the processes of a cluster).
#[derive(Parser, Debug)]
#[command(name = "emberkeep-bot", version, about)]
struct Cli {
    /// Server WebSocket URL
    #[arg(long, default_value = "ws://127.0.0.1:9001")]
    url: String,
    /// Clients to open
    #[arg(long, default_value_t = 10)]
    clients: usize,
    /// New clients per second while ramping up
    #[arg(long, default_value_t = 100.0)]
    ramp: f64,
    /// Length of the run in seconds, from the first connection (the ramp included); every
    /// client then closes politely. No upper bound: a churn soak may run for hours
    #[arg(long, default_value_t = 30.0)]
    duration: f64,
    /// Also write the report to this file as JSON
    #[arg(long)]
    json: Option<PathBuf>,
    /// What the clients do in the world
    #[arg(long, value_enum, default_value_t = Behaviour::Mixed)]
    behaviour: Behaviour,
    /// Floor mode: connect without `hello` and only count frames (against emberkeep-floor)
    #[arg(long)]
    floor: bool,
    /// Names are this prefix and the client's number (3–16 characters in all, starting with
    /// a letter); use different prefixes for bots running side by side on one server
    #[arg(long, default_value = "bot")]
    name_prefix: String,
    /// Steps per second while walking (the server allows 8 by default)
    #[arg(long, default_value_t = 4.0)]
    steps_per_sec: f64,
    /// Worker threads of the bot's runtime
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Seed of the bots' choices (directions, pauses, chat; in churn mode also session and
    /// away times, how they leave and how they log in)
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Churn mode: each client registers an account named prefix+number (or logs in to it,
    /// with the password "<name>-soak-password"), creates or picks the character of that
    /// name, plays for --session-secs, leaves, stays away for --away-secs and logs in again
    #[arg(long, conflicts_with = "floor")]
    churn: bool,
    /// Churn: seconds in the world per session, a random value in MIN..MAX
    #[arg(long, default_value = "20..120", value_parser = parse_range, requires = "churn")]
    session_secs: (f64, f64),
    /// Churn: seconds away between sessions, a random value in MIN..MAX (around the server's
    /// world.linger_secs, 30 s by default, a return finds the character lingering or saved)
    #[arg(long, default_value = "1..60", value_parser = parse_range, requires = "churn")]
    away_secs: (f64, f64),
    /// Churn: share of leaves that drop the TCP connection (a reset, no WebSocket close)
    #[arg(long, default_value_t = 0.3, requires = "churn")]
    drop_share: f64,
    /// Churn: share of leaves that send `logout` first (the token is revoked, so the next
    /// login is by password); the rest close the WebSocket politely
    #[arg(long, default_value_t = 0.1, requires = "churn")]
    logout_share: f64,
    /// Churn: share of returns that log in by password although the bot holds a session
    /// token; the rest resume with the token
    #[arg(long, default_value_t = 0.2, requires = "churn")]
    password_share: f64,
    /// Handoff mode: each client registers an account named prefix+number (or logs in to it,
    /// with the password "<name>-handoff-password") on --url, creates or plays the character
    /// of that name, then again and again pauses, walks to the nearest warp (--warp,
    /// --warps-from), steps on it and follows the handoff to the other process; the report
    /// gives the handoff latency (from the move onto the warp to welcome over there)
    #[arg(long, conflicts_with_all = ["floor", "churn"])]
    handoffs: bool,
    /// Handoffs: a warp tile, MAP:X,Y in that map's own tiles (repeatable)
    #[arg(long = "warp", value_parser = warps::parse_flag, requires = "handoffs")]
    warp: Vec<(String, warps::Tile)>,
    /// Handoffs: read the warps of every MAP.tmj in this folder (e.g. the assets' maps/)
    #[arg(long, requires = "handoffs")]
    warps_from: Option<PathBuf>,
    /// Handoffs: seconds to stay after arriving before heading for the next warp, MIN..MAX
    #[arg(long, default_value = "2..4", value_parser = parse_range, requires = "handoffs")]
    handoff_pause: (f64, f64),
    /// Handoffs: say a line in the `global` channel every MIN..MAX seconds (it reaches every
    /// player of every process, over NATS)
    #[arg(long, value_parser = parse_range, requires = "handoffs")]
    channel_chat: Option<(f64, f64)>,
}

/// Parses `MIN..MAX` seconds (`5..5` is a fixed time).
fn parse_range(text: &str) -> Result<(f64, f64), String> {
    let (lo, hi) = text
        .split_once("..")
        .ok_or_else(|| format!("{text:?}: expected MIN..MAX seconds, e.g. 20..120"))?;
    let num = |v: &str| {
        v.trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0 && *v <= 1e6)
            .ok_or_else(|| format!("{text:?}: {v:?} is not a number of seconds (0 to 1e6)"))
    };
    let (lo, hi) = (num(lo)?, num(hi)?);
    if lo > hi {
        return Err(format!("{text:?}: MIN is above MAX"));
    }
    Ok((lo, hi))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(e) = check(&cli) {
        eprintln!("emberkeep-bot: {e}");
        return ExitCode::from(2);
    }
    // One thread: a current-thread runtime, which saves the cross-thread wake-ups.
    let mut builder = if cli.threads == 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(cli.threads);
        b
    };
    let runtime = match builder.enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("emberkeep-bot: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let handoffs = match handoff_settings(&cli) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("emberkeep-bot: {e}");
            return ExitCode::from(2);
        }
    };
    let report = runtime.block_on(run(&cli, handoffs));
    runtime.shutdown_timeout(Duration::from_secs(1));
    report.print_summary();
    if let Some(path) = &cli.json {
        let written = serde_json::to_string_pretty(&report)
            .map_err(|e| e.to_string())
            .and_then(|text| std::fs::write(path, text).map_err(|e| e.to_string()));
        if let Err(e) = written {
            eprintln!("emberkeep-bot: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    }
    let failed = report.dropped_total
        + report.connect_failed.values().sum::<u64>()
        + report.churn.as_ref().map_or(0, |c| c.failures_total)
        + report.handoffs.as_ref().map_or(0, |h| h.failures_total);
    if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Rejects settings that cannot work, saying which flag is wrong.
fn check(cli: &Cli) -> Result<(), String> {
    if cli.clients == 0 {
        return Err("--clients must be at least 1".into());
    }
    if !cli.ramp.is_finite() || cli.ramp <= 0.0 {
        return Err("--ramp must be positive".into());
    }
    if !cli.duration.is_finite() || cli.duration <= 0.0 {
        return Err("--duration must be positive".into());
    }
    if !(0.1..=50.0).contains(&cli.steps_per_sec) {
        return Err("--steps-per-sec must be between 0.1 and 50".into());
    }
    if cli.threads == 0 {
        return Err("--threads must be at least 1".into());
    }
    if cli.churn {
        for (flag, share) in [
            ("--drop-share", cli.drop_share),
            ("--logout-share", cli.logout_share),
            ("--password-share", cli.password_share),
        ] {
            if !(0.0..=1.0).contains(&share) {
                return Err(format!("{flag} must be between 0 and 1"));
            }
        }
        if cli.drop_share + cli.logout_share > 1.0 {
            return Err("--drop-share and --logout-share add up to more than 1".into());
        }
        if cli.session_secs.0 <= 0.0 {
            return Err("--session-secs: a session must last more than 0 s".into());
        }
    }
    // The name is also the account's username: letters, digits and '_' only.
    if (cli.churn || cli.handoffs) && cli.name_prefix.contains('-') {
        return Err(format!(
            "--name-prefix {:?}: with accounts (--churn, --handoffs) names are also usernames, which take no '-'",
            cli.name_prefix
        ));
    }
    if cli.handoffs && cli.warp.is_empty() && cli.warps_from.is_none() {
        return Err("--handoffs needs the warps: --warp MAP:X,Y or --warps-from DIR".into());
    }
    if cli.channel_chat.is_some_and(|(lo, _)| lo < 1.0) {
        return Err(
            "--channel-chat: at least 1 s between two lines (the server's chat limit)".into(),
        );
    }
    let p = &cli.name_prefix;
    let longest = p.len() + (cli.clients - 1).to_string().len();
    if !p.starts_with(|c: char| c.is_ascii_alphabetic())
        || !p
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        || longest > 16
    {
        return Err(format!(
            "--name-prefix {p:?}: names are 3-16 letters, digits, '_' or '-' starting with a letter, and the prefix plus the client number ({longest} characters here) must fit"
        ));
    }
    Ok(())
}

/// Handoff mode's settings, with the warps read (`None` in the other modes).
fn handoff_settings(cli: &Cli) -> Result<Option<HandoffSettings>, String> {
    if !cli.handoffs {
        return Ok(None);
    }
    let mut warps = warps::Warps::from_flags(&cli.warp);
    if let Some(dir) = &cli.warps_from {
        warps
            .read_dir(dir)
            .map_err(|e| format!("--warps-from: {e}"))?;
    }
    if warps.count() == 0 {
        return Err("--handoffs: no warps given or found in --warps-from".into());
    }
    Ok(Some(HandoffSettings {
        warps,
        pause_secs: cli.handoff_pause,
        chat_secs: cli.channel_chat,
    }))
}

async fn run(cli: &Cli, handoffs: Option<HandoffSettings>) -> metrics::Report {
    let start = Instant::now();
    let duration = Duration::from_secs_f64(cli.duration);
    let end_at = start + duration;
    let shared = Arc::new(Shared {
        settings: Settings {
            url: cli.url.clone(),
            behaviour: cli.behaviour,
            floor: cli.floor,
            name_prefix: cli.name_prefix.clone(),
            step_interval: Duration::from_secs_f64(1.0 / cli.steps_per_sec),
            end_at,
            seed: cli.seed,
            churn: cli.churn.then_some(ChurnSettings {
                session_secs: cli.session_secs,
                away_secs: cli.away_secs,
                drop_share: cli.drop_share,
                logout_share: cli.logout_share,
                password_share: cli.password_share,
            }),
            handoffs,
        },
        metrics: Metrics::default(),
    });
    let ramp_secs = cli.clients as f64 / cli.ramp;
    // Steady state: every client started, plus 2 s for the last ones to join and settle.
    let steady_from = ramp_secs.ceil() as u64 + 2;
    if steady_from as f64 >= cli.duration {
        eprintln!(
            "emberkeep-bot: the ramp ({ramp_secs:.0} s) leaves no steady time in a {:.0} s run; steady figures will be empty",
            cli.duration
        );
    }
    let progress = tokio::spawn(report_every_second(
        shared.clone(),
        start,
        end_at,
        steady_from,
        cli.clients,
    ));
    let mut bots = JoinSet::new();
    for i in 0..cli.clients {
        let at = start + Duration::from_secs_f64(i as f64 / cli.ramp);
        if at >= end_at {
            break;
        }
        tokio::time::sleep_until(at).await;
        if cli.churn {
            bots.spawn(churn::run(i, shared.clone()));
        } else if cli.handoffs {
            bots.spawn(handoff::run(i, shared.clone()));
        } else {
            bots.spawn(bot::run(i, shared.clone()));
        }
    }
    // Bots stop at `end_at` and close politely; give stragglers a few seconds.
    let all_done = async { while bots.join_next().await.is_some() {} };
    if tokio::time::timeout_at(end_at + Duration::from_secs(5), all_done)
        .await
        .is_err()
    {
        eprintln!(
            "emberkeep-bot: {} clients still closing; abandoning them",
            bots.len()
        );
        bots.abort_all();
    }
    let progress = progress
        .await
        .unwrap_or_else(|_| Progress::new(start.into_std(), cli.clients));
    let info = RunInfo {
        mode: if cli.floor {
            "floor"
        } else if cli.churn {
            "churn"
        } else if cli.handoffs {
            "handoffs"
        } else {
            "game"
        },
        url: cli.url.clone(),
        behaviour: cli.behaviour.name().into(),
        clients: cli.clients,
        ramp: cli.ramp,
        steady_from,
        end_at: end_at.into_std(),
        churn: cli.churn,
        handoffs: cli.handoffs,
    };
    metrics::report(&shared.metrics, info, progress, start.elapsed())
}

/// Prints one progress line a second until the end of the run; returns the samples.
async fn report_every_second(
    shared: Arc<Shared>,
    start: Instant,
    end_at: Instant,
    steady_from: u64,
    clients: usize,
) -> Progress {
    let mut progress = Progress::new(start.into_std(), clients);
    let mut next = start + Duration::from_secs(1);
    let mut steady = false;
    while next <= end_at {
        tokio::time::sleep_until(next).await;
        progress.sample(&shared.metrics);
        if !steady && next >= start + Duration::from_secs(steady_from) {
            metrics::start_steady(&shared.metrics);
            steady = true;
        }
        next += Duration::from_secs(1);
    }
    progress
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_of_seconds_parse_or_say_what_is_wrong() {
        assert_eq!(parse_range("20..120"), Ok((20.0, 120.0)));
        assert_eq!(parse_range("0.5..0.5"), Ok((0.5, 0.5)));
        let e = parse_range("120..20").unwrap_err();
        assert!(e.contains("MIN is above MAX"), "{e}");
        let e = parse_range("20-120").unwrap_err();
        assert!(e.contains("expected MIN..MAX"), "{e}");
        let e = parse_range("x..5").unwrap_err();
        assert!(e.contains("\"x\" is not a number"), "{e}");
        assert!(parse_range("-1..5").is_err());
        assert!(parse_range("1..inf").is_err());
    }

    #[test]
    fn churn_names_must_be_usernames_and_shares_fractions() {
        let cli = |args: &[&str]| Cli::parse_from([&["emberkeep-bot", "--churn"], args].concat());
        assert!(check(&cli(&[])).is_ok());
        let e = check(&cli(&["--name-prefix", "soak-a"])).unwrap_err();
        assert!(e.contains("take no '-'"), "{e}");
        let e = check(&cli(&["--drop-share", "0.8", "--logout-share", "0.3"])).unwrap_err();
        assert!(e.contains("more than 1"), "{e}");
        let e = check(&cli(&["--password-share", "1.5"])).unwrap_err();
        assert!(e.contains("--password-share"), "{e}");
        // Churn flags need --churn.
        assert!(Cli::try_parse_from(["emberkeep-bot", "--away-secs", "1..2"]).is_err());
    }

    #[test]
    fn handoff_mode_needs_warps_and_usernames() {
        let cli =
            |args: &[&str]| Cli::try_parse_from([&["emberkeep-bot", "--handoffs"], args].concat());
        let e = check(&cli(&[]).unwrap()).unwrap_err();
        assert!(e.contains("--warp MAP:X,Y"), "{e}");
        let ok = cli(&["--warp", "west:5,3", "--warp", "east:5,3"]).unwrap();
        assert!(check(&ok).is_ok());
        let h = handoff_settings(&ok).unwrap().unwrap();
        assert_eq!(h.warps.count(), 2);
        assert_eq!(h.pause_secs, (2.0, 4.0));
        let e = check(&cli(&["--warp", "w:1,1", "--name-prefix", "hop-a"]).unwrap()).unwrap_err();
        assert!(e.contains("take no '-'"), "{e}");
        assert!(cli(&["--warp", "west"]).is_err());
        assert!(cli(&["--churn"]).is_err());
        // Handoff flags need --handoffs.
        assert!(Cli::try_parse_from(["emberkeep-bot", "--warp", "w:1,1"]).is_err());
        let e = check(&cli(&["--warp", "w:1,1", "--channel-chat", "0.2..1"]).unwrap()).unwrap_err();
        assert!(e.contains("--channel-chat"), "{e}");
        let missing = cli(&["--warps-from", "/nonexistent/maps"]).unwrap();
        let e = handoff_settings(&missing).unwrap_err();
        assert!(e.starts_with("--warps-from: /nonexistent/maps"), "{e}");
    }
}
