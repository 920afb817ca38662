import BridgeModel
import Foundation
import NIOHTTP1
import PeerHarness
import PolicyGate
import Testing

@testable import bridged

/// Quarantine through the running gateway: signed webhook posts in, the gate holds card numbers, a reviewer
/// releases or rejects through the admin listener, deliveries go to a real HTTP sink, and every step is an
/// audit record.
@Suite("Quarantine in the running gateway", .serialized)
struct QuarantinePipelineTests {
    static let policy = """
        [[rule]]
        id = "globex-to-acme"
        action = "allow"
        from = ["org:globex"]
        to = ["org:acme"]
        kinds = ["message"]

        [[rule]]
        id = "acme-to-initech"
        action = "allow"
        from = ["org:acme"]
        to = ["org:initech"]

        [[rule]]
        id = "hold-cards"
        action = "quarantine"
        from = ["*"]
        to = ["*"]
        detectors = ["card"]
        notice_text = "Card numbers are reviewed before they cross."
        """

    static func records(_ fixture: GatewayFixture, _ event: String) throws -> [[String: Any]] {
        try fixture.auditRecords().filter { $0["event"] as? String == event }
    }

    static func object(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(text)")
    }

    @Test("a card number is held, not delivered; a release delivers exactly it, a rejection never; each action is audited with its operator")
    func holdReleaseReject() async throws {
        let sink = HookSink()
        let port = try await sink.start()
        let fixture = try GatewayFixture(acmeDeliverURL: "http://127.0.0.1:\(port)/hooks/acme", policy: Self.policy)
        defer { fixture.remove() }
        try await fixture.start()
        do {
            #expect(try await fixture.post(GatewayFixture.message("card-1", text: "first 4111 1111 1111 1111")).status == 202)
            #expect(try await fixture.post(GatewayFixture.message("card-2", text: "second 5500-0000-0000-0004")).status == 202)
            #expect(try await fixture.post(GatewayFixture.message("plain", text: "no numbers")).status == 202)
            try await eventually("the three were decided and the pipeline is idle") {
                guard try Self.records(fixture, "decided").count >= 3, await sink.state.count >= 1 else { return false }
                return try await fixture.quiescent()
            }
            #expect(await sink.state.texts == ["no numbers"])

            let list = try await fixture.admin("/quarantine")
            #expect(list.status == 200)
            let held = try #require(try Self.object(list.body)["held"] as? [[String: Any]])
            #expect(held.count == 2 && held.allSatisfy { $0["rules"] as? [String] == ["hold-cards"] }, "\(held)")
            let ids = held.compactMap { $0["id"] as? Int }
            #expect(held.first?["to"] as? [String] == ["alice@acme.test"] && held.first?["from"] as? String == "bob@globex.test")
            let first = try Self.object(try await fixture.admin("/quarantine/\(ids[0])").body)
            #expect((first["text"] as? String)?.contains("4111 1111 1111 1111") == true, "show prints the held content: \(first)")

            #expect(try await fixture.admin("/quarantine/\(ids[0])/release", method: .POST, json: #"{"reason":"no operator"}"#).status == 400)
            #expect(try await fixture.admin("/quarantine/999/release", method: .POST, json: #"{"operator":"rita"}"#).status == 404)
            let released = try await fixture.admin(
                "/quarantine/\(ids[0])/release", method: .POST, json: #"{"operator":"rita","reason":"customer's own card, on request"}"#
            )
            #expect(released.status == 200, "\(released.body)")
            #expect(try Self.object(released.body)["delivering_to"] as? [String] == ["alice@acme.test"])
            try await eventually("the released message reached the sink") { await sink.state.count >= 2 }
            #expect(try await fixture.admin("/quarantine/\(ids[0])/release", method: .POST, json: #"{"operator":"rita"}"#).status == 404,
                    "a released item cannot be released twice")

            #expect(try await fixture.admin("/quarantine/\(ids[1])/reject", method: .POST, json: #"{"operator":"sam","reason":"not for acme"}"#).status == 200)
            let after = try #require(try Self.object(try await fixture.admin("/quarantine").body)["held"] as? [[String: Any]])
            #expect(after.isEmpty, "\(after)")
            try await eventually("the pipeline is idle") { try await fixture.quiescent() }
            try await fixture.stop()
        } catch {
            try? await fixture.stop()
            await sink.stop()
            throw error
        }
        await sink.stop()
        let texts = await sink.state.texts
        #expect(texts == ["no numbers", "first 4111 1111 1111 1111"], "the rejected one never went out: \(texts)")

