/// Turns an HTML mail body into readable plain text, in one linear pass with no regular expressions.
///
/// - `script`, `style`, `head`, `title`, `template`, `noscript` and Outlook's `xml` islands are dropped,
///   comments too (Outlook's conditional comments included).
/// - Block elements end lines; `p` and headings leave a blank line (except Outlook's zero-margin
///   `MsoNormal` paragraphs); `br` is a line break; `pre` keeps its blanks.
/// - List items start with `- `, indented two spaces per nesting level; table cells are separated by a blank.
/// - `blockquote` lines are prefixed with `> ` per level, so the plain text quote rules apply to them.
/// - A link whose text differs from its target reads `text (url)`; `#`, `javascript:` and `cid:` targets and
///   links with no text are left out.
/// - Character references are decoded (named and numeric); runs of blanks collapse to one. A no-break space
///   is a plain space that does not collapse, so Outlook's `<p>&nbsp;</p>` stays an empty line.
/// - With `dropQuotedReplies`, reply quotes marked up by mail clients are dropped: Gmail's
///   `div.gmail_quote`, Thunderbird's `div.moz-cite-prefix` and `blockquote type=cite`, Yahoo's
///   `div.yahoo_quoted`.
///
/// Element nesting is tracked up to 512 levels; deeper start tags are treated as inline.
public struct HTMLTextRenderer {
    public static func render(_ html: String, dropQuotedReplies: Bool = false) -> String {
        var renderer = HTMLTextRenderer(Array(html.utf8), dropQuotedReplies: dropQuotedReplies)
        renderer.run()
        return renderer.finish()
    }

    struct Element {
        var name: String
        var isQuote = false
        var isPre = false
        var isList = false
        var breaks = 0
        var link: (href: String, start: Int)?
    }

    static let maxStack = 512
    static let skipped: Set<String> = ["script", "style", "head", "title", "template", "noscript", "xml"]
    static let void: Set<String> = [
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr",
    ]
    static let blocks: Set<String> = [
        "address", "article", "aside", "center", "dd", "details", "div", "dl", "dt", "fieldset", "figcaption",
        "figure", "footer", "form", "header", "main", "nav", "section", "summary", "table", "tbody", "thead",
        "tfoot", "tr", "caption", "body", "html",
    ]
    static let paragraphs: Set<String> = ["p", "h1", "h2", "h3", "h4", "h5", "h6"]

    let bytes: [UInt8]
    let lower: [UInt8]
    let dropQuotedReplies: Bool
    var output: [UInt8] = []
    var pendingBreaks = 0
    var pendingSpace = false
    var atLineStart = true
    var pendingListMarker = false
    var stack: [Element] = []
    var quoteDepth = 0
    var preDepth = 0
    var listDepth = 0
    /// While set, output is suppressed until the element at this stack index closes.
    var droppedFrom: Int?
    /// Skipped elements known to have no closing tag after the current position.
    var unclosed: Set<String> = []

    init(_ bytes: [UInt8], dropQuotedReplies: Bool) {
        self.bytes = bytes
        self.lower = bytes.map(asciiLower)
        self.dropQuotedReplies = dropQuotedReplies
    }

    mutating func run() {
        var index = 0
        // Each round consumes at least one byte.
        while index < self.bytes.count {
            let byte = self.bytes[index]
            switch byte {
            case UInt8(ascii: "<"):
                index = self.tag(at: index)
            case UInt8(ascii: "&"):
                if let (scalar, end) = HTMLEntities.decode(self.bytes, at: index) {
                    if scalar == "\u{A0}" {
                        self.content(0x20)
                    } else {
                        for unit in String(scalar).utf8 { self.content(unit) }
                    }
                    index = end
                } else {
                    self.content(byte)
                    index += 1
                }
            case 0x20, 0x09, 0x0C:
                self.preDepth > 0 ? self.content(byte) : self.blank()
                index += 1
            case 0x0A:
                self.preDepth > 0 ? self.lineBreak(1, hard: true) : self.blank()
                index += 1
            case 0x0D:
                index += 1
            case 0xC2 where index + 1 < self.bytes.count && self.bytes[index + 1] == 0xA0:
                self.content(0x20)
                index += 2
            default:
                self.content(byte)
                index += 1
            }
        }
    }

