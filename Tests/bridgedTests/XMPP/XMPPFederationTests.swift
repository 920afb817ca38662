import Foundation
import PeerHarness
import PolicyGate
import Testing

@testable import bridged

/// Two organizations on XMPP (acme.test and globex.test on one real Prosody), each reached through its own
/// component: alice@acme.test sees bob as `bob\40globex.test@partners.acme.test`, bob sees alice as
/// `alice\40acme.test@partners.globex.test`.
@Suite("Two XMPP organizations through the gateway, against a real Prosody", .serialized)
struct XMPPFederationTests {
    static let bobForAlice = #"bob\40globex.test@partners.acme.test"#
    static let aliceForBob = #"alice\40acme.test@partners.globex.test"#

    static let openPolicy = """
        [[rule]]
        id = "acme-globex"
        action = "allow"
        from = ["org:acme"]
        to = ["org:globex"]
        both_ways = true
        """

    func setUp(
        policy: String = Self.openPolicy, rooms: String = "", roomMode: String = "per-speaker", orgs: String? = nil
    ) async throws -> (ProsodyFixture, GatewayFixture) {
        let prosody = try ProsodyFixture()
        try prosody.register("alice", host: "acme.test", password: "alicepw")
        try prosody.register("bob", host: "globex.test", password: "bobpw")
        try await prosody.waitReady()
        func component(_ org: String, _ domain: String) -> String {
            """
            type = "xmpp-component"
            name = "\(org)-xmpp"
            org = "\(org)"
            host = "127.0.0.1"
            port = \(prosody.componentPort)
            component = "\(domain)"
            secret_file = "var/secrets/xmpp.secret"
            max_reconnect_seconds = 1
            keepalive_seconds = 1
            room_mode = "\(roomMode)"
            """
        }
        var files: [String: String] = [:]
        if let orgs { files["orgs.toml"] = orgs }
        let fixture = try GatewayFixture(
            delivery: "max_attempts = 5\ninitial_backoff_ms = 50\nmax_backoff_seconds = 1",
            policy: policy,
            extraFiles: files.merging([
                "var/secrets/xmpp.secret": ProsodyFixture.secret + "\n",
                "adapters.d/acme-xmpp.toml": component("acme", "partners.acme.test"),
                "adapters.d/globex-xmpp.toml": component("globex", "partners.globex.test"),
                "routes.toml": """
                    [[reach]]
                    org = "acme"
                    adapter = "acme-xmpp"
                    [[reach]]
                    org = "globex"
                    adapter = "globex-xmpp"
                    \(rooms)
                    """,
            ]) { first, _ in first }
        )
        try await fixture.start()
        try await eventually("both components are authenticated") {
            prosody.log.components(separatedBy: "External component successfully authenticated").count - 1 == 2
        }
        return (prosody, fixture)
    }

    func user(_ jid: String, _ password: String, _ prosody: ProsodyFixture, _ options: [String]) throws -> ChildProcess {
        try ChildProcess(
            "/usr/bin/python3",
            [ChildProcess.peersDirectory.appendingPathComponent("xmpp_user.py").path, jid, password, "\(prosody.c2sPort)"] + options
        )
    }

    @Test("alice subscribes to bob across orgs, both see each other's presence change, and messages cross both ways")
    func presenceAndMessages() async throws {
        let (prosody, fixture) = try await self.setUp()
        defer { fixture.remove() }

        // bob stays online; he approves subscriptions (and asks back), goes away when asked, and answers.
        let bob = try self.user("bob@globex.test", "bobpw", prosody, [
            "--on-body", "please go away", "show:away", "--on-body", "please go away", "reply:ok, away now",
            "--until", "presence:\(Self.aliceForBob):available", "--until", "body:please go away", "--wait", "40",
        ])
        try await bob.waitForOutput("\"ready\": true")

        // alice asks to see bob's presence; bob's approval and then his presence come back through the gate.
        let subscribe = try self.user("alice@acme.test", "alicepw", prosody, [
            "--subscribe", Self.bobForAlice,
            "--until", "subscribed:\(Self.bobForAlice)", "--until", "presence:\(Self.bobForAlice):available", "--wait", "20",
        ])
        #expect(try await subscribe.waitForExit() == 0, "\(subscribe.output)\n\(bob.output)")

        // alice logs in again: her server probes bob's contact and the gateway answers; then bob goes away live.
        let alice = try self.user("alice@acme.test", "alicepw", prosody, [
            "--send", Self.bobForAlice, "please go away",
            "--until", "presence:\(Self.bobForAlice):available", "--until", "presence:\(Self.bobForAlice):away",
            "--until", "body:ok, away now", "--wait", "20",
        ])
        #expect(try await alice.waitForExit() == 0, "\(alice.output)\n\(bob.output)")
        #expect(try await bob.waitForExit() == 0, "\(bob.output)")
        #expect(bob.output.contains(#""from": "alice\\40acme.test@partners.globex.test""#), "\(bob.output)")

        try await fixture.stop()
        await prosody.stop()
        let records = try fixture.auditRecords()
        let decidedKinds = Set(records.filter { $0["event"] as? String == "decided" }.compactMap { $0["kind"] as? String })
        #expect(decidedKinds.isSuperset(of: ["message", "presence", "subscription"]), "\(decidedKinds)")
        #expect(!records.contains { ($0["decision"] as? [String: Any])?["effect"] as? String == "deny" })
    }

