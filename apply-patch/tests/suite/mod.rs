mod apply;
mod command;
mod diff;
mod parse;
mod tool;
