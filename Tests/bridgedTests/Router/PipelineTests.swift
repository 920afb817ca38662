import Crypto
typealias Curve25519PublicKey = Curve25519.Signing.PublicKey
import BridgeModel
import Foundation
import Testing

@testable import bridged

@Suite("Pipeline: webhook in, gate, audit, spool out", .serialized)
struct PipelineTests {
    @Test("a signed message from globex reaches acme's spool, with accepted, decided and delivered audited in order")
    func crossesWhenAllowed() async throws {
        let fixture = try GatewayFixture()
        defer { fixture.remove() }
        try await fixture.start()
        let answer = try await fixture.post(GatewayFixture.message("evt-1"))
        #expect(answer.status == 202)
        try await eventually("the spool file exists") { fixture.spoolFiles().count == 1 }
        try await eventually("the pipeline is idle") { try await fixture.quiescent() }
        try await fixture.stop()
        let records = try fixture.auditRecords()
        let envelope = try #require(records.first { $0["event"] as? String == "accepted" }?["envelope"] as? String)
        let events = records.filter { $0["envelope"] as? String == envelope }.compactMap { $0["event"] as? String }
        #expect(events == ["accepted", "decided", "delivered"])
        let decided = try #require(records.first { $0["event"] as? String == "decided" })
        let decision = try #require(decided["decision"] as? [String: Any])
        #expect(decision["effect"] as? String == "allow")
        #expect(decision["rules"] as? [String] == ["globex-to-acme"])
        #expect((decision["revision"] as? String)?.hasPrefix("sha256:") == true)
        // content = "hashes": the audit keeps the body's hash, never the words.
        let accepted = try #require(records.first { $0["event"] as? String == "accepted" })
        #expect(accepted["body"] == nil)
        #expect(accepted["body_sha256"] as? String == AuditEvent.sha256("hello"))
        let report = try AuditVerifier(directory: fixture.auditDirectory, publicKey: try fixture.publicKey()).verify()
        #expect(report.records == Int64(records.count))
        // After a clean stop the query index covers every record: nothing is left to re-index at start-up.
        let store = try SQLiteStore(path: fixture.root.appendingPathComponent("var/bridged.sqlite").path)
        #expect(try await store.lastIndexedSequence() == Int64(records.count))
    }

    @Test("a cross-org message with no allow rule is denied, audited with the default rule, and goes nowhere")
    func deniedAcrossOrgs() async throws {
        let fixture = try GatewayFixture()
        defer { fixture.remove() }
        try await fixture.start()
        let answer = try await fixture.post(GatewayFixture.message("evt-deny", to: "peter@initech.test"))
        #expect(answer.status == 202)
        try await eventually("the envelope is decided") {
            try fixture.auditRecords().contains { $0["event"] as? String == "decided" }
        }
        try await eventually("the pipeline is idle") { try await fixture.quiescent() }
        try await fixture.stop()
        let decided = try #require(try fixture.auditRecords().first { $0["event"] as? String == "decided" })
        let decision = try #require(decided["decision"] as? [String: Any])
        #expect(decision["effect"] as? String == "deny")
        #expect(decision["rules"] as? [String] == ["default:cross-org-deny"])
        #expect(decided["to"] as? [String] == ["peter@initech.test"])
        #expect(fixture.spoolFiles("initech").isEmpty)
        #expect(try fixture.auditRecords().contains { $0["event"] as? String == "delivered" } == false)
    }

    @Test("a redelivered webhook event is acknowledged again but delivered once")
    func redeliveryIsHarmless() async throws {
        let fixture = try GatewayFixture()
        defer { fixture.remove() }
        try await fixture.start()
        #expect(try await fixture.post(GatewayFixture.message("evt-twice")).status == 202)
        try await eventually("the spool file exists") { fixture.spoolFiles().count == 1 }
        let again = try await fixture.post(GatewayFixture.message("evt-twice"))
        #expect(again.status == 200)
        #expect(again.body.contains("\"duplicate\":true"))
        try await eventually("the pipeline is idle") { try await fixture.quiescent() }
        try await fixture.stop()
        #expect(fixture.spoolFiles().count == 1)
        let records = try fixture.auditRecords()
        #expect(records.filter { $0["event"] as? String == "accepted" }.count == 1)
        #expect(records.filter { $0["event"] as? String == "delivered" }.count == 1)
    }

