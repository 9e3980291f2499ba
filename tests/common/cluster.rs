//! Real parts for the cluster tests (issue 20): a `nats-server` on a free loopback port,
//! started and stopped by PID, and servers joined into a cluster on the MongoDB-compatible
//! server of `MONGODB_URI` (both provided by scripts/test.sh).

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use emberkeep::Config;

use super::{TestServer, WAIT};

/// The `nats-server` binary: `NATS_SERVER_BIN`, else `nats-server` on the PATH or in
/// /usr/sbin (where Debian's package puts it).
pub fn nats_binary() -> Option<String> {
    if let Ok(bin) = std::env::var("NATS_SERVER_BIN") {
        return Some(bin);
    }
    let path = std::env::var("PATH").unwrap_or_default();
    (path.split(':').chain(["/usr/sbin", "/usr/bin"]))
        .map(|d| format!("{d}/nats-server"))
        .find(|p| std::path::Path::new(p).is_file())
}

/// What a cluster test needs, or `None` (with a line saying the test did not run).
pub fn parts(test: &str) -> Option<(String, String)> {
    let (Ok(mongo), Some(nats)) = (std::env::var("MONGODB_URI"), nats_binary()) else {
        eprintln!(
            "{test}: MONGODB_URI or nats-server is missing: this cluster test DID NOT RUN (scripts/test.sh provides both)"
        );
        return None;
    };
    Some((mongo, nats))
}

/// A fresh database on the MongoDB-compatible server, for one test.
pub fn fresh_db(mongo: &str, test: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let secs = emberkeep::storage::now_secs();
    let db = format!("ek_{test}_{}_{secs}_{n}", std::process::id());
    format!("{}/{db}", mongo.trim_end_matches('/'))
}

/// A free loopback port (bound and released).
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// A NATS server for one test, with a subject prefix of its own: the shared one of
/// `NATS_URL` (scripts/test.sh starts it), or a `nats-server` this test started, stopped
/// (by its PID) when dropped.
pub struct Nats {
    bin: String,
    url: String,
    pub port: u16,
    /// The test's own subject prefix (`cluster.subject_prefix`).
    pub prefix: String,
    child: Option<Child>,
}

fn unique_prefix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "ekt{}x{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

impl Nats {
    /// A server of this test's own (for a test that stops and restarts it).
    pub async fn start(bin: &str) -> Nats {
        let port = free_port();
        let mut n = Nats {
            bin: bin.to_string(),
            url: format!("nats://127.0.0.1:{port}"),
            port,
            prefix: unique_prefix(),
            child: None,
        };
        n.up().await;
        n
    }

    /// A server of this test's own, not started yet (its port is chosen): `up` starts it.
    pub fn not_yet(bin: &str) -> Nats {
        let port = free_port();
        Nats {
            bin: bin.to_string(),
            url: format!("nats://127.0.0.1:{port}"),
            port,
            prefix: unique_prefix(),
            child: None,
        }
    }

    /// The shared server of `NATS_URL` if there is one, else one of this test's own.
    pub async fn shared(bin: &str) -> Nats {
        match std::env::var("NATS_URL") {
            Ok(url) => Nats {
                bin: bin.to_string(),
                port: url
                    .rsplit(':')
                    .next()
                    .and_then(|p| p.parse().ok())
                    .unwrap_or(0),
                url,
                prefix: unique_prefix(),
                child: None,
            },
            Err(_) => Nats::start(bin).await,
        }
    }

    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// Starts it (again) on its port and waits until it takes connections.
    pub async fn up(&mut self) {
        let child = Command::new(&self.bin)
            .args(["-a", "127.0.0.1", "-p", &self.port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server starts");
        self.child = Some(child);
        let addr: SocketAddr = format!("127.0.0.1:{}", self.port).parse().unwrap();
        tokio::time::timeout(WAIT, async {
            while tokio::net::TcpStream::connect(addr).await.is_err() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .expect("nats-server takes connections");
    }

    /// Kills it (SIGKILL) and waits for it to be gone.
    pub fn down(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        self.down();
    }
}

/// Makes `c` a process called `name` of a fast cluster on `nats` and `db`, hosting `maps`:
/// heartbeats every 0.1 s, peers gone after 0.6 s, leases of 2 s.
pub fn join(c: &mut Config, name: &str, maps: &[&str], nats: &Nats, db: &str) {
    c.server.database = db.to_string();
    c.server.nats = Some(nats.url());
    c.cluster.subject_prefix = nats.prefix.clone();
    c.cluster.name = Some(name.to_string());
    c.world.maps = maps.iter().map(|m| m.to_string()).collect();
    c.cluster.heartbeat_secs = 0.1;
    c.cluster.peer_timeout_secs = 0.6;
    c.cluster.lease_secs = 2.0;
    c.cluster.handoff_secs = 5.0;
    c.cluster.drain_secs = 5.0;
}

/// `/cluster.json` of a server.
pub async fn cluster_json(s: &TestServer) -> serde_json::Value {
    let addr = s.handle.as_ref().unwrap().http_addr();
    let r = super::http::get(addr, "/cluster.json").await;
    serde_json::from_str(&r.text()).unwrap()
}

/// Waits until every server lists `n` live processes.
pub async fn until_joined(servers: &[&TestServer], n: usize) {
    tokio::time::timeout(WAIT, async {
        loop {
            let mut all = true;
            for s in servers {
                let v = cluster_json(s).await;
                all &= v["processes"].as_array().map_or(0, |p| p.len()) == n;
            }
            if all {
                return;
            }
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the processes did not all see {n} processes"));
}
