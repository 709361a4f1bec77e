//! movielens: a single-binary REST server for the MovieLens data set, over SQLite.

pub mod api;
pub mod cache;
pub mod cli;
pub mod config;
pub mod db;
pub mod import;
pub mod jobs;
pub mod model;
pub mod net;
pub mod profiling;
pub mod recommend;
pub mod startup;
pub mod telemetry;
pub mod web;