    @Test(
        "bad signatures, malformed and oversized bodies get 4xx, are audited, and nothing is enqueued",
        arguments: ["unsigned", "forged", "malformed", "oversized", "outside-org", "unknown-adapter"]
    )
    func badInput(_ variant: String) async throws {
        let fixture = try GatewayFixture()
        defer { fixture.remove() }
        try await fixture.start()
        let expected: (status: Int, reason: String)
        let answer: GatewayFixture.Answer
        switch variant {
        case "unsigned":
            answer = try await fixture.post(GatewayFixture.message("e1"), signed: false)
            expected = (401, "missing-signature")
        case "forged":
            answer = try await fixture.post(GatewayFixture.message("e1"), secret: "not-the-secret")
            expected = (401, "bad-signature")
        case "malformed":
            answer = try await fixture.post(#"{"event_id":"e1","from":"#)
            expected = (400, "malformed-json")
        case "oversized":
            answer = try await fixture.post(GatewayFixture.message("e1", text: String(repeating: "x", count: 5000)))
            expected = (413, "body-too-large")
        case "outside-org":
            answer = try await fixture.post(GatewayFixture.message("e1", from: "ceo@acme.test"))
            expected = (403, "sender-outside-org")
        default:
            answer = try await fixture.post(GatewayFixture.message("e1"), adapter: "acme-archive")
            expected = (404, "unknown-adapter")
        }
        #expect(answer.status == expected.status)
        #expect(try await fixture.gateway.store.inboxDepth() == 0)
        let metrics = try await fixture.admin("/metrics").body
        try await fixture.stop()
        #expect(fixture.spoolFiles().isEmpty)
        let records = try fixture.auditRecords()
        #expect(!records.contains { $0["event"] as? String == "accepted" })
        if variant == "unknown-adapter" {
            // A made-up path is no adapter's business: one metric label for all of them, no audit record.
            #expect(!records.contains { $0["event"] as? String == "rejected" })
            #expect(metrics.contains(#"adapter="unknown""#) && !metrics.contains(#"adapter="acme-archive",reason="unknown-adapter""#), "\(metrics)")
            return
        }
        let rejected = try #require(records.first { $0["event"] as? String == "rejected" })
        #expect(rejected["reason"] as? String == expected.reason)
        #expect(rejected["origin_adapter"] as? String == "globex-chat")
    }

    @Test("a flood of forged requests is refused every time but recorded once per window, with the rest counted")
    func forgedFloodIsAggregated() async throws {
        let fixture = try GatewayFixture()
        defer { fixture.remove() }
        try await fixture.start()
        let total = 300
        let started = ContinuousClock.now
        for index in 0..<total {
            let answer = try await fixture.post(GatewayFixture.message("forged-\(index)"), secret: "not-the-secret")
            #expect(answer.status == 401)
        }
        let elapsed = ContinuousClock.now - started
        func refusals() throws -> [[String: Any]] {
            try fixture.auditRecords().filter { $0["event"] as? String == "rejected" && $0["reason"] as? String == "bad-signature" }
        }
        try await eventually("every refusal is accounted for in the log") {
            try refusals().reduce(0) { $0 + ($1["count"] as? Int ?? 1) } == total
        }
        try await fixture.stop()
        let records = try refusals()
        // One record when a window opens and one with the count when it closes: windows are 1 s long.
        let windows = Int((Double(elapsed.components.seconds) + 1).rounded(.up)) + 1
        #expect(records.count <= 2 * windows, "\(records.count) records for \(total) refusals in \(elapsed)")
        #expect(records.contains { ($0["count"] as? Int ?? 0) > 1 })
    }

    @Test("a message into a bridged room reaches the other member channel with the room as its target")
    func roomRouting() async throws {
        let fixture = try GatewayFixture(policy: GatewayFixture.defaultPolicy)
        defer { fixture.remove() }
        try await fixture.start()
        let body = #"{"event_id":"room-1","from":"bob@globex.test","channel":"acme-partners","text":"hi room"}"#
        #expect(try await fixture.post(body).status == 202)
        try await eventually("the spool file exists") { fixture.spoolFiles().count == 1 }
        try await fixture.stop()
        let file = fixture.root.appendingPathComponent("var/spool/acme/\(fixture.spoolFiles()[0])")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
        let target = try #require(object["target"] as? [String: Any])
        let room = try #require(target["room"] as? [String: Any])
        #expect(room["room"] as? String == "partners")
        #expect(room["channel"] as? String == "partners")
    }
}

extension GatewayFixture {
    func publicKey() throws -> Curve25519PublicKey {
        let text = try String(contentsOf: self.root.appendingPathComponent("var/keys/audit.key"), encoding: .utf8)
        return try AuditSigningKey.parse(Array(text.utf8)).publicKey
    }
}
