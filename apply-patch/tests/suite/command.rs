//! Recognising `apply_patch` inside commands.

use codex_apply_patch::PatchCommand;
use codex_apply_patch::parse_patch_command;
use pretty_assertions::assert_eq;

const PATCH: &str = "*** Begin Patch\n*** Add File: foo\n+hi\n*** End Patch";

fn argv(args: &[&str]) -> Vec<String> {
    args.iter().map(|arg| arg.to_string()).collect()
}

fn found(workdir: Option<&str>) -> PatchCommand {
    PatchCommand::ApplyPatch {
        patch: PATCH.to_string(),
        workdir: workdir.map(str::to_string),
    }
}

fn check_script(script: &str, expected: PatchCommand) {
    assert_eq!(
        parse_patch_command(&argv(&["bash", "-lc", script])),
        expected,
        "{script}"
    );
}

fn heredoc(prefix: &str, suffix: &str) -> String {
    format!("{prefix}apply_patch <<'PATCH'\n{PATCH}\nPATCH{suffix}")
}

#[test]
fn direct_argv() {
    assert_eq!(
        parse_patch_command(&argv(&["apply_patch", PATCH])),
        found(None)
    );
    assert_eq!(
        parse_patch_command(&argv(&["applypatch", PATCH])),
        found(None)
    );
}

#[test]
fn heredocs() {
    check_script(&heredoc("", ""), found(None));
    check_script(&heredoc("", "\n"), found(None));
    check_script(&format!("apply_patch <<EOF\n{PATCH}\nEOF\n"), found(None));
    check_script(&format!("applypatch<<\"EOF\"\n{PATCH}\nEOF"), found(None));
    check_script(&heredoc("cd foo && ", ""), found(Some("foo")));
    check_script(&heredoc("cd 'foo bar' && ", ""), found(Some("foo bar")));
    check_script(&heredoc("cd \"foo bar\" && ", ""), found(Some("foo bar")));
    for shell in [
        ["sh", "-c"],
        ["/bin/zsh", "-lc"],
        ["pwsh", "-Command"],
        ["cmd.exe", "/c"],
    ] {
        let args = argv(&[shell[0], shell[1], &heredoc("", "")]);
        assert_eq!(parse_patch_command(&args), found(None), "{shell:?}");
    }
    let args = argv(&["powershell.exe", "-NoProfile", "-Command", &heredoc("", "")]);
    assert_eq!(parse_patch_command(&args), found(None));
}

#[test]
fn other_scripts_are_not_patches() {
    for script in [
        heredoc("cd foo; ", ""),
        heredoc("cd foo || ", ""),
        heredoc("cd foo | ", ""),
        heredoc("echo hi && ", ""),
        heredoc("cd foo && cd bar && ", ""),
        heredoc("cd foo bar && ", ""),
        heredoc("cd $HOME && ", ""),
        heredoc("", " && echo done"),
        heredoc("", "\necho done"),
        format!("apply_patch foo <<'PATCH'\n{PATCH}\nPATCH"),
        format!("apply_patch <<'PATCH'\n{PATCH}\n"),
        "ls -la".to_string(),
    ] {
        check_script(&script, PatchCommand::NotApplyPatch);
    }
    assert_eq!(
        parse_patch_command(&argv(&["ls", "-la"])),
        PatchCommand::NotApplyPatch
    );
    assert_eq!(
        parse_patch_command(&argv(&["python", "-c", &heredoc("", "")])),
        PatchCommand::NotApplyPatch
    );
}

#[test]
fn bare_patches_are_implicit() {
    assert_eq!(
        parse_patch_command(&argv(&[PATCH])),
        PatchCommand::ImplicitPatch
    );
    check_script(PATCH, PatchCommand::ImplicitPatch);
}
