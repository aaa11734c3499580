//! Writing text into markup (HTML, XML) by hand, where no template engine escapes it.

/// `text` safe inside an element or a quoted attribute of HTML or XML: `&`, `<`, `>`,
/// `"` and `'` are written as character references.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn every_character_that_can_end_text_or_an_attribute_is_escaped_and_nothing_else() {
        assert_eq!(
            escape(r#"<a href="x" title='y'>&amp;</a>"#),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;"
        );
        assert_eq!(escape("ज्योतिष · café"), "ज्योतिष · café");
        assert_eq!(escape(""), "");
    }
}