    @Test("where policy allows messages but not presence, alice's subscription is refused and bob never sees her status")
    func presenceDeniedByPolicy() async throws {
        let (prosody, fixture) = try await self.setUp(policy: Self.openPolicy + "\nkinds = [\"message\"]\n")
        defer { fixture.remove() }
        let bob = try self.user("bob@globex.test", "bobpw", prosody, ["--until", "body:hello bob", "--wait", "20"])
        try await bob.waitForOutput("\"ready\": true")
        let alice = try self.user("alice@acme.test", "alicepw", prosody, [
            "--subscribe", Self.bobForAlice, "--send", Self.bobForAlice, "hello bob",
            "--until", "presence:\(Self.bobForAlice):unsubscribed", "--wait", "20",
        ])
        #expect(try await alice.waitForExit() == 0, "\(alice.output)")
        #expect(try await bob.waitForExit() == 0, "\(bob.output)")
        #expect(!bob.output.contains("\"presence\": \"\(Self.aliceForBob.replacingOccurrences(of: "\\", with: "\\\\"))\""), "\(bob.output)")

        try await fixture.stop()
        await prosody.stop()
        let denied = try fixture.auditRecords().filter {
            $0["event"] as? String == "decided" && ($0["decision"] as? [String: Any])?["effect"] as? String == "deny"
        }
        #expect(!denied.isEmpty)
        #expect(denied.allSatisfy { $0["kind"] as? String != "message" })
    }

    @Test("after a reload that stops presence, alice's login probe is decided by the gate and refused: nothing answers from a cache")
    func probeIsDecidedAfterReload() async throws {
        let (prosody, fixture) = try await self.setUp()
        defer { fixture.remove() }
        let bob = try self.user("bob@globex.test", "bobpw", prosody, ["--until", "body:done", "--wait", "60"])
        try await bob.waitForOutput("\"ready\": true")
        let subscribe = try self.user("alice@acme.test", "alicepw", prosody, [
            "--subscribe", Self.bobForAlice,
            "--until", "subscribed:\(Self.bobForAlice)", "--until", "presence:\(Self.bobForAlice):available", "--wait", "20",
        ])
        #expect(try await subscribe.waitForExit() == 0, "\(subscribe.output)\n\(bob.output)")

        let messagesOnly = Self.openPolicy + "\nkinds = [\"message\"]\n"
        try messagesOnly.write(to: fixture.root.appendingPathComponent("policy.toml"), atomically: true, encoding: .utf8)
        guard case .applied = await fixture.gateway.reload() else {
            Issue.record("the reload was not applied")
            try await fixture.stop()
            await prosody.stop()
            return
        }
        let revision = await fixture.gateway.runtime.routing.gate.revision
        // alice logs in again: her server probes bob's contact at once, then her message goes through.
        let alice = try self.user("alice@acme.test", "alicepw", prosody, ["--send", Self.bobForAlice, "done", "--wait", "20"])
        #expect(try await bob.waitForExit() == 0, "\(bob.output)")
        #expect(try await alice.waitForExit() == 0, "\(alice.output)")
        try await eventually("the pipeline is idle") { try await fixture.quiescent() }
        try await fixture.stop()
        await prosody.stop()

        let records = try fixture.auditRecords()
        let reload = try #require(records.lastIndex { $0["event"] as? String == "config-loaded" })
        let after = records[(reload + 1)...]
        // A batch the router had begun before the reload may write old-revision decisions after it; the
        // worker decides those again before any delivery. Every decision under the new policy is a deny.
        let presenceDecisions = after.filter {
            $0["event"] as? String == "decided" && $0["kind"] as? String == "presence" && $0["from"] as? String == "alice@acme.test"
                && ($0["decision"] as? [String: Any])?["revision"] as? String == revision
        }
        #expect(!presenceDecisions.isEmpty, "alice's probe was not decided under the new policy")
        for decision in presenceDecisions {
            #expect((decision["decision"] as? [String: Any])?["effect"] as? String == "deny", "\(decision)")
        }
        let presenceEnvelopes = Set(after.filter { $0["kind"] as? String == "presence" }.compactMap { $0["envelope"] as? String })
        #expect(!after.contains { $0["event"] as? String == "delivered" && presenceEnvelopes.contains($0["envelope"] as? String ?? "") })
        // bob's availability never reached alice (subscription answers from the gateway may: those are notices).
        let bobJSON = Self.bobForAlice.replacingOccurrences(of: "\\", with: "\\\\")
        #expect(!alice.output.contains("\"presence\": \"\(bobJSON)\", \"type\": \"available\""), "\(alice.output)")
    }

