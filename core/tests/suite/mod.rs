mod threads;
mod tools;
