//! The query lab: the seed's optimisation and ORM lessons as live endpoints that report, with
//! their data, the statements SQLite really ran for them.

pub mod f_update;
pub mod orm;
pub mod performance;
pub mod q_filters;
pub mod report;