    @Test("an information barrier stops alice's message and contact request to bob, though a rule allows both")
    func barrierHolds() async throws {
        let orgs = """
            [orgs.acme]
            domains = ["acme.test"]
            [orgs.acme.groups.deal-team]
            members = ["alice@acme.test"]
            [orgs.globex]
            domains = ["globex.test"]
            [orgs.initech]
            domains = ["initech.test"]
            """
        let policy = Self.openPolicy + """

            [[barrier]]
            id = "deal-team-wall"
            between = ["group:acme/deal-team", "org:globex"]
            """
        let (prosody, fixture) = try await self.setUp(policy: policy, orgs: orgs)
        defer { fixture.remove() }
        let bob = try self.user("bob@globex.test", "bobpw", prosody, ["--until", "body:never", "--wait", "60"])
        try await bob.waitForOutput("\"ready\": true")
        let alice = try self.user("alice@acme.test", "alicepw", prosody, [
            "--subscribe", Self.bobForAlice, "--send", Self.bobForAlice, "walled message",
            "--until", "presence:\(Self.bobForAlice):unsubscribed", "--wait", "30",
        ])
        #expect(try await alice.waitForExit() == 0, "the contact request was not refused: \(alice.output)")
        func denied(_ kind: String) throws -> [[String: Any]] {
            try fixture.auditRecords().filter {
                $0["event"] as? String == "decided" && $0["kind"] as? String == kind
                    && ($0["decision"] as? [String: Any])?["rules"] as? [String] == ["deal-team-wall"]
            }
        }
        try await eventually("the message and the contact request were denied by the barrier") {
            try !denied("message").isEmpty && !denied("subscription").isEmpty
        }
        try await eventually("the pipeline is idle") { try await fixture.quiescent() }
        await bob.stop()
        try await fixture.stop()
        await prosody.stop()
        #expect(!bob.output.contains("walled message"), "\(bob.output)")
        let records = try fixture.auditRecords()
        #expect(!records.contains { $0["event"] as? String == "delivered" && $0["adapter"] as? String == "globex-xmpp" }, "something reached globex")
    }

    static let lobby = """
        [[room]]
        id = "lobby"
        [[room.member]]
        adapter = "acme-xmpp"
        channel = "lobby@rooms.acme.test"
        [[room.member]]
        adapter = "globex-xmpp"
        channel = "lobby@rooms.globex.test"
        """

