import Foundation

/// What the component knows about stanzas it wrote but the server has not yet confirmed.
///
/// XEP-0114 has no acknowledgement, but a server processes one session's stanzas in order (RFC 6120
/// §10.1). After writing a delivery's stanzas the adapter sends an IQ the server must answer (XEP-0199
/// ping) on the same stream: once the answer arrives, every stanza before it was processed, and any error
/// the server bounced for them (`service-unavailable` for a user it does not have, …) arrived before the
/// answer. A delivery counts as delivered only then; a link that breaks first fails every pending barrier,
/// and the delivery is retried with the same stanza id.
actor XMPPDeliveryLedger {
    struct Bounce: Hashable, Sendable {
        /// The error type (`cancel`, `modify`, `auth`, `wait`).
        var type: String
        /// The defined condition (`service-unavailable`, `item-not-found`, …).
        var condition: String
        var from: String?
    }

    struct Unconfirmed: Error, CustomStringConvertible {
        var description: String
    }

    private var barriers: [String: CheckedContinuation<Void, any Error>] = [:]
    /// Barriers sent and not yet waited for, with their outcome if it already came: the answer can arrive
    /// on the read loop before the writer starts waiting.
    private var expected: [String: Result<Void, Unconfirmed>?] = [:]
    private var watched: Set<String> = []
    private var bounces: [String: [Bounce]] = [:]
    /// Barriers written since the adapter started (each one is a round trip).
    private(set) var barriersSent = 0

    /// Starts collecting the errors the server bounces for stanzas with this id.
    func watch(_ id: String) {
        self.watched.insert(id)
        self.bounces[id] = nil
    }

    /// Stops collecting for `id`. - Returns: the errors bounced for it.
    func finish(_ id: String) -> [Bounce] {
        self.watched.remove(id)
        return self.bounces.removeValue(forKey: id) ?? []
    }

    /// Records an error stanza. - Returns: whether it answered a watched stanza (and so is handled).
    func bounced(_ id: String, _ bounce: Bounce) -> Bool {
        guard self.watched.contains(id) else { return false }
        self.bounces[id, default: []].append(bounce)
        return true
    }

    /// Registers a barrier IQ before it is written, so an answer that comes at once is not missed.
    func expect(_ id: String) {
        self.barriersSent += 1
        self.expected[id] = .some(nil)
    }

    /// Waits for the answer to the barrier IQ `id` (registered with ``expect(_:)``), at most `timeout`.
    func barrier(_ id: String, timeout: Duration) async throws {
        if case .some(.some(let outcome)) = self.expected.removeValue(forKey: id) {
            try outcome.get()
            return
        }
        let timer = Task {
            try await Task.sleep(for: timeout)
            self.fail(id, Unconfirmed(description: "the server did not answer the delivery barrier within \(timeout)"))
        }
        // The timer ends with the barrier, so no sleeping task is left behind per delivery.
        defer { timer.cancel() }
        try await withCheckedThrowingContinuation { continuation in
            self.barriers[id] = continuation
        }
    }

    /// An IQ answer arrived. - Returns: whether it was a barrier's.
    func answered(_ id: String) -> Bool {
        if let continuation = self.barriers.removeValue(forKey: id) {
            continuation.resume()
            return true
        }
        guard self.expected[id] != nil else { return false }
        self.expected[id] = .some(.success(()))
        return true
    }

    /// A barrier that was never written.
    func forget(_ id: String) {
        self.expected.removeValue(forKey: id)
    }

    private func fail(_ id: String, _ error: any Error) {
        self.barriers.removeValue(forKey: id)?.resume(throwing: error)
    }

    /// The stream is gone: nothing written since the last answered barrier is known to have arrived.
    func linkLost() {
        let pending = self.barriers
        self.barriers = [:]
        for id in self.expected.keys {
            self.expected[id] = .some(.failure(Unconfirmed(description: "the component stream closed before the server confirmed")))
        }
        for continuation in pending.values {
            continuation.resume(throwing: Unconfirmed(description: "the component stream closed before the server confirmed"))
        }
    }
}
