import BridgeModel
import Foundation
import GRDB
import Synchronization
import Testing

@testable import bridged

@Suite("Group commit: concurrent accepts share a transaction, each answered after it")
struct GroupCommitTests {
    /// Lets the test hold a commit open and see when one started, without sleeping.
    final class Gate: Sendable {
        private let entered = AsyncStream<Int>.makeStream()
        private let opened = Mutex<CheckedContinuation<Void, Never>?>(nil)
        private let isOpen = Atomic<Bool>(false)

        var commits: AsyncStream<Int> { self.entered.stream }

        /// Called by the commit: reports the batch size, then waits until the test opens the gate.
        func pass(batch: Int) async {
            self.entered.continuation.yield(batch)
            guard !self.isOpen.load(ordering: .acquiring) else { return }
            await withCheckedContinuation { continuation in
                let resumeNow = self.opened.withLock { slot -> Bool in
                    if self.isOpen.load(ordering: .acquiring) { return true }
                    slot = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }

        func open() {
            self.isOpen.store(true, ordering: .releasing)
            self.opened.withLock { slot in
                slot?.resume()
                slot = nil
            }
        }
    }

    @Test("requests queued behind a commit in progress go together into the next one, in order, each with its own result")
    func coalesces() async throws {
        let gate = Gate()
        let committed = Mutex<[[Int]]>([])
        let commit = GroupCommit<Int, Int>(maxBatch: 64) { requests in
            await gate.pass(batch: requests.count)
            committed.withLock { $0.append(requests) }
            return requests.map { $0 % 7 == 3 ? .failure(CancellationError()) : .success($0 * 10) }
        }
        var commits = gate.commits.makeAsyncIterator()
        try await withThrowingTaskGroup(of: (Int, Int?).self) { group in
            group.addTask { (0, try await commit.submit(0)) }
            // The first commit is in progress (held at the gate); everything submitted now waits for the next.
            #expect(await commits.next() == 1, "the first request did not start a commit")
            for request in 1...20 {
                group.addTask {
                    do { return (request, try await commit.submit(request)) } catch { return (request, nil) }
                }
            }
            // Wait until all twenty are queued: nothing answers them before the gate opens.
            let deadline = ContinuousClock.now + .seconds(60)
            while commit.queued < 20 {
                guard ContinuousClock.now < deadline else {
                    Issue.record("only \(commit.queued) of 20 requests were queued within 60 s")
                    break
                }
                await Task.yield()
            }
            gate.open()
            var answers: [Int: Int?] = [:]
            for try await (request, answer) in group { answers[request] = answer }
            for request in 0...20 {
                #expect(answers[request] == (request % 7 == 3 ? nil : request * 10), "request \(request): \(String(describing: answers[request]))")
            }
        }
        let batches = committed.withLock { $0 }
        #expect(batches.first == [0])
        #expect(batches.count == 2, "twenty queued requests took \(batches.count - 1) commits")
        #expect(batches.dropFirst().flatMap { $0 } == Array(1...20), "not committed in the order submitted: \(batches)")
        #expect(commit.committed.batches == 2 && commit.committed.requests == 21)
    }

    @Test("a commit that fails fails every request it carried, and the next commit still runs")
    func failedCommit() async throws {
        let fail = Atomic<Bool>(true)
        let commit = GroupCommit<Int, Int>(maxBatch: 8) { requests in
            if fail.exchange(false, ordering: .acquiringAndReleasing) { throw SQLiteStoreFailure() }
            return requests.map { .success($0) }
        }
        await #expect(throws: SQLiteStoreFailure.self) { try await commit.submit(1) }
        #expect(try await commit.submit(2) == 2)
    }

    struct SQLiteStoreFailure: Error {}

    func envelope(_ native: String, adapter: String = "globex-chat", sender: String = "bob@globex.test") throws -> Envelope {
        Envelope(
            origin: Origin(adapter: adapter, nativeID: native),
            sender: Participant(address: try Address(parsing: sender)), recipients: [try Address(parsing: "alice@acme.test")],
            body: native
        )
    }

    @Test("in one batch: a repeated origin is a duplicate of its first, a failing item takes nothing of the others with it")
    func storeBatch() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)/b.sqlite").path
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path) }
        let store = try SQLiteStore(path: path)
        let first = try self.envelope("m-1")
        let repeated = try self.envelope("m-1")
        var clash = try self.envelope("m-3")
        clash.id = first.id  // the inbox's envelope id is unique: this item's inserts fail
        let last = try self.envelope("m-4")
        let results = try await SQLiteStore.commitAccepts([first, repeated, clash, last], pool: store.pool)
        #expect(results.count == 4)
        #expect(try results[0].get() == .accepted(first.id))
        #expect(try results[1].get() == .duplicate(first.id), "a repeat within the batch was not taken for a duplicate")
        #expect(throws: (any Error).self, "an item whose insert fails was reported accepted") { try results[2].get() }
        #expect(try results[3].get() == .accepted(last.id))
        // What was reported accepted is committed, and nothing of the failed item is.
        let rows = try await store.pool.read { db in
            (
                inbox: try String.fetchAll(db, sql: "SELECT envelope_id FROM inbox ORDER BY seq"),
                keys: try String.fetchAll(db, sql: "SELECT native_id FROM idempotency ORDER BY native_id")
            )
        }
        #expect(rows.inbox == [first.id.rawValue, last.id.rawValue])
        #expect(rows.keys == ["m-1", "m-4"], "the failed item left its idempotency key behind: \(rows.keys)")
    }

    @Test("many concurrent accepts through the store, redeliveries among them: each new item committed once")
    func concurrentAccepts() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)/b.sqlite").path
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path) }
        let store = try SQLiteStore(path: path)
        let count = 400
        let outcomes = try await withThrowingTaskGroup(of: AcceptOutcome.self) { group in
            for index in 0..<count {
                // Every fourth is a redelivery of the one before it.
                let native = index % 4 == 3 ? "m-\(index - 1)" : "m-\(index)"
                let envelope = try self.envelope(native)
                group.addTask { try await store.accept(envelope) }
            }
            var all: [AcceptOutcome] = []
            for try await outcome in group { all.append(outcome) }
            return all
        }
        let accepted = outcomes.filter { if case .accepted = $0 { true } else { false } }
        #expect(accepted.count == count - count / 4)
        #expect(try await store.inboxDepth() == count - count / 4)
        #expect(store.accepts.committed.requests == count, "not every accept went through the group commit")
    }
}
