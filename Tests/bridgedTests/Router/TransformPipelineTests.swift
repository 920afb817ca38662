import BridgeModel
import Foundation
import GRDB
import PolicyGate
import Testing

@testable import bridged

/// Redact and annotate rules through the running gateway: what is cleared is what is delivered.
@Suite("Redaction and disclaimers in the running gateway", .serialized)
struct TransformPipelineTests {
    static let policy = """
        [[rule]]
        id = "globex-to-acme"
        action = "allow"
        from = ["org:globex"]
        to = ["org:acme"]
        kinds = ["message"]

        [[rule]]
        id = "mask-cards"
        action = "redact"
        from = ["*"]
        to = ["*"]
        detectors = ["card"]

        [[rule]]
        id = "partner-disclaimer"
        action = "annotate"
        from = ["org:globex"]
        to = ["org:acme"]
        disclaimer = "Sent from Globex through the federation gateway."
        """

    static let card = "4111 1111 1111 1111"

    func spoolTexts(_ fixture: GatewayFixture) throws -> [String] {
        try fixture.spoolFiles("acme").map {
            try String(contentsOf: fixture.root.appendingPathComponent("var/spool/acme/\($0)"), encoding: .utf8)
        }
    }

    func auditText(_ fixture: GatewayFixture) throws -> String {
        try FileManager.default.contentsOfDirectory(atPath: fixture.auditDirectory.path).filter { $0.hasPrefix("audit-") }.sorted()
            .map { try String(contentsOf: fixture.auditDirectory.appendingPathComponent($0), encoding: .utf8) }.joined()
    }

    @Test("a card number is masked before the outbox: no spool file holds it, the disclaimer is appended, the audit record names the detector and hash, not the number")
    func redactedAndAnnotated() async throws {
        let fixture = try GatewayFixture(policy: Self.policy)
        defer { fixture.remove() }
        try await fixture.start()
        do {
            #expect(try await fixture.post(GatewayFixture.message("direct-card", text: "pay with \(Self.card) please")).status == 202)
            let line = #"{"event_id":"room-card","from":"bob@globex.test","channel":"acme-partners","text":"room card \#(Self.card)"}"#
            #expect(try await fixture.post(line).status == 202)
            try await eventually("both reached acme's spool") { fixture.spoolFiles("acme").count == 2 }
            try await eventually("the pipeline is idle") { try await fixture.quiescent() }
            try await fixture.stop()
        } catch {
            try? await fixture.stop()
            throw error
        }
        let spooled = try self.spoolTexts(fixture)
        #expect(!spooled.contains { $0.contains("4111") }, "\(spooled)")
        #expect(spooled.contains { $0.contains("pay with [redacted] please") && $0.contains("Sent from Globex through the federation gateway.") })
        #expect(spooled.contains { $0.contains("room card [redacted]") })
        let transformed = try fixture.auditRecords().filter { $0["event"] as? String == "transformed" }
        #expect(transformed.count == 2, "\(transformed)")
        let direct = try #require(transformed.first { $0["to"] as? [String] == ["alice@acme.test"] })
        let spans = try #require(direct["redacted"] as? [[String: Any]])
        #expect(spans.count == 1 && spans[0]["rule"] as? String == "mask-cards" && spans[0]["found"] as? String == "card")
        #expect(spans[0]["field"] as? String == "body" && spans[0]["sha256"] as? String == AuditEvent.sha256(Self.card))
        #expect(direct["annotated"] as? [String] == ["partner-disclaimer"])
        #expect((direct["content_sha256"] as? String)?.hasPrefix("sha256:") == true)
        let decided = try fixture.auditRecords().filter { $0["event"] as? String == "decided" }
        #expect(decided.contains { ($0["decision"] as? [String: Any])?["transforms"] as? [String] == ["mask-cards", "partner-disclaimer"] })
        #expect(!(try self.auditText(fixture)).contains("4111"), "the audit log never holds the number")
    }

    @Test("a queued row whose content was put back to the original is not delivered on its clearance: it is decided and masked again")
    func tamperedRowIsDecidedAgain() async throws {
        let fixture = try GatewayFixture(policy: Self.policy)
        defer { fixture.remove() }
        let config = try ConfigLoader.load(directory: fixture.root)
        let store = try SQLiteStore(path: config.resolve(config.daemon.store.path).path)
        let original = Envelope(
            origin: Origin(adapter: "globex-chat", nativeID: "tampered"), sender: Participant(address: try Address(parsing: "bob@globex.test")),
            recipients: [try Address(parsing: "alice@acme.test")], body: "card \(Self.card)", hops: ["globex-chat"]
        )
        _ = try await store.accept(original)
        let plan = RoutingPlanner(routing: Routing(config: config), deliverable: ["acme-archive"], recovered: false).plan(original)
        #expect(plan.entries.count == 1 && plan.entries[0].envelope.body.contains("[redacted]"))
        try await store.commitRouting([RoutingCommit(envelopeID: original.id, entries: plan.entries, index: [])])
        // Someone with access to the store writes the original content back into the queued row.
        let raw = try EnvelopeCoding.encode(original)
        try await store.pool.write { db in try db.execute(sql: "UPDATE outbox SET envelope = ?", arguments: [raw]) }

        try await fixture.start()
        do {
            try await eventually("the item reached acme's spool") { fixture.spoolFiles("acme").count == 1 }
            try await eventually("the pipeline is idle") { try await fixture.quiescent() }
            try await fixture.stop()
        } catch {
            try? await fixture.stop()
            throw error
        }
        let spooled = try self.spoolTexts(fixture)
        #expect(spooled.count == 1 && !spooled[0].contains("4111") && spooled[0].contains("card [redacted]"), "\(spooled)")
        let records = try fixture.auditRecords()
        #expect(records.contains { $0["event"] as? String == "decided" && $0["redecided"] as? Bool == true }, "decided again, not sent on trust")
        #expect(records.contains { $0["event"] as? String == "transformed" })
    }
}
