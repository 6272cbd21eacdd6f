//! Splitting a command line into words the way a POSIX shell would, without running one.
//!
//! Commands run without a shell by default (no start-up cost to subtract, no surprises from
//! shell syntax), so `rigor bench -- 'grep -c "a b" file'` must still become
//! `["grep", "-c", "a b", "file"]`. Quoting follows `sh`: single quotes are literal, double
//! quotes honour `\` before `$`, `` ` ``, `"`, `\` and newline, and a backslash outside quotes
//! escapes the next character. There is no expansion of any kind (`$VAR`, `*`, `~`) and `#` is
//! an ordinary character: anything needing those wants `--shell`.

/// A command line that cannot be split.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    #[error("unterminated {quote} quote in `{line}`")]
    UnterminatedQuote { line: String, quote: &'static str },
    #[error("`{line}` ends with a lone backslash")]
    TrailingBackslash { line: String },
}

/// Splits `line` into words, honouring quotes and backslashes as `sh` does.
pub fn split(line: &str) -> Result<Vec<String>, SplitError> {
    let mut words = Vec::new();
    // `None` between words; `Some` once a word has started, even if it is empty (`''`).
    let mut word: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if let Some(done) = word.take() {
                    words.push(done);
                }
            }
            '\'' => {
                let current = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(inner) => current.push(inner),
                        None => return Err(unterminated(line, "single")),
                    }
                }
            }
            '"' => {
                let current = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(escaped @ ('$' | '`' | '"' | '\\')) => current.push(escaped),
                            Some('\n') => {}
                            Some(other) => {
                                current.push('\\');
                                current.push(other);
                            }
                            None => return Err(unterminated(line, "double")),
                        },
                        Some(inner) => current.push(inner),
                        None => return Err(unterminated(line, "double")),
                    }
                }
            }
            '\\' => match chars.next() {
                Some('\n') => {}
                Some(escaped) => word.get_or_insert_with(String::new).push(escaped),
                None => {
                    return Err(SplitError::TrailingBackslash {
                        line: line.to_string(),
                    })
                }
            },
            other => word.get_or_insert_with(String::new).push(other),
        }
    }
    if let Some(done) = word {
        words.push(done);
    }
    Ok(words)
}

fn unterminated(line: &str, quote: &'static str) -> SplitError {
    SplitError::UnterminatedQuote {
        line: line.to_string(),
        quote,
    }
}

/// Whether `line` uses syntax that only a shell gives meaning to (pipes, redirections,
/// variables, globs, command lists), so an error can suggest running it with a shell.
pub fn looks_like_shell_syntax(line: &str) -> bool {
    line.contains(['|', '&', ';', '<', '>', '$', '*', '?', '`', '~', '(', ')'])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(line: &str) -> Vec<String> {
        split(line).unwrap()
    }

    #[test]
    fn splits_like_sh() {
        let cases: &[(&str, &[&str])] = &[
            ("", &[]),
            ("   ", &[]),
            ("true", &["true"]),
            ("  sleep   0.05  ", &["sleep", "0.05"]),
            ("grep -c \"a b\" file", &["grep", "-c", "a b", "file"]),
            ("echo 'it''s'", &["echo", "its"]),
            ("echo 'a \"b\" c'", &["echo", "a \"b\" c"]),
            ("echo \"it's\"", &["echo", "it's"]),
            ("echo a\\ b", &["echo", "a b"]),
            ("echo \"a\\\"b\\\\c\\$d\"", &["echo", "a\"b\\c$d"]),
            // Inside double quotes a backslash before an ordinary character stays.
            ("echo \"a\\nb\"", &["echo", "a\\nb"]),
            ("echo '' x", &["echo", "", "x"]),
            ("echo \"\"", &["echo", ""]),
            ("pre'fix'\"ed\"", &["prefixed"]),
            ("python3 -c 'print(1)'", &["python3", "-c", "print(1)"]),
            ("echo $HOME *.rs #c", &["echo", "$HOME", "*.rs", "#c"]),
            ("a\\\nb", &["ab"]),
            ("tab\tseparated\nlines", &["tab", "separated", "lines"]),
        ];
        for (line, want) in cases {
            assert_eq!(ok(line), *want, "splitting {line:?}");
        }
    }

    #[test]
    fn refuses_unbalanced_quotes() {
        assert_eq!(
            split("echo 'abc").unwrap_err().to_string(),
            "unterminated single quote in `echo 'abc`"
        );
        assert_eq!(
            split("echo \"abc").unwrap_err().to_string(),
            "unterminated double quote in `echo \"abc`"
        );
        assert_eq!(
            split("echo abc\\").unwrap_err().to_string(),
            "`echo abc\\` ends with a lone backslash"
        );
    }

    #[test]
    fn spots_shell_syntax() {
        assert!(looks_like_shell_syntax("ls | wc -l"));
        assert!(looks_like_shell_syntax("make && ./a.out"));
        assert!(looks_like_shell_syntax("echo $PATH"));
        assert!(!looks_like_shell_syntax("sleep 0.1"));
    }
}
