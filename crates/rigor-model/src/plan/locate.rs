//! Where a key or value stands in the plan's text, so that a message on a plan names its line
//! and column: the second reading of the text (toml_edit keeps the spans that serde drops).

use toml_edit::{ImDocument, Item};

/// A step from a table into what it holds: a key, or the n-th entry of an array.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// The plan's text, parsed once more for positions.
pub(crate) struct Locator<'t> {
    text: &'t str,
    doc: Option<ImDocument<&'t str>>,
}

impl<'t> Locator<'t> {
    pub(crate) fn new(text: &'t str) -> Locator<'t> {
        Locator {
            text,
            doc: ImDocument::parse(text).ok(),
        }
    }

    /// The 1-based line and column of the deepest part of `path` the plan has (the table
    /// header, the key's value, the array entry), or `None` when not even its first step is
    /// there (a plan built from flags, or text that does not parse).
    pub(crate) fn find(&self, path: &[Step]) -> Option<(usize, usize)> {
        self.span(path)
            .map(|span| line_column(self.text, span.start))
    }

    /// Where `path` is, and the column `column` (1-based, in the string's value) falls at
    /// when the value is a string written without escapes: a position inside an expression.
    pub(crate) fn find_in_string(&self, path: &[Step], column: usize) -> Option<(usize, usize)> {
        let span = self.span(path)?;
        let raw = &self.text[span.clone()];
        let value = self.item(path).and_then(Item::as_str);
        let start = match value {
            // `"…"` or `'…'` holding the value exactly: the column is inside the quotes.
            Some(value) if raw.len() == value.len() + 2 && &raw[1..raw.len() - 1] == value => {
                let lead = value.len() - value.trim_start().len();
                let inside: usize = value[lead..]
                    .chars()
                    .take(column.saturating_sub(1))
                    .map(char::len_utf8)
                    .sum();
                span.start + 1 + lead + inside
            }
            _ => span.start,
        };
        Some(line_column(self.text, start))
    }

    fn item(&self, path: &[Step]) -> Option<&Item> {
        let mut item = self.doc.as_ref()?.as_item();
        for step in path {
            item = match step {
                Step::Key(key) => item.get(key)?,
                Step::Index(i) => item.get(i)?,
            };
        }
        Some(item)
    }

    fn span(&self, path: &[Step]) -> Option<std::ops::Range<usize>> {
        // The deepest step that is there and has a span.
        (1..=path.len())
            .rev()
            .find_map(|len| self.item(&path[..len]).and_then(Item::span))
    }
}

/// The 1-based line and column (in characters) of a byte offset in `text`.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAN: &str = r#"# a plan
[[scenario]]
name = "a"
phases = [
  { kind = "steady", rate = "1/s", for = "1s" },
  { kind = "steady", rate = "2/s", for = "1s" },
]
thresholds = ["latency.p95 << 10ms", 'error_rate < 1%']

[[scenario]]
name = "b"

[[scenario.request]]
url = "http://127.0.0.1:1/"
"#;

    #[test]
    fn finds_headers_keys_entries_and_columns_inside_strings() {
        let at = Locator::new(PLAN);
        let scenario = |i| [Step::Key("scenario"), Step::Index(i)];
        assert_eq!(at.find(&scenario(0)), Some((2, 1)));
        assert_eq!(at.find(&scenario(1)), Some((10, 1)));
        let phase = [
            Step::Key("scenario"),
            Step::Index(0),
            Step::Key("phases"),
            Step::Index(1),
        ];
        assert_eq!(at.find(&phase), Some((6, 3)));
        let request = [
            Step::Key("scenario"),
            Step::Index(1),
            Step::Key("request"),
            Step::Index(0),
            Step::Key("url"),
        ];
        assert_eq!(at.find(&request), Some((14, 7)));
        let threshold = |i| {
            [
                Step::Key("scenario"),
                Step::Index(0),
                Step::Key("thresholds"),
                Step::Index(i),
            ]
        };
        // Column 13 of the expression is its `<<`.
        assert_eq!(at.find_in_string(&threshold(0), 13), Some((8, 28)));
        assert_eq!(at.find_in_string(&threshold(1), 1), Some((8, 39)));
        // A key that is not there: its table.
        let missing = [Step::Key("scenario"), Step::Index(1), Step::Key("phases")];
        assert_eq!(at.find(&missing), Some((10, 1)));
        assert_eq!(Locator::new("not toml [").find(&scenario(0)), None);
    }
}
