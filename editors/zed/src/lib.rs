//! Starts `curate lsp` (found on the PATH of the worktree) for Markdown files.

use zed_extension_api::{self as zed, LanguageServerId, Result};

struct Curate;

impl zed::Extension for Curate {
    fn new() -> Self {
        Curate
    }

    fn language_server_command(
        &mut self,
        _language_server_id: &LanguageServerId,
        worktree: &zed::Worktree,
    ) -> Result<zed::Command> {
        let command = worktree
            .which("curate")
            .ok_or_else(|| "curate is not on the PATH: pip install curate".to_string())?;
        Ok(zed::Command {
            command,
            args: vec!["lsp".to_string()],
            env: Default::default(),
        })
    }
}

zed::register_extension!(Curate);
