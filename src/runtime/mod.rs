//! What the long-running tasks (mailboxes, sender, scheduler) share: the clock,
//! the shutdown signal, the wake-ups between them, the counters and health for
//! operators, who this instance is (for leases and claims), and the faults tests can arm.

mod clock;
pub mod faults;
mod health;
mod instance;
mod metrics;
mod shutdown;

pub use clock::Clock;
pub use health::Health;
pub use instance::Instance;
pub use metrics::Metrics;
pub use shutdown::{Shutdown, Trigger, channel};

use tokio::sync::Notify;

/// How one task tells another that work is waiting, so neither polls.
#[derive(Debug, Default)]
pub struct Wakeups {
    /// A transaction queued mail: the sender looks at once.
    pub outbox: Notify,
    /// A transaction changed a deadline: the scheduler looks at once.
    pub deadlines: Notify,
}
