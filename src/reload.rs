//! Live content reload: the assets folder is watched (debounced); a change is parsed and
//! validated here, off the world thread, and the new content is swapped in at the next tick
//! boundary. A broken edit keeps the last good content and logs exactly what is wrong. Mob
//! templates apply to mobs as they (re)spawn; the map itself is not reloaded (restart for that).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use emberkeep_components::net::WorldInput;
use notify::{RecursiveMode, Watcher};
use tracing::{error, info, warn};

use crate::net::Inbound;
use crate::stats::Stats;

/// How long the folder must be quiet before a change is reloaded.
pub const DEBOUNCE: Duration = Duration::from_millis(300);

/// Validates the assets and, if they are good, hands the new content to the world.
/// Returns every problem otherwise.
pub async fn reload(
    assets: &Path,
    map: &str,
    inbound: &crossbeam_channel::Sender<Inbound>,
    stats: &Stats,
) -> Result<(), Vec<String>> {
    let (dir, map_name) = (assets.to_owned(), map.to_string());
    let loaded = tokio::task::spawn_blocking(move || crate::assets::load_assets(&dir, &map_name))
        .await
        .map_err(|e| vec![format!("the loader failed: {e}")])?;
    match loaded {
        Ok(a) => {
            for warning in &a.warnings {
                warn!(%warning, "asset warning");
            }
            let reload = Inbound::World(WorldInput::Reload(Arc::new(a.content)));
            if !crate::net::conn::deliver(inbound, reload).await {
                return Err(vec!["the world is stopping".into()]);
            }
            Stats::add(&stats.reloads, 1);
            info!(assets = %assets.display(), "content reloaded");
            Ok(())
        }
        Err(e) => {
            Stats::add(&stats.reload_failures, 1);
            let problems: Vec<String> = e.problems.iter().map(|p| p.to_string()).collect();
            error!(problems = %problems.join("; "), "content reload refused; keeping the last good content");
            Err(problems)
        }
    }
}

/// Watches `assets` and reloads after each burst of changes, until the task is dropped.
pub async fn watch(
    assets: PathBuf,
    map: String,
    inbound: crossbeam_channel::Sender<Inbound>,
    stats: Arc<Stats>,
) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut watcher =
        match notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            if let Ok(e) = event
                && (e.kind.is_modify() || e.kind.is_create() || e.kind.is_remove())
            {
                let _ = tx.send(());
            }
        }) {
            Ok(w) => w,
            Err(e) => {
                return warn!(error = %e, "cannot watch the assets folder; live reload is off");
            }
        };
    if let Err(e) = watcher.watch(&assets, RecursiveMode::Recursive) {
        return warn!(error = %e, assets = %assets.display(), "cannot watch the assets folder; live reload is off");
    }
    info!(assets = %assets.display(), "watching assets for changes");
    while rx.recv().await.is_some() {
        // Debounce: wait until the folder has been quiet for a moment.
        while let Ok(Some(())) = tokio::time::timeout(DEBOUNCE, rx.recv()).await {}
        let _ = reload(&assets, &map, &inbound, &stats).await;
    }
}
