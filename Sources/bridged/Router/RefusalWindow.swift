import Foundation

/// Keeps refusals of unauthenticated requests from flooding the audit log.
///
/// The first refusal of a kind (adapter and reason) in a window is recorded at once, with its detail; the
/// others in the same window are only counted, and one record with the count is written when the window
/// closes. Anyone can send a bad signature, so these are aggregated; refusals of authenticated input
/// (a partner's malformed event, a user's bad stanza) are always recorded one by one.
actor RefusalWindow {
    /// Reasons given before the sender was authenticated.
    static let aggregated: Set<String> = ["missing-signature", "bad-signature", "stale-timestamp", "body-too-large"]

    struct Key: Hashable, Sendable {
        var adapter: String
        var reason: String
    }

    private struct Open {
        var closesAt: ContinuousClock.Instant
        var suppressed: Int
    }

    let window: Duration
    private var open: [Key: Open] = [:]
    /// Windows that ended with counted refusals before anyone collected them.
    private var ended: [(Key, Int)] = []

    init(window: Duration) { self.window = window }

    /// - Returns: true when this refusal is to be recorded now (the first of its kind in a window).
    func admit(_ key: Key, now: ContinuousClock.Instant = .now) -> Bool {
        if var current = self.open[key] {
            if now < current.closesAt {
                current.suppressed += 1
                self.open[key] = current
                return false
            }
            if current.suppressed > 0 { self.ended.append((key, current.suppressed)) }
        }
        self.open[key] = Open(closesAt: now + self.window, suppressed: 0)
        return true
    }

    /// The windows that have closed (all of them when `all`), with how many refusals each only counted.
    func closed(now: ContinuousClock.Instant = .now, all: Bool = false) -> [(Key, Int)] {
        var result = self.ended
        self.ended = []
        for (key, window) in self.open where all || now >= window.closesAt {
            self.open[key] = nil
            if window.suppressed > 0 { result.append((key, window.suppressed)) }
        }
        return result.sorted { ($0.0.adapter, $0.0.reason) < ($1.0.adapter, $1.0.reason) }
    }
}
