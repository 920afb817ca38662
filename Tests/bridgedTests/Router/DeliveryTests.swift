import BridgeModel
import Foundation
import PeerHarness
import NIOHTTP1
import Testing

@testable import bridged

@Suite("Delivery: retries, order, dead letters", .serialized)
struct DeliveryTests {
    @Test("a peer that fails is retried with backoff, and a conversation's messages still arrive in order")
    func retriesKeepOrder() async throws {
        let sink = HookSink()
        let port = try await sink.start()
        await sink.state.fail([503, 503, 502])
        let fixture = try GatewayFixture(acmeDeliverURL: "http://127.0.0.1:\(port)/hooks/acme")
        defer { fixture.remove() }
        try await fixture.start()
        for index in 1...5 {
            #expect(try await fixture.post(GatewayFixture.message("evt-\(index)", text: "m\(index)")).status == 202)
        }
        try await eventually("all five arrived") { await sink.state.texts.count == 5 }
        try await eventually("the pipeline is idle") { try await fixture.quiescent() }
        try await fixture.stop()
        await sink.stop()
        #expect(await sink.state.texts == ["m1", "m2", "m3", "m4", "m5"])
        let records = try fixture.auditRecords()
        #expect(records.filter { $0["event"] as? String == "retried" }.count == 3)
        #expect(records.filter { $0["event"] as? String == "delivered" }.count == 5)
        let retried = try #require(records.first { $0["event"] as? String == "retried" })
        #expect(retried["reason"] as? String == "http-503")
        // Every post was signed with the adapter's outbound secret and carried the delivery key.
        let headers = try #require(await sink.state.headers.first)
        #expect(headers["x-bridged-signature"]?.hasPrefix("v1=") == true)
        #expect(headers["x-bridged-event-id"]?.hasSuffix(".acme-chat") == true)
    }

    @Test("a permanent refusal is dead-lettered with its reason, and an operator's replay delivers it")
    func deadLetterAndReplay() async throws {
        let sink = HookSink()
        let port = try await sink.start()
        await sink.state.fail([400])
        let fixture = try GatewayFixture(acmeDeliverURL: "http://127.0.0.1:\(port)/hooks/acme")
        defer { fixture.remove() }
        try await fixture.start()
        #expect(try await fixture.post(GatewayFixture.message("evt-dl")).status == 202)
        try await eventually("a dead letter exists") { try await fixture.gateway.store.deadLetters(limit: 10).count == 1 }
        let letter = try #require(try await fixture.gateway.store.deadLetters(limit: 10).first)
        #expect(letter.reason.hasPrefix("http-400"))
        let listed = try await fixture.admin("/dead-letters")
        #expect(listed.body.contains(letter.envelopeID.rawValue))
        let replay = try await fixture.admin("/dead-letters/\(letter.id)/replay", method: .POST)
        #expect(replay.status == 200)
        try await eventually("the replayed delivery arrived") { await sink.state.texts.count == 1 }
        try await fixture.stop()
        await sink.stop()
        let events = try fixture.auditRecords().compactMap { $0["event"] as? String }
        #expect(events.filter { ["dead-lettered", "replayed", "delivered"].contains($0) } == ["dead-lettered", "replayed", "delivered"])
        // The replay was decided again under the policy in force before it went out.
        AuditAssertions.everyDeliveryClearedByTheGateInForce(try fixture.auditRecords())
        #expect(try fixture.auditRecords().contains { $0["event"] as? String == "decided" && $0["redecided"] as? Bool == true })
    }

    @Test("a dead peer is retried until max_attempts, then dead-lettered: queued, never dropped")
    func deadPeer() async throws {
        // Nothing listens on this port: every attempt fails to connect.
        let closed = try Loopback.freePort()
        let fixture = try GatewayFixture(
            acmeDeliverURL: "http://127.0.0.1:\(closed)/hooks/acme",
            delivery: "max_attempts = 3\ninitial_backoff_ms = 20\nmax_backoff_seconds = 1"
        )
        defer { fixture.remove() }
        try await fixture.start()
        #expect(try await fixture.post(GatewayFixture.message("evt-dead")).status == 202)
        try await eventually("it is dead-lettered") { try await fixture.gateway.store.deadLetters(limit: 10).count == 1 }
        try await fixture.stop()
        let records = try fixture.auditRecords()
        #expect(records.filter { $0["event"] as? String == "retried" }.count == 2)
        let dead = try #require(records.first { $0["event"] as? String == "dead-lettered" })
        #expect(dead["reason"] as? String == "connect-failed")
        #expect(dead["attempt"] as? Int == 3)
    }

