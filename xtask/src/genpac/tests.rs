//! Tests of gen-pac.
