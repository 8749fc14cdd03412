//! One module per scenario; each prints its own tables.

pub mod change;
pub mod chart;
pub mod guard;
pub mod idle;
pub mod load;
pub mod memory;
pub mod proxy;
pub mod rollback;
pub mod swap;
