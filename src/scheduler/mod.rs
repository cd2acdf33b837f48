//! One loop over the deadlines stored in the database.
