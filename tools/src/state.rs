//! What a thread's tools remember between calls and turns ([`ThreadToolState`]): approval
//! requests waiting for the user and what was approved for the session, client tool calls
//! waiting for the client, the processes that outlive their call, the running turn's diff
//! baseline, and input a tool attached for the next model request.

use std::collections::BTreeMap;
use std::collections::HashMap;
use std::collections::HashSet;
use std::path::Path;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::MutexGuard;

use codex_apply_patch::diff::git_file_diff;
use codex_protocol::models::FunctionCallOutputContentItem;
use codex_protocol::models::ResponseItem;
use codex_protocol::protocol::ReviewDecision;
use codex_protocol::user_input::UserInput;
use codex_utils_lock::lock;
use rand::Rng;

use crate::exec_policy::ExecPolicyState;
use crate::exec_policy::Policy;
use crate::pending::Pending;
use crate::process::Process;

/// What a thread's tools remember between calls. One per thread, dropped with it (which kills
/// the processes it still runs).
#[derive(Default)]
pub struct ThreadToolState {
    pub(crate) approvals: Approvals,
    pub(crate) processes: Processes,
    pub(crate) diff: TurnDiffTracker,
    pub(crate) client: Pending<Answer>,
    /// Input a tool adds to the conversation (an image it was asked to look at), sent after
    /// the tool outputs with the next model request.
    pub(crate) attached: Mutex<Vec<UserInput>>,
    /// The thread's execution policy (prefix rules) and where approved prefixes are saved.
    pub(crate) exec_policy: ExecPolicyState,
    /// Messages for the model that a call produced besides its output (a saved approval),
    /// which go into the history just before that output.
    pub(crate) notes: Mutex<Vec<ResponseItem>>,
}

impl ThreadToolState {
    /// Puts the thread's rules in force; approved prefixes are appended to `rules_file`.
    pub fn install_exec_policy(&self, policy: Policy, rules_file: PathBuf) {
        self.exec_policy.install(policy, rules_file);
    }

    /// The thread's rules as they stand (with the prefixes approved since it started).
    pub fn exec_policy(&self) -> Arc<Policy> {
        self.exec_policy.current()
    }

    /// Takes the messages calls left for the model; they belong before the calls' outputs.
    pub fn take_notes(&self) -> Vec<ResponseItem> {
        std::mem::take(&mut *lock(&self.notes))
    }

    /// Takes the input tools attached since the last model request.
    pub fn take_attached(&self) -> Vec<UserInput> {
        std::mem::take(&mut *lock(&self.attached))
    }

    /// Kills every process that outlived its call (`thread/backgroundTerminals/clean`); their
    /// session ids are unknown afterwards.
    pub fn close_background_processes(&self) {
        self.processes.close_all();
    }

    /// Delivers the client's decision on approval request `id`. Returns whether a request was
    /// waiting for it.
    pub fn resolve_approval(&self, id: &str, decision: ReviewDecision) -> bool {
        self.approvals.pending.resolve(id, decision)
    }

    /// Delivers the client's answer to dynamic tool call `id`; whether a call was waiting.
    pub fn resolve_dynamic_tool(&self, id: &str, output: DynamicToolOutput) -> bool {
        self.client.resolve(id, Answer::Dynamic(output))
    }

    /// Delivers the user's answers (`None`: none came) to `request_user_input` call `id`.
    pub fn resolve_user_input(&self, id: &str, answers: Option<UserInputAnswers>) -> bool {
        self.client.resolve(id, Answer::UserInput(answers))
    }
}

/// Pending approval requests and what the user approved for the rest of the session.
#[derive(Default)]
pub(crate) struct Approvals {
    pub(crate) pending: Pending<ReviewDecision>,
    commands: Mutex<HashSet<Vec<String>>>,
    prefixes: Mutex<Vec<Vec<String>>>,
}

impl Approvals {
    /// Remembers an approval for the session: the prefix rule when the model proposed one,
    /// else the exact command.
    pub(crate) fn approve_for_session(&self, argv: &[String], prefix_rule: Option<&[String]>) {
        match prefix_rule {
            Some(prefix) if !prefix.is_empty() => lock(&self.prefixes).push(prefix.to_vec()),
            _ => {
                lock(&self.commands).insert(argv.to_vec());
            }
        }
    }

    pub(crate) fn is_approved(&self, argv: &[String]) -> bool {
        if lock(&self.commands).contains(argv) {
            return true;
        }
        let words = command_words(argv);
        lock(&self.prefixes)
            .iter()
            .any(|prefix| words.starts_with(prefix))
    }
}

