//! Raw HTTP/1.1 for black-box tests: a request written on a TCP socket exactly as given (no
//! normalisation of the path), the answer parsed into status, headers and body.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A parsed response: status code, lower-cased headers, body.
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends one request with the path exactly as given (no normalisation) and reads the answer.
pub async fn get(addr: SocketAddr, path: &str) -> Response {
    request(addr, &format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n")).await
}

/// Sends a request head as given (`Connection: close` is added) and reads the whole answer.
pub async fn request(addr: SocketAddr, head: &str) -> Response {
    exchange(addr, format!("{head}Connection: close\r\n\r\n")).await
}

/// Writes a whole request and reads the whole answer.
async fn exchange(addr: SocketAddr, req: String) -> Response {
    let io = async {
        let mut s = TcpStream::connect(addr).await.expect("connect");
        s.write_all(req.as_bytes()).await.expect("write");
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).await.expect("read");
        raw
    };
    let raw = tokio::time::timeout(super::WAIT, io)
        .await
        .expect("HTTP answer in time");
    parse(raw)
}

/// A whole HTTP answer as read.
fn parse(raw: Vec<u8>) -> Response {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a header block");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .expect("a status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Response {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

/// Sends a POST of a JSON `body` with these extra header lines and reads the answer.
pub async fn post(addr: SocketAddr, path: &str, headers: &[&str], body: &str) -> Response {
    let extra: String = headers.iter().map(|h| format!("{h}\r\n")).collect();
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\n{extra}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    exchange(addr, req).await
}