    @Test("a room on each side relays both ways, one occupant per remote speaker, and nothing echoes back", arguments: ["per-speaker", "relay"])
    func rooms(mode: String) async throws {
        let (prosody, fixture) = try await self.setUp(rooms: Self.lobby, roomMode: mode)
        defer { fixture.remove() }
        let heard = mode == "relay" ? "[alice (acme)] hello room" : "hello room"
        let bob = try self.user("bob@globex.test", "bobpw", prosody, [
            "--join", "lobby@rooms.globex.test/bob", "--on-body", heard, "room-reply:hi alice",
            "--until", "body:\(heard)", "--until", "body:hi alice", "--wait", "30",
        ])
        try await bob.waitForOutput("\"ready\": true")
        let answer = mode == "relay" ? "[bob (globex)] hi alice" : "hi alice"
        let alice = try self.user("alice@acme.test", "alicepw", prosody, [
            "--join", "lobby@rooms.acme.test/alice", "--room-say", "lobby@rooms.acme.test", "hello room",
            "--until", "body:\(answer)", "--wait", "20",
        ])
        #expect(try await alice.waitForExit() == 0, "\(alice.output)\n\(bob.output)")
        #expect(try await bob.waitForExit() == 0, "\(bob.output)\n\(prosody.log.suffix(4000))")
        // Each delivery into a room is recorded only after the ping barrier to that room is answered, and the
        // room reflects a line to the gateway's listener before it answers the barrier: once both lines are
        // recorded delivered, an echo of either would already have been read and accepted.
        try await eventually("both room lines were delivered") {
            try fixture.auditRecords().filter { $0["event"] as? String == "delivered" }.count >= 2
        }
        try await eventually("the pipeline is idle") { try await fixture.quiescent() }
        try await fixture.stop()
        await prosody.stop()

        let speakerOnGlobex = mode == "relay" ? "lobby@rooms.globex.test/bridged" : "lobby@rooms.globex.test/alice (acme)"
        let speakerOnAcme = mode == "relay" ? "lobby@rooms.acme.test/bridged" : "lobby@rooms.acme.test/bob (globex)"
        #expect(bob.output.contains("\"from\": \"\(speakerOnGlobex)\""), "\(bob.output)")
        #expect(alice.output.contains("\"from\": \"\(speakerOnAcme)\""), "\(alice.output)")
        // alice sees her own line once (the room's reflection) and bob's once; the same on bob's side.
        #expect(alice.output.components(separatedBy: "hello room").count - 1 == 1, "\(alice.output)")
        #expect(alice.output.components(separatedBy: "hi alice").count - 1 == 1, "\(alice.output)")
        #expect(bob.output.components(separatedBy: "hi alice").count - 1 == 1, "\(bob.output)")
        let records = try fixture.auditRecords()
        let delivered = records.filter { $0["event"] as? String == "delivered" }.compactMap { $0["adapter"] as? String }
        #expect(delivered.sorted() == ["acme-xmpp", "globex-xmpp"], "\(delivered)")
        // The gateway took exactly two lines in: alice's and bob's, never its own occupants' reflections.
        let accepted = records.filter { $0["event"] as? String == "accepted" && $0["room"] != nil }
        #expect(accepted.count == 2, "\(accepted)")
    }
}

extension XMPPFederationTests {
    @Test("content rules over XMPP: alice's card number reaches bob masked with acme's disclaimer; her IBAN is held, and she gets a wait policy-violation error")
    func contentRulesOverXMPP() async throws {
        let policy = Self.openPolicy + """

            [[rule]]
            id = "mask-cards"
            action = "redact"
            from = ["*"]
            to = ["org:globex"]
            detectors = ["card"]

            [[rule]]
            id = "acme-disclaimer"
            action = "annotate"
            from = ["org:acme"]
            to = ["org:globex"]
            disclaimer = "Acme Corp: confidential."

            [[rule]]
            id = "review-ibans"
            action = "quarantine"
            from = ["org:acme"]
            to = ["org:globex"]
            detectors = ["iban"]
            """
        let (prosody, fixture) = try await self.setUp(policy: policy)
        defer { fixture.remove() }
        do {
            let expected = "deposit to [redacted] today\n\nAcme Corp: confidential."
            let bob = try self.user("bob@globex.test", "bobpw", prosody, ["--until", "body:\(expected)", "--wait", "60"])
            try await bob.waitForOutput("\"ready\": true")
            let card = try self.user("alice@acme.test", "alicepw", prosody, [
                "--send", Self.bobForAlice, "deposit to 4111 1111 1111 1111 today", "--wait", "5",
            ])
            _ = try await card.waitForExit()
            #expect(try await bob.waitForExit() == 0, "bob did not get the masked, annotated message: \(bob.output)")
            #expect(!bob.output.contains("4111"), "\(bob.output)")

            let iban = try self.user("alice@acme.test", "alicepw", prosody, [
                "--send", Self.bobForAlice, "IBAN DE89 3704 0044 0532 0130 00", "--until", "error:policy-violation", "--wait", "30",
            ])
            #expect(try await iban.waitForExit() == 0, "alice was not told it is held: \(iban.output)")
            #expect(iban.output.contains("is held for review"), "\(iban.output)")
            try await eventually("the IBAN is held") { try await fixture.gateway.store.heldItems(limit: 10).count == 1 }
            try await fixture.stop()
            await prosody.stop()
        } catch {
            try? await fixture.stop()
            await prosody.stop()
            throw error
        }
        let records = try fixture.auditRecords()
        #expect(records.contains { $0["event"] as? String == "transformed" && $0["annotated"] as? [String] == ["acme-disclaimer"] })
    }
}
