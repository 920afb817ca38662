import NIOCore

/// A cursor over one framed response: the bytes of its current line, moving to the next line when a
/// literal is read. The grammar pieces the parser needs (RFC 3501 §9) are built on it.
struct IMAPFrameReader {
    private let frame: IMAPResponseFrame
    private var lineIndex = 0
    private var line: [UInt8]
    private var position = 0
    /// Parenthesised values nest at most this deep when skipped.
    static let maxDepth = 32

    init(_ frame: IMAPResponseFrame) {
        self.frame = frame
        self.line = frame.lines.first.map { Array($0.readableBytesView) } ?? []
    }

    var atEnd: Bool { self.position >= self.line.count && self.lineIndex == self.frame.lines.count - 1 }
    var atLineEnd: Bool { self.position >= self.line.count }

    func peek() -> UInt8? { self.position < self.line.count ? self.line[self.position] : nil }

    mutating func advance() { self.position += 1 }

    /// Consumes `byte` if it is next.
    mutating func skip(_ byte: UInt8) -> Bool {
        guard self.peek() == byte else { return false }
        self.position += 1
        return true
    }

    mutating func expect(_ byte: UInt8) throws(IMAPError) {
        guard self.skip(byte) else { throw self.malformed("expected '\(Character(Unicode.Scalar(byte)))'") }
    }

    func malformed(_ what: String) -> IMAPError {
        IMAPError(.malformedResponse, "\(what) at byte \(self.position) of line \(self.lineIndex + 1)")
    }

    // MARK: Atoms and numbers

