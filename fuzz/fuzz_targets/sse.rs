//! A model's streamed answer, as the network delivers it: bytes in chunks through the SSE decoder
//! and both wires' parsers (`codex_model_client::client::fuzzing::parse_sse`).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // The first byte chooses how the body is cut into chunks, so events and line endings split
    // across reads are tried as well as whole ones.
    let Some((&cut, body)) = data.split_first() else {
        return;
    };
    let size = usize::from(cut % 64) + 1;
    let chunks = body.chunks(size).map(<[u8]>::to_vec).collect();
    codex_model_client::client::fuzzing::parse_sse(chunks);
});
