//! Colours and styles.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Theme {}
