//! The connection layer below HTTP: how many connections are open at once, how long a client may
//! take to send a request or sit idle, and what happens when `accept` fails.

mod chunked;
mod deadline;
mod exchange;
mod gate;
mod head;
mod limits;
mod refusal;

pub use deadline::DeadlineStream;
pub use exchange::Deadlines;
pub use gate::GatedAcceptor;
pub use limits::{connection_cap, raise_open_file_limit, ConnectionLimits};
