mod client;
mod threads;
