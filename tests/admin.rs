//! The admin HTTP API and live content reload, against a real server and real clients.

mod common;

use std::net::SocketAddr;

use common::{Client, Ended, WAIT, greeted, login, register, start, start_with_mobs};
use emberkeep::storage::{SqliteStore, Store};
use emberkeep_components::protocol::{ClientMsg, EntityKind, ErrorCode, Role, ServerEvent};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const TOKEN: &str = "test-admin-token";

/// One HTTP/1.1 request; returns the status and the JSON body.
async fn call(
    http: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> (u16, serde_json::Value) {
    let mut headers = vec!["Content-Type: application/json".to_string()];
    headers.extend(token.map(|t| format!("Authorization: Bearer {t}")));
    call_with(http, method, path, &headers, body).await
}

/// One HTTP/1.1 request with exactly these extra header lines.
async fn call_with(
    http: SocketAddr,
    method: &str,
    path: &str,
    headers: &[String],
    body: &str,
) -> (u16, serde_json::Value) {
    let headers: String = headers.iter().map(|h| format!("{h}\r\n")).collect();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {http}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let io = async {
        let mut s = tokio::net::TcpStream::connect(http).await.unwrap();
        s.write_all(req.as_bytes()).await.unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).await.unwrap();
        raw
    };
    let raw = tokio::time::timeout(WAIT, io)
        .await
        .expect("an HTTP answer");
    let text = String::from_utf8_lossy(&raw).to_string();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    (
        status,
        serde_json::from_str(body).unwrap_or(serde_json::Value::Null),
    )
}

fn http_of(server: &common::TestServer) -> SocketAddr {
    server.handle.as_ref().unwrap().http_addr()
}

