fn main() -> std::process::ExitCode {
    shopbot::cli::main()
}
