/// What a redact rule masks: the spans its content conditions find, replaced before delivery.
public enum Redaction {
    /// What replaces each masked span.
    public static let mask = "[redacted]"

    public enum Field: String, Sendable, Hashable {
        case subject
        case body
        /// The rich (HTML or Markdown) form of the body.
        case rich
    }

    /// One masked span: where, what found it (`card`, `iban`, `word`, `pattern`), and the text it covered,
    /// kept only long enough to hash for the audit record.
    public struct Finding: Sendable, Hashable {
        public var field: Field
        public var finder: String
        public var text: String
    }

    /// `text` with every span in `ranges` (UTF-8 byte ranges, any order, may overlap) replaced by
    /// ``mask``, and what each merged span covered. A range that ends inside a character is widened to
    /// the whole character, so the result is always valid text.
    public static func apply(_ text: String, _ ranges: [(range: Range<Int>, finder: String)], field: Field) -> (String, [Finding]) {
        guard !ranges.isEmpty else { return (text, []) }
        let bytes = Array(text.utf8)
        func isContinuation(_ index: Int) -> Bool { index < bytes.count && bytes[index] & 0xC0 == 0x80 }
        var spans = ranges.compactMap { item -> (Range<Int>, String)? in
            var lower = max(0, min(item.range.lowerBound, bytes.count))
            var upper = max(lower, min(item.range.upperBound, bytes.count))
            while lower > 0, isContinuation(lower) { lower -= 1 }
            while isContinuation(upper) { upper += 1 }
            return lower < upper ? (lower..<upper, item.finder) : nil
        }
        spans.sort { $0.0.lowerBound < $1.0.lowerBound }
        var merged: [(Range<Int>, String)] = []
        for span in spans {
            if let last = merged.last, span.0.lowerBound <= last.0.upperBound {
                merged[merged.count - 1].0 = last.0.lowerBound..<max(last.0.upperBound, span.0.upperBound)
            } else {
                merged.append(span)
            }
        }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var findings: [Finding] = []
        var position = 0
        for (range, finder) in merged {
            output += bytes[position..<range.lowerBound]
            output += Array(Self.mask.utf8)
            findings.append(Finding(field: field, finder: finder, text: String(decoding: bytes[range], as: UTF8.self)))
            position = range.upperBound
        }
        output += bytes[position...]
        return (String(decoding: output, as: UTF8.self), findings)
    }
}

extension RuleConditions {
    /// The spans of `text` this rule's words, patterns and detectors find (and, in the subject, its subject
    /// words and patterns), each with what found it: what a redact rule masks.
    public func redactionRanges(in text: String, field: Redaction.Field) -> [(range: Range<Int>, finder: String)] {
        guard !text.isEmpty else { return [] }
        var found: [(range: Range<Int>, finder: String)] = []
        for detector in self.detectors { found += detector.ranges(in: text).map { ($0, detector.rawValue) } }
        if let words { found += words.matches(in: text).map { ($0.range, "word") } }
        for pattern in self.patterns { found += pattern.ranges(in: text).map { ($0, "pattern") } }
        if field == .subject {
            if let subjectWords { found += subjectWords.matches(in: text).map { ($0.range, "word") } }
            for pattern in self.subjectPatterns { found += pattern.ranges(in: text).map { ($0, "pattern") } }
        }
        return found.filter { !$0.range.isEmpty }
    }
}
