import BridgeModel

/// RFC 5322 §3.4 address lists: `mailbox-list`, `address-list` with groups.
///
/// Tolerated: display names with dots and encoded words (RFC 2047 §5 (3)), a comment as the only name
/// (`bob@globex.test (Bob)`), groups (`team: a@x, b@y;`, the members are kept and the group name dropped),
/// obsolete routes (`<@relay.test:bob@globex.test>`, RFC 5322 §4.4), empty members, 8-bit UTF-8 (RFC 6532).
/// An address that ``Address`` refuses (quoted local parts with blanks, domain literals, IDN domains not in
/// A-label form) is reported by its reason code, not crashed on.
public enum AddressListParser {
    public struct Result: Hashable, Sendable {
        public var mailboxes: [EmailMailbox]
        /// The `AddressError.shortDescription` of each address refused.
        public var refused: [String]
    }

    /// Mailboxes kept from one header; more are refused as `too-many-addresses`.
    static let maxMailboxes = 1000

    enum Token: Equatable {
        case atom(String)
        case quoted(String)
        case comment(String)
        case domainLiteral(String)
        case special(UInt8)
    }

    public static func parse(_ text: String, warnings: inout [String]) -> Result {
        let tokens = tokenize(Array(text.utf8))
        var result = Result(mailboxes: [], refused: [])
        var phrase: [Token] = []
        var comment: String?
        var index = 0

        func emit(_ spec: String, name: String?) {
            guard !spec.isEmpty else { return }
            guard result.mailboxes.count < maxMailboxes else {
                result.refused.append("too-many-addresses")
                return
            }
            do {
                let address = try Address(parsing: spec)
                let decoded = name.map { EncodedWordDecoder.decode($0, warnings: &warnings).trimmingBlanks() }
                result.mailboxes.append(
                    EmailMailbox(displayName: decoded?.isEmpty == false ? decoded : nil, address: address)
                )
            } catch {
                result.refused.append(error.shortDescription)
            }
        }
        func finishBareAddress() {
            if !phrase.isEmpty { emit(addressSpec(phrase), name: comment) }
            phrase = []
            comment = nil
        }

        // Each round consumes at least one token.
        while index < tokens.count {
            let token = tokens[index]
            index += 1
            switch token {
            case .comment(let text):
                comment = text
            case .special(UInt8(ascii: "<")):
                var inner: [Token] = []
                while index < tokens.count, tokens[index] != .special(UInt8(ascii: ">")) {
                    if case .comment = tokens[index] {} else { inner.append(tokens[index]) }
                    index += 1
                }
                index += 1  // the `>`
                if let routeEnd = inner.lastIndex(of: .special(UInt8(ascii: ":"))) { inner.removeSubrange(...routeEnd) }
                let name = displayName(phrase) ?? comment
                emit(addressSpec(inner), name: name)
                phrase = []
                comment = nil
                // Anything up to the next separator is junk after the angle address.
                while index < tokens.count, tokens[index] != .special(UInt8(ascii: ",")),
                    tokens[index] != .special(UInt8(ascii: ";"))
                {
                    index += 1
                }
            case .special(UInt8(ascii: ":")):
                phrase = []  // a group's name
                comment = nil
            case .special(UInt8(ascii: ",")), .special(UInt8(ascii: ";")):
                finishBareAddress()
            case .special(UInt8(ascii: ">")):
                continue
            default:
                phrase.append(token)
            }
        }
        finishBareAddress()
        return result
    }

    /// The display name of a phrase: words joined by one space, or nil when there are none.
    static func displayName(_ phrase: [Token]) -> String? {
        var words: [String] = []
        for token in phrase {
            switch token {
            case .atom(let text), .quoted(let text): words.append(text)
            default: break
            }
        }
        return words.isEmpty ? nil : words.joined(separator: " ")
    }

    /// The tokens of an addr-spec glued together: `bob`, `@`, `globex.test`.
    static func addressSpec(_ tokens: [Token]) -> String {
        var spec = ""
        for token in tokens {
            switch token {
            case .atom(let text), .quoted(let text): spec += text
            case .domainLiteral(let text): spec += "[\(text)]"
            case .special(let byte): spec += String(UnicodeScalar(byte))
            case .comment: break
            }
        }
        return spec
    }

    static func tokenize(_ bytes: [UInt8]) -> [Token] {
        var tokens: [Token] = []
        var index = 0
        // Each round consumes at least one byte.
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case 0x20, 0x09, 0x0D, 0x0A:
                index += 1
            case UInt8(ascii: "\""):
                var content: [UInt8] = []
                index += 1
                while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                    if bytes[index] == UInt8(ascii: "\\"), index + 1 < bytes.count { index += 1 }
                    if bytes[index] != 0x0D && bytes[index] != 0x0A { content.append(bytes[index]) }
                    index += 1
                }
                index += 1
                tokens.append(.quoted(String(decoding: content, as: UTF8.self)))
            case UInt8(ascii: "("):
                var content: [UInt8] = []
                var depth = 1
                index += 1
                while index < bytes.count, depth > 0 {
                    let current = bytes[index]
                    if current == UInt8(ascii: "\\"), index + 1 < bytes.count {
                        content.append(bytes[index + 1])
                        index += 2
                        continue
                    }
                    if current == UInt8(ascii: "(") { depth += 1 }
                    if current == UInt8(ascii: ")") { depth -= 1 }
                    if depth > 0 { content.append(current) }
                    index += 1
                }
                tokens.append(.comment(String(decoding: content, as: UTF8.self)))
            case UInt8(ascii: "["):
                let end = bytes[index...].firstIndex(of: UInt8(ascii: "]")) ?? bytes.count
                tokens.append(.domainLiteral(String(decoding: bytes[(index + 1)..<end], as: UTF8.self)))
                index = end + 1
            case UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: ","), UInt8(ascii: ":"), UInt8(ascii: ";"),
                UInt8(ascii: "@"):
                tokens.append(.special(byte))
                index += 1
            default:
                let start = index
                while index < bytes.count, isAtomByte(bytes[index]) { index += 1 }
                if index == start {
                    index += 1  // a stray `)`, `]`, `\` or control byte
                } else {
                    tokens.append(.atom(String(decoding: bytes[start..<index], as: UTF8.self)))
                }
            }
        }
        return tokens
    }

    /// atext plus `.` (dot-atoms and obsolete phrases) plus 8-bit bytes (RFC 6532).
    static func isAtomByte(_ byte: UInt8) -> Bool {
        if byte >= 0x80 { return true }
        guard byte > 0x20, byte < 0x7F else { return false }
        return !"()<>[]:;@\\,\"".utf8.contains(byte)
    }
}
