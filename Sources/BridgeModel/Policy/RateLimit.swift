import Foundation

/// A rate_limit rule's limit: so many items per period, with a burst, counted per sender, per sending org,
/// or per pair of orgs.
public struct RateLimit: Sendable, Hashable, CustomStringConvertible {
    public enum Scope: String, Sendable, Hashable, CaseIterable {
        case sender
        case org
        case orgPair = "org-pair"
    }

    public struct Problem: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { self.message }
    }

    public var count: Int
    public var periodSeconds: Double
    /// The most items that may come at once, after a quiet spell (the bucket's size).
    public var burst: Int
    public var scope: Scope
    /// As written: `20/minute`.
    public var source: String

    /// Parses `COUNT/UNIT` (`second`, `minute`, `hour`, `day`).
    public init(_ text: String, burst: Int?, scope: Scope) throws(Problem) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let count = Int(parts[0].trimmingCharacters(in: .whitespaces)), count > 0, count <= 1_000_000 else {
            throw Problem(message: "a rate is COUNT/UNIT with a count from 1 to 1,000,000, as \"20/minute\", not \"\(text)\"")
        }
        let period: Double
        switch parts[1].trimmingCharacters(in: .whitespaces) {
        case "second": period = 1
        case "minute": period = 60
        case "hour": period = 3600
        case "day": period = 86400
        default: throw Problem(message: "the unit of a rate is second, minute, hour or day, not \"\(parts[1])\"")
        }
        if let burst, burst < 1 || burst > 1_000_000 { throw Problem(message: "burst is from 1 to 1,000,000, not \(burst)") }
        self.count = count
        self.periodSeconds = period
        self.burst = burst ?? count
        self.scope = scope
        self.source = text
    }

    /// Tokens regained per second.
    public var refillPerSecond: Double { Double(self.count) / self.periodSeconds }

    public var description: String { "\(self.source) per \(self.scope.rawValue), burst \(self.burst)" }
}
