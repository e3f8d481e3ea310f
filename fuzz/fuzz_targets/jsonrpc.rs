//! One frame from a client, as the stdio or WebSocket reader hands it over: decoded, gated and
//! typed as the dispatcher does (`codex_app_server::fuzzing::decode_frame`).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // The transports refuse text that is not UTF-8 before decoding.
    if let Ok(text) = std::str::from_utf8(data) {
        codex_app_server::fuzzing::decode_frame(text);
    }
});
