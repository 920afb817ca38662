import BridgeModel
import Foundation
import PolicyGate
import Synchronization

/// Token buckets for rate_limit rules, kept in memory (after a restart every bucket starts full). Time is
/// the item's receipt, so a batch routed late is counted as it arrived.
final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var at: Date
        /// The limit it was last used with: pruning refills each bucket by its own rule's rate.
        var burst: Double
        var refillPerSecond: Double

        /// Whether it would be full at `time`, so forgetting it changes nothing.
        func isFull(at time: Date) -> Bool { self.tokens + max(0, time.timeIntervalSince(self.at)) * self.refillPerSecond >= self.burst }
    }

    private let buckets = Mutex<[String: Bucket]>([:])
    /// Above this many buckets, the full ones are forgotten (a full bucket is the same as no bucket).
    let pruneAbove: Int

    init(pruneAbove: Int = 100_000) { self.pruneAbove = pruneAbove }

    /// Takes one token from the rule's bucket for `key`. - Returns: false when none is left.
    func take(rule: String, key: String, limit: RateLimit, at: Date) -> Bool {
        self.buckets.withLock { buckets in
            let id = "\(rule)\u{0}\(key)"
            let burst = Double(limit.burst)
            var bucket = buckets[id] ?? Bucket(tokens: burst, at: at, burst: burst, refillPerSecond: limit.refillPerSecond)
            let elapsed = max(0, at.timeIntervalSince(bucket.at))
            bucket.burst = burst
            bucket.refillPerSecond = limit.refillPerSecond
            bucket.tokens = min(burst, bucket.tokens + elapsed * limit.refillPerSecond)
            bucket.at = max(bucket.at, at)
            let allowed = bucket.tokens >= 1
            if allowed { bucket.tokens -= 1 }
            buckets[id] = bucket
            if buckets.count > self.pruneAbove {
                // Only buckets that have refilled since are dropped; the one just used never is.
                buckets = buckets.filter { $0.key == id || !$0.value.isFull(at: at) }
            }
            return allowed
        }
    }

    /// The bucket key for a request under a limit's scope.
    static func key(_ scope: RateLimit.Scope, _ request: PolicyRequest) -> String {
        let sender = request.from.address?.canonical ?? "?"
        let fromOrg = request.from.org ?? "domain:" + (request.from.address?.domain ?? "?")
        switch scope {
        case .sender: return sender
        case .org: return fromOrg
        case .orgPair: return "\(fromOrg)>\(request.to.org ?? "domain:" + (request.to.address?.domain ?? "?"))"
        }
    }
}

/// One item's use of the rate limiter while it is planned: each bucket is counted once per item, however
/// many recipients or audiences share it.
final class RateLimitUse: @unchecked Sendable {
    // @unchecked: used by one planner on one task, for one envelope.
    let limiter: RateLimiter
    private var taken: [String: Bool] = [:]

    init(_ limiter: RateLimiter) { self.limiter = limiter }

    /// The decision after the item's rate limits: unchanged, or a deny by the rules with no token left.
    func apply(_ decision: PolicyDecision, _ request: PolicyRequest, gate: PolicyGate, at: Date) -> PolicyDecision {
        guard !decision.rateLimits.isEmpty else { return decision }
        var exceeded: [String] = []
        for rule in decision.rateLimits {
            guard let limit = gate.rateLimit(rule) else { continue }
            let key = RateLimiter.key(limit.scope, request)
            let memo = "\(rule)\u{0}\(key)"
            let allowed = self.taken[memo] ?? self.limiter.take(rule: rule, key: key, limit: limit, at: at)
            self.taken[memo] = allowed
            if !allowed { exceeded.append(rule) }
        }
        return gate.overLimit(decision, request, exceeded: exceeded)
    }
}
