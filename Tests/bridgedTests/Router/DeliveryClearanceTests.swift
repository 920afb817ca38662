import BridgeModel
import Foundation
import NIOHTTP1
import PolicyGate
import Testing

@testable import bridged

/// The gate decides at delivery, not only at routing: a queued row carries its clearance, and a policy
/// change reaches items already queued, retries and replays alike.
@Suite("The gate at delivery: clearances, re-decision, replays", .serialized)
struct DeliveryClearanceTests {
    static let denyAlice = GatewayFixture.defaultPolicy + """

        [[rule]]
        id = "no-globex-to-alice"
        action = "deny"
        from = ["org:globex"]
        to = ["alice@acme.test"]
        """

    /// acme is reached through a webhook posting to `acme`; globex's chat can be answered at `globex`.
    static func fixture(acme: Int, globex: Int) throws -> GatewayFixture {
        try GatewayFixture(
            acmeDeliverURL: "http://127.0.0.1:\(acme)/hooks/acme",
            delivery: "max_attempts = 1000\ninitial_backoff_ms = 50\nmax_backoff_seconds = 1",
            extraFiles: [
                "adapters.d/globex-chat.toml": """
                    type = "webhook"
                    org = "globex"
                    secret_file = "var/secrets/globex.secret"
                    deliver_url = "http://127.0.0.1:\(globex)/hooks/globex"
                    deliver_timeout_seconds = 2
                    """
            ]
        )
    }

    /// A running gateway with one message from bob to alice queued behind acme's dead chat system (it
    /// answers 503 until told otherwise); globex's chat can be answered.
    static func queuedBehindDeadPeer(_ event: String, text: String) async throws -> (acme: HookSink, globex: HookSink, fixture: GatewayFixture) {
        let acme = HookSink()
        let globex = HookSink()
        let fixture = try Self.fixture(acme: try await acme.start(), globex: try await globex.start())
        await acme.state.fail(Array(repeating: 503, count: 100_000))
        try await fixture.start()
        #expect(try await fixture.post(GatewayFixture.message(event, text: text)).status == 202)
        try await eventually("the delivery was retried against the dead peer") {
            try fixture.auditRecords().contains { $0["event"] as? String == "retried" }
        }
        return (acme, globex, fixture)
    }

    @Test("a deny added by a reload stops an item already queued behind a dead peer, its sender is told, and a replay is denied too")
    func reloadStopsQueuedItem() async throws {
        let (acme, globex, fixture) = try await Self.queuedBehindDeadPeer("queued-1", text: "before the change")
        defer {
            fixture.remove()
            Task {
                await acme.stop()
                await globex.stop()
            }
        }

        try Self.denyAlice.write(to: fixture.root.appendingPathComponent("policy.toml"), atomically: true, encoding: .utf8)
        guard case .applied = await fixture.gateway.reload() else {
            Issue.record("the reload with the new deny rule was not applied")
            try await fixture.stop()
            return
        }
        await acme.state.fail([])
        try await eventually("the queued item was dead-lettered under the new policy") {
            try await fixture.gateway.store.deadLetters(limit: 10).contains { $0.reason.hasPrefix("policy-changed") }
        }
        try await eventually("the sender was told in their own chat") { await globex.state.count == 1 }

        // A replay is decided under the policy in force, not the decision it was first cleared with.
        let letter = try #require(try await fixture.gateway.store.deadLetters(limit: 10).first)
        #expect(try await fixture.admin("/dead-letters/\(letter.id)/replay", method: .POST).status == 200)
        try await eventually("the replay was decided again and dead-lettered again") {
            let records = try fixture.auditRecords().filter { $0["envelope"] as? String == letter.envelopeID.rawValue }
            return records.filter { $0["event"] as? String == "dead-lettered" && $0["reason"] as? String == "policy-changed" }.count == 2
        }
        try await eventually("the pipeline is idle") { try await fixture.quiescent() }
        try await fixture.stop()

        let reachedAlice = await acme.state.texts
        #expect(reachedAlice.isEmpty, "nothing reached alice: \(reachedAlice)")
        let notice = try #require(await globex.state.texts.first)
        #expect(notice == "Your message to alice@acme.test was not delivered: the gateway's policy changed before it could be delivered and no longer allows it.")
        #expect(await globex.state.senders == ["bridged@gateway.invalid"])

        let mine = try fixture.auditRecords().filter { $0["envelope"] as? String == letter.envelopeID.rawValue }
        let redecided = mine.filter { $0["event"] as? String == "decided" && $0["redecided"] as? Bool == true }
        #expect(redecided.count == 2, "once after the reload, once at the replay: \(redecided)")
        for record in redecided {
            let decision = try #require(record["decision"] as? [String: Any])
            #expect(decision["effect"] as? String == "deny")
            #expect(decision["rules"] as? [String] == ["no-globex-to-alice"])
        }
        #expect(!mine.contains { $0["event"] as? String == "delivered" })
        // The notice to bob was delivered, and it too was cleared by the gate in force.
        AuditAssertions.everyDeliveryClearedByTheGateInForce(try fixture.auditRecords())
    }

