import Foundation
import GRDB
import PeerHarness
import Testing

@testable import bridged

@Suite("XMPP component adapter against a real Prosody", .serialized)
struct XMPPBridgeTests {
    static let remote = #"bob\40globex.test@partners.acme.test"#

    /// Prosody for acme, the gateway with the component adapter for acme and a webhook chat for globex.
    static let policy = GatewayFixture.defaultPolicy.replacingOccurrences(of: "kinds = [\"message\"]", with: "both_ways = true")

    func setUp(
        delivery: String = "max_attempts = 5\ninitial_backoff_ms = 50\nmax_backoff_seconds = 1",
        policy: String = Self.policy,
        component: String = "",
        users: [(name: String, password: String)] = [],
        routes: String = ""
    ) async throws -> (ProsodyFixture, HookSink, GatewayFixture) {
        let prosody = try ProsodyFixture()
        try prosody.register("alice", host: "acme.test", password: "alicepw")
        for user in users { try prosody.register(user.name, host: "acme.test", password: user.password) }
        // XMPP refuses an apostrophe in a local part: the org registers o'brien XEP-0106-escaped.
        try prosody.register(#"o\27brien"#, host: "acme.test", password: "obrienpw")
        try await prosody.waitReady()
        let sink = HookSink()
        let hookPort = try await sink.start()
        let fixture = try GatewayFixture(
            delivery: delivery,
            policy: policy,
            extraFiles: [
                "var/secrets/xmpp.secret": ProsodyFixture.secret + "\n",
                "adapters.d/acme-xmpp.toml": """
                    type = "xmpp-component"
                    org = "acme"
                    host = "127.0.0.1"
                    port = \(prosody.componentPort)
                    component = "partners.acme.test"
                    secret_file = "var/secrets/xmpp.secret"
                    max_reconnect_seconds = 1
                    \(component)
                    """,
                "adapters.d/globex-chat.toml": """
                    type = "webhook"
                    org = "globex"
                    secret_file = "var/secrets/globex.secret"
                    deliver_url = "http://127.0.0.1:\(hookPort)/hooks/globex"
                    """,
                "routes.toml": """
                    [[reach]]
                    org = "acme"
                    adapter = "acme-xmpp"
                    [[reach]]
                    org = "globex"
                    adapter = "globex-chat"
                    \(routes)
                    """,
            ]
        )
        try await fixture.start()
        try await eventually("the component is authenticated") {
            prosody.log.contains("External component successfully authenticated")
        }
        return (prosody, sink, fixture)
    }

    func xmppUser(_ arguments: [String]) throws -> ChildProcess {
        try ChildProcess("/usr/bin/python3", [ChildProcess.peersDirectory.appendingPathComponent("xmpp_user.py").path] + arguments)
    }

    @Test("alice on XMPP writes to bob on globex's chat, and bob's answer reaches alice's XMPP client")
    func messagesBothWays() async throws {
        let (prosody, sink, fixture) = try await self.setUp()
        defer { fixture.remove() }

        let alice = try self.xmppUser(["alice@acme.test", "alicepw", "\(prosody.c2sPort)", "--send", Self.remote, "hi bob"])
        #expect(try await alice.waitForExit() == 0, "\(alice.output)")
        try await eventually("bob's chat got the message") { await sink.state.texts == ["hi bob"] }

        let listener = try self.xmppUser(["alice@acme.test", "alicepw", "\(prosody.c2sPort)", "--until-body", "hi alice", "--wait", "20"])
        try await listener.waitForOutput("\"ready\": true")
        #expect(try await fixture.post(GatewayFixture.message("bob-1", text: "hi alice")).status == 202)
        #expect(try await listener.waitForExit() == 0, "\(listener.output)")
        #expect(listener.output.contains(#""from": "bob\\40globex.test@partners.acme.test""#), "\(listener.output)")

        try await fixture.stop()
        await sink.stop()
        await prosody.stop()
        let records = try fixture.auditRecords()
        let delivered = records.filter { $0["event"] as? String == "delivered" }.compactMap { $0["adapter"] as? String }
        #expect(delivered.sorted() == ["acme-xmpp", "globex-chat"])
    }
}

extension XMPPBridgeTests {
    @Test("a message accepted while Prosody is down is queued, and reaches alice once, after Prosody is back")
    func prosodyRestart() async throws {
        let (prosody, sink, fixture) = try await self.setUp(delivery: "max_attempts = 1000\ninitial_backoff_ms = 100\nmax_backoff_seconds = 1")
        defer { fixture.remove() }
        await prosody.stop(keepingData: true)
        #expect(try await fixture.post(GatewayFixture.message("while-down", text: "sent while XMPP was down")).status == 202)
        try await eventually("a delivery attempt failed") {
            try fixture.auditRecords().contains { $0["event"] as? String == "retried" && $0["reason"] as? String == "not-connected" }
        }
        try prosody.start()
        try await prosody.waitReady()
        let listener = try self.xmppUser([
            "alice@acme.test", "alicepw", "\(prosody.c2sPort)", "--until-body", "sent while XMPP was down", "--wait", "20",
        ])
        #expect(try await listener.waitForExit() == 0, "\(listener.output)\n\(prosody.log.suffix(3000))")
        try await eventually("the pipeline is idle") { try await fixture.quiescent() }
        try await fixture.stop()
        await sink.stop()
        await prosody.stop()
        #expect(listener.output.components(separatedBy: "sent while XMPP was down").count - 1 == 1, "\(listener.output)")
        let delivered = try fixture.auditRecords().filter { $0["event"] as? String == "delivered" }
        #expect(delivered.count == 1)
    }
}

extension XMPPBridgeTests {
    @Test("a message the policy denies comes back to alice as a not-allowed error from the gateway, naming no rule or org")
    func denialReachesSender() async throws {
        let (prosody, sink, fixture) = try await self.setUp()
        defer { fixture.remove() }
        let alice = try self.xmppUser([
            "alice@acme.test", "alicepw", "\(prosody.c2sPort)", "--send", #"eve\40initech.test@partners.acme.test"#,
            "secret plans", "--until-error", "not-allowed", "--wait", "20",
        ])
        #expect(try await alice.waitForExit() == 0, "\(alice.output)")
        #expect(alice.output.contains("bridged gateway: Your message to eve@initech.test was not delivered: the gateway's policy does not allow it."), "\(alice.output)")
        #expect(!alice.output.contains("no rule allows it") && !alice.output.contains("org "), "\(alice.output)")
        #expect(alice.output.contains(#""from": "eve\\40initech.test@partners.acme.test""#), "\(alice.output)")
        try await fixture.stop()
        await sink.stop()
        await prosody.stop()
        #expect(await sink.state.texts.isEmpty)
        let decided = try #require(try fixture.auditRecords().first { $0["event"] as? String == "decided" })
        #expect((decided["decision"] as? [String: Any])?["rules"] as? [String] == ["default:cross-org-deny"])
    }
}

extension XMPPBridgeTests {
    @Test("a client that reuses a stanza id with the same resource in a later session is not silently deduplicated")
    func reusedStanzaIDAfterTheWindow() async throws {
        let (prosody, sink, fixture) = try await self.setUp(component: "dedupe_window_seconds = 1")
        defer { fixture.remove() }
        let first = try self.xmppUser(["alice@acme.test/laptop", "alicepw", "\(prosody.c2sPort)", "--send", Self.remote, "first session", "--send-id", "reused-1"])
        #expect(try await first.waitForExit() == 0, "\(first.output)")
        try await eventually("the first message crossed") { await sink.state.texts == ["first session"] }
        // Wait until the one-second window of that id has passed (the event this test is about).
        let sent = ContinuousClock.now
        try await eventually("the dedupe window passed") { ContinuousClock.now - sent > .milliseconds(1500) }
        let second = try self.xmppUser(["alice@acme.test/laptop", "alicepw", "\(prosody.c2sPort)", "--send", Self.remote, "second session", "--send-id", "reused-1"])
        #expect(try await second.waitForExit() == 0, "\(second.output)")
        try await eventually("the second message crossed too") { await sink.state.texts == ["first session", "second session"] }
        try await fixture.stop()
        await sink.stop()
        await prosody.stop()
    }

