import Foundation

/// A gateway-assigned, lexicographically sortable id (ULID layout: 48-bit millisecond time, 80 random bits,
/// Crockford base32), so ids sort by arrival and say when they were minted.
public struct EnvelopeID: Hashable, Sendable, Codable, CustomStringConvertible, Comparable {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    public static func generate(at date: Date = Date()) -> EnvelopeID {
        var generator = SystemRandomNumberGenerator()
        return self.generate(at: date, using: &generator)
    }

    public static func generate(at date: Date, using generator: inout some RandomNumberGenerator) -> EnvelopeID {
        let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)
        let millis = UInt64(max(0, date.timeIntervalSince1970 * 1000))
        var chars = [UInt8](repeating: 0, count: 26)
        var time = millis
        for index in stride(from: 9, through: 0, by: -1) {
            chars[index] = alphabet[Int(time & 31)]
            time >>= 5
        }
        var high = UInt64.random(in: 0...UInt64.max, using: &generator)
        var low = UInt64.random(in: 0...UInt64.max, using: &generator)
        for index in stride(from: 25, through: 10, by: -1) {
            chars[index] = alphabet[Int(low & 31)]
            low = (low >> 5) | ((high & 31) << 59)
            high >>= 5
        }
        return EnvelopeID(rawValue: String(decoding: chars, as: UTF8.self))
    }

    public var description: String { self.rawValue }

    public static func < (lhs: EnvelopeID, rhs: EnvelopeID) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        self.rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.rawValue)
    }
}
