import BridgeModel
import Foundation
import GRDB
import Testing

@testable import bridged

@Suite("SQLite store: idempotency keys expire after their retention")
struct IdempotencyRetentionTests {
    func envelope(_ native: String, receivedAt: Date) throws -> Envelope {
        Envelope(
            origin: Origin(adapter: "globex-chat", nativeID: native),
            sender: Participant(address: try Address(parsing: "bob@globex.test")), recipients: [try Address(parsing: "alice@acme.test")],
            body: native, receivedAt: receivedAt
        )
    }

    @Test("keys older than the cutoff go in bounded batches, oldest first; younger keys still recognise a redelivery")
    func pruneInBatches() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)/b.sqlite").path
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path) }
        let store = try SQLiteStore(path: path)
        let now = Date()
        let old = now.addingTimeInterval(-40 * 86_400)
        for index in 0..<25 {
            _ = try await store.accept(try self.envelope("old-\(index)", receivedAt: old.addingTimeInterval(Double(index))))
        }
        _ = try await store.accept(try self.envelope("recent", receivedAt: now.addingTimeInterval(-86_400)))
        let cutoff = now.addingTimeInterval(-30 * 86_400)

        var batches: [Int] = []
        while true {
            let deleted = try await store.pruneIdempotency(acceptedBefore: cutoff, limit: 10)
            batches.append(deleted)
            if deleted < 10 { break }
        }
        #expect(batches == [10, 10, 5], "\(batches)")

        // The sweep walks the age index, not the table.
        let plan = try await store.pool.read { db in
            try Row.fetchAll(
                db, sql: "EXPLAIN QUERY PLAN SELECT origin_adapter, native_id FROM idempotency WHERE accepted_at < ? ORDER BY accepted_at LIMIT ?",
                arguments: [cutoff.timeIntervalSince1970, 10]
            ).map { String(describing: $0["detail"] as String? ?? "") }
        }
        #expect(plan.contains { $0.contains("idempotency_accepted") }, "\(plan)")

        // An expired key no longer names its item: the same native id is a new item now.
        let again = try await store.accept(try self.envelope("old-3", receivedAt: now))
        guard case .accepted = again else {
            Issue.record("a redelivery after the retention was still taken for a duplicate: \(again)")
            return
        }
        // A key inside the retention still recognises a redelivery.
        let recent = try await store.accept(try self.envelope("recent", receivedAt: now))
        guard case .duplicate = recent else {
            Issue.record("a redelivery inside the retention was accepted again: \(recent)")
            return
        }
    }

    @Test("the retention is a setting; bridged check refuses one not longer than delivery.max_age_seconds")
    func retentionSetting() throws {
        #expect(DaemonSettings().store.idempotencyRetentionDays == 30)
        let fixture = try GatewayFixture(acmeDeliverURL: "http://127.0.0.1:9/hooks/acme")
        defer { fixture.remove() }
        let daemon = fixture.root.appendingPathComponent("bridged.toml")
        var text = try String(contentsOf: daemon, encoding: .utf8)
        text += "\n[store]\nidempotency_retention_days = 1\n"
        try text.write(to: daemon, atomically: true, encoding: .utf8)
        do {
            _ = try ConfigLoader.load(directory: fixture.root)
            Issue.record("a retention of 1 day with max_age_seconds 86400 was accepted")
        } catch {
            let problems = error.issues.map(\.description)
            #expect(problems.contains { $0.contains("store.idempotency_retention_days") }, "\(problems)")
        }
    }
}
