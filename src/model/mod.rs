//! The domain types: what the API serves and the database layer reads and writes. Both layers use
//! them; they carry poem-openapi derives so that the API can document them as they are.

pub mod admin;
pub mod caching;
pub mod genres;
pub mod index_compare;
pub mod inspector;
pub mod lab;
pub mod movies;
pub mod periodic_tasks;
pub mod pool;
pub mod ratings;
pub mod recommendations;
pub mod schedules;
pub mod stats;
pub mod tasks;
pub mod users;
