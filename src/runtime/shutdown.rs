//! The shutdown signal, fanned out to every task from one place. Tasks check it
//! between messages, so the message in hand is always finished.

use tokio::sync::watch;

/// The sending side: [`Trigger::fire`] asks every task to stop.
#[derive(Debug)]
pub struct Trigger(watch::Sender<bool>);

/// The receiving side, cloned into every task.
#[derive(Debug, Clone)]
pub struct Shutdown(watch::Receiver<bool>);

pub fn channel() -> (Trigger, Shutdown) {
    let (tx, rx) = watch::channel(false);
    (Trigger(tx), Shutdown(rx))
}

impl Trigger {
    pub fn fire(&self) {
        let _ = self.0.send(true);
    }
}

impl Shutdown {
    pub fn is_requested(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves when shutdown is requested (or the trigger is gone).
    pub async fn requested(&mut self) {
        let _ = self.0.wait_for(|stop| *stop).await;
    }

    /// Sleeps for `d` unless shutdown comes first; true when it slept the whole time.
    pub async fn sleep(&mut self, d: std::time::Duration) -> bool {
        tokio::select! {
            _ = tokio::time::sleep(d) => true,
            _ = self.requested() => false,
        }
    }
}
