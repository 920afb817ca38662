/// The parser behind ``MIMEHeaderValue/parse(_:warnings:)``.
///
/// RFC 2231 §3-§4: `title*0*=us-ascii'en'This%20is%20even%20more%20`, `title*1*=%2A%2A%2Afun%2A%2A%2A%20`,
/// `title*2="isn't it!"` is one parameter, `title`, whose sections are concatenated as bytes and then decoded
/// in the charset the first section names. An extended value wins over a plain one of the same name.
enum MIMEParameterParser {
    /// Sections of one parameter kept at most; later ones are dropped.
    static let maxSections = 64

    static func parse(_ text: String, warnings: inout [String]) -> MIMEHeaderValue {
        let bytes = Array(text.utf8)
        var index = 0
        let valueEnd = scanToSemicolon(bytes, from: 0)
        let value = String(decoding: stripComments(bytes[0..<valueEnd]).filter { !isBlank($0) }, as: UTF8.self)
            .lowercased()
        index = valueEnd
        var plain: [String: String] = [:]
        var sections: [String: [Int: (text: ArraySlice<UInt8>, extended: Bool)]] = [:]
        // Each round consumes one parameter and its `;`.
        while index < bytes.count {
            index += 1  // the `;`
            let end = scanToSemicolon(bytes, from: index)
            defer { index = end }
            guard let equals = bytes[index..<end].firstIndex(of: UInt8(ascii: "=")) else { continue }
            let name = String(decoding: stripComments(bytes[index..<equals]).filter { !isBlank($0) }, as: UTF8.self)
                .lowercased()
            guard !name.isEmpty else { continue }
            let rawValue = parameterValue(bytes[(equals + 1)..<end])
            if let star = name.firstIndex(of: "*") {
                let base = String(name[..<star])
                var rest = name[name.index(after: star)...]
                let extended = rest.hasSuffix("*") || rest.isEmpty
                if rest.hasSuffix("*") { rest = rest.dropLast() }
                let number = rest.isEmpty ? 0 : Int(rest)
                guard let number, number >= 0, number < maxSections, !base.isEmpty else { continue }
                if sections[base, default: [:]][number] == nil {
                    sections[base, default: [:]][number] = (rawValue, extended)
                }
            } else if plain[name] == nil {
                plain[name] = String(decoding: rawValue, as: UTF8.self)
            }
        }
        var parameters = plain
        for (name, value) in plain where name == "name" || name == "filename" {
            parameters[name] = EncodedWordDecoder.decode(value, warnings: &warnings)
        }
        for (base, parts) in sections {
            parameters[base] = assemble(parts, warnings: &warnings)
        }
        return MIMEHeaderValue(value: value, parameters: parameters)
    }

    /// RFC 2231 §4: the sections from 0 up to the first gap; the first extended one may carry `charset'lang'`.
    static func assemble(_ parts: [Int: (text: ArraySlice<UInt8>, extended: Bool)], warnings: inout [String]) -> String
    {
        var bytes: [UInt8] = []
        var label: String?
        for number in 0..<maxSections {
            guard let part = parts[number] else { break }
            var text = part.text
            if part.extended {
                if number == 0, let first = text.firstIndex(of: UInt8(ascii: "'")),
                    let second = text[(first + 1)...].firstIndex(of: UInt8(ascii: "'"))
                {
                    let charset = String(decoding: text[text.startIndex..<first], as: UTF8.self)
                    label = charset.isEmpty ? nil : charset
                    text = text[(second + 1)...]
                }
                bytes.append(contentsOf: percentDecode(text))
            } else {
                bytes.append(contentsOf: text)
            }
        }
        let decoded = Charset.decodeText(bytes, label: label)
        if let warning = decoded.warning { warnings.append(warning) }
        return decoded.text
    }

    static func percentDecode(_ text: ArraySlice<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(text.count)
        var index = text.startIndex
        while index < text.endIndex {
            if text[index] == UInt8(ascii: "%"), index + 2 < text.endIndex,
                let high = QuotedPrintableDecoder.hexValue(text[index + 1]),
                let low = QuotedPrintableDecoder.hexValue(text[index + 2])
            {
                output.append(high << 4 | low)
                index += 3
            } else {
                output.append(text[index])
                index += 1
            }
        }
        return output
    }

    /// A parameter value: a quoted string (backslash escapes removed), or the raw text up to the end with a
    /// trailing comment and blanks removed.
    static func parameterValue(_ text: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var start = text.startIndex
        while start < text.endIndex, isBlank(text[start]) { start += 1 }
        if start < text.endIndex, text[start] == UInt8(ascii: "\"") {
            var output: [UInt8] = []
            var index = start + 1
            while index < text.endIndex, text[index] != UInt8(ascii: "\"") {
                if text[index] == UInt8(ascii: "\\"), index + 1 < text.endIndex { index += 1 }
                output.append(text[index])
                index += 1
            }
            return output[...]
        }
        var end = text[start...].firstIndex(of: UInt8(ascii: "(")) ?? text.endIndex
        while end > start, isBlank(text[end - 1]) { end -= 1 }
        return text[start..<end]
    }

    /// Space, tab, CR or LF (a value may still be folded).
    static func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A }

    /// The index of the next `;` that is outside quotes and comments, or the end.
    static func scanToSemicolon(_ bytes: [UInt8], from start: Int) -> Int {
        var index = start
        var inQuotes = false
        var commentDepth = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\\") && (inQuotes || commentDepth > 0) {
                index += 2
                continue
            }
            if inQuotes {
                if byte == UInt8(ascii: "\"") { inQuotes = false }
            } else if byte == UInt8(ascii: "(") {
                commentDepth += 1
            } else if byte == UInt8(ascii: ")") && commentDepth > 0 {
                commentDepth -= 1
            } else if commentDepth == 0 {
                if byte == UInt8(ascii: "\"") { inQuotes = true }
                if byte == UInt8(ascii: ";") { return index }
            }
            index += 1
        }
        return bytes.count
    }

    /// The bytes with `( ... )` comments (nested) removed.
    static func stripComments(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        var depth = 0
        for byte in bytes {
            if byte == UInt8(ascii: "(") {
                depth += 1
            } else if byte == UInt8(ascii: ")") && depth > 0 {
                depth -= 1
            } else if depth == 0 {
                output.append(byte)
            }
        }
        return output
    }
}
