//! Numbered steps and their lines: printed as they happen, or gathered for `--json`.

use serde_json::{json, Value};

use crate::exit::{fail, Exit};
use crate::output::Ui;

struct Step {
    title: String,
    lines: Vec<String>,
}

/// Prints the demo's steps and checks its expectations.
pub(crate) struct Narrator {
    ui: Ui,
    steps: Vec<Step>,
}

impl Narrator {
    /// A narrator writing through `ui`.
    pub(crate) fn new(ui: Ui) -> Self {
        Self {
            ui,
            steps: Vec::new(),
        }
    }

    /// Starts step `n + 1`.
    pub(crate) fn step(&mut self, title: &str) {
        self.steps.push(Step {
            title: title.to_owned(),
            lines: Vec::new(),
        });
        if !self.ui.json {
            println!("\n[{}] {title}", self.steps.len());
        }
    }

    /// A line of the current step.
    pub(crate) fn line(&mut self, text: impl Into<String>) {
        let text = text.into();
        if !self.ui.json {
            println!("    {text}");
        }
        if let Some(step) = self.steps.last_mut() {
            step.lines.push(text);
        }
    }

    /// Fails the demo at the current step unless `holds`.
    pub(crate) fn expect(
        &self,
        holds: bool,
        expectation: impl FnOnce() -> String,
    ) -> anyhow::Result<()> {
        if holds {
            return Ok(());
        }
        let (number, title) = self
            .steps
            .last()
            .map(|step| (self.steps.len(), step.title.as_str()))
            .unwrap_or((0, "setup"));
        Err(fail(
            Exit::Failure,
            format!("demo failed at step {number} ({title}): {}", expectation()),
            Some("the lines above are the step's real results"),
        ))
    }

    /// How many steps ran.
    pub(crate) fn count(&self) -> usize {
        self.steps.len()
    }

    /// Every step as JSON.
    pub(crate) fn to_json(&self) -> Value {
        Value::Array(
            self.steps
                .iter()
                .enumerate()
                .map(|(index, step)| {
                    json!({"step": index + 1, "title": step.title, "lines": step.lines})
                })
                .collect(),
        )
    }
}
