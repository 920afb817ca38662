import Synchronization

/// Coalesces concurrent callers that each wait for a durable commit into one transaction.
///
/// A caller submits its request and waits. While a commit is in progress, further requests queue; when it
/// ends, everything queued (up to `maxBatch`) goes into the next commit, and every caller is answered only
/// after the commit that carried its request returned. One caller alone waits for one commit, as before; a
/// hundred concurrent callers share a handful of fsyncs instead of a hundred. Requests are committed in the
/// order they were submitted.
final class GroupCommit<Request: Sendable, Response: Sendable>: Sendable {
    /// Commits a batch in one transaction and gives one result per request, in order. Throwing fails the
    /// whole batch: nothing of it was committed.
    typealias Commit = @Sendable ([Request]) async throws -> [Result<Response, any Error>]

    private struct Waiting {
        var request: Request
        var continuation: CheckedContinuation<Response, any Error>
    }

    private struct State {
        var queue: [Waiting] = []
        var committing = false
    }

    private let state = Mutex(State())
    private let maxBatch: Int
    private let commit: Commit
    /// Batches committed and requests carried, for the figures in docs/performance.md.
    private let counts = Mutex((batches: 0, requests: 0))

    init(maxBatch: Int, commit: @escaping Commit) {
        precondition(maxBatch > 0)
        self.maxBatch = maxBatch
        self.commit = commit
    }

    /// Returns once the request is committed (or its commit failed).
    func submit(_ request: Request) async throws -> Response {
        try await withCheckedThrowingContinuation { continuation in
            let start = self.state.withLock { state in
                state.queue.append(Waiting(request: request, continuation: continuation))
                guard !state.committing else { return false }
                state.committing = true
                return true
            }
            if start { Task { await self.drain() } }
        }
    }

    /// Requests waiting for the next commit.
    var queued: Int { self.state.withLock { $0.queue.count } }

    /// How many batches were committed and how many requests they carried.
    var committed: (batches: Int, requests: Int) { self.counts.withLock { $0 } }

    private func drain() async {
        while true {
            let batch: [Waiting] = self.state.withLock { state in
                guard !state.queue.isEmpty else {
                    state.committing = false
                    return []
                }
                let taken = Array(state.queue.prefix(self.maxBatch))
                state.queue.removeFirst(taken.count)
                return taken
            }
            guard !batch.isEmpty else { return }
            self.counts.withLock { $0 = (batches: $0.batches + 1, requests: $0.requests + batch.count) }
            do {
                let results = try await self.commit(batch.map(\.request))
                precondition(results.count == batch.count, "a group commit answers every request")
                for (waiting, result) in zip(batch, results) { waiting.continuation.resume(with: result) }
            } catch {
                for waiting in batch { waiting.continuation.resume(throwing: error) }
            }
        }
    }
}
