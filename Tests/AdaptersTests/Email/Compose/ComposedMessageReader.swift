import Foundation
import Testing

/// Reads a composed message back the way a receiving mail program would, independently of the composer:
/// splits headers from body, unfolds, decodes RFC 2047 words and quoted-printable. Test support only.
struct ComposedMessageReader {
    let raw: [UInt8]
    /// Unfolded header fields, in order.
    let headers: [(name: String, value: String)]
    let body: String

    init(_ raw: [UInt8]) {
        self.raw = raw
        let text = String(decoding: raw, as: UTF8.self)
        let parts = text.components(separatedBy: "\r\n\r\n")
        let head = parts[0]
        self.body = parts.dropFirst().joined(separator: "\r\n\r\n")
        var fields: [(String, String)] = []
        for line in head.components(separatedBy: "\r\n") {
            if line.hasPrefix(" ") || line.hasPrefix("\t"), !fields.isEmpty {
                fields[fields.count - 1].1 += line
            } else if let colon = line.firstIndex(of: ":") {
                fields.append((String(line[..<colon]), String(line[line.index(after: colon)...])))
            } else {
                Issue.record("a header line without a colon: \(line.debugDescription)")
            }
        }
        self.headers = fields.map { (name: $0.0, value: $0.1.trimmingCharacters(in: .whitespaces)) }
    }

    func header(_ name: String) -> String? {
        self.headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// Every line of the raw message, without its CRLF; records an issue for any bare CR or LF.
    var lines: [[UInt8]] {
        var lines: [[UInt8]] = []
        var current: [UInt8] = []
        var index = 0
        while index < self.raw.count {
            let byte = self.raw[index]
            if byte == 0x0D, index + 1 < self.raw.count, self.raw[index + 1] == 0x0A {
                lines.append(current)
                current = []
                index += 2
                continue
            }
            if byte == 0x0D || byte == 0x0A { Issue.record("bare CR or LF at byte \(index)") }
            current.append(byte)
            index += 1
        }
        if !current.isEmpty { Issue.record("the message does not end with CRLF") }
        return lines
    }

    /// RFC 2047 decoding of a header value: encoded words (and the whitespace between adjacent ones).
    static func decodeWords(_ value: String) -> String {
        let pattern = /=\?([^?]+)\?([bBqQ])\?([^?]*)\?=/
        var output = ""
        var rest = Substring(value)
        var lastWasWord = false
        while let match = rest.firstMatch(of: pattern) {
            let between = rest[..<match.range.lowerBound]
            if !(lastWasWord && between.allSatisfy(\.isWhitespace)) { output += between }
            let payload = String(match.output.3)
            let bytes: [UInt8]
            if match.output.2.lowercased() == "b" {
                bytes = Array(Data(base64Encoded: payload) ?? Data())
            } else {
                bytes = self.decodeQP(payload.replacingOccurrences(of: "_", with: " "))
            }
            output += String(decoding: bytes, as: UTF8.self)
            rest = rest[match.range.upperBound...]
            lastWasWord = true
        }
        return output + rest
    }

    /// Quoted-printable decoding with soft line breaks.
    static func decodeQP(_ text: String) -> [UInt8] {
        let bytes = Array(text.replacingOccurrences(of: "=\r\n", with: "").utf8)
        var output: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "="), index + 2 < bytes.count, let value = UInt8(String(decoding: bytes[(index + 1)...(index + 2)], as: UTF8.self), radix: 16) {
                output.append(value)
                index += 3
            } else {
                output.append(bytes[index])
                index += 1
            }
        }
        return output
    }
}
