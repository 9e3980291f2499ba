//! Rebuilds the binary when anything in `web/` changes: the web client is built into it
//! (`src/http.rs`), and a file added there is not one the compiler already tracks.

fn main() {
    println!("cargo:rerun-if-changed=web");
}