    @Test("a message asking for an XEP-0184 receipt gets it once the gateway committed it, and the audit has it accepted by then")
    func receiptAfterCommit() async throws {
        let (prosody, sink, fixture) = try await self.setUp()
        defer { fixture.remove() }
        let alice = try self.xmppUser([
            "alice@acme.test", "alicepw", "\(prosody.c2sPort)", "--send", Self.remote, "with a receipt", "--send-id", "r-1",
            "--request-receipt", "--until", "receipt:r-1", "--wait", "20",
        ])
        #expect(try await alice.waitForExit() == 0, "\(alice.output)")
        // The receipt came after the inbox commit: the item is in the store (inbox or beyond) by now.
        let native = #"alice@acme.test"#
        let stored = try await fixture.gateway.store.pool.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM idempotency WHERE native_id LIKE ?", arguments: ["\(native)%\tr-1"]) ?? 0
        }
        #expect(stored == 1)
        try await eventually("bob's chat got it") { await sink.state.texts == ["with a receipt"] }
        try await fixture.stop()
        await sink.stop()
        await prosody.stop()
    }

    @Test("a body too large for the server's stanza limit reaches alice shortened with a note, and the component link stays up")
    func oversizedBodyIsShortened() async throws {
        let (prosody, sink, fixture) = try await self.setUp(component: "max_stanza_bytes = 4096")
        defer { fixture.remove() }
        let alice = try self.xmppUser(["alice@acme.test", "alicepw", "\(prosody.c2sPort)", "--until-body", "and a short one", "--wait", "20"])
        try await alice.waitForOutput("\"ready\": true")
        // 3,000 ampersands: 3 KB of JSON, 15 KB once escaped in a stanza.
        let long = "start " + String(repeating: "&", count: 3000)
        #expect(try await fixture.post(GatewayFixture.message("long-1", text: long)).status == 202)
        #expect(try await fixture.post(GatewayFixture.message("short-1", text: "and a short one")).status == 202)
        #expect(try await alice.waitForExit() == 0, "\(alice.output)")
        try await fixture.stop()
        await sink.stop()
        let log = prosody.log
        await prosody.stop()
        #expect(alice.output.contains("start &&&&") && alice.output.contains("The gateway shortened this message"), "\(alice.output)")
        #expect(log.components(separatedBy: "External component successfully authenticated").count - 1 == 1, "the link broke")
        #expect(try fixture.auditRecords().filter { $0["event"] as? String == "delivered" }.count == 2)
    }

