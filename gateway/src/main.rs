use std::process::ExitCode;

fn main() -> ExitCode {
    parapet::cli::main()
}
