/// Splits a header section (RFC 5322 §2.2, §3.5) off the front of a message or body part.
///
/// Lines end in LF with an optional CR before it: mail stores often keep bare-LF files, and the bytes came
/// from IMAP, not from an SMTP conversation, so there is no smuggling risk in accepting both here.
enum HeaderSectionParser {
    struct Section {
        var headers: EmailHeaders
        /// Index in the raw bytes where the body starts (after the blank line).
        var bodyStart: Int
        var warnings: [String]
    }

    /// - Parameter requireHeaders: the top-level message must start with a header field (else it is not mail);
    ///   a body part that does not is taken as a part without headers.
    static func parse(
        _ raw: [UInt8],
        in range: Range<Int>,
        limits: EmailLimits,
        requireHeaders: Bool
    ) throws(EmailParseError) -> Section {
        var pending: [(name: ArraySlice<UInt8>, value: [UInt8])] = []
        var warnings: [String] = []
        var index = range.lowerBound
        var bodyStart = range.upperBound
        var isFirstLine = true
        while index < range.upperBound {
            let lineEnd = raw[index..<range.upperBound].firstIndex(of: 0x0A) ?? range.upperBound
            let contentEnd = lineEnd > index && raw[lineEnd - 1] == 0x0D ? lineEnd - 1 : lineEnd
            let next = min(lineEnd + 1, range.upperBound)
            guard contentEnd - index <= limits.maxHeaderLineBytes else {
                throw EmailParseError(.headerTooLong, "a header line is longer than \(limits.maxHeaderLineBytes) bytes")
            }
            guard next - range.lowerBound <= limits.maxHeaderSectionBytes else {
                throw EmailParseError(
                    .headerTooLong,
                    "a header section is larger than \(limits.maxHeaderSectionBytes) bytes"
                )
            }
            let line = raw[index..<contentEnd]
            defer { isFirstLine = false }
            if line.isEmpty {
                bodyStart = next
                break
            }
            if line.first == 0x20 || line.first == 0x09 {
                if pending.isEmpty {
                    if requireHeaders && isFirstLine {
                        warnings.append("a continuation line before the first header field was ignored")
                        index = next
                        continue
                    }
                } else {
                    pending[pending.count - 1].value.append(contentsOf: line)
                    index = next
                    continue
                }
            }
            if let colon = fieldNameEnd(line) {
                guard pending.count < limits.maxHeaderFields else {
                    throw EmailParseError(
                        .tooManyHeaders,
                        "a header section has more than \(limits.maxHeaderFields) fields"
                    )
                }
                var name = raw[index..<colon]
                while let last = name.last, last == 0x20 || last == 0x09 { name = name.dropLast() }
                pending.append((name, Array(raw[(colon + 1)..<contentEnd])))
                index = next
                continue
            }
            if isFirstLine && requireHeaders && line.starts(with: Array("From ".utf8)) {
                warnings.append("an mbox 'From ' separator line was skipped")
                index = next
                continue
            }
            if pending.isEmpty {
                if requireHeaders {
                    throw EmailParseError(.headerMalformed, "the message does not start with a header field")
                }
                bodyStart = range.lowerBound
                break
            }
            warnings.append("the header section ended without a blank line")
            bodyStart = index
            break
        }
        var fields: [EmailHeaderField] = []
        fields.reserveCapacity(pending.count)
        var sawLatin1 = false
        var sawNUL = false
        for (nameBytes, valueBytes) in pending {
            var value = valueBytes
            if value.contains(0) {
                sawNUL = true
                value.removeAll { $0 == 0 }
            }
            let name = String(decoding: nameBytes, as: UTF8.self)
            let text: String
            if let utf8 = String(validating: value, as: UTF8.self) {
                text = utf8
            } else {
                sawLatin1 = true
                text = Charset.latin1.decodeReplacing(value)
            }
            fields.append(EmailHeaderField(name: name, value: text.trimmingBlanks()))
        }
        if sawLatin1 { warnings.append("8-bit header bytes that are not UTF-8 were decoded as ISO-8859-1") }
        if sawNUL { warnings.append("NUL bytes in header fields were removed") }
        return Section(headers: EmailHeaders(fields), bodyStart: bodyStart, warnings: warnings)
    }

    /// The index of the colon ending a field name (RFC 5322 §3.6.8: printable ASCII but colon; blanks before the
    /// colon are tolerated as obsolete syntax, RFC 5322 §4.5), or nil if the line is not a field.
    static func fieldNameEnd(_ line: ArraySlice<UInt8>) -> Int? {
        var sawName = false
        var sawBlank = false
        for index in line.indices {
            let byte = line[index]
            if byte == UInt8(ascii: ":") { return sawName ? index : nil }
            if byte == 0x20 || byte == 0x09 {
                guard sawName else { return nil }
                sawBlank = true
                continue
            }
            guard byte > 0x20 && byte < 0x7F, !sawBlank else { return nil }
            sawName = true
        }
        return nil
    }
}

extension StringProtocol {
    /// Drops spaces, tabs, CR and LF at both ends.
    func trimmingBlanks() -> String {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" || $0 == "\r\n" }
        guard let first = self.firstIndex(where: { !isBlank($0) }), let last = self.lastIndex(where: { !isBlank($0) })
        else {
            return ""
        }
        return String(self[first...last])
    }
}