    @Test("a stanza nested 40 deep or with 70 attributes is refused alone with a stanza error and an audit record; the session stays and the next message crosses")
    func oneBadStanzaEndsOneStanza() async throws {
        let (prosody, sink, fixture) = try await self.setUp()
        defer { fixture.remove() }
        let alice = try self.xmppUser([
            "alice@acme.test", "alicepw", "\(prosody.c2sPort)", "--send-nested", Self.remote, "40", "--send-wide", Self.remote, "70",
            "--send", Self.remote, "after the bad ones", "--until", "error:not-acceptable", "--wait", "20",
        ])
        #expect(try await alice.waitForExit() == 0, "\(alice.output)")
        try await eventually("the good message crossed") { await sink.state.texts == ["after the bad ones"] }
        try await eventually("both refusals were audited") {
            try fixture.auditRecords().filter { $0["event"] as? String == "rejected" && $0["reason"] as? String == "xmpp-not-acceptable" }.count == 2
        }
        try await fixture.stop()
        await sink.stop()
        let log = prosody.log
        await prosody.stop()
        #expect(log.components(separatedBy: "External component successfully authenticated").count - 1 == 1, "the component reconnected")
        let refused = try fixture.auditRecords().filter { $0["reason"] as? String == "xmpp-not-acceptable" }.compactMap { $0["native_id"] as? String }
        #expect(Set(refused) == ["nested-1", "wide-1"])
    }

