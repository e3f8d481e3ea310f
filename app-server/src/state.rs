//! What every handler can reach: the server-wide state.

use crate::registry::Registry;
use crate::user_agent::Platform;

#[derive(Debug)]
pub(crate) struct ServerState {
    pub registry: Registry,
    pub platform: Platform,
}

impl ServerState {
    pub(crate) fn new(platform: Platform) -> Self {
        Self {
            registry: Registry::default(),
            platform,
        }
    }
}
