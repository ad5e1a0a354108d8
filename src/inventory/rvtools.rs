//! RVTools' vmk tab (`RVTools_tabvSC_VMK.csv`). PLACEHOLDER until the importer lands.

use std::path::Path;

use crate::error::{Error, Location, Result};
use crate::model::Inventory;

pub fn parse(path: &Path, _text: &str) -> Result<Inventory> {
    Err(Error::input(
        Location::file(path),
        "RVTools import not implemented yet",
    ))
}