    @Test("a message to a user Prosody does not have bounces: dead-lettered naming the condition, never 'delivered', and the chat sender is told")
    func bounceIsAFailure() async throws {
        let (prosody, sink, fixture) = try await self.setUp()
        defer { fixture.remove() }
        #expect(try await fixture.post(GatewayFixture.message("to-nobody", to: "nobody@acme.test", text: "anyone?")).status == 202)
        try await eventually("the bounce was dead-lettered") {
            try await fixture.gateway.store.deadLetters(limit: 10).contains { $0.reason.hasPrefix("xmpp-") }
        }
        try await eventually("bob was told") { await sink.state.count == 1 }
        // A message to alice right after still goes through on the same stream.
        let alice = try self.xmppUser(["alice@acme.test", "alicepw", "\(prosody.c2sPort)", "--until-body", "still here", "--wait", "20"])
        try await alice.waitForOutput("\"ready\": true")
        #expect(try await fixture.post(GatewayFixture.message("to-alice", text: "still here")).status == 202)
        #expect(try await alice.waitForExit() == 0, "\(alice.output)")
        try await eventually("the pipeline is idle") { try await fixture.quiescent() }
        try await fixture.stop()
        await sink.stop()
        await prosody.stop()
        let letter = try #require(try await fixture.gateway.store.deadLetters(limit: 10).first)
        #expect(letter.reason.hasPrefix("xmpp-service-unavailable"), "\(letter.reason)")
        let records = try fixture.auditRecords()
        let bounced = try #require(records.first { $0["native_id"] as? String == "to-nobody" }?["envelope"] as? String)
        let events = records.filter { $0["envelope"] as? String == bounced }.compactMap { $0["event"] as? String }
        #expect(!events.contains("delivered"), "\(events)")
        #expect(events.contains("dead-lettered"))
        #expect(await sink.state.texts == ["Your message to nobody@acme.test was not delivered: the recipient's system did not accept it."])
        AuditAssertions.everyDeliveryClearedByTheGateInForce(records)
    }

