//! Delivery of queued mail.
