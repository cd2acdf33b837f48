//! `klagebot run`: the stages wired together.