    @Test("an item queued before a reload that still allows it is decided again and delivered, with the new revision on record")
    func reloadThatStillAllows() async throws {
        let (acme, globex, fixture) = try await Self.queuedBehindDeadPeer("queued-2", text: "still allowed")
        defer {
            fixture.remove()
            Task {
                await acme.stop()
                await globex.stop()
            }
        }
        let before = await fixture.gateway.runtime.routing.gate.revision
        let relabelled = "revision = \"2026-12-relabel\"\n" + GatewayFixture.defaultPolicy
        try relabelled.write(to: fixture.root.appendingPathComponent("policy.toml"), atomically: true, encoding: .utf8)
        guard case .applied = await fixture.gateway.reload() else {
            Issue.record("the reload was not applied")
            try await fixture.stop()
            return
        }
        let after = await fixture.gateway.runtime.routing.gate.revision
        #expect(before != after)
        // An attempt already confirmed under the old revision may be in flight while the reload lands; let
        // the peer answer only once an attempt has decided the item again under the new one.
        try await eventually("an attempt after the reload decided the item again") {
            try fixture.auditRecords().contains { $0["redecided"] as? Bool == true }
        }
        await acme.state.fail([])
        try await eventually("the item was delivered") { await acme.state.texts == ["still allowed"] }
        // The peer has it before the worker records it: wait for the record itself.
        try await eventually("the delivery was recorded") {
            try fixture.auditRecords().contains { $0["event"] as? String == "delivered" }
        }
        try await fixture.stop()
        let records = try fixture.auditRecords()
        let redecided = try #require(records.first { $0["redecided"] as? Bool == true })
        #expect((redecided["decision"] as? [String: Any])?["revision"] as? String == after)
        #expect((redecided["decision"] as? [String: Any])?["effect"] as? String == "allow")
        #expect(await globex.state.count == 0, "no notice for a delivered item")
        AuditAssertions.everyDeliveryClearedByTheGateInForce(records)
    }
}

/// Two spellings that reach one account get one decision.
@Suite("One canonical identity per person", .serialized)
struct CanonicalIdentityTests {
    @Test("a deny naming alice holds for ALICE, Alice, fullwidth and zero-width spellings; each sender is told once")
    func spellingsCannotBypassADeny() async throws {
        let fixture = try GatewayFixture(policy: DeliveryClearanceTests.denyAlice)
        defer { fixture.remove() }
        try await fixture.start()
        let spellings = ["ALICE@acme.test", "Alice@acme.test", "ａｌｉｃｅ@acme.test", "al\u{200B}ice@acme.test", "alice@ACME.test"]
        for (index, spelling) in spellings.enumerated() {
            #expect(try await fixture.post(GatewayFixture.message("spelling-\(index)", to: spelling)).status == 202)
        }
        #expect(try await fixture.post(GatewayFixture.message("carol-1", to: "Carol@acme.test")).status == 202)
        try await eventually("every post was decided") {
            try fixture.auditRecords().filter { $0["event"] as? String == "decided" }.count == spellings.count + 1
        }
        try await eventually("the pipeline is idle") { try await fixture.quiescent() }
        try await fixture.stop()
        let decisions = try fixture.auditRecords().filter { $0["event"] as? String == "decided" }
        let denied = decisions.filter { ($0["decision"] as? [String: Any])?["rules"] as? [String] == ["no-globex-to-alice"] }
        #expect(denied.count == spellings.count, "\(decisions)")
        // Only carol's message went anywhere.
        #expect(fixture.spoolFiles().count == 1)
    }

