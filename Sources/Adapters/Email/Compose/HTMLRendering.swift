import BridgeModel
/// Turns plain chat text into a small, safe HTML document for the `text/html` alternative.
///
/// Everything the user typed is escaped; the only markup is what this type writes: paragraphs for
/// blank-line-separated blocks, `<br>` for single line breaks, and links for `http://` and `https://`
/// URLs (no other scheme can become a link, so `javascript:` stays text).
///
///     "see https://acme.test/x.\n<b>not bold</b>"
///     → <p>see <a href="https://acme.test/x">https://acme.test/x</a>.<br>
///       &lt;b&gt;not bold&lt;/b&gt;</p>
public enum HTMLRendering {
    /// A complete HTML document for `text`.
    public static func document(fromPlainText text: String) -> String {
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head><body>\n"
            + Self.fragment(fromPlainText: text)
            + "\n</body></html>\n"
    }

    /// The body markup only: `<p>` blocks.
    public static func fragment(fromPlainText text: String) -> String {
        var paragraphs: [[Substring]] = []
        var current: [Substring] = []
        for line in MIMEComposer.lines(of: text).map({ Substring(decoding: $0, as: UTF8.self) }) {
            if line.allSatisfy(\.isWhitespace) {
                if !current.isEmpty { paragraphs.append(current) }
                current = []
            } else {
                current.append(line)
            }
        }
        if !current.isEmpty { paragraphs.append(current) }
        return paragraphs.map { lines in
            "<p>" + lines.map(Self.linkified).joined(separator: "<br>\n") + "</p>"
        }.joined(separator: "\n")
    }

    /// One line with its URLs as links and everything else escaped.
    static func linkified(_ line: Substring) -> String {
        var output = ""
        var rest = line[...]
        // Each pass consumes a URL (never empty) or the rest of the line.
        while !rest.isEmpty {
            guard let start = Self.nextURLStart(in: rest) else {
                output += Self.escaped(rest)
                break
            }
            output += Self.escaped(rest[..<start])
            var end = rest[start...].firstIndex { $0.isWhitespace || "<>\"".contains($0) } ?? rest.endIndex
            end = Self.trimmingTrailingPunctuation(rest[start..<end])
            let url = rest[start..<end]
            if let separator = url.firstRange(of: "://"), separator.upperBound < url.endIndex {
                output += "<a href=\"\(Self.escaped(url))\">\(Self.escaped(url))</a>"
            } else {
                output += Self.escaped(url)
            }
            rest = rest[end...]  // `url` starts with "http", so this always moves forward
        }
        return output
    }

    /// Where the next `http://` or `https://` starts at a word boundary.
    private static func nextURLStart(in text: Substring) -> Substring.Index? {
        var index = text.startIndex
        // Bounded by the length of `text`.
        while index < text.endIndex {
            let tail = text[index...]
            let lower = tail.prefix(8).lowercased()
            if lower.hasPrefix("http://") || lower.hasPrefix("https://") {
                let atBoundary = index == text.startIndex || !text[text.index(before: index)].isLetter && !text[text.index(before: index)].isNumber
                if atBoundary { return index }
            }
            index = text.index(after: index)
        }
        return nil
    }

    /// Drops sentence punctuation after a URL, and a closing parenthesis that the URL did not open.
    private static func trimmingTrailingPunctuation(_ url: Substring) -> Substring.Index {
        var end = url.endIndex
        // Bounded by the URL's length.
        while end > url.startIndex {
            let last = url[url.index(before: end)]
            let candidate = url[..<end]
            if ".,;:!?'".contains(last) {
                end = url.index(before: end)
            } else if last == ")", candidate.filter({ $0 == ")" }).count > candidate.filter({ $0 == "(" }).count {
                end = url.index(before: end)
            } else {
                break
            }
        }
        return end
    }

    static func escaped(_ text: Substring) -> String { HTMLText.escaped(text) }
}
