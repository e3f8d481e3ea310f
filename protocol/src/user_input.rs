//! What a user sends in a turn: text (with rendered spans), images, skills and mentions.

use schemars::JsonSchema;
use serde::Deserialize;
use serde::Serialize;
use ts_rs::TS;

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
pub struct ByteRange {
    pub start: usize,
    pub end: usize,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, JsonSchema, TS)]
pub struct TextElement {
    /// Where the element sits in the text, in UTF-8 bytes.
    pub byte_range: ByteRange,
    pub placeholder: Option<String>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, JsonSchema, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum UserInput {
    Text {
        text: String,
        #[serde(default)]
        text_elements: Vec<TextElement>,
    },
    Image {
        image_url: String,
    },
    #[serde(rename_all = "camelCase")]
    LocalImage {
        path: String,
    },
    #[serde(rename_all = "camelCase")]
    Skill {
        name: String,
        path: String,
    },
    #[serde(rename_all = "camelCase")]
    Mention {
        name: String,
        path: String,
    },
}
