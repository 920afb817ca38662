import BridgeModel
import Foundation
import GRDB
import PolicyGate
import Testing

@testable import bridged

/// Journal copies through the running gateway, to a spool archive.
@Suite("Journal copies in the running gateway", .serialized)
struct JournalPipelineTests {
    static let policy = """
        [[rule]]
        id = "globex-to-acme"
        action = "allow"
        from = ["org:globex"]
        to = ["org:acme"]
        kinds = ["message"]

        [[rule]]
        id = "journal-globex"
        action = "journal"
        from = ["org:globex"]
        to = ["*"]
        journal_to = "archive@acme.test"
        journal_denied = true
        """

    @Test("every globex message is copied to acme's archive once, a denied one too; the copy has its own file and audit record, the delivery its own")
    func copies() async throws {
        let fixture = try GatewayFixture(policy: Self.policy)
        defer { fixture.remove() }
        try await fixture.start()
        do {
            #expect(try await fixture.post(GatewayFixture.message("allowed", text: "to alice")).status == 202)
            #expect(try await fixture.post(GatewayFixture.message("denied", to: "ivy@initech.test", text: "to ivy")).status == 202)
            try await eventually("three files reached acme's spool") { fixture.spoolFiles("acme").count == 3 }
            try await eventually("the pipeline is idle") { try await fixture.quiescent() }
            try await fixture.stop()
        } catch {
            try? await fixture.stop()
            throw error
        }
        let files = fixture.spoolFiles("acme")
        #expect(files.filter { $0.hasSuffix(".journal.json") }.count == 2, "\(files)")
        #expect(fixture.spoolFiles("initech").isEmpty, "the denied message itself went nowhere")
        let texts = try files.filter { $0.hasSuffix(".journal.json") }.map {
            try String(contentsOf: fixture.root.appendingPathComponent("var/spool/acme/\($0)"), encoding: .utf8)
        }
        #expect(texts.contains { $0.contains("to ivy") } && texts.contains { $0.contains("to alice") }, "\(texts)")
        let journal = try fixture.auditRecords().filter { $0["event"] as? String == "decided" && $0["journal"] as? Bool == true }
        #expect(journal.count == 2 && journal.allSatisfy { $0["to"] as? [String] == ["archive@acme.test"] }, "\(journal)")
        let idMap = try await fixture.gateway.store.pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM id_map WHERE native_id LIKE '%.journal.json'") }
        #expect(idMap == 0, "a journal copy is never recorded as the item's delivery")
    }
}
