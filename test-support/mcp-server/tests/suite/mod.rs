mod behaviour;
mod harness;
mod http;
mod stdio;
