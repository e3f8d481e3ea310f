mod behaviour;
mod harness;
mod stdio;
