import BridgeModel
import Foundation
import Logging
import Testing

@testable import bridged

@Suite("Nothing crosses that the gate did not allow", .serialized)
struct GateInvariantTests {
    static let policy = GatewayFixture.defaultPolicy + """

        [[rule]]
        id = "no-contractors"
        action = "deny"
        from = ["contractor@globex.test"]
        to = ["*"]
        """

    @Test("every delivery in the audit log follows an allow decision for that envelope and adapter")
    func everyDeliveryWasAllowed() async throws {
        let fixture = try GatewayFixture(policy: Self.policy)
        defer { fixture.remove() }
        try await fixture.start()
        let posts = [
            GatewayFixture.message("a1"),
            GatewayFixture.message("d1", to: "peter@initech.test"),
            GatewayFixture.message("d2", from: "contractor@globex.test"),
            #"{"event_id":"r1","from":"bob@globex.test","channel":"acme-partners","text":"room"}"#,
            #"{"event_id":"d3","from":"contractor@globex.test","channel":"acme-partners","text":"room"}"#,
            GatewayFixture.message("a2", to: "carol@acme.test"),
            #"{"event_id":"m1","from":"bob@globex.test","to":["alice@acme.test","peter@initech.test"],"text":"both"}"#,
        ]
        for post in posts { #expect(try await fixture.post(post).status == 202) }
        try await eventually("all seven were decided and the pipeline is idle") {
            let accepted = try fixture.auditRecords().filter {
                $0["event"] as? String == "accepted" && ($0["native_id"] as? String)?.hasPrefix("bridged-notice:") != true
            }.count
            return accepted == posts.count
        }
        try await eventually("the pipeline is idle") { try await fixture.quiescent() }
        try await fixture.stop()

        let records = try fixture.auditRecords()
        var allowed: Set<String> = []
        var delivered = 0
        for record in records {
            let envelope = record["envelope"] as? String ?? ""
            let adapter = record["adapter"] as? String ?? ""
            switch record["event"] as? String {
            case "decided":
                if (record["decision"] as? [String: Any])?["effect"] as? String == "allow" { allowed.insert("\(envelope)|\(adapter)") }
            case "delivered":
                delivered += 1
                #expect(allowed.contains("\(envelope)|\(adapter)"), "delivered without an allow: \(record)")
            default:
                break
            }
        }
        AuditAssertions.everyDeliveryClearedByTheGateInForce(records)
        // a1, r1, a2, and m1's acme half; m1's initech half, d1, d2 and d3 are denied.
        #expect(delivered == 4)
        #expect(fixture.spoolFiles().count == 4)
        #expect(fixture.spoolFiles("initech").isEmpty)
        let denials = records.filter { ($0["decision"] as? [String: Any])?["effect"] as? String == "deny" }
        #expect(denials.count == 4)
        #expect(denials.contains { ($0["decision"] as? [String: Any])?["rules"] as? [String] == ["no-contractors"] })
    }

    @Test("after a crash between the audit append and the store commit, accepted is not repeated and the re-decision is marked")
    func recoveredDecision() async throws {
        let fixture = try GatewayFixture()
        defer { fixture.remove() }
        let config = try ConfigLoader.load(directory: fixture.root)
        // Reproduce the crash window by hand: the envelope is in the inbox and its records are in the log,
        // but the transaction that would index them and enqueue the delivery never happened.
        let store = try SQLiteStore(path: config.resolve(config.daemon.store.path).path)
        let envelope = Envelope(
            origin: Origin(adapter: "globex-chat", nativeID: "crash-window"),
            sender: Participant(address: try Address(parsing: "bob@globex.test")),
            recipients: [try Address(parsing: "alice@acme.test")], body: "once", hops: ["globex-chat"]
        )
        _ = try await store.accept(envelope)
        let key = try AuditSigningKey.parse(Array(try String(contentsOf: fixture.root.appendingPathComponent("var/keys/audit.key"), encoding: .utf8).utf8))
        let audit = try AuditLog(
            directory: fixture.auditDirectory, signingKey: key, settings: config.daemon.audit, logger: Logger(label: "test")
        )
        let routing = Routing(config: config)
        let plan = RoutingPlanner(routing: routing, deliverable: ["acme-archive"], recovered: false).plan(envelope)
        try await audit.append([AuditEvent(.accepted, envelope: envelope, content: .metadata)] + plan.events)
        try await audit.close()

        try await fixture.start()
        try await eventually("the envelope was delivered") { fixture.spoolFiles().count == 1 }
        try await fixture.stop()
        let mine = try fixture.auditRecords().filter { $0["envelope"] as? String == envelope.id.rawValue }
        #expect(mine.compactMap { $0["event"] as? String } == ["accepted", "decided", "decided", "delivered"])
        #expect(mine[1]["recovered"] == nil)
        #expect(mine[2]["recovered"] as? Bool == true)
    }
}
