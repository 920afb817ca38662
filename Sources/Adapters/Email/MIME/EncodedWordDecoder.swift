/// RFC 2047 encoded words (`=?charset?B|Q?text?=`) in unstructured header text and in phrases.
///
/// - Blanks between two adjacent encoded words are dropped (RFC 2047 §6.2); blanks between an encoded word
///   and plain text are kept.
/// - Each word carries its own charset; adjacent words of the same charset are decoded together, so a
///   multi-byte character split across two words (a common encoder bug) still comes out whole.
/// - `charset*language` (RFC 2231 §5) is accepted and the language dropped.
/// - A word that does not parse, or whose B or Q text is invalid, is left literally as it was written.
/// - Words glued to plain text (`abc=?utf-8?q?d?=`) are decoded too, as most mail readers do.
public enum EncodedWordDecoder {
    public static func decode(_ text: String, warnings: inout [String]) -> String {
        let bytes = Array(text.utf8)
        guard bytes.count >= 8, containsMarker(bytes) else { return text }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var run: (label: String, bytes: [UInt8])?
        func flushRun() {
            guard let current = run else { return }
            let decoded = Charset.decodeText(current.bytes, label: current.label)
            if let warning = decoded.warning { warnings.append(warning) }
            output.append(contentsOf: decoded.text.utf8)
            run = nil
        }
        var index = 0
        var lastWasWord = false
        // Every round advances `index` by at least one byte.
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "="), let word = parseWord(bytes, at: index) {
                if let current = run, current.label.caseInsensitiveEquals(word.label) {
                    run?.bytes.append(contentsOf: word.bytes)
                } else {
                    flushRun()
                    run = (word.label, word.bytes)
                }
                lastWasWord = true
                index = word.end
                continue
            }
            let byte = bytes[index]
            if lastWasWord && (byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A) {
                var end = index
                while end < bytes.count,
                    bytes[end] == 0x20 || bytes[end] == 0x09 || bytes[end] == 0x0D || bytes[end] == 0x0A
                {
                    end += 1
                }
                if end < bytes.count, bytes[end] == UInt8(ascii: "="), parseWord(bytes, at: end) != nil {
                    index = end
                    continue
                }
                flushRun()
                output.append(contentsOf: bytes[index..<end])
                lastWasWord = false
                index = end
                continue
            }
            flushRun()
            lastWasWord = false
            output.append(byte)
            index += 1
        }
        flushRun()
        return String(decoding: output, as: UTF8.self)
    }

    struct Word {
        var label: String
        var bytes: [UInt8]
        var end: Int
    }

    static func containsMarker(_ bytes: [UInt8]) -> Bool {
        for index in 0..<(bytes.count - 1)
        where bytes[index] == UInt8(ascii: "=") && bytes[index + 1] == UInt8(ascii: "?") {
            return true
        }
        return false
    }

    /// Parses one encoded word starting at `start` (which holds `=`), or nil if there is none.
    static func parseWord(_ bytes: [UInt8], at start: Int) -> Word? {
        let limit = min(bytes.count, start + 1024)
        guard start + 1 < limit, bytes[start + 1] == UInt8(ascii: "?") else { return nil }
        var index = start + 2
        let charsetStart = index
        while index < limit, isTokenByte(bytes[index]) { index += 1 }
        guard index < limit, index > charsetStart, bytes[index] == UInt8(ascii: "?") else { return nil }
        var label = String(decoding: bytes[charsetStart..<index], as: UTF8.self)
        if let star = label.firstIndex(of: "*") { label = String(label[..<star]) }
        guard !label.isEmpty, index + 2 < limit, bytes[index + 2] == UInt8(ascii: "?") else { return nil }
        let encoding = asciiLower(bytes[index + 1])
        guard encoding == UInt8(ascii: "b") || encoding == UInt8(ascii: "q") else { return nil }
        index += 3
        let textStart = index
        while index < limit, bytes[index] != UInt8(ascii: "?") {
            guard bytes[index] > 0x20, bytes[index] < 0x7F else { return nil }
            index += 1
        }
        guard index + 1 < limit, bytes[index + 1] == UInt8(ascii: "=") else { return nil }
        let text = bytes[textStart..<index]
        let decoded: [UInt8]
        if encoding == UInt8(ascii: "b") {
            let result = Base64Decoder.decode(text)
            guard !result.hadInvalidCharacters, !result.wasTruncated else { return nil }
            decoded = result.bytes
        } else {
            guard let qDecoded = decodeQ(text) else { return nil }
            decoded = qDecoded
        }
        return Word(label: label, bytes: decoded, end: index + 2)
    }

    /// RFC 2047 §4.2: `_` is a space, `=XX` a byte, everything else itself.
    static func decodeQ(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        var output: [UInt8] = []
        output.reserveCapacity(text.count)
        var index = text.startIndex
        while index < text.endIndex {
            let byte = text[index]
            if byte == UInt8(ascii: "_") {
                output.append(0x20)
                index += 1
            } else if byte == UInt8(ascii: "=") {
                guard index + 2 < text.endIndex,
                    let high = QuotedPrintableDecoder.hexValue(text[index + 1]),
                    let low = QuotedPrintableDecoder.hexValue(text[index + 2])
                else { return nil }
                output.append(high << 4 | low)
                index += 3
            } else {
                output.append(byte)
                index += 1
            }
        }
        return output
    }

    /// RFC 2045 token characters, plus `*` for the RFC 2231 language suffix.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        guard byte > 0x20, byte < 0x7F else { return false }
        return !"()<>@,;:\\\"/[]?=".utf8.contains(byte)
    }
}
