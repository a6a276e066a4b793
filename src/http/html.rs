//! The little HTML the server renders itself (the reference and the error pages): escaping, and
//! the Markdown inline code the registry's texts use.

pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// `text` as HTML, with each `` `span` `` as `<code>span</code>`; the rest escaped.
pub fn inline_markdown(text: &str) -> String {
    let mut out = String::new();
    for (index, part) in text.split('`').enumerate() {
        if index % 2 == 1 {
            out.push_str("<code>");
            out.push_str(&escape(part));
            out.push_str("</code>");
        } else {
            out.push_str(&escape(part));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_become_code_and_everything_is_escaped() {
        assert_eq!(inline_markdown("send `<key>` & retry"), "send <code>&lt;key&gt;</code> &amp; retry");
        assert_eq!(inline_markdown("no spans"), "no spans");
    }
}
