//! Progress bars by bytes read. Drawn only when stderr is a terminal.

use std::io::Read;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::source::{DataFile, OpenedFile};

/// A bar labelled `label` over `size` bytes, or a hidden one when `enabled` is false.
pub fn bar(enabled: bool, size: Option<u64>, label: &'static str) -> ProgressBar {
    if !enabled {
        return ProgressBar::hidden();
    }
    // `stderr()` hides itself when stderr is not a terminal: no bar in logs or pipes.
    let bar = ProgressBar::with_draw_target(size, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{msg:>12} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
            .expect("the template is valid")
            .progress_chars("=> "),
    );
    bar.set_message(label);
    bar
}

/// Wraps a file's reader so that reading it advances a bar; finish the bar when done.
pub fn track<'a>(enabled: bool, file: DataFile, opened: OpenedFile<'a>) -> (Box<dyn Read + 'a>, ProgressBar) {
    let bar = bar(enabled, opened.size, file.name());
    (Box::new(bar.wrap_read(opened.reader)), bar)
}
