//! `parapet policy lint FILE...` and `parapet policy test --cases FILE [--policies FILE]
//! [--roles FILE]`: the policy sandbox on the command line. Works on files only (no gateway
//! needed), so CI can run it over the packs. Exit 1 on a lint error or a failing case.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;
use parapet_policies::{
    lint, parse_cases, parse_policies, parse_roles, run_cases, PolicySet, Roles, Severity,
};

#[derive(Subcommand)]
pub enum PolicyCommand {
    /// Parse and check policy files: unknown ops, bad paths, unreachable or shadowed rules,
    /// priority ties. Exit 1 when any file has an error (warnings do not fail).
    Lint {
        /// JSON arrays of policies.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Run expected decisions against a policy set and print a table; exit 1 on a mismatch.
    Test {
        /// Policy files (JSON arrays); with none, `policies.json` beside the cases file.
        files: Vec<PathBuf>,
        /// The cases (JSON array of {name, request, expect, ...}).
        #[arg(long)]
        cases: PathBuf,
        /// Policy file (same as a positional FILE).
        #[arg(long)]
        policies: Option<PathBuf>,
        /// Role definitions: turns the RBAC gate on (default: `roles.json` beside the cases
        /// file when it exists).
        #[arg(long)]
        roles: Option<PathBuf>,
    },
}

pub fn run(cmd: PolicyCommand) -> ExitCode {
    let result = match cmd {
        PolicyCommand::Lint { files } => run_lint(&files),
        PolicyCommand::Test {
            mut files,
            cases,
            policies,
            roles,
        } => {
            files.extend(policies);
            run_test(&files, &cases, roles.as_deref())
        }
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("parapet policy: {e}");
            ExitCode::FAILURE
        }
    }
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Prints every issue; `Ok(false)` when one is an error.
fn run_lint(files: &[PathBuf]) -> Result<bool, String> {
    let mut ok = true;
    for file in files {
        let policies = match parse_policies(&read(file)?) {
            Ok(p) => p,
            Err(e) => {
                println!("{}: error: {e}", file.display());
                ok = false;
                continue;
            }
        };
        let issues = lint(&policies);
        for i in &issues {
            let sev = match i.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            println!("{}: {sev}: {}: {}", file.display(), i.policy_id, i.message);
        }
        let errors = issues
            .iter()
            .filter(|i| i.severity == Severity::Error)
            .count();
        if errors > 0 {
            ok = false;
        }
        println!(
            "{}: {} policies, {errors} errors, {} warnings",
            file.display(),
            policies.len(),
            issues.len() - errors
        );
    }
    Ok(ok)
}

fn run_test(files: &[PathBuf], cases: &Path, roles: Option<&Path>) -> Result<bool, String> {
    let dir = cases.parent().unwrap_or(Path::new("."));
    let default_policies = [dir.join("policies.json")];
    let files: &[PathBuf] = if files.is_empty() {
        &default_policies
    } else {
        files
    };
    let mut all = Vec::new();
    for f in files {
        all.extend(parse_policies(&read(f)?).map_err(|e| format!("{}: {e}", f.display()))?);
    }
    let set = PolicySet::compile(all).map_err(|e| e.to_string())?;
    let beside = dir.join("roles.json");
    let roles_file = roles
        .map(Path::to_path_buf)
        .or_else(|| beside.exists().then_some(beside));
    let roles = match &roles_file {
        Some(f) => Some(
            Roles::compile(parse_roles(&read(f)?).map_err(|e| format!("{}: {e}", f.display()))?)
                .map_err(|e| format!("{}: {e}", f.display()))?,
        ),
        None => None,
    };
    let cases_list = parse_cases(&read(cases)?).map_err(|e| format!("{}: {e}", cases.display()))?;
    let results = run_cases(&set, roles.as_ref(), &cases_list);
    print!("{}", table(&results));
    let failed = results.iter().filter(|r| !r.passed).count();
    println!(
        "{} cases, {} passed, {failed} failed",
        results.len(),
        results.len() - failed
    );
    Ok(failed == 0)
}

/// `RESULT  CASE  EFFECT  POLICY` with the failures under a failing row.
fn table(results: &[parapet_policies::CaseResult]) -> String {
    let name_w = results
        .iter()
        .map(|r| r.name.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    let mut out = format!(
        "{:<6}  {:<name_w$}  {:<16}  POLICY\n",
        "RESULT", "CASE", "EFFECT"
    );
    for r in results {
        out.push_str(&format!(
            "{:<6}  {:<name_w$}  {:<16}  {}\n",
            if r.passed { "ok" } else { "FAIL" },
            r.name,
            r.decision.effect.as_str(),
            r.decision.policy_id.as_deref().unwrap_or("-"),
        ));
        for f in &r.failures {
            out.push_str(&format!("        {f}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests;