        let decided = try Self.records(fixture, "decided")
        let effects = decided.compactMap { ($0["decision"] as? [String: Any])?["effect"] as? String }
        #expect(effects.filter { $0 == "quarantine" }.count == 2, "\(effects)")
        let releasedRecord = try #require(try Self.records(fixture, "quarantine-released").first)
        #expect(releasedRecord["operator"] as? String == "rita" && releasedRecord["held_rules"] as? [String] == ["hold-cards"])
        #expect((releasedRecord["detail"] as? String)?.contains("customer's own card") == true)
        let redecided = try #require(decided.first { $0["redecided"] as? Bool == true })
        #expect((redecided["decision"] as? [String: Any])?["rules"] as? [String] == ["globex-to-acme"])
        let rejected = try #require(try Self.records(fixture, "quarantine-rejected").first)
        #expect(rejected["operator"] as? String == "sam" && rejected["detail"] as? String == "not for acme")
        #expect(try Self.records(fixture, "delivered").count == 2)
    }

    @Test("the sender is told an item is held, in the rule's words; a held item survives a restart; a rejection tells the sender again")
    func noticesAndRestart() async throws {
        let sink = HookSink()
        let port = try await sink.start()
        let fixture = try GatewayFixture(acmeDeliverURL: "http://127.0.0.1:\(port)/hooks/acme", policy: Self.policy)
        defer { fixture.remove() }
        try await fixture.start()
        do {
            let post = #"{"event_id":"alice-card","from":"alice@acme.test","to":["ivy@initech.test"],"text":"pay 4111 1111 1111 1111"}"#
            #expect(try await fixture.post(post, adapter: "acme-chat", secret: "acme-outbound-secret").status == 202)
            try await eventually("the held notice reached alice and the pipeline is idle") {
                guard await sink.state.count >= 1 else { return false }
                return try await fixture.quiescent()
            }
            try await fixture.stop()
            try await fixture.start()
            let held = try #require(try Self.object(try await fixture.admin("/quarantine").body)["held"] as? [[String: Any]])
            #expect(held.count == 1 && held.first?["to"] as? [String] == ["ivy@initech.test"], "held across a restart: \(held)")
            let id = try #require(held.first?["id"] as? Int)
            #expect(try await fixture.admin("/quarantine/\(id)/reject", method: .POST, json: #"{"operator":"sam"}"#).status == 200)
            try await eventually("the rejection notice reached alice") { await sink.state.count >= 2 }
            try await eventually("the pipeline is idle") { try await fixture.quiescent() }
            try await fixture.stop()
        } catch {
            try? await fixture.stop()
            await sink.stop()
            throw error
        }
        await sink.stop()
        #expect(await sink.state.texts == [
            "Your message to ivy@initech.test is held for review and is delivered only if a reviewer releases it: Card numbers are reviewed before they cross.",
            "Your message to ivy@initech.test was not delivered: Card numbers are reviewed before they cross.",
        ])
        #expect(fixture.spoolFiles("initech").isEmpty, "nothing reached initech")
    }
}

@Suite("Quarantine: deciding queued and held items again")
struct QuarantineRedecisionTests {
    @Test("a queued delivery the policy in force now holds goes to the quarantine; a release decides it without that rule")
    func redecideIntoQuarantine() throws {
        let fixture = try GatewayFixture(policy: QuarantinePipelineTests.policy)
        defer { fixture.remove() }
        let routing = Routing(config: try ConfigLoader.load(directory: fixture.root))
        let envelope = Envelope(
            origin: Origin(adapter: "globex-chat", nativeID: "queued-card"),
            sender: Participant(address: try Address(parsing: "bob@globex.test")),
            recipients: [try Address(parsing: "alice@acme.test")], body: "4111 1111 1111 1111", hops: ["globex-chat"]
        )
        let item = OutboxItem(
            id: 7, envelope: envelope, adapter: "acme-archive", target: .direct(envelope.recipients), conversation: "c", attempts: 0,
            createdAt: Date()
        )
        var planner = RoutingPlanner(routing: routing, deliverable: ["acme-archive"], recovered: false)
        let redecision = planner.redecide(item)
        #expect(redecision.clearance == nil && redecision.held?.rules == ["hold-cards"] && redecision.held?.target == item.target)
        #expect(redecision.denied == 0)
        planner.releasing = ["hold-cards"]
        let released = planner.redecide(item, deniedReason: .denied, discriminator: "release-7")
        #expect(released.held == nil && released.clearance?.decisions.first?.ruleIDs == ["globex-to-acme"])
    }
}