    func finish() -> String {
        let text = String(decoding: self.output, as: UTF8.self)
        var lines: [Substring] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var trimmed = line
            while let last = trimmed.last, last == " " { trimmed = trimmed.dropLast() }
            lines.append(trimmed)
        }
        return lines.joined(separator: "\n").trimmingBlanks()
    }

    // MARK: Output

    mutating func content(_ byte: UInt8) {
        guard self.droppedFrom == nil else { return }
        if self.pendingBreaks > 0 {
            if !self.output.isEmpty {
                self.output.append(contentsOf: repeatElement(0x0A, count: min(self.pendingBreaks, 2)))
                self.atLineStart = true
            }
            self.pendingBreaks = 0
        }
        if self.atLineStart {
            if self.quoteDepth > 0 {
                self.output.append(contentsOf: repeatElement(UInt8(ascii: ">"), count: self.quoteDepth))
                self.output.append(0x20)
            }
            if self.pendingListMarker {
                self.output.append(contentsOf: repeatElement(0x20, count: max(0, self.listDepth - 1) * 2))
                self.output.append(contentsOf: Array("- ".utf8))
                self.pendingListMarker = false
            }
            self.atLineStart = false
            self.pendingSpace = false
        } else if self.pendingSpace {
            self.output.append(0x20)
            self.pendingSpace = false
        }
        self.output.append(byte)
    }

    mutating func blank() {
        guard self.droppedFrom == nil, !self.atLineStart else { return }
        self.pendingSpace = true
    }

    mutating func lineBreak(_ count: Int, hard: Bool = false) {
        guard self.droppedFrom == nil else { return }
        if hard {
            self.pendingBreaks += 1
            if self.output.isEmpty { self.pendingBreaks = 0 }
        } else {
            self.pendingBreaks = max(self.pendingBreaks, count)
        }
        if self.pendingBreaks > 0 || self.output.isEmpty { self.atLineStart = true }
        self.pendingSpace = false
    }

    // MARK: Tags

    /// Handles the markup starting at `start` (a `<`) and returns the index after it.
    mutating func tag(at start: Int) -> Int {
        let count = self.bytes.count
        guard start + 1 < count else {
            self.content(UInt8(ascii: "<"))
            return start + 1
        }
        let next = self.bytes[start + 1]
        if next == UInt8(ascii: "!") {
            if self.matches("<!--", at: start) {
                return (self.find(Array("-->".utf8), from: start + 4).map { $0 + 3 }) ?? count
            }
            return (self.bytes[start...].firstIndex(of: UInt8(ascii: ">")).map { $0 + 1 }) ?? count
        }
        if next == UInt8(ascii: "?") {
            return (self.bytes[start...].firstIndex(of: UInt8(ascii: ">")).map { $0 + 1 }) ?? count
        }
        let isEnd = next == UInt8(ascii: "/")
        let nameStart = isEnd ? start + 2 : start + 1
        var index = nameStart
        while index < count, HTMLEntities.isAlphanumeric(self.bytes[index]) || self.bytes[index] == UInt8(ascii: ":") {
            index += 1
        }
        guard index > nameStart else {
            self.content(UInt8(ascii: "<"))
            return start + 1
        }
        let name = String(decoding: self.lower[nameStart..<index], as: UTF8.self)
        let (attributes, selfClosing, end) = self.attributes(from: index)
        if isEnd {
            self.endTag(name)
        } else {
            return self.startTag(name, attributes: attributes, selfClosing: selfClosing, end: end)
        }
        return end
    }

    mutating func startTag(_ name: String, attributes: [String: String], selfClosing: Bool, end: Int) -> Int {
        if HTMLTextRenderer.skipped.contains(name) && !selfClosing {
            if !self.unclosed.contains(name), let close = self.find(Array("</\(name)".utf8), from: end) {
                return (self.bytes[close...].firstIndex(of: UInt8(ascii: ">")).map { $0 + 1 }) ?? self.bytes.count
            }
            // Remembered, so a thousand unclosed `<head>` tags cost one scan, not a thousand.
            self.unclosed.insert(name)
            // An unclosed head still holds the body: keep going and skip only what is inside it.
            return name == "head" ? end : self.bytes.count
        }
        switch name {
        case "br":
            self.lineBreak(1, hard: true)
            return end
        case "hr":
            self.lineBreak(1)
            return end
        default:
            break
        }
        if HTMLTextRenderer.void.contains(name) || selfClosing { return end }
        if name == "p" || name == "li", self.stack.last?.name == name { self.endTag(name) }
        var element = Element(name: name)
        let classes = (attributes["class"] ?? "").lowercased()
        if self.dropQuotedReplies, self.droppedFrom == nil,
            classes.contains("gmail_quote") || classes.contains("moz-cite-prefix") || classes.contains("yahoo_quoted")
                || (name == "blockquote" && (attributes["type"] ?? "").lowercased() == "cite")
        {
            self.droppedFrom = self.stack.count
        }
        switch name {
        case "blockquote":
            self.lineBreak(1)
            self.quoteDepth += 1
            element.isQuote = true
            element.breaks = 1
        case "pre":
            self.lineBreak(1)
            self.preDepth += 1
            element.isPre = true
            element.breaks = 1
        case "ul", "ol", "menu":
            self.lineBreak(1)
            self.listDepth += 1
            element.isList = true
            element.breaks = 1
        case "li":
            self.lineBreak(1)
            self.pendingListMarker = self.droppedFrom == nil
            element.breaks = 1
        case "td", "th":
            self.blank()
        case "a":
            if let href = attributes["href"] { element.link = (href, self.output.count) }
        default:
            if HTMLTextRenderer.paragraphs.contains(name) {
                element.breaks = classes.contains("msonormal") ? 1 : 2
                self.lineBreak(element.breaks)
            } else if HTMLTextRenderer.blocks.contains(name) {
                element.breaks = 1
                self.lineBreak(1)
            }
        }
        if self.stack.count < HTMLTextRenderer.maxStack { self.stack.append(element) }
        return end
    }

    mutating func endTag(_ name: String) {
        if name == "br" {
            self.lineBreak(1, hard: true)
            return
        }
        guard let position = self.stack.lastIndex(where: { $0.name == name }) else { return }
        while self.stack.count > position {
            let element = self.stack.removeLast()
            if element.isQuote { self.quoteDepth -= 1 }
            if element.isPre { self.preDepth -= 1 }
            if element.isList { self.listDepth -= 1 }
            if let link = element.link { self.finishLink(href: link.href, start: link.start) }
            if element.breaks > 0 { self.lineBreak(element.breaks) }
            if self.droppedFrom == self.stack.count { self.droppedFrom = nil }
        }
    }

    mutating func finishLink(href: String, start: Int) {
        guard self.droppedFrom == nil else { return }
        let target = href.trimmingBlanks()
        let lowered = target.lowercased()
        guard !target.isEmpty, !lowered.hasPrefix("#"), !lowered.hasPrefix("javascript:"), !lowered.hasPrefix("cid:"),
            start <= self.output.count
        else { return }
        let text = String(decoding: self.output[start...], as: UTF8.self).trimmingBlanks()
        guard !text.isEmpty, Self.comparable(text) != Self.comparable(target) else { return }
        self.pendingSpace = true
        for byte in "(\(target))".utf8 { self.content(byte) }
    }

    /// A link target or text without scheme, `www.` and trailing slash, lower-cased, for comparison.
    static func comparable(_ text: String) -> String {
        var value = Substring(text.lowercased())
        for prefix in ["mailto:", "https://", "http://", "www."] where value.hasPrefix(prefix) {
            value = value.dropFirst(prefix.count)
        }
        while value.hasSuffix("/") { value = value.dropLast() }
        return String(value)
    }

    // MARK: Scanning

    /// Parses attributes up to the closing `>` (quoted values may hold `>`). Names are lower-cased, values
    /// have their character references decoded.
    func attributes(from start: Int) -> (attributes: [String: String], selfClosing: Bool, end: Int) {
        var attributes: [String: String] = [:]
        var index = start
        let count = self.bytes.count
        var selfClosing = false
        // Each round consumes at least one byte.
        while index < count {
            let byte = self.bytes[index]
            if byte == UInt8(ascii: ">") { return (attributes, selfClosing, index + 1) }
            if byte == UInt8(ascii: "/") {
                selfClosing = true
                index += 1
                continue
            }
            if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x0C {
                index += 1
                continue
            }
            selfClosing = false
            let nameStart = index
            while index < count, !" \t\r\n\u{0C}=>/".utf8.contains(self.bytes[index]) { index += 1 }
            let name = String(decoding: self.lower[nameStart..<index], as: UTF8.self)
            while index < count, self.bytes[index] == 0x20 || self.bytes[index] == 0x09 { index += 1 }
            guard index < count, self.bytes[index] == UInt8(ascii: "=") else {
                if !name.isEmpty { attributes[name] = attributes[name] ?? "" }
                if index == nameStart { index += 1 }
                continue
            }
            index += 1
            while index < count, self.bytes[index] == 0x20 || self.bytes[index] == 0x09 || self.bytes[index] == 0x0A {
                index += 1
            }
            var value: ArraySlice<UInt8> = []
            if index < count, self.bytes[index] == UInt8(ascii: "\"") || self.bytes[index] == UInt8(ascii: "'") {
                let quote = self.bytes[index]
                let close = self.bytes[(index + 1)...].firstIndex(of: quote) ?? count
                value = self.bytes[(index + 1)..<close]
                index = min(close + 1, count)
            } else {
                let valueStart = index
                while index < count, !" \t\r\n>".utf8.contains(self.bytes[index]) { index += 1 }
                value = self.bytes[valueStart..<index]
            }
            if attributes[name] == nil { attributes[name] = HTMLEntities.decodeAll(value) }
        }
        return (attributes, selfClosing, count)
    }

    func matches(_ text: String, at index: Int) -> Bool {
        let pattern = Array(text.utf8)
        guard index + pattern.count <= self.lower.count else { return false }
        return self.lower[index..<(index + pattern.count)].elementsEqual(pattern)
    }

    /// The index of the next occurrence of a lower-case pattern, searching case-insensitively.
    func find(_ pattern: [UInt8], from start: Int) -> Int? {
        guard let first = pattern.first, start < self.lower.count else { return nil }
        var index = start
        while let candidate = self.lower[index...].firstIndex(of: first) {
            if candidate + pattern.count > self.lower.count { return nil }
            if self.lower[candidate..<(candidate + pattern.count)].elementsEqual(pattern) { return candidate }
            index = candidate + 1
        }
        return nil
    }
}
