import BridgeModel
import Foundation
import PolicyGate
import Testing

@testable import bridged

/// Rule conditions through the whole running pipeline: signed webhook posts in, the gate, the spool out, the
/// audit log. The fixture's routes reach acme through its spool and bridge the `partners` room.
@Suite("Content conditions in the running gateway", .serialized)
struct ContentPipelineTests {
    static let policy = """
        [[rule]]
        id = "globex-to-acme"
        action = "allow"
        from = ["org:globex"]
        to = ["org:acme"]

        [[rule]]
        id = "no-cards-from-globex"
        action = "deny"
        from = ["org:globex"]
        to = ["org:acme"]
        detectors = ["card"]

        [[rule]]
        id = "no-falcon-in-rooms"
        action = "deny"
        from = ["*"]
        to = ["*"]
        where = "room"
        words_file = "policy.d/watch.txt"
        """

    static let cases = """
        [[case]]
        name = "a card number from globex is stopped"
        from = "bob@globex.test"
        to = "alice@acme.test"
        text = "my card is 4111 1111 1111 1111"
        expect = "deny"
        rule = "no-cards-from-globex"

        [[case]]
        name = "falcon may be named directly"
        from = "bob@globex.test"
        to = "alice@acme.test"
        text = "about Project Falcon"
        expect = "allow"

        [[case]]
        name = "falcon is not named in a bridged room"
        from = "bob@globex.test"
        room = "partners"
        via = "globex-chat"
        text = "about Project Falcon"
        expect = "deny"
        rule = "no-falcon-in-rooms"
        """

    func fixture() throws -> GatewayFixture {
        try GatewayFixture(
            policy: Self.policy,
            extraFiles: ["policy.d/watch.txt": "# watch list\nproject falcon\nosprey\n", "policy.d/tests/content.toml": Self.cases]
        )
    }

    @Test("a card number and a watch-list word are stopped where their rules say, audited by rule; the rest is delivered")
    func conditionsDecide() async throws {
        let fixture = try self.fixture()
        defer { fixture.remove() }
        try await fixture.start()
        do {
            #expect(try await fixture.post(GatewayFixture.message("card", to: "alice@acme.test", text: "card 4111 1111 1111 1111")).status == 202)
            #expect(try await fixture.post(GatewayFixture.message("plain", to: "alice@acme.test", text: "osprey is fine here")).status == 202)
            let line = #"{"event_id":"room-1","from":"bob@globex.test","channel":"acme-partners","text":"the OSPREY numbers"}"#
            #expect(try await fixture.post(line).status == 202)
            let clean = #"{"event_id":"room-2","from":"bob@globex.test","channel":"acme-partners","text":"hello room"}"#
            #expect(try await fixture.post(clean).status == 202)
            try await eventually("all four were decided and the pipeline is idle") {
                let decided = try fixture.auditRecords().filter { $0["event"] as? String == "decided" }.count
                guard decided >= 4 else { return false }
                return try await fixture.quiescent()
            }
            try await fixture.stop()
        } catch {
            try? await fixture.stop()
            throw error
        }
        let decided = try fixture.auditRecords().filter { $0["event"] as? String == "decided" }
        let rules = decided.compactMap { ($0["decision"] as? [String: Any])?["rules"] as? [String] }
        #expect(rules.filter { $0 == ["no-cards-from-globex"] }.count == 1, "\(rules)")
        #expect(rules.filter { $0 == ["no-falcon-in-rooms"] }.count == 1, "\(rules)")
        #expect(rules.filter { $0 == ["globex-to-acme"] }.count == 2, "\(rules)")
        let texts = try fixture.spoolFiles("acme").map {
            try String(contentsOf: fixture.root.appendingPathComponent("var/spool/acme/\($0)"), encoding: .utf8)
        }
        #expect(texts.count == 2, "\(texts)")
        #expect(!texts.contains { $0.contains("4111") || $0.contains("OSPREY") }, "\(texts)")
        #expect(texts.contains { $0.contains("osprey is fine here") } && texts.contains { $0.contains("hello room") })
    }

    @Test("the policy's own content cases pass, and a case expecting the wrong answer fails")
    func cases() throws {
        let fixture = try self.fixture()
        defer { fixture.remove() }
        let config = try ConfigLoader.load(directory: fixture.root)
        let results = PolicyCaseRunner(routing: Routing(config: config)).run(config.policyCases)
        #expect(results.count == 3 && results.allSatisfy(\.passed), "\(results.map(\.report))")
        var wrong = config.policyCases[0]
        wrong.text = "no card here"
        #expect(PolicyCaseRunner(routing: Routing(config: config)).run(wrong).passed == false)
    }
}

extension ContentPipelineTests {
    static let noticePolicy = """
        [[rule]]
        id = "globex-to-acme"
        action = "allow"
        from = ["org:globex"]
        to = ["org:acme"]

        [[rule]]
        id = "no-chat-to-globex"
        action = "deny"
        from = ["org:acme"]
        to = ["org:globex"]
        notice_text = "Globex is not federated for chat yet; write to partners@acme.test."

        [[rule]]
        id = "initech-quietly"
        action = "deny"
        from = ["org:acme"]
        to = ["org:initech"]
        silent = true
        """

    @Test("a deny rule's own notice text reaches the sender in their chat; a silent rule's denial tells nobody and its record says so")
    func noticeTextAndSilence() async throws {
        let sink = HookSink()
        let port = try await sink.start()
        let fixture = try GatewayFixture(acmeDeliverURL: "http://127.0.0.1:\(port)/hooks/acme", policy: Self.noticePolicy)
        defer { fixture.remove() }
        try await fixture.start()
        do {
            let both = #"{"event_id":"alice-1","from":"alice@acme.test","to":["bob@globex.test","carol@initech.test"],"text":"hello both"}"#
            #expect(try await fixture.post(both, adapter: "acme-chat", secret: "acme-outbound-secret").status == 202)
            try await eventually("the one notice arrived and the pipeline is idle") {
                guard await sink.state.count >= 1 else { return false }
                return try await fixture.quiescent()
            }
            try await fixture.stop()
        } catch {
            try? await fixture.stop()
            await sink.stop()
            throw error
        }
        await sink.stop()
        #expect(await sink.state.texts == [
            "Your message to bob@globex.test was not delivered: Globex is not federated for chat yet; write to partners@acme.test."
        ])
        let decided = try fixture.auditRecords().filter { $0["event"] as? String == "decided" }
        let initech = try #require(decided.first { ($0["to"] as? [String]) == ["carol@initech.test"] }?["decision"] as? [String: Any])
        #expect(initech["rules"] as? [String] == ["initech-quietly"] && initech["silent"] as? Bool == true)
        let globex = try #require(decided.first { ($0["to"] as? [String]) == ["bob@globex.test"] }?["decision"] as? [String: Any])
        #expect(globex["rules"] as? [String] == ["no-chat-to-globex"] && globex["silent"] == nil)
    }
}
