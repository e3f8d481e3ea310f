//! Skills: folders of instructions (`SKILL.md`, with optional scripts and references) that the
//! agent can follow. This crate finds them on disk ([`skill_roots`], [`load_skills`]), installs
//! the system skills embedded in the binary ([`install_system_skills`]), and words what the model
//! is told about them ([`skills_section`], [`skill_message`]).
//!
//! Listing and parsing never fail as a whole: a broken `SKILL.md` becomes an entry in
//! [`SkillLoadOutcome::errors`] and the other skills are still found.

mod loader;
mod prompt;
pub mod remote;
mod system;

pub use loader::SKILL_FILE;
pub use loader::SkillLoadOutcome;
pub use loader::SkillRoot;
pub use loader::load_skills;
pub use loader::skill_roots;
pub use prompt::skill_message;
pub use prompt::skills_section;
pub use system::install_system_skills;
pub use system::system_skills_dir;