    @Test("addresses compare in canonical form and keep their spelling for display")
    func canonicalForm() throws {
        let plain = try Address(parsing: "alice@acme.test")
        for spelling in ["ALICE@acme.test", "Alice@Acme.Test", "ａｌｉｃｅ@acme.test", "al\u{00AD}ice@acme.test", "al\u{200B}ice@acme.test"] {
            let other = try Address(parsing: spelling)
            #expect(other == plain, "\(spelling)")
            #expect(other.hashValue == plain.hashValue, "\(spelling)")
            #expect(other.canonical == "alice@acme.test")
        }
        #expect(try Address(parsing: "Alice@acme.test").description == "Alice@acme.test")
        #expect(try Address(parsing: "alicia@acme.test") != plain)
        // Bidi overrides, C1 controls and separators are refused outright.
        for bad in ["al\u{202E}ice@acme.test", "al\u{0085}ice@acme.test", "al\u{2028}ice@acme.test", "\u{200B}@acme.test"] {
            #expect(throws: AddressError.self, "\(bad)") { try Address(parsing: bad) }
        }
    }
}

/// What is delivered is what was cleared for that destination, and edits go only where their original went.
@Suite("Cleared content and authorship", .serialized)
struct ClearedContentTests {
    @Test("a spool file carries only the recipients cleared for that adapter")
    func spoolCarriesOnlyClearedRecipients() async throws {
        let fixture = try GatewayFixture()
        defer { fixture.remove() }
        try await fixture.start()
        let both = #"{"event_id":"both-1","from":"bob@globex.test","to":["alice@acme.test","peter@initech.test"],"text":"both"}"#
        #expect(try await fixture.post(both).status == 202)
        try await eventually("alice's half was delivered") { fixture.spoolFiles().count == 1 }
        try await fixture.stop()
        let file = fixture.root.appendingPathComponent("var/spool/acme/\(try #require(fixture.spoolFiles().first))")
        let record = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
        let envelope = try #require(record["envelope"] as? [String: Any])
        #expect(envelope["recipients"] as? [String] == ["alice@acme.test"])
        #expect(!String(decoding: try Data(contentsOf: file), as: UTF8.self).contains("peter"))
    }

    @Test("a partner cannot edit or retract someone else's message; the author's edit goes only where the original went")
    func editsOnlyByTheirAuthor() async throws {
        // globex may send messages and edits to acme, and edits to initech: only the id map keeps an edit
        // from reaching someone its original never reached.
        let policy = """
            [[rule]]
            id = "globex-to-acme"
            action = "allow"
            from = ["org:globex"]
            to = ["org:acme"]
            kinds = ["message", "edit", "retraction"]

            [[rule]]
            id = "globex-edits-to-initech"
            action = "allow"
            from = ["org:globex"]
            to = ["org:initech"]
            kinds = ["edit"]
            """
        let fixture = try GatewayFixture(policy: policy)
        defer { fixture.remove() }
        try await fixture.start()
        #expect(try await fixture.post(GatewayFixture.message("orig-1", text: "the original")).status == 202)
        try await eventually("the original was delivered") { fixture.spoolFiles().count == 1 }
        let forged = #"{"event_id":"forged-edit","kind":"edit","from":"carol@globex.test","to":["alice@acme.test"],"in_reply_to":"orig-1","text":"carol rewrites bob"}"#
        #expect(try await fixture.post(forged).status == 403)
        let forgedRetraction = #"{"event_id":"forged-retract","kind":"retraction","from":"carol@globex.test","to":["alice@acme.test"],"in_reply_to":"orig-1","text":""}"#
        #expect(try await fixture.post(forgedRetraction).status == 403)
        let unknown = #"{"event_id":"edit-unknown","kind":"edit","from":"bob@globex.test","to":["alice@acme.test"],"in_reply_to":"never-sent","text":"?"}"#
        #expect(try await fixture.post(unknown).status == 403)
        let own = #"{"event_id":"own-edit","kind":"edit","from":"BOB@globex.test","to":["alice@acme.test"],"in_reply_to":"orig-1","text":"bob fixes his own"}"#
        #expect(try await fixture.post(own).status == 202)
        // The original never went to initech, so an edit cannot be used to reach peter.
        let sideways = #"{"event_id":"sideways-edit","kind":"edit","from":"bob@globex.test","to":["peter@initech.test"],"in_reply_to":"orig-1","text":"psst"}"#
        #expect(try await fixture.post(sideways).status == 202)
        try await eventually("the author's edit was delivered") { fixture.spoolFiles().count == 2 }
        try await eventually("the pipeline is idle") { try await fixture.quiescent() }
        try await fixture.stop()
        #expect(fixture.spoolFiles("initech").isEmpty)
        let records = try fixture.auditRecords()
        let refusals = records.filter { $0["event"] as? String == "rejected" && $0["reason"] as? String == "not-author" }
        #expect(Set(refusals.compactMap { $0["native_id"] as? String }) == ["forged-edit", "forged-retract", "edit-unknown"])
        #expect(records.contains { $0["event"] as? String == "dead-lettered" && $0["reason"] as? String == "original-not-delivered-here" })
    }
}

