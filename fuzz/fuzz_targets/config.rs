//! A user's `config.toml` as found on disk, loaded with every layer, then written to by key
//! paths as `config/value/write`, `config/batchWrite` and `thread/start`'s `config` do.
//!
//! The input is the file's text, then pairs of a key path and a JSON value, each part after a
//! NUL byte. A write that is answered as done must leave a file that loads.

#![no_main]

use codex_config::ConfigEdit;
use codex_config::ConfigPaths;
use codex_config::ConfigService;
use codex_config::MergeStrategy;
use codex_config::SessionFlags;
use codex_config::WriteRequest;
use codex_utils_absolute_path::AbsolutePathBuf;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = text.split('\0');
    let file = parts.next().unwrap_or_default();
    let rest: Vec<&str> = parts.collect();
    let edits: Vec<ConfigEdit> = rest
        .chunks(2)
        .enumerate()
        .map(|(index, pair)| ConfigEdit {
            key_path: pair[0].to_owned(),
            value: pair
                .get(1)
                .and_then(|value| serde_json::from_str(value).ok())
                .unwrap_or(serde_json::Value::Null),
            merge_strategy: if index % 2 == 0 {
                MergeStrategy::Replace
            } else {
                MergeStrategy::Upsert
            },
        })
        .collect();

    let dir = tempfile::tempdir().expect("a temporary folder");
    let root = AbsolutePathBuf::try_from(dir.path().to_path_buf()).expect("an absolute folder");
    let paths = ConfigPaths {
        codex_home: root.join("home").expect("a folder"),
        system_dir: root.join("system").expect("a folder"),
    };
    std::fs::create_dir_all(paths.codex_home.as_path()).expect("CODEX_HOME");
    std::fs::write(paths.user_config().as_path(), file).expect("config.toml");

    // The same key paths as `-c` flags or a thread's overrides.
    let overrides = edits.iter().map(|edit| {
        let value = toml::Value::String(edit.value.to_string());
        (edit.key_path.clone(), value)
    });
    let _ = SessionFlags::new(overrides, dir.path());

    let Ok(service) = ConfigService::new(paths, SessionFlags::default()) else {
        return;
    };
    let before = service.load(None);
    let _ = before.resolve();
    if edits.is_empty() {
        return;
    }
    let request = WriteRequest {
        edits,
        file_path: None,
        expected_version: None,
    };
    if service.write(request).is_ok() {
        let after = service.load(None);
        let user = after.user_layer().expect("the user layer after a write");
        assert!(
            user.is_enabled(),
            "a write was answered as done but left a file that does not load: {:?}",
            user.disabled_reason
        );
    }
});
