//! The item catalog (`GET /content/items.json`) against a real server: the loaded items with
//! their stats, an `ETag` answered with `304`, and a content reload that shows in the next
//! fetch. Requests are plain HTTP/1.1 written on a TCP socket.

mod common;

use common::http::{Response, get, request};

const TOKEN: &str = "test-admin-token";

async fn fetch(http: std::net::SocketAddr, etag: Option<&str>) -> Response {
    let condition = etag
        .map(|t| format!("If-None-Match: {t}\r\n"))
        .unwrap_or_default();
    request(
        http,
        &format!("GET /content/items.json HTTP/1.1\r\nHost: {http}\r\n{condition}"),
    )
    .await
}

fn json(answer: &Response) -> serde_json::Value {
    serde_json::from_slice(&answer.body)
        .unwrap_or_else(|e| panic!("items.json is not JSON ({e}): {}", answer.text()))
}

#[tokio::test]
async fn the_catalog_lists_items_answers_304_and_follows_a_reload() {
    let server = common::start(&[], |c| c.server.admin_token = Some(TOKEN.into())).await;
    let http = server.handle.as_ref().expect("running").http_addr();

    let first = get(http, "/content/items.json").await;
    assert_eq!(first.status, 200);
    assert_eq!(first.header("content-type"), Some("application/json"));
    assert_eq!(first.header("cache-control"), Some("no-cache"));
    let items = json(&first);
    assert_eq!(
        items["items"]["dagger"],
        serde_json::json!({
            "name": "Dagger", "kind": "weapon", "slot": "weapon",
            "modifiers": {"attack": 4}, "percent": {}, "heal": 0, "mana": 0,
            "effect": null, "description": "", "max_stack": 1, "usable": false
        })
    );
    assert_eq!(items["items"]["potion"]["heal"], 20);
    assert_eq!(items["items"]["potion"]["slot"], serde_json::Value::Null);
    assert_eq!(items["items"]["potion"]["max_stack"], 5);
    assert_eq!(items["items"]["potion"]["usable"], true);

    let tag = first.header("etag").expect("an ETag").to_string();
    let again = fetch(http, Some(&tag)).await;
    assert_eq!(again.status, 304, "unchanged: not modified");
    assert!(again.body.is_empty());

    // A designer makes the dagger sharper and the server reloads: the next fetch shows it.
    let file = server.dir().join("items.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replace("modifiers = { attack = 4 }", "modifiers = { attack = 9 }"),
    )
    .unwrap();
    let reload = request(
        http,
        &format!(
            "POST /admin/reload HTTP/1.1\r\nHost: {http}\r\nAuthorization: Bearer {TOKEN}\r\nContent-Length: 0\r\n"
        ),
    )
    .await;
    assert_eq!(reload.status, 200, "{}", reload.text());
    let after = fetch(http, Some(&tag)).await;
    assert_eq!(after.status, 200, "the old ETag no longer matches");
    assert_ne!(after.header("etag"), Some(tag.as_str()));
    assert_eq!(json(&after)["items"]["dagger"]["modifiers"]["attack"], 9);
    server.shutdown().await;
}