extension ClearedContentTests {
    @Test("the author's edit follows the original to a chat system, naming the event id it was posted under")
    func editFollowsToChat() async throws {
        let sink = HookSink()
        let port = try await sink.start()
        let policy = GatewayFixture.defaultPolicy.replacingOccurrences(of: #"kinds = ["message"]"#, with: #"kinds = ["message", "edit"]"#)
        let fixture = try GatewayFixture(acmeDeliverURL: "http://127.0.0.1:\(port)/hooks/acme", policy: policy)
        defer { fixture.remove() }
        try await fixture.start()
        #expect(try await fixture.post(GatewayFixture.message("orig-chat", text: "first version")).status == 202)
        try await eventually("the original was posted") { await sink.state.count == 1 }
        let edit = #"{"event_id":"edit-chat","kind":"edit","from":"bob@globex.test","to":["alice@acme.test"],"in_reply_to":"orig-chat","text":"second version"}"#
        #expect(try await fixture.post(edit).status == 202)
        try await eventually("the edit was posted") { await sink.state.count == 2 }
        try await fixture.stop()
        await sink.stop()
        let original = try #require(await sink.state.eventIDs.first)
        #expect(await sink.state.inReplyTo["second version"] == original)
        #expect(await sink.state.kinds == ["message", "edit"])
    }
}

extension ClearedContentTests {
    @Test("bidi overrides a partner sends are neutralised before anything is stored or delivered; terminal escapes are refused at the edge")
    func controlCharactersNeutralised() async throws {
        let fixture = try GatewayFixture()
        defer { fixture.remove() }
        try await fixture.start()
        let nasty = #"{"event_id":"ctl-1","from":"bob@globex.test","to":["alice@acme.test"],"subject":"hi \u202ethere","text":"invoice\u202egpj.exe"}"#
        let answer = try await fixture.post(nasty)
        #expect(answer.status == 202, "\(answer.body)")
        // The generic dialect takes no control characters at all: a terminal escape is refused, not stored.
        let escape = #"{"event_id":"ctl-2","from":"bob@globex.test","to":["alice@acme.test"],"text":"\u001b]0;pwned\u0007"}"#
        #expect(try await fixture.post(escape).status == 422)
        try await eventually("delivered") { fixture.spoolFiles().count == 1 }
        try await fixture.stop()
        let file = fixture.root.appendingPathComponent("var/spool/acme/\(try #require(fixture.spoolFiles().first))")
        let record = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
        let envelope = try #require(record["envelope"] as? [String: Any])
        #expect(envelope["body"] as? String == "invoicegpj.exe")
        #expect(envelope["subject"] as? String == "hi there")
    }
}

