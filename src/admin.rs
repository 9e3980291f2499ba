//! The admin HTTP API under `/admin/`: requires `Authorization: Bearer <token>` with the
//! configured `server.admin_token` or the session token of an admin account; anything else
//! is 401 with nothing done. World actions go through the world thread like everything else;
//! bans go to storage and to the connection admission. docs/admin-api.md has a curl example
//! for each endpoint.

#![deny(clippy::arithmetic_side_effects)]

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use emberkeep_components::limits::sanction_minutes_problem;
use emberkeep_components::net::{AdminAction, AdminOutcome, AdminResult, WorldInput};
use emberkeep_components::protocol::Role;
use serde::Deserialize;
use serde_json::json;
use tracing::{info, warn};

use crate::net::Inbound;
use crate::net::policy::Admission;
use crate::stats::Stats;
use crate::storage::{AnyStore, BanRecord, BanTarget, now_secs};

/// What the admin API needs.
#[derive(Clone)]
pub struct AdminApi {
    pub inbound: crossbeam_channel::Sender<Inbound>,
    pub store: AnyStore,
    pub admission: Arc<Admission>,
    pub stats: Arc<Stats>,
    /// The configured token; `None` means only admin accounts' session tokens work.
    pub token: Option<String>,
    pub reloader: Arc<crate::reload::Reloader>,
    /// Ticks per second, reported by `/admin/stats`.
    pub tick_rate: u32,
    /// In a cluster: set to drain this process (`POST /admin/drain`).
    pub draining: Option<Arc<std::sync::atomic::AtomicBool>>,
}

/// The `/admin/...` routes.
pub fn router(api: AdminApi) -> Router {
    let api = Arc::new(api);
    Router::new()
        .route("/admin/players", get(players))
        .route("/admin/players/{name}", get(inspect))
        .route("/admin/stats", get(stats))
        .route("/admin/kick", post(kick))
        .route("/admin/ban", post(ban))
        .route("/admin/unban", post(unban))
        .route("/admin/mute", post(mute))
        .route("/admin/broadcast", post(broadcast))
        .route("/admin/teleport", post(teleport))
        .route("/admin/give", post(give))
        .route("/admin/spawn", post(spawn))
        .route("/admin/despawn", post(despawn))
        .route("/admin/reload", post(reload))
        .route("/admin/drain", post(drain))
        .route_layer(middleware::from_fn_with_state(api.clone(), authorize))
        .with_state(api)
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

/// A JSON request body; a body that is not JSON, lacks `Content-Type: application/json` or
/// does not fit the endpoint's fields gets a JSON `{"error": ...}` saying so (axum's own
/// rejections are plain text).
struct Body<T>(T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Response> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(body)) => Ok(Body(body)),
            Err(rejection) => Err(body_error(rejection)),
        }
    }
}

fn body_error(rejection: JsonRejection) -> Response {
    let message = match &rejection {
        JsonRejection::MissingJsonContentType(_) => {
            "send the body as JSON with the header Content-Type: application/json".to_string()
        }
        JsonRejection::JsonSyntaxError(_) => {
            format!("the body is not valid JSON: {}", rejection.body_text())
        }
        JsonRejection::JsonDataError(_) => format!(
            "the body does not fit this endpoint: {}",
            rejection.body_text()
        ),
        _ => format!("cannot read the body: {}", rejection.body_text()),
    };
    error(rejection.status(), message)
}

/// A refusal naming the sanction limit, if `minutes` is out of range.
fn minutes_problem(minutes: Option<u64>) -> Option<Response> {
    minutes
        .and_then(sanction_minutes_problem)
        .map(|m| error(StatusCode::BAD_REQUEST, m))
}

