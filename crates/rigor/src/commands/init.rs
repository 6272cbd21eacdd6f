//! `rigor init`: writes the commented starter plan.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::exit;

#[derive(clap::Args, Debug)]
pub struct InitArgs {
    /// Where to write the plan.
    #[arg(default_value = "rigor.toml")]
    pub path: PathBuf,

    /// Overwrite an existing file.
    #[arg(long)]
    pub force: bool,
}

pub fn run(args: &InitArgs, w: &mut rigor_report::Writer) -> anyhow::Result<ExitCode> {
    if args.path.exists() && !args.force {
        return Err(exit::bad_input(anyhow::anyhow!(
            "{} already exists; pass --force to overwrite it",
            args.path.display()
        )));
    }
    std::fs::write(&args.path, rigor_model::plan::STARTER_PLAN)
        .with_context(|| format!("cannot write {}", args.path.display()))?;
    w.line(format_args!(
        "wrote {}; `rigor run` runs it",
        args.path.display()
    ))?;
    Ok(ExitCode::SUCCESS)
}
