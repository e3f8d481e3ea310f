mod client;
mod threads;
mod tools;
