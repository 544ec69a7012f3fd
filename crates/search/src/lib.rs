//! Japanese text analysis and search for Madoguchi.

pub mod analysis;