/// Lets a request through only with a valid bearer token.
async fn authorize(State(api): State<Arc<AdminApi>>, request: Request, next: Next) -> Response {
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let Some(token) = token else {
        return error(
            StatusCode::UNAUTHORIZED,
            "send Authorization: Bearer <admin token>",
        );
    };
    let ok = match &api.token {
        Some(t) if constant_time_eq(t.as_bytes(), token.as_bytes()) => true,
        _ => matches!(api.store.role_for_token(token).await, Ok(Some(Role::Admin))),
    };
    if !ok {
        warn!(path = %request.uri().path(), "admin API: refused a bad token");
        return error(StatusCode::UNAUTHORIZED, "that token is not an admin token");
    }
    info!(target: "emberkeep::audit", method = %request.method(), path = %request.uri().path(), "admin API request");
    next.run(request).await
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Why the world gave no answer to an admin action.
enum NoAnswer {
    Stopping,
    Silent,
}

/// Sends an action to the world and waits (on this HTTP task, never the world) for its result.
async fn ask_world(api: &AdminApi, action: AdminAction) -> Result<AdminResult, NoAnswer> {
    let (reply, answer) = tokio::sync::oneshot::channel();
    if !crate::net::conn::deliver(&api.inbound, Inbound::Admin { action, reply }).await {
        return Err(NoAnswer::Stopping);
    }
    match tokio::time::timeout(std::time::Duration::from_secs(10), answer).await {
        Ok(Ok(result)) => Ok(result),
        _ => Err(NoAnswer::Silent),
    }
}

/// Applies an action in the world and answers with its outcome as JSON, or why not.
async fn world(api: &AdminApi, action: AdminAction) -> Response {
    match ask_world(api, action).await {
        Ok(Ok(outcome)) => Json(render(outcome)).into_response(),
        Ok(Err(message)) => error(StatusCode::BAD_REQUEST, message),
        Err(NoAnswer::Stopping) => error(StatusCode::SERVICE_UNAVAILABLE, "the world is stopping"),
        Err(NoAnswer::Silent) => error(StatusCode::SERVICE_UNAVAILABLE, "the world did not answer"),
    }
}

/// An outcome as the API answers it (each endpoint's answer in docs/admin-api.md).
fn render(outcome: AdminOutcome) -> serde_json::Value {
    match outcome {
        AdminOutcome::Players(players) => json!({ "players": players }),
        AdminOutcome::Player(detail) => json!(detail),
        AdminOutcome::Kicked { name } => json!({ "kicked": name }),
        AdminOutcome::Closed { connections } => json!({ "closed": connections }),
        AdminOutcome::Muted { name, minutes } => json!({ "muted": name, "minutes": minutes }),
        AdminOutcome::Broadcast { recipients } => json!({ "sent_to": recipients }),
        AdminOutcome::Teleported { name, x, y } => json!({ "name": name, "x": x, "y": y }),
        AdminOutcome::Given { item_id } => json!({ "item_id": item_id }),
        AdminOutcome::Spawned { count } => json!({ "spawned": count }),
        AdminOutcome::Despawned { id } => json!({ "despawned": id }),
        AdminOutcome::Stats(stats) => json!(stats),
    }
}

async fn players(State(api): State<Arc<AdminApi>>) -> Response {
    world(&api, AdminAction::Players).await
}

async fn inspect(State(api): State<Arc<AdminApi>>, Path(name): Path<String>) -> Response {
    world(&api, AdminAction::Inspect { name }).await
}

/// The status figures, with the world's counts under `world` when the world answers.
async fn stats(State(api): State<Arc<AdminApi>>) -> Response {
    let world = match ask_world(&api, AdminAction::Stats).await {
        Err(NoAnswer::Stopping) => {
            return error(StatusCode::SERVICE_UNAVAILABLE, "the world is stopping");
        }
        Ok(Ok(outcome)) => Some(render(outcome)),
        Ok(Err(_)) | Err(NoAnswer::Silent) => None,
    };
    let mut status = crate::metrics::status_json(&api.stats, api.tick_rate);
    if let Some(world) = world {
        status["world"] = world;
    }
    Json(status).into_response()
}

fn default_reason() -> String {
    "by an administrator".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KickBody {
    name: String,
    #[serde(default = "default_reason")]
    reason: String,
}

async fn kick(State(api): State<Arc<AdminApi>>, Body(b): Body<KickBody>) -> Response {
    world(
        &api,
        AdminAction::Kick {
            name: b.name,
            reason: b.reason,
        },
    )
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BanBody {
    account: Option<String>,
    ip: Option<IpAddr>,
    /// Minutes; absent for a permanent ban.
    minutes: Option<u64>,
    #[serde(default = "default_reason")]
    reason: String,
}

async fn ban(State(api): State<Arc<AdminApi>>, Body(b): Body<BanBody>) -> Response {
    let target = match (&b.account, b.ip) {
        (Some(a), None) => BanTarget::Account(a.to_lowercase()),
        (None, Some(ip)) => BanTarget::Ip(ip.to_string()),
        _ => {
            return error(
                StatusCode::BAD_REQUEST,
                "give exactly one of \"account\" or \"ip\"",
            );
        }
    };
    if let Some(refusal) = minutes_problem(b.minutes) {
        return refusal;
    }
    // In range (at most ten years), so this cannot overflow; saturate all the same.
    let until = b
        .minutes
        .map(|m| now_secs().saturating_add(m.saturating_mul(60)));
    let record = BanRecord {
        target: target.clone(),
        reason: b.reason.clone(),
        until,
        by: "admin-api".into(),
    };
    if let Err(e) = api.store.put_ban(record.clone()).await {
        return error(StatusCode::SERVICE_UNAVAILABLE, format!("storage: {e}"));
    }
    api.admission.set_ban(record);
    info!(target: "emberkeep::audit", actor = "admin-api", action = "ban", target_name = %target.key(), minutes = ?b.minutes, reason = %b.reason, "staff action");
    let (account, ip) = match &target {
        BanTarget::Account(a) => (Some(a.clone()), None),
        BanTarget::Ip(ip) => (None, Some(ip.clone())),
    };
    world(
        &api,
        AdminAction::KickBanned {
            account,
            ip,
            reason: b.reason,
        },
    )
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UnbanBody {
    account: Option<String>,
    ip: Option<IpAddr>,
}

async fn unban(State(api): State<Arc<AdminApi>>, Body(b): Body<UnbanBody>) -> Response {
    let target = match (&b.account, b.ip) {
        (Some(a), None) => BanTarget::Account(a.to_lowercase()),
        (None, Some(ip)) => BanTarget::Ip(ip.to_string()),
        _ => {
            return error(
                StatusCode::BAD_REQUEST,
                "give exactly one of \"account\" or \"ip\"",
            );
        }
    };
    match api.store.delete_ban(target.clone()).await {
        Ok(found) => {
            if let Some(ip) = b.ip {
                api.admission.lift_ban(ip);
            }
            info!(target: "emberkeep::audit", actor = "admin-api", action = "unban", target_name = %target.key(), "staff action");
            Json(json!({ "lifted": found })).into_response()
        }
        Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, format!("storage: {e}")),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MuteBody {
    name: String,
    #[serde(default = "ten")]
    minutes: u64,
    #[serde(default = "default_reason")]
    reason: String,
}

fn ten() -> u64 {
    10
}

async fn mute(State(api): State<Arc<AdminApi>>, Body(b): Body<MuteBody>) -> Response {
    if let Some(refusal) = minutes_problem(Some(b.minutes)) {
        return refusal;
    }
    world(
        &api,
        AdminAction::Mute {
            name: b.name,
            minutes: b.minutes,
            reason: b.reason,
        },
    )
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BroadcastBody {
    text: String,
}

async fn broadcast(State(api): State<Arc<AdminApi>>, Body(b): Body<BroadcastBody>) -> Response {
    if b.text.trim().is_empty() || b.text.chars().count() > 500 {
        return error(StatusCode::BAD_REQUEST, "text must be 1 to 500 characters");
    }
    world(&api, AdminAction::Broadcast { text: b.text }).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TeleportBody {
    name: String,
    x: i32,
    y: i32,
}

async fn teleport(State(api): State<Arc<AdminApi>>, Body(b): Body<TeleportBody>) -> Response {
    world(
        &api,
        AdminAction::Teleport {
            name: b.name,
            x: b.x,
            y: b.y,
        },
    )
    .await
}

fn one() -> u32 {
    1
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GiveBody {
    name: String,
    item: String,
    #[serde(default = "one")]
    count: u32,
}

async fn give(State(api): State<Arc<AdminApi>>, Body(b): Body<GiveBody>) -> Response {
    world(
        &api,
        AdminAction::Give {
            name: b.name,
            item: b.item,
            count: b.count,
        },
    )
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SpawnBody {
    mob: String,
    x: i32,
    y: i32,
    #[serde(default = "one")]
    count: u32,
}

async fn spawn(State(api): State<Arc<AdminApi>>, Body(b): Body<SpawnBody>) -> Response {
    world(
        &api,
        AdminAction::Spawn {
            mob: b.mob,
            x: b.x,
            y: b.y,
            count: b.count,
        },
    )
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DespawnBody {
    id: u64,
}

async fn despawn(State(api): State<Arc<AdminApi>>, Body(b): Body<DespawnBody>) -> Response {
    world(&api, AdminAction::Despawn { id: b.id }).await
}

async fn reload(State(api): State<Arc<AdminApi>>) -> Response {
    match api.reloader.reload().await {
        Ok(()) => Json(json!({ "reloaded": true })).into_response(),
        Err(problems) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({ "reloaded": false, "problems": problems })),
        )
            .into_response(),
    }
}

/// `POST /admin/drain`: this process of a cluster takes no new logins and hands its
/// players to other processes hosting their maps (stop it afterwards with SIGTERM).
async fn drain(State(api): State<Arc<AdminApi>>) -> Response {
    let Some(flag) = &api.draining else {
        return error(
            StatusCode::CONFLICT,
            "this server is not part of a cluster (server.nats): there is nowhere to drain to",
        );
    };
    flag.store(true, std::sync::atomic::Ordering::Relaxed);
    let news = emberkeep_components::cluster::ClusterNews::Drain;
    let _ = (api.inbound).send(Inbound::World(WorldInput::Cluster(news)));
    Json(json!({ "draining": true })).into_response()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use emberkeep_components::content::EquipSlot;
    use emberkeep_components::net::{
        Belongings, HeldItem, PlayerDetail, PlayerSummary, WorldStats, WornItem,
    };

    use super::*;

    fn ann() -> PlayerSummary {
        PlayerSummary {
            id: Some(3),
            name: Some("Ann".into()),
            account: Some("ann".into()),
            level: Some(4),
            x: 80,
            y: 76,
            connected: true,
            addr: Some("127.0.0.1:51234".into()),
        }
    }

    #[test]
    fn outcomes_render_as_docs_admin_api_md_shows_them() {
        let ann_json = json!({"id": 3, "name": "Ann", "account": "ann", "level": 4, "x": 80,
            "y": 76, "connected": true, "addr": "127.0.0.1:51234"});
        assert_eq!(
            render(AdminOutcome::Players(vec![ann()])),
            json!({ "players": [ann_json] })
        );
        let carrying = Belongings {
            skills: BTreeMap::new(),
            inventory: vec![HeldItem {
                id: 9,
                item: "minor_health_potion".into(),
                count: 3,
            }],
            equipment: BTreeMap::from([(
                EquipSlot::Weapon,
                WornItem {
                    id: 7,
                    item: "rusty_sword".into(),
                },
            )]),
            gold: 35,
            bank: vec![HeldItem {
                id: 12,
                item: "rat_tail".into(),
                count: 4,
            }],
            bank_gold: 120,
        };
        let mut detail = PlayerDetail {
            player: ann(),
            summary: "Ann (ann), level 4".into(),
            belongings: Some(carrying),
        };
        let mut expected = ann_json.clone();
        expected["summary"] = json!("Ann (ann), level 4");
        expected["inventory"] = json!([{"id": 9, "item": "minor_health_potion", "count": 3}]);
        expected["equipment"] = json!({"weapon": {"id": 7, "item": "rusty_sword"}});
        expected["gold"] = json!(35);
        expected["bank"] = json!([{"id": 12, "item": "rat_tail", "count": 4}]);
        expected["bank_gold"] = json!(120);
        assert_eq!(
            render(AdminOutcome::Player(Box::new(detail.clone()))),
            expected
        );
        detail.belongings = None;
        let rendered = render(AdminOutcome::Player(Box::new(detail)));
        assert!(rendered.get("inventory").is_none() && rendered.get("equipment").is_none());
        let stats = WorldStats {
            tick: 40,
            entities: BTreeMap::from([("player".into(), 1), ("mob".into(), 5)]),
            regions: 12,
        };
        for (outcome, expected) in [
            (
                AdminOutcome::Stats(stats),
                json!({"tick": 40, "entities": {"player": 1, "mob": 5}, "regions": 12}),
            ),
            (
                AdminOutcome::Kicked { name: "Ann".into() },
                json!({"kicked": "Ann"}),
            ),
            (
                AdminOutcome::Closed { connections: 2 },
                json!({"closed": 2}),
            ),
            (
                AdminOutcome::Muted {
                    name: "Ann".into(),
                    minutes: 5,
                },
                json!({"muted": "Ann", "minutes": 5}),
            ),
            (
                AdminOutcome::Broadcast { recipients: 4 },
                json!({"sent_to": 4}),
            ),
            (
                AdminOutcome::Teleported {
                    name: "Ann".into(),
                    x: 80,
                    y: 80,
                },
                json!({"name": "Ann", "x": 80, "y": 80}),
            ),
            (AdminOutcome::Given { item_id: 11 }, json!({"item_id": 11})),
            (AdminOutcome::Spawned { count: 2 }, json!({"spawned": 2})),
            (AdminOutcome::Despawned { id: 42 }, json!({"despawned": 42})),
        ] {
            assert_eq!(render(outcome), expected);
        }
    }
}