/// The words of a command for prefix matching: a shell script's words, else the argv.
fn command_words(argv: &[String]) -> Vec<String> {
    match argv {
        [_, flag, script] if flag == "-lc" || flag == "-c" => {
            shlex::split(script).unwrap_or_else(|| argv.to_vec())
        }
        _ => argv.to_vec(),
    }
}

/// The client's answer to a dynamic tool call.
#[derive(Debug, Clone, PartialEq)]
pub struct DynamicToolOutput {
    pub content: Vec<FunctionCallOutputContentItem>,
    pub success: bool,
}

/// The user's answers to `request_user_input`, by question id.
pub type UserInputAnswers = BTreeMap<String, Vec<String>>;

/// What the client sends back for a client tool call.
pub(crate) enum Answer {
    Dynamic(DynamicToolOutput),
    UserInput(Option<UserInputAnswers>),
}

/// The processes of a thread that outlived their call, by session id. Dropping it (the thread
/// ended) kills them.
#[derive(Default)]
pub(crate) struct Processes(Mutex<HashMap<i64, Arc<Process>>>);

impl Processes {
    fn lock(&self) -> MutexGuard<'_, HashMap<i64, Arc<Process>>> {
        codex_utils_lock::lock(&self.0)
    }

    /// A new session id, not in use.
    pub(crate) fn new_id(&self) -> i64 {
        let processes = self.lock();
        let mut rng = rand::rng();
        loop {
            let id = rng.random_range(1_000..100_000);
            if !processes.contains_key(&id) {
                return id;
            }
        }
    }

    pub(crate) fn insert(&self, id: i64, process: Arc<Process>) {
        self.lock().insert(id, process);
    }

    pub(crate) fn get(&self, id: i64) -> Option<Arc<Process>> {
        self.lock().get(&id).cloned()
    }

    pub(crate) fn remove(&self, id: i64) {
        self.lock().remove(&id);
    }

    /// Forgets every process and terminates it (its end reports exit code -1).
    pub(crate) fn close_all(&self) {
        let drained: Vec<Arc<Process>> = self.lock().drain().map(|(_, process)| process).collect();
        for process in drained {
            process.terminate();
        }
    }
}

impl Drop for Processes {
    fn drop(&mut self) {
        for process in self.lock().values() {
            process.kill();
        }
    }
}

/// Each touched file's content before the turn's first patch touched it (`None`: absent).
type Baseline = BTreeMap<PathBuf, Option<String>>;

/// The turn's files as they were before its first patch touched them, to diff against.
#[derive(Default)]
pub(crate) struct TurnDiffTracker(Mutex<Option<(String, Baseline)>>);

impl TurnDiffTracker {
    fn lock(&self) -> MutexGuard<'_, Option<(String, Baseline)>> {
        codex_utils_lock::lock(&self.0)
    }

    /// Records the current content of `paths` unless this turn already did.
    pub(crate) fn remember(&self, turn_id: &str, paths: &[PathBuf]) {
        let mut state = self.lock();
        if state.as_ref().is_none_or(|(turn, _)| turn != turn_id) {
            *state = Some((turn_id.to_owned(), BTreeMap::new()));
        }
        if let Some((_, baseline)) = state.as_mut() {
            for path in paths {
                baseline
                    .entry(path.clone())
                    .or_insert_with(|| std::fs::read_to_string(path).ok());
            }
        }
    }

    /// The git-style diff of every file the turn touched, from its baseline to now.
    pub(crate) fn diff(&self, cwd: &Path) -> String {
        let state = self.lock();
        let Some((_, baseline)) = state.as_ref() else {
            return String::new();
        };
        baseline
            .iter()
            .map(|(path, before)| {
                let now = std::fs::read_to_string(path).ok();
                let name = diff_name(path, cwd);
                git_file_diff(&name, before.as_deref(), &name, now.as_deref())
            })
            .collect()
    }
}

/// How a file is named in the turn's diff, as the reference names it: relative to the root of
/// the git repository holding the working directory, else by its absolute path (so headers
/// read `a//abs/path` outside a repository).
fn diff_name(path: &Path, cwd: &Path) -> String {
    let repository = cwd.ancestors().find(|dir| dir.join(".git").exists());
    match repository.and_then(|root| path.strip_prefix(root).ok()) {
        Some(relative) => relative.display().to_string(),
        None => path.display().to_string(),
    }
}
