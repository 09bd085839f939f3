//! Routing table names, as iproute2's `rt_tables` file gives them.
//!
//! The reserved names (`unspec` 0, `default` 253, `main` 254, `local` 255) always exist;
//! more come from an rt_tables-format file (`rt_tables PATH` in a config) or one at a time
//! (`rt_table ID NAME`). Printing uses the name when there is one, as `ip` does.

use ruta_fib::{route::parse_u32_any, TableId};
use std::collections::BTreeMap;

#[derive(Clone, Debug)]
pub struct TableNames {
    by_id: BTreeMap<TableId, String>,
}

impl Default for TableNames {
    fn default() -> Self {
        let mut by_id = BTreeMap::new();
        for (id, n) in [
            (0, "unspec"),
            (253, "default"),
            (254, "main"),
            (255, "local"),
        ] {
            by_id.insert(id, n.to_string());
        }
        TableNames { by_id }
    }
}

impl TableNames {
    /// The name `ip` prints for a table: its name, or its number.
    pub fn name(&self, id: TableId) -> String {
        self.by_id
            .get(&id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }

    /// Reads a table word: a known name or a number (decimal, 0x hex, octal).
    pub fn parse(&self, s: &str) -> Option<TableId> {
        if let Some((id, _)) = self.by_id.iter().find(|(_, n)| n.as_str() == s) {
            return Some(*id);
        }
        parse_u32_any(s)
    }

    /// Adds one name. Names are words of letters, digits, `_`, `-` and `.`, not starting
    /// with a digit (so that they never read as numbers).
    pub fn add(&mut self, id: TableId, name: &str) -> Result<(), String> {
        let ok = !name.is_empty()
            && name.len() <= 64
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if !ok {
            return Err(format!("invalid table name \"{name}\""));
        }
        if let Some((other, _)) = self
            .by_id
            .iter()
            .find(|(i, n)| n.as_str() == name && **i != id)
        {
            return Err(format!("table name \"{name}\" is already table {other}"));
        }
        self.by_id.insert(id, name.to_string());
        Ok(())
    }

    /// Reads an rt_tables-format text: `ID NAME` per line, `#` comments. Returns the line
    /// number and message of the first bad line.
    pub fn load(&mut self, text: &str) -> Result<(), (usize, String)> {
        for (i, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let mut w = line.split_whitespace();
            let (id, name) = (w.next(), w.next());
            let (Some(id), Some(name), None) = (id, name, w.next()) else {
                return Err((i + 1, format!("expected \"ID NAME\", found \"{line}\"")));
            };
            let id =
                parse_u32_any(id).ok_or_else(|| (i + 1, format!("invalid table id \"{id}\"")))?;
            self.add(id, name).map_err(|e| (i + 1, e))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_and_loaded() {
        let mut n = TableNames::default();
        assert_eq!(n.name(254), "main");
        assert_eq!(n.name(4), "4");
        assert_eq!(n.parse("local"), Some(255));
        n.load("# comment\n4\tdsl\n0x10 t1 # trailing\n").unwrap();
        assert_eq!(n.name(4), "dsl");
        assert_eq!(n.parse("t1"), Some(16));
        assert!(n.load("5 dsl\n").is_err());
        assert!(n.load("x y\n").is_err());
        assert!(n.add(7, "7seven").is_err());
    }
}
