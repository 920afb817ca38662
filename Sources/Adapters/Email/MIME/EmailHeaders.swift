/// One header field: its name as written and its value unfolded (RFC 5322 §2.2.3: the line breaks removed,
/// the blanks after them kept), leading and trailing blanks trimmed, not yet RFC 2047-decoded.
public struct EmailHeaderField: Hashable, Sendable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// The header fields of a message or body part, in their order on the wire (topmost first).
public struct EmailHeaders: Hashable, Sendable {
    public var fields: [EmailHeaderField]

    public init(_ fields: [EmailHeaderField] = []) {
        self.fields = fields
    }

    /// The value of the first field with this name (names compare case-insensitively).
    public func first(_ name: String) -> String? {
        self.fields.first { $0.name.caseInsensitiveEquals(name) }?.value
    }

    /// The values of every field with this name, topmost first.
    public func all(_ name: String) -> [String] {
        self.fields.filter { $0.name.caseInsensitiveEquals(name) }.map(\.value)
    }

    public func contains(_ name: String) -> Bool {
        self.fields.contains { $0.name.caseInsensitiveEquals(name) }
    }
}

extension String {
    /// ASCII case-insensitive equality, for header names and MIME tokens.
    func caseInsensitiveEquals(_ other: String) -> Bool {
        guard self.utf8.count == other.utf8.count else { return false }
        for (left, right) in zip(self.utf8, other.utf8) where asciiLower(left) != asciiLower(right) {
            return false
        }
        return true
    }
}

@inline(__always)
func asciiLower(_ byte: UInt8) -> UInt8 {
    byte >= 0x41 && byte <= 0x5A ? byte + 0x20 : byte
}
