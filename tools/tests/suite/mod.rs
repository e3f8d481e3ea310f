mod mcp;
mod sink;
mod support;
