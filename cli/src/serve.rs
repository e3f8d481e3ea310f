//! Running a server on stdio: logging to stderr, the tokio runtime, and its end.

use anyhow::Context;

/// Sets up logging and runs `server` on a multi-threaded runtime until it returns.
pub fn serve(server: impl Future<Output = anyhow::Result<()>>) -> anyhow::Result<()> {
    crate::logging::init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("failed to start the async runtime")?;
    let result = runtime.block_on(server);
    // Reading stdin parks a blocking thread that only returns when a line arrives; do not wait
    // for it once the server is done.
    runtime.shutdown_background();
    result
}
