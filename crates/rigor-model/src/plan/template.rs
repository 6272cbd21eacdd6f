//! The `{variable}` syntax of URLs, headers and bodies, read once here so that the plan's
//! checks (a journey's step uses only what earlier steps extracted) and the engine's compiled
//! templates agree on what a variable is. `{{` and `}}` stand for literal braces.

/// A piece of template text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Literal(String),
    /// A `{name}`, trimmed.
    Variable(String),
}

/// Splits `text` into literal text and variables; an unclosed `{` is refused with the two ways
/// to write what was meant.
pub fn pieces(text: &str) -> Result<Vec<Piece>, String> {
    let mut out = Vec::new();
    let mut literal = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                literal.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                literal.push('}');
            }
            '{' => {
                let mut name = String::new();
                let closed = chars.by_ref().any(|c| {
                    let end = c == '}';
                    if !end {
                        name.push(c);
                    }
                    end
                });
                if !closed {
                    return Err(format!(
                        "`{{` is not closed: write `{{{}}}` for a variable, or `{{{{` for a literal brace",
                        name.trim()
                    ));
                }
                if !literal.is_empty() {
                    out.push(Piece::Literal(std::mem::take(&mut literal)));
                }
                out.push(Piece::Variable(name.trim().to_string()));
            }
            c => literal.push(c),
        }
    }
    if !literal.is_empty() {
        out.push(Piece::Literal(literal));
    }
    Ok(out)
}

/// The variables `text` uses, in order (an unclosed `{` uses none: [`pieces`] reports it).
pub fn variables(text: &str) -> Vec<String> {
    pieces(text)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|p| match p {
            Piece::Variable(name) => Some(name),
            Piece::Literal(_) => None,
        })
        .collect()
}

/// Whether `name` can be a variable a step extracts into: letters, digits and `_`, not
/// starting with a digit.
pub fn is_variable_name(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn braces_split_text_into_literals_and_variables() {
        assert_eq!(
            pieces("/o/{ id }?x={{y}}&n={seq}").unwrap(),
            [
                Piece::Literal("/o/".into()),
                Piece::Variable("id".into()),
                Piece::Literal("?x={y}&n=".into()),
                Piece::Variable("seq".into()),
            ]
        );
        assert!(pieces("/{open").unwrap_err().contains("not closed"));
        assert_eq!(variables("{a}-{b}"), ["a", "b"]);
        assert!(
            is_variable_name("order_id") && !is_variable_name("1x") && !is_variable_name("a-b")
        );
    }
}
