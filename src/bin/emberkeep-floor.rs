//! `emberkeep-floor`: the floor under the server's cost per player. A minimal WebSocket push
//! server with no game: every tick it hands one small text frame to every connected client,
//! each connection's writer task sends it — the same tokio-tungstenite settings and the same
//! shape (a tick thread filling per-connection queues, a writer and a reader task per
//! connection) as the real server. Connect `emberkeep-bot --floor` to it and compare its CPU
//! per client-tick with the server's CPU per player-tick (docs/PERFORMANCE.md).

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// Minimal WebSocket push server: one text frame per client per tick, nothing else.
#[derive(Parser, Debug)]
#[command(name = "emberkeep-floor", version, about)]
struct Cli {
    /// Listen address
    #[arg(long, default_value = "127.0.0.1:9100")]
    addr: SocketAddr,
    /// Ticks per second
    #[arg(long, default_value_t = 20)]
    tick_rate: u32,
    /// Size of each frame in bytes (a JSON array of one `move` event is about 45)
    #[arg(long, default_value_t = 48)]
    frame_bytes: usize,
    /// Frames queued per client before it is dropped as too slow (the server's default is 128)
    #[arg(long, default_value_t = 128)]
    queue_frames: usize,
    /// Stop after this many seconds (default: run until SIGINT or SIGTERM)
    #[arg(long)]
    duration: Option<f64>,
}

#[derive(Default)]
struct Counters {
    clients: AtomicU64,
    frames: AtomicU64,
    bytes: AtomicU64,
    slow: AtomicU64,
}

type Queues = Arc<Mutex<Vec<mpsc::Sender<String>>>>;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if cli.tick_rate == 0 || cli.queue_frames == 0 {
        eprintln!("emberkeep-floor: --tick-rate and --queue-frames must be positive");
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("emberkeep-floor: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("emberkeep-floor: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(cli: Cli) -> std::io::Result<()> {
    let listener = TcpListener::bind(cli.addr).await?;
    println!(
        "emberkeep-floor listening on ws://{}",
        listener.local_addr()?
    );
    let queues: Queues = Arc::default();
    let counters = Arc::new(Counters::default());
    let frame = frame_text(cli.frame_bytes);
    let period = Duration::from_secs_f64(1.0 / f64::from(cli.tick_rate));
    {
        let (queues, counters) = (queues.clone(), counters.clone());
        std::thread::spawn(move || tick_loop(period, &frame, &queues, &counters));
    }
    let accepting = {
        let (queues, counters) = (queues.clone(), counters.clone());
        let queue_frames = cli.queue_frames;
        async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let (queues, counters) = (queues.clone(), counters.clone());
                tokio::spawn(connection(stream, queue_frames, queues, counters));
            }
        }
    };
    let started = Instant::now();
    let stop = async {
        match cli.duration {
            Some(secs) => tokio::time::sleep(Duration::from_secs_f64(secs)).await,
            None => stop_signal().await,
        }
    };
    let log = async {
        let mut last = 0;
        loop {
            tokio::time::sleep(Duration::from_secs(5)).await;
            let frames = counters.frames.load(Ordering::Relaxed);
            println!(
                "floor: {} clients, {} frames/s, cpu {:.2} s",
                counters.clients.load(Ordering::Relaxed),
                (frames - last) / 5,
                cpu_secs().unwrap_or(0.0)
            );
            last = frames;
        }
    };
    tokio::select! {
        () = accepting => {}
        () = stop => {}
        () = log => {}
    }
    let cpu = cpu_secs().unwrap_or(0.0);
    let frames = counters.frames.load(Ordering::Relaxed);
    println!(
        "floor done: {:.0} s, {} frames ({} bytes) sent, {} slow clients dropped, cpu {:.2} s = {:.2} µs per frame",
        started.elapsed().as_secs_f64(),
        frames,
        counters.bytes.load(Ordering::Relaxed),
        counters.slow.load(Ordering::Relaxed),
        cpu,
        1e6 * cpu / frames.max(1) as f64
    );
    Ok(())
}

async fn stop_signal() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

/// A JSON array of one event, padded to `bytes` with a string field (41 bytes at least).
fn frame_text(bytes: usize) -> String {
    let head = r#"[{"type":"move","id":1,"x":2,"y":3,"p":""#;
    let tail = r#""}]"#;
    let pad = bytes.saturating_sub(head.len() + tail.len());
    format!("{head}{}{tail}", "x".repeat(pad))
}

/// The "world thread": every tick, one frame into every client's queue; never waits.
fn tick_loop(period: Duration, frame: &str, queues: &Queues, counters: &Counters) {
    let mut next = Instant::now() + period;
    loop {
        {
            let mut queues = queues.lock().unwrap_or_else(|e| e.into_inner());
            queues.retain(|q| match q.try_send(frame.to_string()) {
                Ok(()) => true,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    counters.slow.fetch_add(1, Ordering::Relaxed);
                    false
                }
                Err(mpsc::error::TrySendError::Closed(_)) => false,
            });
        }
        let now = Instant::now();
        if next > now {
            std::thread::sleep(next - now);
            next += period;
        } else {
            next = now + period;
        }
    }
}

/// One client: handshake, then a writer task sending whatever the tick queued and a reader
/// that waits for the close.
async fn connection(
    stream: tokio::net::TcpStream,
    queue_frames: usize,
    queues: Queues,
    counters: Arc<Counters>,
) {
    let _ = stream.set_nodelay(true);
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0)
        .max_message_size(Some(4096))
        .max_frame_size(Some(4096));
    let Ok(ws) = tokio_tungstenite::accept_async_with_config(stream, Some(config)).await else {
        return;
    };
    let (mut sink, mut stream) = ws.split();
    let (tx, mut rx) = mpsc::channel::<String>(queue_frames);
    queues.lock().unwrap_or_else(|e| e.into_inner()).push(tx);
    counters.clients.fetch_add(1, Ordering::Relaxed);
    let writer_counters = counters.clone();
    let mut writer = tokio::spawn(async move {
        while let Some(frame) = rx.recv().await {
            let len = frame.len() as u64;
            if sink.feed(Message::text(frame)).await.is_err() || sink.flush().await.is_err() {
                break;
            }
            writer_counters.frames.fetch_add(1, Ordering::Relaxed);
            writer_counters.bytes.fetch_add(len, Ordering::Relaxed);
        }
    });
    loop {
        tokio::select! {
            msg = stream.next() => match msg {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
            _ = &mut writer => break,
        }
    }
    writer.abort();
    counters.clients.fetch_sub(1, Ordering::Relaxed);
}

/// User plus system CPU time of this process, from `/proc/self/stat` (USER_HZ = 100).
fn cpu_secs() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields: Vec<&str> = stat[stat.rfind(')')? + 2..].split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}
