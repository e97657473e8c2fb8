use std::process::ExitCode;

/// mimalloc instead of the system allocator: a `perf` profile of the decision API under load
/// spent about half of Parapet's CPU in glibc's malloc and free (chunk consolidation across
/// threads); see BENCHMARKS.md.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    parapet::cli::main()
}
