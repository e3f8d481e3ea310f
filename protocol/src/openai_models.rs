//! What a model can take as input.

use schemars::JsonSchema;
use serde::Deserialize;
use serde::Serialize;
use ts_rs::TS;

#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Hash, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
pub enum InputModality {
    /// The model accepts text.
    Text,
    /// The model accepts images.
    Image,
}
