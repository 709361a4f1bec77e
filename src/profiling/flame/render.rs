//! Folded stacks to an SVG flamegraph, with inferno, in process.

use std::path::PathBuf;

use clap::Args;

/// `movielens flamegraph`: render a folded-stacks file.
#[derive(Debug, Clone, Args)]
pub struct FlamegraphConfig {
    /// A folded-stacks file, as `serve --flame` writes it (`frame;frame;frame count` lines).
    #[arg(env = "MOVIELENS_FLAMEGRAPH_INPUT")]
    pub input: PathBuf,

    /// The title drawn at the top of the graph.
    #[arg(long, env = "MOVIELENS_FLAMEGRAPH_TITLE", default_value = "movielens spans")]
    pub title: String,
}

/// The folded input held no stack at all.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("no stacks to draw: {0}")]
    Empty(String),
    #[error("the flamegraph could not be drawn: {0}")]
    Failed(std::io::Error),
}

/// Draws `folded` (one `a;b;c count` line per stack) as an SVG flamegraph. Counts are nanoseconds.
pub fn svg(folded: &str, title: &str, subtitle: Option<String>) -> Result<Vec<u8>, RenderError> {
    let lines: Vec<&str> = folded.lines().filter(|line| !line.trim().is_empty()).collect();
    if lines.is_empty() {
        return Err(RenderError::Empty("the input has no `stack count` lines".to_string()));
    }
    let mut options = inferno::flamegraph::Options::default();
    options.title = title.to_string();
    options.subtitle = subtitle;
    options.count_name = "ns".to_string();
    options.name_type = "Span:".to_string();
    let mut out = Vec::new();
    match inferno::flamegraph::from_lines(&mut options, lines.iter().copied(), &mut out) {
        Ok(()) => Ok(out),
        // inferno refuses input in which no line parses as a stack and a count.
        Err(err) if err.kind() == std::io::ErrorKind::InvalidData => Err(RenderError::Empty(err.to_string())),
        Err(err) => Err(RenderError::Failed(err)),
    }
}

/// A small SVG that says `message`, for a window in which no span was entered.
pub fn message_svg(title: &str, message: &str) -> String {
    format!(
        "<?xml version=\"1.0\" standalone=\"no\"?>\n\
         <svg version=\"1.1\" width=\"1200\" height=\"90\" viewBox=\"0 0 1200 90\" xmlns=\"http://www.w3.org/2000/svg\">\n\
         <rect x=\"0\" y=\"0\" width=\"100%\" height=\"100%\" fill=\"#f8f8f8\"/>\n\
         <text x=\"600\" y=\"32\" text-anchor=\"middle\" font-family=\"Verdana, sans-serif\" font-size=\"17\">{}</text>\n\
         <text x=\"600\" y=\"62\" text-anchor=\"middle\" font-family=\"Verdana, sans-serif\" font-size=\"13\">{}</text>\n\
         </svg>\n",
        escape(title),
        escape(message)
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// `movielens flamegraph FILE`: the SVG on stdout.
pub fn run(config: &FlamegraphConfig) -> anyhow::Result<()> {
    use anyhow::Context;
    use std::io::Write;
    let folded = std::fs::read_to_string(&config.input)
        .with_context(|| format!("reading the folded stacks {}", config.input.display()))?;
    let svg = svg(&folded, &config.title, None).with_context(|| config.input.display().to_string())?;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&svg).and_then(|()| stdout.flush()).context("writing the SVG to stdout")?;
    Ok(())
}
