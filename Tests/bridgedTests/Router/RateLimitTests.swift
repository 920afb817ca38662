import BridgeModel
import Foundation
import PolicyGate
import Testing

@testable import bridged

@Suite("Rate limits: token buckets per sender, org or org pair", .serialized)
struct RateLimitTests {
    static let policy = """
        [[rule]]
        id = "globex-to-acme"
        action = "allow"
        from = ["org:globex"]
        to = ["org:acme"]
        kinds = ["message"]

        [[rule]]
        id = "globex-pace"
        action = "rate_limit"
        from = ["org:globex"]
        to = ["*"]
        rate = "2/minute"
        notice_text = "You are sending faster than the partner agreement allows; try again in a minute."
        """

    @Test("a bucket holds its burst, refills at the rate, and is kept per key")
    func buckets() throws {
        let limiter = RateLimiter()
        let limit = try RateLimit("2/minute", burst: 2, scope: .sender)
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(limiter.take(rule: "r", key: "bob", limit: limit, at: start))
        #expect(limiter.take(rule: "r", key: "bob", limit: limit, at: start))
        #expect(!limiter.take(rule: "r", key: "bob", limit: limit, at: start.addingTimeInterval(10)))
        #expect(limiter.take(rule: "r", key: "carl", limit: limit, at: start), "another sender has his own bucket")
        #expect(limiter.take(rule: "r", key: "bob", limit: limit, at: start.addingTimeInterval(40)), "one token back after 30 s")
        #expect(!limiter.take(rule: "r", key: "bob", limit: limit, at: start.addingTimeInterval(41)))
        #expect(throws: RateLimit.Problem.self) { try RateLimit("2/fortnight", burst: nil, scope: .org) }
    }

    @Test("the third message in a minute is denied by the rule with its notice; one message to two people counts once")
    func planner() throws {
        let fixture = try GatewayFixture(policy: Self.policy)
        defer { fixture.remove() }
        let routing = Routing(config: try ConfigLoader.load(directory: fixture.root))
        let limiter = RateLimiter()
        let start = Date()
        func plan(_ id: String, to: [String], at offset: Double) throws -> RoutingPlanner.Plan {
            let envelope = Envelope(
                origin: Origin(adapter: "globex-chat", nativeID: id), sender: Participant(address: try Address(parsing: "bob@globex.test")),
                recipients: try to.map { try Address(parsing: $0) }, body: id, hops: ["globex-chat"], receivedAt: start.addingTimeInterval(offset)
            )
            var planner = RoutingPlanner(routing: routing, deliverable: ["acme-archive"], recovered: false)
            planner.rateLimits = RateLimitUse(limiter)
            return planner.plan(envelope)
        }
        #expect(try plan("one", to: ["alice@acme.test", "ann@acme.test"], at: 0).entries.count == 1)
        #expect(try plan("two", to: ["alice@acme.test"], at: 1).entries.count == 1, "the first message took one token for both recipients")
        let third = try plan("three", to: ["alice@acme.test"], at: 2)
        #expect(third.entries.isEmpty && third.denied == 1)
        let decided = try #require(third.events.first { $0.event == .decided }?.decision)
        #expect(decided.effect == "deny" && decided.rules == ["globex-pace"] && decided.reason.contains("over the rate limit"))
        #expect(try plan("later", to: ["alice@acme.test"], at: 40).entries.count == 1, "a token is back after 30 s")
    }

    @Test("through the running gateway, the third of three quick messages is denied and audited by the rate limit rule")
    func pipeline() async throws {
        let fixture = try GatewayFixture(policy: Self.policy)
        defer { fixture.remove() }
        try await fixture.start()
        do {
            for id in ["m1", "m2", "m3"] {
                #expect(try await fixture.post(GatewayFixture.message(id, text: id)).status == 202)
            }
            try await eventually("all three were decided and the pipeline is idle") {
                guard try fixture.auditRecords().filter({ $0["event"] as? String == "decided" }).count >= 3 else { return false }
                return try await fixture.quiescent()
            }
            try await fixture.stop()
        } catch {
            try? await fixture.stop()
            throw error
        }
        #expect(fixture.spoolFiles("acme").count == 2)
        let rules = try fixture.auditRecords().filter { $0["event"] as? String == "decided" }
            .compactMap { ($0["decision"] as? [String: Any])?["rules"] as? [String] }
        #expect(rules.filter { $0 == ["globex-pace"] }.count == 1 && rules.filter { $0 == ["globex-to-acme"] }.count == 2, "\(rules)")
    }
}
