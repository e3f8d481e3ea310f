//! Method tables and the v1 and v2 message types.

pub mod common;
pub mod fuzzy_file_search;
pub mod no_params;
pub mod v1;
pub mod v2;
