import Adapters
import BridgeModel
import Foundation
import PeerHarness
import Testing

@testable import bridged

/// A room line is decided for each person it reaches where the protocol names them: the real JIDs of a
/// bridged XMPP room's occupants.
@Suite("Bridged rooms decided per person, against a real Prosody", .serialized)
struct XMPPRoomAudienceTests {
    static let policy = """
        [[rule]]
        id = "globex-acme"
        action = "allow"
        from = ["org:globex"]
        to = ["org:acme"]
        both_ways = true

        [[rule]]
        id = "no-globex-to-alice"
        action = "deny"
        from = ["org:globex"]
        to = ["alice@acme.test"]
        """

    func setUp() async throws -> (ProsodyFixture, HookSink, GatewayFixture) {
        try await XMPPBridgeTests().setUp(
            delivery: "max_attempts = 50\ninitial_backoff_ms = 50\nmax_backoff_seconds = 1",
            policy: Self.policy,
            users: [("carol", "carolpw")],
            routes: """
                [[room]]
                id = "lobby"
                [[room.member]]
                adapter = "acme-xmpp"
                channel = "lobby@rooms.acme.test"
                [[room.member]]
                adapter = "globex-chat"
                channel = "globex-lobby"
                """
        )
    }

    func user(_ jid: String, _ password: String, _ prosody: ProsodyFixture, _ options: [String]) throws -> ChildProcess {
        try ChildProcess(
            "/usr/bin/python3",
            [ChildProcess.peersDirectory.appendingPathComponent("xmpp_user.py").path, jid, password, "\(prosody.c2sPort)"] + options
        )
    }

    /// Waits until the gateway's listener sees exactly these people in the lobby.
    func waitForAudience(_ fixture: GatewayFixture, _ people: Set<String>) async throws {
        let adapter = try #require(fixture.gateway.adapters["acme-xmpp"])
        try await eventually("the listener sees \(people.sorted()) in the lobby") {
            guard case .people(let present, let hidden) = await adapter.roomAudience(channel: "lobby@rooms.acme.test") else {
                return false
            }
            return hidden.isEmpty && Set(present.map(\.description)) == people
        }
    }

    static func line(_ event: String, _ text: String) -> String {
        #"{"event_id":"\#(event)","from":"bob@globex.test","channel":"globex-lobby","text":"\#(text)"}"#
    }

    @Test("bob's line reaches the room while only carol is in it; with alice there, whom a rule keeps from globex, it goes in for no one")
    func linesDecidedPerOccupant() async throws {
        let (prosody, sink, fixture) = try await self.setUp()
        defer { fixture.remove() }
        let carol = try self.user("carol@acme.test", "carolpw", prosody, [
            "--join", "lobby@rooms.acme.test/carol", "--until", "body:for everyone but alice", "--wait", "90",
        ])
        var alice: ChildProcess?
        do {
            try await carol.waitForOutput("\"ready\": true")
            try await self.waitForAudience(fixture, ["carol@acme.test"])
            #expect(try await fixture.post(Self.line("lobby-1", "hello carol")).status == 202)
            try await carol.waitForOutput("hello carol")

            let joined = try self.user("alice@acme.test", "alicepw", prosody, [
                "--join", "lobby@rooms.acme.test/alice", "--until", "body:never sent", "--wait", "90",
            ])
            alice = joined
            try await joined.waitForOutput("\"ready\": true")
            try await self.waitForAudience(fixture, ["alice@acme.test", "carol@acme.test"])
            #expect(try await fixture.post(Self.line("lobby-2", "for everyone but alice")).status == 202)
            try await eventually("the line was kept out of the room") {
                try await fixture.gateway.store.deadLetters(limit: 10).contains { $0.reason.hasPrefix("room-audience-denied") }
            }
            try await eventually("the pipeline is idle") { try await fixture.quiescent() }
        } catch {
            await carol.stop()
            await alice?.stop()
            throw error
        }
        await carol.stop()
        await alice?.stop()
        try await fixture.stop()
        await sink.stop()
        await prosody.stop()

        #expect(!carol.output.contains("for everyone but alice"), "\(carol.output)")
        #expect(alice.map { !$0.output.contains("for everyone but alice") } ?? false)
        let records = try fixture.auditRecords()
        func decisions(_ event: String) throws -> [(to: String, effect: String, rules: [String])] {
            let accepted = try #require(records.first { $0["native_id"] as? String == event && $0["event"] as? String == "accepted" })
            return records.filter {
                $0["envelope"] as? String == accepted["envelope"] as? String && $0["event"] as? String == "decided" && $0["to"] != nil
            }.map { record in
                let decision = record["decision"] as? [String: Any] ?? [:]
                return ((record["to"] as? [String])?.first ?? "", decision["effect"] as? String ?? "", decision["rules"] as? [String] ?? [])
            }
        }
        let first = try decisions("lobby-1")
        #expect(first.map(\.to) == ["carol@acme.test"] && first.allSatisfy { $0.effect == "allow" }, "\(first)")
        let second = try decisions("lobby-2")
        #expect(second.contains { $0.to == "alice@acme.test" && $0.effect == "deny" && $0.rules == ["no-globex-to-alice"] }, "\(second)")
        #expect(second.contains { $0.to == "carol@acme.test" && $0.effect == "allow" }, "\(second)")
        AuditAssertions.everyDeliveryClearedByTheGateInForce(records)
    }
}
