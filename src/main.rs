use movielens::config::Cli;

fn main() -> std::process::ExitCode {
    movielens::cli::run(Cli::parse_or_serve())
}
