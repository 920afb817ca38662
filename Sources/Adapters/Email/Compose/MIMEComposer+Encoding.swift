import Foundation

extension MIMEComposer {
    // MARK: RFC 2047 encoded words

    /// `text` as UTF-8 encoded words of at most 75 characters each (RFC 2047 §2; the first at most
    /// `firstLimit`, so it fits after the header name), split only between characters (between Unicode
    /// scalars when a single character is too long for one word). Q is used when it is no longer than B,
    /// and keeps literal only what RFC 2047 §5(3) allows even in a phrase, so the same words serve subjects
    /// and display names. Decoders drop the whitespace between adjacent encoded words, so the words join
    /// back exactly.
    static func encodedWords(_ text: String, firstLimit: Int = 75) -> [String] {
        let bytes = Array(text.utf8)
        let qLength = bytes.reduce(0) { $0 + Self.qLength($1) }
        let useQ = qLength <= (bytes.count + 2) / 3 * 4
        let prefix = useQ ? "=?UTF-8?Q?" : "=?UTF-8?B?"
        let fullCapacity = 75 - prefix.count - 2
        var capacity = max(min(firstLimit, 75) - prefix.count - 2, 8)
        func cost(_ bytes: [UInt8]) -> Int {
            useQ ? bytes.reduce(0) { $0 + Self.qLength($1) } : (bytes.count + 2) / 3 * 4
        }
        // Units that must not be split: characters, or the scalars of a character too long for one word.
        var units: [[UInt8]] = []
        for character in text {
            let utf8 = Array(String(character).utf8)
            if cost(utf8) <= min(capacity, fullCapacity) {
                units.append(utf8)
            } else {
                units += character.unicodeScalars.map { Array(String($0).utf8) }
            }
        }
        var words: [String] = []
        var current: [UInt8] = []
        for unit in units {
            if !current.isEmpty, cost(current + unit) > capacity {
                words.append(Self.encodedWord(current, q: useQ))
                current = []
                capacity = fullCapacity
            }
            current += unit
        }
        if !current.isEmpty { words.append(Self.encodedWord(current, q: useQ)) }
        return words
    }

    private static func encodedWord(_ bytes: [UInt8], q: Bool) -> String {
        guard q else { return "=?UTF-8?B?" + Data(bytes).base64EncodedString() + "?=" }
        var payload = ""
        for byte in bytes {
            if byte == UInt8(ascii: " ") {
                payload += "_"
            } else if Self.qLiteral.contains(byte) {
                payload.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                payload += "=" + Self.hex(byte)
            }
        }
        return "=?UTF-8?Q?" + payload + "?="
    }

    /// Bytes Q may leave as they are in any header context (RFC 2047 §5(3)).
    private static let qLiteral = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!*+-/".utf8)

    private static func qLength(_ byte: UInt8) -> Int {
        byte == UInt8(ascii: " ") || Self.qLiteral.contains(byte) ? 1 : 3
    }

    static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
    }

    // MARK: Quoted-printable bodies

    /// `text` as quoted-printable UTF-8 (RFC 2045 §6.7) with CRLF hard line breaks: any of CRLF, CR or LF
    /// in the input is a line break. Encoded lines are at most 76 characters (soft breaks end in `=`),
    /// trailing blanks are encoded, and `From ` at a line start is protected as `=46rom `.
    static func quotedPrintable(_ text: String) -> String {
        var output = ""
        for (index, line) in Self.lines(of: text).enumerated() {
            if index > 0 { output += "\r\n" }
            output += Self.quotedPrintableLine(line)
        }
        return output
    }

    static func lines(of text: String) -> [ArraySlice<UInt8>] {
        let bytes = Array(text.utf8)
        var lines: [ArraySlice<UInt8>] = []
        var start = 0
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n") {
                lines.append(bytes[start..<index])
                index += byte == UInt8(ascii: "\r") && index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "\n") ? 2 : 1
                start = index
            } else {
                index += 1
            }
        }
        lines.append(bytes[start..<bytes.count])
        return lines
    }

    private static func quotedPrintableLine(_ line: ArraySlice<UInt8>) -> String {
        var tokens: [String] = []
        tokens.reserveCapacity(line.count)
        for (offset, byte) in line.enumerated() {
            let isLast = offset == line.count - 1
            let isBlank = byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
            let startsFrom = offset == 0 && byte == UInt8(ascii: "F") && line.starts(with: Array("From ".utf8))
            if (isBlank && !isLast) || ((0x21...0x7E).contains(byte) && byte != UInt8(ascii: "=") && !startsFrom) {
                tokens.append(String(Unicode.Scalar(byte)))
            } else {
                tokens.append("=" + Self.hex(byte))
            }
        }
        var output = ""
        var length = 0
        for (index, token) in tokens.enumerated() {
            let room = index == tokens.count - 1 ? 76 : 75
            if length + token.count > room {
                output += "=\r\n"
                length = 0
            }
            output += token
            length += token.count
        }
        return output
    }

    // MARK: Date

    /// RFC 5322 §3.3 `date-time` in UTC, e.g. `Sat, 21 Nov 2026 12:00:00 +0000`; no locale involved.
    static func rfc5322Date(_ date: Date) -> String {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let secondOfDay = seconds - days * 86400
        // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        let weekday = ((days % 7) + 11) % 7  // 1970-01-01 was a Thursday (index 4 with Sunday = 0)
        let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(weekdays[weekday]), \(two(day)) \(months[month - 1]) \(year) "
            + "\(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60)) +0000"
    }
}