#[tokio::test]
async fn without_a_valid_token_nothing_happens() {
    let server = start(&[], |c| c.server.admin_token = Some(TOKEN.into())).await;
    let http = http_of(&server);
    let mut ann = Client::join(server.addr, "Ann").await;
    for token in [None, Some("wrong"), Some("")] {
        let (status, body) = call(http, "POST", "/admin/kick", token, r#"{"name":"Ann"}"#).await;
        assert_eq!(status, 401, "{body}");
        assert!(body["error"].as_str().is_some());
    }
    let (status, _) = call(http, "GET", "/admin/players", Some("nope"), "").await;
    assert_eq!(status, 401);
    ann.step(1, 2).await; // still connected
    server.shutdown().await;
}

#[tokio::test]
async fn world_actions_reach_the_players() {
    let server = start_with_mobs(&[], &[], |c| c.server.admin_token = Some(TOKEN.into())).await;
    let http = http_of(&server);
    let mut ann = Client::join(server.addr, "Ann").await;
    let mut bob = Client::join(server.addr, "Bob").await;
    let t = Some(TOKEN);

    let (status, list) = call(http, "GET", "/admin/players", t, "").await;
    assert_eq!(status, 200);
    let names: Vec<&str> = list["players"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(names, vec!["Ann", "Bob"]);

    let (status, _) = call(
        http,
        "POST",
        "/admin/broadcast",
        t,
        r#"{"text":"maintenance soon"}"#,
    )
    .await;
    assert_eq!(status, 200);
    ann.wait_for(
        "broadcast",
        |e| matches!(e, ServerEvent::Announcement { text } if text == "maintenance soon"),
    )
    .await;

    let (status, _) = call(
        http,
        "POST",
        "/admin/teleport",
        t,
        r#"{"name":"Ann","x":3,"y":2}"#,
    )
    .await;
    assert_eq!(status, 200);
    let id = ann.id;
    ann.wait_for("own move", |e| *e == ServerEvent::Move { id, x: 3, y: 2 })
        .await;

    let (status, body) = call(
        http,
        "POST",
        "/admin/give",
        t,
        r#"{"name":"Ann","item":"potion","count":2}"#,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    ann.wait_for("potion", |e| matches!(e, ServerEvent::Inventory { items, .. } if items.iter().any(|i| i.item == "potion" && i.count == 2))).await;

    let (status, body) = call(
        http,
        "POST",
        "/admin/spawn",
        t,
        r#"{"mob":"rat","x":4,"y":2,"count":1}"#,
    )
    .await;
    assert_eq!((status, body["spawned"].as_u64()), (200, Some(1)));
    let rat = match ann
        .wait_for("the rat", |e| {
            matches!(
                e,
                ServerEvent::Spawn {
                    kind: EntityKind::Mob,
                    ..
                }
            )
        })
        .await
    {
        ServerEvent::Spawn { id, .. } => id,
        _ => unreachable!(),
    };
    let (status, _) = call(
        http,
        "POST",
        "/admin/despawn",
        t,
        &format!(r#"{{"id":{rat}}}"#),
    )
    .await;
    assert_eq!(status, 200);
    ann.wait_for("rat despawn", |e| *e == ServerEvent::Despawn { id: rat })
        .await;

    let (status, _) = call(
        http,
        "POST",
        "/admin/mute",
        t,
        r#"{"name":"Bob","minutes":5,"reason":"shouting"}"#,
    )
    .await;
    assert_eq!(status, 200);
    bob.send(&ClientMsg::Say {
        text: "HELLO".into(),
    })
    .await;
    assert_eq!(bob.expect_error().await, ErrorCode::Muted);

    let (status, body) = call(http, "GET", "/admin/players/Ann", t, "").await;
    assert_eq!(status, 200);
    assert!(
        body["summary"].as_str().unwrap().contains("at (3, 2)"),
        "{body}"
    );
    // What the character carries, its purse and its bank are all in the answer.
    assert_eq!(body["inventory"][0]["item"], "potion", "{body}");
    assert_eq!(body["inventory"][0]["count"], 2, "{body}");
    assert_eq!(
        (body["gold"].as_u64(), body["bank_gold"].as_u64()),
        (Some(0), Some(0)),
        "{body}"
    );
    assert_eq!(body["bank"].as_array().map(Vec::len), Some(0), "{body}");
    let (status, body) = call(http, "GET", "/admin/stats", t, "").await;
    assert_eq!(
        (status, body["world"]["entities"]["player"].as_u64()),
        (200, Some(2)),
        "{body}"
    );

    // Bad requests say why and change nothing.
    for (path, body) in [
        ("/admin/teleport", r#"{"name":"Nobody","x":1,"y":1}"#),
        ("/admin/teleport", r#"{"name":"Ann","x":-5,"y":1}"#),
        ("/admin/give", r#"{"name":"Ann","item":"excalibur"}"#),
        ("/admin/spawn", r#"{"mob":"dragon","x":1,"y":1}"#),
    ] {
        let (status, answer) = call(http, "POST", path, t, body).await;
        assert_eq!(status, 400, "{path} {body}: {answer}");
        assert!(answer["error"].as_str().is_some_and(|m| !m.is_empty()));
    }
    let (status, _) = call(
        http,
        "POST",
        "/admin/kick",
        t,
        r#"{"name":"Bob","reason":"enough"}"#,
    )
    .await;
    assert_eq!(status, 200);
    match bob.expect_end().await {
        Ended::Closed(Some(f)) => assert!(f.reason.contains("kicked: enough"), "{}", f.reason),
        other => panic!("{other:?}"),
    }
    server.shutdown().await;
}

#[tokio::test]
async fn bans_through_the_api_refuse_logins_and_addresses_and_an_admin_account_may_call_it() {
    let server = start(&[], |c| c.server.admin_token = None).await;
    let http = http_of(&server);
    // Without a configured token, an admin account's session token is the key.
    let mut admin = greeted(server.addr).await;
    admin.auth(register("boss", "password123")).await.unwrap();
    SqliteStore::open(&server.dir().join("emberkeep.db"))
        .unwrap()
        .set_role("boss".into(), Role::Admin)
        .await
        .unwrap();
    let mut again = greeted(server.addr).await;
    let token = again.auth(login("boss", "password123")).await.unwrap();
    let mut victim = greeted(server.addr).await;
    let victim_token = victim.auth(register("vic", "password123")).await.unwrap();
    let (status, _) = call(http, "GET", "/admin/players", Some(&victim_token), "").await;
    assert_eq!(status, 401, "a player's token is not an admin token");

    let (status, body) = call(
        http,
        "POST",
        "/admin/ban",
        Some(&token),
        r#"{"account":"vic","minutes":60,"reason":"cheating"}"#,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    match victim.expect_end().await {
        Ended::Closed(Some(f)) => assert_eq!(f.reason, "banned: cheating"),
        other => panic!("{other:?}"),
    }
    let mut retry = greeted(server.addr).await;
    assert_eq!(
        retry.auth(login("vic", "password123")).await,
        Err(ErrorCode::Banned)
    );
    let (status, body) = call(
        http,
        "POST",
        "/admin/unban",
        Some(&token),
        r#"{"account":"vic"}"#,
    )
    .await;
    assert_eq!((status, body["lifted"].as_bool()), (200, Some(true)));
    retry
        .auth(login("vic", "password123"))
        .await
        .expect("unbanned");

    let (status, body) = call(
        http,
        "POST",
        "/admin/ban",
        Some(&token),
        r#"{"account":"x","ip":"10.0.0.1"}"#,
    )
    .await;
    assert_eq!(status, 400, "{body}");
    server.shutdown().await;
}

fn rat_hp(text: &str, hp: i32) -> String {
    text.replace("hp = 20", &format!("hp = {hp}"))
}

#[tokio::test]
async fn a_content_edit_is_reloaded_live_and_a_broken_one_changes_nothing() {
    let server = start(&[], |c| {
        c.server.admin_token = Some(TOKEN.into());
        c.server.watch_assets = true;
    })
    .await;
    let http = http_of(&server);
    let mut ann = Client::join(server.addr, "Ann").await;
    let mobs = server.dir().join("mobs.toml");
    let original = std::fs::read_to_string(&mobs).unwrap();

    // A good edit, picked up by the watcher: the next rat spawned has the new hp.
    std::fs::write(&mobs, rat_hp(&original, 35)).unwrap();
    let deadline = tokio::time::Instant::now() + WAIT;
    while common::stat(&server, |s| &s.reloads) == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the watcher never reloaded"
        );
        ann.sync().await;
    }
    call(
        http,
        "POST",
        "/admin/spawn",
        Some(TOKEN),
        r#"{"mob":"rat","x":2,"y":1}"#,
    )
    .await;
    let hp = |e: &ServerEvent| match e {
        ServerEvent::Spawn {
            kind: EntityKind::Mob,
            max_hp,
            ..
        } => *max_hp,
        _ => None,
    };
    let spawned = ann.wait_for("a rat", |e| hp(e).is_some()).await;
    assert_eq!(hp(&spawned), Some(35));

    // A broken edit: refused with the reason, nothing changes, the client stays connected.
    std::fs::write(&mobs, original.replace("hp = 20", "hp = -3")).unwrap();
    let (status, body) = call(http, "POST", "/admin/reload", Some(TOKEN), "").await;
    assert_eq!(status, 422, "{body}");
    let problems = body["problems"].to_string();
    assert!(
        problems.contains("mobs.toml") && problems.contains("[rat]") && problems.contains("hp"),
        "{problems}"
    );
    call(
        http,
        "POST",
        "/admin/spawn",
        Some(TOKEN),
        r#"{"mob":"rat","x":3,"y":1}"#,
    )
    .await;
    let spawned = ann
        .wait_for("another rat", |e| {
            matches!(
                e,
                ServerEvent::Spawn {
                    kind: EntityKind::Mob,
                    x: 3,
                    ..
                }
            )
        })
        .await;
    assert_eq!(hp(&spawned), Some(35), "the last good content stays");
    assert!(common::stat(&server, |s| &s.reload_failures) >= 1);
    ann.step(1, 2).await;
    server.shutdown().await;
}

#[tokio::test]
async fn a_huge_ban_duration_is_refused_not_a_panic() {
    let server = start(&[], |c| c.server.admin_token = Some(TOKEN.into())).await;
    let http = http_of(&server);
    let t = Some(TOKEN);
    for (path, body) in [
        (
            "/admin/ban",
            r#"{"account":"ann","minutes":9223372036854775807}"#,
        ),
        ("/admin/ban", r#"{"ip":"10.0.0.1","minutes":0}"#),
        (
            "/admin/mute",
            r#"{"name":"Ann","minutes":18446744073709551615}"#,
        ),
    ] {
        let (status, reply) = call(http, "POST", path, t, body).await;
        assert_eq!(status, 400, "{path} {body}: {reply}");
        let message = reply["error"].as_str().unwrap_or_default();
        assert!(message.contains("5256000"), "names the limit: {message}");
    }
    // Nothing was stored, and the API still answers.
    let bans = SqliteStore::open(&server.dir().join("emberkeep.db"))
        .unwrap()
        .bans()
        .await
        .unwrap();
    assert!(bans.is_empty(), "{bans:?}");
    let (status, _) = call(http, "GET", "/admin/players", t, "").await;
    assert_eq!(status, 200);
    server.shutdown().await;
}

#[tokio::test]
async fn a_wrong_or_missing_content_type_gets_a_json_error() {
    let server = start(&[], |c| c.server.admin_token = Some(TOKEN.into())).await;
    let http = http_of(&server);
    let auth = format!("Authorization: Bearer {TOKEN}");
    let json = "Content-Type: application/json".to_string();
    let form = "Content-Type: application/x-www-form-urlencoded".to_string();
    let cases: [(&[String], &str, u16, &str); 4] = [
        (
            &[auth.clone(), form],
            r#"{"text":"hi"}"#,
            415,
            "Content-Type: application/json",
        ),
        (
            std::slice::from_ref(&auth),
            r#"{"text":"hi"}"#,
            415,
            "Content-Type: application/json",
        ),
        (
            &[auth.clone(), json.clone()],
            "{not json",
            400,
            "not valid JSON",
        ),
        (
            &[auth.clone(), json.clone()],
            r#"{"txt":"hi"}"#,
            422,
            "does not fit",
        ),
    ];
    for (headers, body, want, says) in cases {
        let (status, reply) = call_with(http, "POST", "/admin/broadcast", headers, body).await;
        assert_eq!(status, want, "{headers:?} {body}: {reply}");
        let message = reply["error"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{body}: {reply}");
    }
    server.shutdown().await;
}

/// Splits a shell command line into words, honouring single and double quotes.
fn shell_words(line: &str) -> Vec<String> {
    let (mut words, mut word, mut quote, mut started) = (Vec::new(), String::new(), None, false);
    for c in line.chars() {
        match (quote, c) {
            (None, '\'' | '"') => (quote, started) = (Some(c), true),
            (Some(q), c) if c == q => quote = None,
            (None, c) if c.is_whitespace() => {
                if started {
                    words.push(std::mem::take(&mut word));
                }
                started = false;
            }
            (_, c) => {
                word.push(c);
                started = true;
            }
        }
    }
    if started {
        words.push(word);
    }
    words
}

/// Every `curl` example of the admin API in docs/admin-api.md, sent the way curl sends it
/// (`-d` means POST with a form content type unless `-H` sets another), is accepted: the
/// answer is JSON and never a complaint about the body or its type.
#[tokio::test]
async fn admin_api_doc_examples_work() {
    let server = start(&[], |c| c.server.admin_token = Some(TOKEN.into())).await;
    let http = http_of(&server);
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/admin-api.md")).unwrap();
    let mut tried = 0;
    for line in doc
        .lines()
        .filter(|l| l.starts_with("curl ") && l.contains("/admin/"))
    {
        let words = shell_words(&line.replace("$T", TOKEN));
        let (mut method, mut headers, mut body, mut url) = ("GET", Vec::new(), None, "");
        let mut args = words.iter().skip(1).map(String::as_str);
        while let Some(arg) = args.next() {
            match arg {
                "-s" => {}
                "-X" => method = args.next().expect("a method"),
                "-H" => headers.push(args.next().expect("a header").to_string()),
                "-d" => body = args.next(),
                w if w.starts_with("http://") => url = w,
                other => panic!("the test does not know curl's {other} in {line}"),
            }
        }
        if body.is_some() {
            if method == "GET" {
                method = "POST";
            }
            if !headers
                .iter()
                .any(|h| h.to_lowercase().starts_with("content-type:"))
            {
                headers.push("Content-Type: application/x-www-form-urlencoded".into());
            }
        }
        let path = &url[url.find("/admin/").expect("an admin URL")..];
        let (status, reply) = call_with(http, method, path, &headers, body.unwrap_or("")).await;
        // Draining needs a cluster (this server runs alone): it says so with 409; the
        // example itself runs in tests/cluster.rs.
        let alone = path == "/admin/drain" && status == 409;
        assert!(
            ([200, 400, 422].contains(&status) || alone) && reply.is_object(),
            "{line}: {status} {reply}"
        );
        let message = reply["error"].as_str().unwrap_or_default();
        assert!(
            !message.contains("Content-Type") && !message.contains("body"),
            "{line}: {reply}"
        );
        tried += 1;
    }
    assert!(tried >= 14, "only {tried} examples found");
    server.shutdown().await;
}

#[tokio::test]
async fn admin_stats_report_the_real_tick_rate() {
    let server = start(&[], |c| {
        c.server.admin_token = Some(TOKEN.into());
        c.world.tick_rate = 25;
    })
    .await;
    let (status, body) = call(http_of(&server), "GET", "/admin/stats", Some(TOKEN), "").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["tick_rate"], 25, "{body}");
    server.shutdown().await;
}

/// Locale files are content: an edit is reloaded live, and a broken one (a placeholder the
/// text does not have) is refused while the last good texts stay.
#[tokio::test]
async fn a_locale_edit_is_reloaded_live_and_a_broken_one_keeps_the_last_good_texts() {
    let server = start(&[], |c| c.server.admin_token = Some(TOKEN.into())).await;
    let http = http_of(&server);
    let mut ann = Client::join(server.addr, "Ann").await;
    let en = server.dir().join("locales/en.toml");
    let original = std::fs::read_to_string(&en).unwrap();
    let edited = original.replace(
        "unknown = \"unknown command {command}; type help for the list\"",
        "unknown = \"no such command: {command} (try help)\"",
    );
    assert_ne!(
        edited, original,
        "the key's English text moved; update this test"
    );
    std::fs::write(&en, &edited).unwrap();
    let (status, body) = call(http, "POST", "/admin/reload", Some(TOKEN), "").await;
    assert_eq!(
        (status, body["reloaded"].as_bool()),
        (200, Some(true)),
        "{body}"
    );
    let (code, message) = unknown_command(&mut ann, "frobnicate").await;
    assert_eq!(code, ErrorCode::UnknownCommand);
    assert_eq!(message, "no such command: \"frobnicate\" (try help)");

    let broken = edited.replace("{command} (try help)", "{commandd} (try help)");
    std::fs::write(&en, broken).unwrap();
    let (status, body) = call(http, "POST", "/admin/reload", Some(TOKEN), "").await;
    assert_eq!(
        (status, body["reloaded"].as_bool()),
        (422, Some(false)),
        "{body}"
    );
    assert!(body.to_string().contains("commandd"), "{body}");
    // (Another word: the same line repeated at once would be dropped as a duplicate.)
    let (_, message) = unknown_command(&mut ann, "fizzle").await;
    assert_eq!(message, "no such command: \"fizzle\" (try help)");
    server.shutdown().await;
}

/// Sends `word`, an unknown text command; returns the error's code and message.
async fn unknown_command(c: &mut Client, word: &str) -> (ErrorCode, String) {
    c.send(&ClientMsg::Command { line: word.into() }).await;
    match c
        .wait_for("an error", |e| matches!(e, ServerEvent::Error { .. }))
        .await
    {
        ServerEvent::Error { code, message, .. } => (code, message),
        _ => unreachable!(),
    }
}