    /// atom-specials: `(` `)` `{` SP CTL `%` `*` `"` `\` `]` (RFC 3501 §9).
    static func isAtomChar(_ byte: UInt8) -> Bool {
        switch byte {
        case 0...0x20, 0x7F, UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "{"), UInt8(ascii: "%"),
            UInt8(ascii: "*"), UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "]"):
            false
        default:
            true
        }
    }

    /// Reads one or more bytes accepted by `accept`.
    mutating func read(while accept: (UInt8) -> Bool, what: String) throws(IMAPError) -> String {
        let start = self.position
        while let byte = self.peek(), accept(byte) { self.position += 1 }
        guard self.position > start else { throw self.malformed("expected \(what)") }
        return String(decoding: self.line[start..<self.position], as: UTF8.self)
    }

    mutating func readAtom() throws(IMAPError) -> String {
        try self.read(while: Self.isAtomChar, what: "an atom")
    }

    /// A tag: astring characters except `+` (RFC 3501 §9).
    mutating func readTag() throws(IMAPError) -> String {
        try self.read(
            while: { Self.isAtomChar($0) && $0 != UInt8(ascii: "+") || $0 == UInt8(ascii: "]") }, what: "a tag")
    }

    mutating func readNumber() throws(IMAPError) -> UInt32 {
        let value = try self.readNumber64()
        guard value <= UInt64(UInt32.max) else { throw self.malformed("number out of range") }
        return UInt32(value)
    }

    mutating func readNumber64() throws(IMAPError) -> UInt64 {
        let start = self.position
        var value: UInt64 = 0
        while let byte = self.peek(), byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            guard !overflow1, !overflow2, self.position - start < 20 else {
                throw self.malformed("number out of range")
            }
            value = sum
            self.position += 1
        }
        guard self.position > start else { throw self.malformed("expected a number") }
        return value
    }

    /// A flag: `\Seen`, `\*` or a keyword atom such as `$Bridged`.
    mutating func readFlag() throws(IMAPError) -> String {
        if self.skip(UInt8(ascii: "\\")) {
            if self.skip(UInt8(ascii: "*")) { return "\\*" }
            return "\\" + (try self.readAtom())
        }
        return try self.readAtom()
    }

    /// `(` flag *(SP flag) `)`
    mutating func readFlagList() throws(IMAPError) -> [String] {
        try self.expect(UInt8(ascii: "("))
        var flags: [String] = []
        while !self.skip(UInt8(ascii: ")")) {
            if !flags.isEmpty { try self.expect(UInt8(ascii: " ")) }
            flags.append(try self.readFlag())
            guard flags.count <= 10_000 else { throw self.malformed("too many flags") }
        }
        return flags
    }

    // MARK: Strings

    /// A quoted string or a literal (RFC 3501 §4.3).
    mutating func readString() throws(IMAPError) -> ByteBuffer {
        switch self.peek() {
        case UInt8(ascii: "\""):
            return ByteBuffer(bytes: try self.readQuoted())
        case UInt8(ascii: "{"), UInt8(ascii: "~"):
            return try self.readLiteral()
        default:
            throw self.malformed("expected a string")
        }
    }

    /// A string or `NIL`.
    mutating func readNString() throws(IMAPError) -> ByteBuffer? {
        if let byte = self.peek(), byte == UInt8(ascii: "N") || byte == UInt8(ascii: "n") {
            guard try self.readAtom().uppercased() == "NIL" else { throw self.malformed("expected NIL") }
            return nil
        }
        return try self.readString()
    }

    mutating func readQuoted() throws(IMAPError) -> [UInt8] {
        try self.expect(UInt8(ascii: "\""))
        var bytes: [UInt8] = []
        while let byte = self.peek() {
            self.position += 1
            switch byte {
            case UInt8(ascii: "\""):
                return bytes
            case UInt8(ascii: "\\"):
                guard let escaped = self.peek(), escaped == UInt8(ascii: "\"") || escaped == UInt8(ascii: "\\") else {
                    throw self.malformed("bad escape in a quoted string")
                }
                self.position += 1
                bytes.append(escaped)
            default:
                bytes.append(byte)
            }
        }
        throw self.malformed("unterminated quoted string")
    }

    /// `{n}` (or `~{n}`) at the end of the line; the framer guarantees the literal and the next line exist.
    mutating func readLiteral() throws(IMAPError) -> ByteBuffer {
        _ = self.skip(UInt8(ascii: "~"))
        try self.expect(UInt8(ascii: "{"))
        _ = try self.readNumber64()
        try self.expect(UInt8(ascii: "}"))
        guard self.atLineEnd, self.lineIndex < self.frame.literals.count else {
            throw self.malformed("a literal marker that does not end the line")
        }
        let literal = self.frame.literals[self.lineIndex]
        self.lineIndex += 1
        self.line = Array(self.frame.lines[self.lineIndex].readableBytesView)
        self.position = 0
        return literal
    }

    /// The rest of the line as text (lossy UTF-8).
    mutating func readText() -> String {
        defer { self.position = self.line.count }
        return String(decoding: self.line[min(self.position, self.line.count)...], as: UTF8.self)
    }

    /// Everything up to (not including) `terminator` on this line.
    mutating func readUntil(_ terminator: UInt8) throws(IMAPError) -> String {
        guard let end = self.line[self.position...].firstIndex(of: terminator) else {
            throw self.malformed("expected '\(Character(Unicode.Scalar(terminator)))'")
        }
        defer { self.position = end }
        return String(decoding: self.line[self.position..<end], as: UTF8.self)
    }

    // MARK: Skipping what the client does not use

    /// Skips one value: an atom or number (with a `[section]` and `<origin>`), a string, NIL or a
    /// parenthesised list, nesting at most ``maxDepth`` deep.
    mutating func skipValue(depth: Int = 0) throws(IMAPError) {
        guard depth < Self.maxDepth else { throw self.malformed("values nested too deeply") }
        switch self.peek() {
        case UInt8(ascii: "("):
            self.position += 1
            var first = true
            while !self.skip(UInt8(ascii: ")")) {
                if !first { try self.expect(UInt8(ascii: " ")) }
                first = false
                try self.skipValue(depth: depth + 1)
            }
        case UInt8(ascii: "\""), UInt8(ascii: "{"), UInt8(ascii: "~"):
            _ = try self.readString()
        case UInt8(ascii: "\\"):
            _ = try self.readFlag()
        default:
            _ = try self.readItemName()
        }
    }

    /// A FETCH item name such as `UID`, `BODY[]`, `BODY[HEADER.FIELDS (SUBJECT)]<0>`, upper-cased.
    mutating func readItemName() throws(IMAPError) -> String {
        var name = try self.read(while: { Self.isAtomChar($0) && $0 != UInt8(ascii: "[") }, what: "an item name")
        if self.skip(UInt8(ascii: "[")) {
            name += "[" + (try self.readUntil(UInt8(ascii: "]"))) + "]"
            self.position += 1
            if self.peek() == UInt8(ascii: "<") {
                name += try self.read(while: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: ")") }, what: "an origin")
            }
        }
        return name.uppercased()
    }
}
