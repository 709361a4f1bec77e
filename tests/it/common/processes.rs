//! Running the binary as a child process: with a time limit, as a server on port 0, and
//! stopping it with a signal.

use std::process::{Command, Output};

use super::TempDb;

/// Runs the binary with `args` and extra environment, killing it if it is still running after
/// `limit`. Panics (naming the command) in that case: the caller expected it to end by itself.
pub fn movielens_bounded(args: &[&str], env: &[(&str, &str)], limit: std::time::Duration) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_movielens"));
    command.args(args).env("RUST_LOG", "warn").env_remove("MOVIELENS_ADMIN_TOKEN");
    for (name, value) in env {
        command.env(name, value);
    }
    let child = command
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let pid = child.id();
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done_tx.send(child.wait_with_output());
    });
    match done_rx.recv_timeout(limit) {
        Ok(output) => output.expect("the output is collected"),
        Err(_) => {
            let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
            let output = done_rx.recv().unwrap().unwrap();
            panic!(
                "movielens {args:?} still ran after {limit:?}; stderr:\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
}

/// Starts `movielens serve` with JSON logs on port 0 (plus `args`), without waiting for it.
pub fn spawn_serve(db: &TempDb, args: &[&str], env: &[(&str, &str)]) -> std::process::Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_movielens"));
    command
        .args(["--db", db.arg(), "--log-format", "json", "serve", "--bind", "127.0.0.1:0"])
        .args(args)
        .env("RUST_LOG", "info")
        .env_remove("MOVIELENS_ADMIN_TOKEN")
        // No recommendation build of its own at start (a test that wants one says so): on the
        // demo data it takes a debug build half a minute, and a SIGTERM waits for it.
        .env("MOVIELENS_RECOMMENDATIONS_AT_START", "false");
    for (name, value) in env {
        command.env(name, value);
    }
    command.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::piped()).spawn().unwrap()
}

/// Reads a served child's stderr until it logs `listening`; returns its base URL and the lines so
/// far. Panics with those lines if it exits first.
pub fn wait_listening(child: &mut std::process::Child) -> (String, Vec<String>) {
    use std::io::{BufRead, BufReader};
    let mut lines = Vec::new();
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    let address = loop {
        let Some(Ok(line)) = stderr.next() else {
            panic!("the server exited before listening: {:?}\n{}", child.wait(), lines.join("\n"));
        };
        let event: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        lines.push(line);
        if event["message"] == "listening" {
            break event["address"].as_str().unwrap().to_string();
        }
    };
    // Keep draining stderr so the server never blocks on a full pipe.
    std::thread::spawn(move || stderr.for_each(drop));
    (format!("http://{address}"), lines)
}

/// Sends `signal` (e.g. "TERM", "INT") to the child and waits up to `limit` for it to exit.
pub fn signal_and_wait(
    child: &mut std::process::Child,
    signal: &str,
    limit: std::time::Duration,
) -> std::process::ExitStatus {
    let sent = Command::new("kill").args([&format!("-{signal}"), &child.id().to_string()]).status().unwrap();
    assert!(sent.success(), "kill -{signal} failed");
    let deadline = std::time::Instant::now() + limit;
    while std::time::Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.kill().unwrap();
    panic!("the process did not exit within {limit:?} of SIG{signal}");
}

/// Starts `movielens serve` on port 0 (plus `args` and `env`) and waits until it listens; returns
/// it with its base URL and its log lines so far.
pub fn start_server(db: &TempDb, args: &[&str], env: &[(&str, &str)]) -> (std::process::Child, String, Vec<String>) {
    let mut child = spawn_serve(db, args, env);
    let (url, lines) = wait_listening(&mut child);
    (child, url, lines)
}

/// SIGTERM, and the exit status within 5 s.
pub fn terminate(child: &mut std::process::Child) -> std::process::ExitStatus {
    signal_and_wait(child, "TERM", std::time::Duration::from_secs(5))
}