extension QuarantinePipelineTests {
    /// Runs the real `bridged` binary off the cooperative pool (the in-process gateway needs those threads).
    static func cli(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try DaemonProcess.command(arguments) })
            }
        }
    }

    @Test("`bridged quarantine list`, `show` and `release` work against the running daemon; release names the operator")
    func commandLine() async throws {
        let fixture = try GatewayFixture(policy: Self.policy, ports: (0, try Loopback.freePort()))
        defer { fixture.remove() }
        try await fixture.start()
        do {
            #expect(try await fixture.post(GatewayFixture.message("cli-card", text: "card 4111 1111 1111 1111")).status == 202)
            try await eventually("the card was held") { try await fixture.gateway.store.heldItems(limit: 10).count == 1 }
            let id = try #require(try await fixture.gateway.store.heldItems(limit: 10).first?.id)
            let config = ["--config", fixture.root.path]
            let list = try await Self.cli(["quarantine", "list"] + config)
            #expect(list.status == 0 && list.output.contains("RULES") && list.output.contains("\(id) ") && list.output.contains("hold-cards"), "\(list.output)")
            let show = try await Self.cli(["quarantine", "show", "\(id)"] + config)
            #expect(show.status == 0 && show.output.contains("card 4111 1111 1111 1111") && show.output.contains("bob@globex.test"), "\(show.output)")
            let release = try await Self.cli(["quarantine", "release", "\(id)", "--operator", "cli-reviewer", "--reason", "checked"] + config)
            #expect(release.status == 0 && release.output.contains("delivering to alice@acme.test"), "\(release.output)")
            let missing = try await Self.cli(["quarantine", "reject", "\(id)"] + config)
            #expect(missing.status == 1 && missing.output.contains("no held item \(id)"), "\(missing.output)")
            #expect(try await Self.cli(["quarantine", "list"] + config).output.contains("nothing is held"))
            try await eventually("the released card reached the spool") { fixture.spoolFiles().count == 1 }
            try await fixture.stop()
        } catch {
            try? await fixture.stop()
            throw error
        }
        let released = try #require(try Self.records(fixture, "quarantine-released").first)
        #expect(released["operator"] as? String == "cli-reviewer")
    }
}

extension QuarantinePipelineTests {
    @Test("a released item queued behind a dead peer is not held again by the same rule when a reload makes it be decided again")
    func releaseSurvivesReload() async throws {
        let sink = HookSink()
        let port = try await sink.start()
        await sink.state.fail(Array(repeating: 503, count: 100_000))
        let fixture = try GatewayFixture(acmeDeliverURL: "http://127.0.0.1:\(port)/hooks/acme", policy: Self.policy)
        defer { fixture.remove() }
        try await fixture.start()
        do {
            #expect(try await fixture.post(GatewayFixture.message("reload-card", text: "card 4111 1111 1111 1111")).status == 202)
            try await eventually("the card was held") { try await fixture.gateway.store.heldItems(limit: 10).count == 1 }
            let id = try #require(try await fixture.gateway.store.heldItems(limit: 10).first?.id)
            #expect(try await fixture.admin("/quarantine/\(id)/release", method: .POST, json: #"{"operator":"rita"}"#).status == 200)
            try await eventually("the released item was retried against the dead peer") {
                try fixture.auditRecords().contains { $0["event"] as? String == "retried" }
            }
            let relabelled = "revision = \"after-release\"\n" + Self.policy
            try relabelled.write(to: fixture.root.appendingPathComponent("policy.toml"), atomically: true, encoding: .utf8)
            guard case .applied = await fixture.gateway.reload() else {
                Issue.record("the reload was not applied")
                throw CancellationError()
            }
            // The release itself is a decision again under the old revision, and an attempt confirmed under the
            // old revision may be in flight while the reload lands; let the peer answer only once an attempt
            // has decided the item again under the new one.
            try await eventually("an attempt after the reload decided the released item again under the new revision") {
                try fixture.auditRecords().contains(where: Self.redecidedAfterRelease)
            }
            await sink.state.fail([])
            try await eventually("the released card reached the sink") { await sink.state.count >= 1 }
            #expect(try await fixture.gateway.store.heldItems(limit: 10).isEmpty, "held again after the reload")
            try await fixture.stop()
        } catch {
            try? await fixture.stop()
            await sink.stop()
            throw error
        }
        await sink.stop()
        let redecided = try fixture.auditRecords().filter { $0["event"] as? String == "decided" && $0["redecided"] as? Bool == true }
        #expect(redecided.contains(where: Self.redecidedAfterRelease), "decided again under the new revision: \(redecided)")
        #expect(redecided.allSatisfy { ($0["decision"] as? [String: Any])?["effect"] as? String == "allow" }, "\(redecided)")
    }

    /// A `decided` record of a delivery decided again under the relabelled policy.
    static func redecidedAfterRelease(_ record: [String: Any]) -> Bool {
        record["event"] as? String == "decided" && record["redecided"] as? Bool == true
            && ((record["decision"] as? [String: Any])?["revision"] as? String)?.hasPrefix("after-release") == true
    }
}
