//! `fuzzyFileSearch` through a running server: scores, indices and order on a small tree with
//! a `.gitignore`, an empty query, a missing root, and the errors for unusable roots.

use pretty_assertions::assert_eq;
use serde_json::Value;
use serde_json::json;

use crate::suite::config::Folders;
use crate::suite::serve::Client;
use crate::suite::serve::Server;

/// An initialized server and a work folder holding a few files, some of them ignored.
async fn serve() -> (Folders, Server, Client, String) {
    let folders = Folders::new();
    let work = folders.home().join("work");
    for path in [
        "src/main.rs",
        "src/lib.rs",
        "docs/readme.md",
        "tests/main_test.rs",
        ".hidden/main.rs",
        "ignored/main.rs",
        "main.log",
    ] {
        let file = work.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, "x\n").unwrap();
    }
    std::fs::write(work.join(".gitignore"), "ignored/\n*.log\n").unwrap();
    let env = folders.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (server, mut client) = Server::stdio(&env);
    let answer = client
        .request(&json!({"id": 0, "method": "initialize", "params": {
            "clientInfo": {"name": "fuzzy", "version": "1"},
        }}))
        .await;
    assert!(answer.get("result").is_some(), "{}", client.report());
    client.send(&json!({"method": "initialized"})).await;
    (folders, server, client, work.display().to_string())
}

async fn search(client: &mut Client, id: u64, query: &str, roots: Value) -> Value {
    client
        .request(&json!({"id": id, "method": "fuzzyFileSearch", "params": {
            "query": query, "roots": roots, "cancellationToken": null,
        }}))
        .await
}

#[tokio::test]
async fn fuzzy_file_search_scores_and_orders_files_and_honours_gitignore() {
    let (_folders, _server, mut client, work) = serve().await;
    let answer = search(&mut client, 1, "main", json!([work])).await;
    let file = |path: &str, file_name: &str, indices: [u32; 4]| json!({"root": work, "path": path, "file_name": file_name, "score": 109, "indices": indices});
    assert_eq!(
        answer,
        json!({"id": 1, "result": {"files": [
            file(".hidden/main.rs", "main.rs", [8, 9, 10, 11]),
            file("src/main.rs", "main.rs", [4, 5, 6, 7]),
            file("tests/main_test.rs", "main_test.rs", [6, 7, 8, 9]),
        ]}}),
        "{}",
        client.report()
    );

    let answer = search(&mut client, 2, "rdme", json!([work])).await;
    assert_eq!(
        answer["result"],
        json!({"files": [{"root": work, "path": "docs/readme.md", "file_name": "readme.md",
            "score": 86, "indices": [5, 8, 9, 10]}]})
    );

    let answer = search(&mut client, 3, "", json!([work])).await;
    assert_eq!(answer["result"], json!({"files": []}));
    let answer = search(&mut client, 4, "main", json!([format!("{work}/missing")])).await;
    assert_eq!(answer["result"], json!({"files": []}));
}

#[tokio::test]
async fn fuzzy_file_search_refuses_relative_roots_and_finds_nothing_without_roots() {
    let (_folders, _server, mut client, _work) = serve().await;
    // No roots: nowhere to look, nothing found (as the reference answers).
    let answer = search(&mut client, 1, "main", json!([])).await;
    assert_eq!(
        answer["result"],
        json!({"files": []}),
        "{}",
        client.report()
    );
    let answer = search(&mut client, 2, "main", json!(["relative/dir"])).await;
    assert_eq!(answer["error"]["code"], json!(-32602), "{answer}");
    assert_eq!(
        answer["error"]["message"],
        json!("Invalid params: roots must be absolute paths, got \"relative/dir\"")
    );
}
