//! Where output goes: results on stdout (text or JSON), progress on stderr.

use std::io::Write;

use serde_json::Value;

/// Output settings from the global flags.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ui {
    /// Machine output: one JSON value on stdout, no progress.
    pub(crate) json: bool,
    /// No progress messages.
    pub(crate) quiet: bool,
}

impl Ui {
    /// A progress note on stderr ("compiling…"), silent with `--quiet` or `--json`.
    pub(crate) fn progress(&self, message: &str) {
        if !self.json && !self.quiet {
            eprintln!("{message}");
        }
    }

    /// A warning on stderr, silent only with `--json` (where it belongs in the result).
    pub(crate) fn warn(&self, message: &str) {
        if !self.json {
            eprintln!("warning: {message}");
        }
    }

    /// Prints the result: `value` as pretty JSON with `--json`, else the text `human` builds.
    pub(crate) fn result(&self, value: &Value, human: impl FnOnce() -> String) {
        let mut text = if self.json {
            serde_json::to_string_pretty(value).expect("JSON values always serialise")
        } else {
            human()
        };
        if !text.ends_with('\n') {
            text.push('\n');
        }
        // A closed pipe (`leash ... | head`) is the reader's choice, not an error.
        let _ = std::io::stdout().lock().write_all(text.as_bytes());
    }
}
