//! Live content reload: the assets folder is watched (debounced); a change is parsed and
//! validated here, off the world thread, and the new content is swapped in at the next tick
//! boundary. A broken edit keeps the last good content and logs exactly what is wrong. Mob
//! templates apply to mobs as they (re)spawn; the maps are not reloaded (restart for that: the
//! atlas layout, its collision, doors and spawn areas are built at start). Edited maps are
//! still validated, and a change is logged as needing a restart.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use notify::{RecursiveMode, Watcher};
use tracing::{error, info, warn};

use crate::net::{Inbound, NetTexts};
use crate::stats::Stats;

/// How long the folder must be quiet before a change is reloaded.
pub const DEBOUNCE: Duration = Duration::from_millis(300);

/// What a reload needs: where the assets are, where the new content goes.
pub struct Reloader {
    pub assets: PathBuf,
    pub map: String,
    /// `world.region_size`: the maps are placed with it.
    pub region_size: i32,
    /// The maps the world was built with; maps are not reloaded (a change needs a restart).
    pub maps: emberkeep_components::atlas::Maps,
    pub inbound: crossbeam_channel::Sender<Inbound>,
    pub stats: Arc<Stats>,
    /// The network side's copy of the locale files, replaced with the world's.
    pub texts: Arc<NetTexts>,
    /// The item catalog `/content/items.json` serves, rebuilt from the new content.
    pub catalog: Arc<crate::catalog::ItemCatalog>,
}

impl Reloader {
    /// Validates the assets and, if they are good, hands the new content to the world (its
    /// locale files to the network side, its items to the catalog). Returns every problem otherwise.
    pub async fn reload(&self) -> Result<(), Vec<String>> {
        let (dir, map_name, size) = (self.assets.clone(), self.map.clone(), self.region_size);
        // The fingerprint names what was loaded in a replay log (read right after the load: an
        // edit between the two makes a replay refuse the reload, never use other content).
        let (loaded, fingerprint) = tokio::task::spawn_blocking(move || {
            let loaded = crate::assets::load_assets(&dir, &map_name, size);
            let fingerprint =
                crate::replay::fingerprint(&dir).unwrap_or_else(|e| format!("unreadable ({e})"));
            (loaded, fingerprint)
        })
        .await
        .map_err(|e| vec![format!("the loader failed: {e}")])?;
        match loaded {
            Ok(a) => {
                for warning in &a.warnings {
                    warn!(%warning, "asset warning");
                }
                if a.maps != self.maps {
                    warn!(
                        assets = %self.assets.display(),
                        "the maps changed on disk; the world keeps the maps it started with until a restart"
                    );
                }
                self.texts.replace(a.content.locales.clone());
                self.catalog.replace(&a.content);
                let reload = Inbound::Reload {
                    content: Arc::new(a.content),
                    fingerprint,
                };
                if !crate::net::conn::deliver(&self.inbound, reload).await {
                    return Err(vec!["the world is stopping".into()]);
                }
                Stats::add(&self.stats.reloads, 1);
                info!(assets = %self.assets.display(), "content reloaded");
                Ok(())
            }
            Err(e) => {
                Stats::add(&self.stats.reload_failures, 1);
                let problems: Vec<String> = e.problems.iter().map(|p| p.to_string()).collect();
                error!(problems = %problems.join("; "), "content reload refused; keeping the last good content");
                Err(problems)
            }
        }
    }

    /// Watches the assets folder and reloads after each burst of changes, until the task is
    /// dropped.
    pub async fn watch(self: Arc<Self>) {
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
        let assets = &self.assets;
        if let Err(e) = watcher.watch(assets, RecursiveMode::Recursive) {
            return warn!(error = %e, assets = %assets.display(), "cannot watch the assets folder; live reload is off");
        }
        info!(assets = %assets.display(), "watching assets for changes");
        while rx.recv().await.is_some() {
            // Debounce: wait until the folder has been quiet for a moment.
            while let Ok(Some(())) = tokio::time::timeout(DEBOUNCE, rx.recv()).await {}
            let _ = self.reload().await;
        }
    }
}