    @Test("a local user registered escaped (o\\27brien) receives chat sent to o'brien@acme.test, and writes back as o'brien")
    func escapedLocalUser() async throws {
        let (prosody, sink, fixture) = try await self.setUp()
        defer { fixture.remove() }
        let obrien = try self.xmppUser([#"o\27brien@acme.test"#, "obrienpw", "\(prosody.c2sPort)", "--until-body", "hi o'brien", "--wait", "20"])
        try await obrien.waitForOutput("\"ready\": true")
        #expect(try await fixture.post(GatewayFixture.message("to-obrien", to: "o'brien@acme.test", text: "hi o'brien")).status == 202)
        #expect(try await obrien.waitForExit() == 0, "\(obrien.output)\n\(prosody.log.suffix(2000))")
        let writer = try self.xmppUser([#"o\27brien@acme.test"#, "obrienpw", "\(prosody.c2sPort)", "--send", Self.remote, "from o'brien"])
        #expect(try await writer.waitForExit() == 0, "\(writer.output)")
        try await eventually("bob's chat got o'brien's message") { await sink.state.texts.contains("from o'brien") }
        try await fixture.stop()
        await sink.stop()
        await prosody.stop()
        #expect(await sink.state.senders == ["o'brien@acme.test"])
        #expect(!(try fixture.auditRecords().contains { ($0["reason"] as? String)?.hasPrefix("xmpp-") == true }))
    }

    @Test("a deny naming alice holds for ALICE, Alice, fullwidth and zero-width spellings: her real client gets none, and an allowed ALICE spelling still reaches her")
    func spellingsCannotBypassADeny() async throws {
        let policy = Self.policy + """

            [[rule]]
            id = "no-mallory-to-alice"
            action = "deny"
            from = ["mallory@globex.test"]
            to = ["alice@acme.test"]
            """
        let (prosody, sink, fixture) = try await self.setUp(policy: policy)
        defer { fixture.remove() }
        let alice = try self.xmppUser(["alice@acme.test", "alicepw", "\(prosody.c2sPort)", "--until-body", "bob says hi", "--wait", "30"])
        try await alice.waitForOutput("\"ready\": true")
        let spellings = ["ALICE@acme.test", "Alice@acme.test", "ａｌｉｃｅ@acme.test", "al\u{200B}ice@acme.test"]
        for (index, spelling) in spellings.enumerated() {
            let post = GatewayFixture.message("mallory-\(index)", from: "mallory@globex.test", to: spelling, text: "mallory \(index)")
            #expect(try await fixture.post(post).status == 202)
        }
        // bob may write to alice, and the spelling he uses is the one Prosody folds back to her account.
        #expect(try await fixture.post(GatewayFixture.message("bob-caps", to: "ALICE@acme.test", text: "bob says hi")).status == 202)
        #expect(try await alice.waitForExit() == 0, "\(alice.output)")
        try await eventually("the pipeline is idle") { try await fixture.quiescent() }
        try await fixture.stop()
        await sink.stop()
        await prosody.stop()
        #expect(!alice.output.contains("mallory"), "\(alice.output)")
        let denied = try fixture.auditRecords().filter {
            $0["event"] as? String == "decided" && ($0["decision"] as? [String: Any])?["rules"] as? [String] == ["no-mallory-to-alice"]
        }
        #expect(denied.count == spellings.count, "\(denied)")
    }

    @Test("a message whose delivery is given up comes back to alice as a recipient-unavailable error, not silence")
    func givenUpReachesSender() async throws {
        let (prosody, sink, fixture) = try await self.setUp()
        defer { fixture.remove() }
        await sink.state.fail([400])
        let alice = try self.xmppUser([
            "alice@acme.test", "alicepw", "\(prosody.c2sPort)", "--send", Self.remote, "are you there?",
            "--until-error", "recipient-unavailable", "--wait", "20",
        ])
        #expect(try await alice.waitForExit() == 0, "\(alice.output)")
        #expect(alice.output.contains("the recipient's system did not accept it"), "\(alice.output)")
        // The remote server's own answer stays in the audit log; the sender is not shown it.
        #expect(!alice.output.contains("http-400"), "\(alice.output)")
        try await fixture.stop()
        await sink.stop()
        await prosody.stop()
        #expect(try fixture.auditRecords().contains { $0["event"] as? String == "dead-lettered" && $0["reason"] as? String == "http-400" })
    }
}

extension XMPPBridgeTests {
    @Test("bob's correction on chat reaches alice as an XEP-0308 correction naming the stanza id her client got, and her reply names bob's event")
    func correctionsAndRepliesThroughTheIDMap() async throws {
        let (prosody, sink, fixture) = try await self.setUp()
        defer { fixture.remove() }
        let listener = try self.xmppUser([
            "alice@acme.test", "alicepw", "\(prosody.c2sPort)", "--until-body", "hi alice (fixed)", "--wait", "20",
        ])
        try await listener.waitForOutput("\"ready\": true")
        #expect(try await fixture.post(GatewayFixture.message("bob-1", text: "hi alcie")).status == 202)
        try await listener.waitForOutput("hi alcie")
        let edit = #"{"event_id":"bob-2","kind":"edit","in_reply_to":"bob-1","from":"bob@globex.test","to":["alice@acme.test"],"text":"hi alice (fixed)"}"#
        #expect(try await fixture.post(edit).status == 202)
        #expect(try await listener.waitForExit() == 0, "\(listener.output)")
        let lines = listener.output.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let original = try #require(lines.first { $0["body"] as? String == "hi alcie" })
        let correction = try #require(lines.first { $0["body"] as? String == "hi alice (fixed)" })
        let originalID = try #require(original["id"] as? String)
        #expect(correction["replace"] as? String == originalID, "\(listener.output)")

        // alice answers bob's first message with an XEP-0461 reply to the id she got; bob's chat sees its own event id.
        let alice = try self.xmppUser([
            "alice@acme.test", "alicepw", "\(prosody.c2sPort)", "--send", Self.remote, "typo noted", "--reply-to", originalID,
        ])
        #expect(try await alice.waitForExit() == 0, "\(alice.output)")
        try await eventually("bob's chat got the reply") { await sink.state.texts.contains("typo noted") }
        try await fixture.stop()
        await sink.stop()
        await prosody.stop()
        #expect(await sink.state.inReplyTo["typo noted"] == "bob-1")
    }
}
