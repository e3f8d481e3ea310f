mod behaviour;
mod harness;
mod http;
mod oauth;
mod stdio;
