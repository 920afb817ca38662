import Foundation
import Synchronization

/// What the delivery worker has seen of one adapter's destination: whether it is in an outage (every
/// attempt of the last batches failed) and since when, so the worker can drain the retry queue as soon as
/// the destination delivers again, and operators can see it.
final class AdapterHealth: Sendable {
    struct State: Sendable {
        /// Set while every attempt fails; cleared by the first success.
        var outageSince: Date?
        var lastFailure: String?
    }

    private let state = Mutex(State())

    var current: State { self.state.withLock { $0 } }

    /// Records one batch's outcome. - Returns: true when this batch ended an outage (a success after
    /// nothing but failures).
    func record(delivered: Int, failed: Int, lastFailure: String?, now: Date = Date()) -> Bool {
        self.state.withLock { state in
            if delivered > 0 {
                let recovered = state.outageSince != nil
                state.outageSince = nil
                return recovered
            }
            if failed > 0 {
                state.outageSince = state.outageSince ?? now
                state.lastFailure = lastFailure
            }
            return false
        }
    }
}
