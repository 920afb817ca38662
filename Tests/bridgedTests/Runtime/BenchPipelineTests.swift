import BridgeModel
import Foundation
import GRDB
import Testing

@testable import bridged

/// `bridged bench pipeline` is how the figures in docs/performance.md are made: it must deliver every
/// envelope it accepts, and `--history` must really put the keys in the store the run then works against.
@Suite("bench pipeline")
struct BenchPipelineTests {
    @Test("a run with history delivers every envelope and leaves the history's keys beside its own")
    func historyIsInTheStore() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("bench-test-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        // The run throws unless all 24 envelopes reached the spool.
        let result = try await PipelineBenchmark.run(
            envelopes: 24, concurrency: 4, spoolSync: .file, window: 8, history: 25_000, directory: root
        )
        #expect(result.envelopes == 24 && result.history == 25_000)
        #expect(result.summary.contains("with 25000 idempotency keys in the store before the run"), "\(result.summary)")
        let store = try SQLiteStore(path: root.appendingPathComponent(BenchmarkConfig.storePath).path)
        let (history, run) = try await store.pool.read { db in
            (
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM idempotency WHERE native_id LIKE 'history-%'") ?? 0,
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM idempotency WHERE native_id LIKE 'bench-%'") ?? 0
            )
        }
        #expect(history == 25_000, "the start-up sweep or the run lost history keys")
        #expect(run == 24)
    }
}