    @Test("backoff grows exponentially, is capped, and keeps half its delay fixed")
    func backoff() {
        var settings = DeliverySettings()
        settings.initialBackoffMilliseconds = 1000
        settings.maxBackoffSeconds = 60
        #expect(DeliveryWorker.backoff(attempt: 1, settings, random: 1) == 1)
        #expect(DeliveryWorker.backoff(attempt: 1, settings, random: 0) == 0.5)
        #expect(DeliveryWorker.backoff(attempt: 4, settings, random: 1) == 8)
        #expect(DeliveryWorker.backoff(attempt: 30, settings, random: 1) == 60)
        #expect(DeliveryWorker.backoff(attempt: 30, settings, random: 0) == 30)
    }
}

extension DeliveryTests {
    @Test("a chat user whose message the gate denies gets a signed notice from the gateway in their own chat, through the pipeline")
    func denialNoticeToChatSender() async throws {
        let sink = HookSink()
        let port = try await sink.start()
        let fixture = try GatewayFixture(acmeDeliverURL: "http://127.0.0.1:\(port)/hooks/acme")
        defer { fixture.remove() }
        try await fixture.start()
        let denied = GatewayFixture.message("alice-1", from: "alice@acme.test", to: "bob@globex.test", text: "psst")
        #expect(try await fixture.post(denied, adapter: "acme-chat", secret: "acme-outbound-secret").status == 202)
        try await eventually("the notice arrived") { await sink.state.count == 1 }
        try await fixture.stop()
        await sink.stop()
        let notice = try #require(await sink.state.texts.first)
        // Written for the sender: no rule internals, no list of the orgs the gateway federates with.
        #expect(notice == "Your message to bob@globex.test was not delivered: the gateway's policy does not allow it.")
        // The gateway is its author, never the person who was not reached.
        #expect(await sink.state.senders == ["bridged@gateway.invalid"])
        // A notice is an envelope like any other: accepted, decided by the gate, delivered, all audited.
        let records = try fixture.auditRecords()
        let accepted = try #require(records.first { ($0["native_id"] as? String)?.hasPrefix("bridged-notice:") == true })
        let id = try #require(accepted["envelope"] as? String)
        let mine = records.filter { $0["envelope"] as? String == id }.compactMap { $0["event"] as? String }
        #expect(mine == ["accepted", "decided", "delivered"])
        let decided = try #require(records.first { $0["envelope"] as? String == id && $0["event"] as? String == "decided" })
        #expect((decided["decision"] as? [String: Any])?["rules"] as? [String] == ["default:notice-to-sender"])
        AuditAssertions.everyDeliveryClearedByTheGateInForce(records)
        let headers = try #require(await sink.state.headers.first)
        #expect(headers["x-bridged-signature"]?.hasPrefix("v1=") == true)
    }
}

extension DeliveryTests {
    @Test("when a destination delivers again after an outage, everything waiting out a backoff goes at once; /healthz said degraded meanwhile")
    func drainAfterOutage() async throws {
        let sink = HookSink()
        let port = try await sink.start()
        // The first retry would wait at least 30 s (half the first backoff is fixed): far past the bound below.
        let fixture = try GatewayFixture(
            acmeDeliverURL: "http://127.0.0.1:\(port)/hooks/acme",
            delivery: "max_attempts = 100\ninitial_backoff_ms = 60000\nmax_backoff_seconds = 600"
        )
        defer { fixture.remove() }
        let people = ["alice", "carol", "dave", "erin", "frank"]
        await sink.state.fail(Array(repeating: 503, count: people.count))
        try await fixture.start()
        for person in people {
            #expect(try await fixture.post(GatewayFixture.message("outage-\(person)", to: "\(person)@acme.test", text: "for \(person)")).status == 202)
        }
        try await eventually("every first attempt failed") {
            try fixture.auditRecords().filter { $0["event"] as? String == "retried" }.count == people.count
        }
        let health = try await fixture.admin("/healthz").body
        #expect(health.contains(#""status":"degraded""#) && health.contains("acme-chat"), "\(health)")
        // The chat system is back; the next message succeeds and the waiting ones follow at once.
        #expect(try await fixture.post(GatewayFixture.message("after-outage", to: "grace@acme.test", text: "for grace")).status == 202)
        try await eventually("the waiting deliveries were drained", within: 20) { await sink.state.count == people.count + 1 }
        #expect(try await fixture.admin("/healthz").body.contains(#""status":"ok""#))
        try await fixture.stop()
        await sink.stop()
        #expect(Set(await sink.state.texts) == Set((people + ["grace"]).map { "for \($0)" }))
    }
}

