import BridgeModel
import Foundation
import PolicyGate
import Testing

@testable import bridged

/// Groups, barriers, audit-only rules and the policy's own test cases, through the whole running pipeline:
/// signed webhook posts in, the gate, the spool out, the audit log.
@Suite("Barriers and policy cases in the running gateway", .serialized)
struct BarrierPipelineTests {
    static let orgs = """
        [orgs.acme]
        domains = ["acme.test"]
        [orgs.acme.groups.trading]
        members = ["tom@acme.test", "tess@acme.test"]
        [orgs.acme.groups.research]
        members = ["rita@acme.test"]
        [orgs.globex]
        domains = ["globex.test"]
        [orgs.initech]
        domains = ["initech.test"]
        """

    static let routes = """
        [[reach]]
        org = "acme"
        adapter = "acme-archive"
        [[reach]]
        org = "initech"
        adapter = "initech-archive"

        [[room]]
        id = "partners"
        [[room.member]]
        adapter = "globex-chat"
        channel = "acme-partners"
        [[room.member]]
        adapter = "acme-archive"
        channel = "partners"
        [[room.member]]
        adapter = "initech-archive"
        channel = "trading-floor"
        audience = "acme/trading"
        """

    static func policy(mode: String = "enforce") -> String {
        """
        [[rule]]
        id = "globex-to-acme"
        action = "allow"
        from = ["org:globex"]
        to = ["org:acme"]
        kinds = ["message"]

        [[barrier]]
        id = "no-globex-trading"
        between = ["group:acme/trading", "org:globex"]
        mode = "\(mode)"
        """
    }

    func fixture(mode: String = "enforce", extra: [String: String] = [:]) throws -> GatewayFixture {
        var files = ["orgs.toml": Self.orgs, "routes.toml": Self.routes]
        for (name, contents) in extra { files[name] = contents }
        return try GatewayFixture(policy: Self.policy(mode: mode), extraFiles: files)
    }

    func decided(_ records: [[String: Any]], to: String) -> [[String: Any]] {
        records.filter { $0["event"] as? String == "decided" && ($0["to"] as? [String]) == [to] }
    }

    @Test("a barrier stops a direct message and a room line to the walled group, whatever the allow rule says")
    func barrierHolds() async throws {
        let fixture = try self.fixture()
        defer { fixture.remove() }
        try await fixture.start()
        do {
            #expect(try await fixture.post(GatewayFixture.message("to-tom", to: "tom@acme.test", text: "walled")).status == 202)
            #expect(try await fixture.post(GatewayFixture.message("to-alice", to: "alice@acme.test", text: "open")).status == 202)
            let line = #"{"event_id":"room-1","from":"bob@globex.test","channel":"acme-partners","text":"room line"}"#
            #expect(try await fixture.post(line).status == 202)
            try await eventually("all three were decided and the pipeline is idle") {
                let decided = try fixture.auditRecords().filter { $0["event"] as? String == "decided" }.count
                guard decided >= 4 else { return false }
                return try await fixture.quiescent()
            }
            try await fixture.stop()
        } catch {
            try? await fixture.stop()
            throw error
        }
        let records = try fixture.auditRecords()
        let tom = try #require(self.decided(records, to: "tom@acme.test").first)
        let decision = try #require(tom["decision"] as? [String: Any])
        #expect(decision["effect"] as? String == "deny")
        #expect(decision["rules"] as? [String] == ["no-globex-trading"])
        let alice = try #require(self.decided(records, to: "alice@acme.test").first?["decision"] as? [String: Any])
        #expect(alice["rules"] as? [String] == ["globex-to-acme"])
        let floor = try #require(self.decided(records, to: "group:acme/trading").first?["decision"] as? [String: Any])
        #expect(floor["effect"] as? String == "deny" && floor["rules"] as? [String] == ["no-globex-trading"])

        let texts = try fixture.spoolFiles("acme").map {
            try String(contentsOf: fixture.root.appendingPathComponent("var/spool/acme/\($0)"), encoding: .utf8)
        }
        #expect(texts.count == 2, "alice's message and the room line for acme's partner channel: \(texts)")
        #expect(!texts.contains { $0.contains("walled") })
        #expect(fixture.spoolFiles("initech").isEmpty, "the room line reached the trading floor")
    }

    @Test("in audit-only mode the barrier lets everything through and every record says it would have denied")
    func auditOnlyBarrier() async throws {
        let fixture = try self.fixture(mode: "audit-only")
        defer { fixture.remove() }
        try await fixture.start()
        do {
            #expect(try await fixture.post(GatewayFixture.message("to-tom", to: "tom@acme.test", text: "would be walled")).status == 202)
            try await eventually("the message was delivered") {
                try fixture.auditRecords().contains { $0["event"] as? String == "delivered" }
            }
            try await fixture.stop()
        } catch {
            try? await fixture.stop()
            throw error
        }
        let decision = try #require(self.decided(try fixture.auditRecords(), to: "tom@acme.test").first?["decision"] as? [String: Any])
        #expect(decision["effect"] as? String == "allow" && decision["rules"] as? [String] == ["globex-to-acme"])
        let would = try #require(decision["would"] as? [String: Any], "the record does not say what the barrier would have done")
        #expect(would["effect"] as? String == "deny" && would["rules"] as? [String] == ["no-globex-trading"])
        #expect(fixture.spoolFiles("acme").count == 1)
    }

    static let cases = """
        [[case]]
        name = "globex reaches alice"
        from = "bob@globex.test"
        to = "alice@acme.test"
        expect = "allow"
        rule = "globex-to-acme"

        [[case]]
        name = "globex never reaches trading"
        from = "bob@globex.test"
        to = "tess@acme.test"
        expect = "deny"
        rule = "no-globex-trading"

        [[case]]
        name = "a globex room line is walled off the trading floor"
        from = "bob@globex.test"
        room = "partners"
        via = "globex-chat"
        expect = "deny"
        rule = "no-globex-trading"
        """

    @Test("the runner checks each case's decision and rules, and reports a mismatch with file and line")
    func runner() throws {
        let fixture = try self.fixture(extra: ["policy.d/tests/walls.toml": Self.cases])
        defer { fixture.remove() }
        let config = try ConfigLoader.load(directory: fixture.root)
        #expect(config.policyCases.count == 3)
        let results = PolicyCaseRunner(routing: Routing(config: config)).run(config.policyCases)
        let failures = results.filter { !$0.passed }.map(\.report)
        #expect(failures.isEmpty, "\(failures)")

        let wrong = Self.cases.replacingOccurrences(of: "to = \"tess@acme.test\"\nexpect = \"deny\"", with: "to = \"tess@acme.test\"\nexpect = \"allow\"")
        let other = try self.fixture(extra: ["policy.d/tests/walls.toml": wrong])
        defer { other.remove() }
        let failing = PolicyCaseRunner(routing: Routing(config: try ConfigLoader.load(directory: other.root)))
            .run(try ConfigLoader.load(directory: other.root).policyCases).filter { !$0.passed }
        #expect(failing.map(\.report) == [
            "policy.d/tests/walls.toml:8: case \"globex never reaches trading\": expected allow, got deny (got deny by no-globex-trading)"
        ])
    }

    @Test("a case naming an unknown rule or room is a config error, so a typo cannot pass")
    func caseTypos() throws {
        let typo = Self.cases.replacingOccurrences(of: "rule = \"globex-to-acme\"", with: "rule = \"globex-to-acmee\"")
            .replacingOccurrences(of: "room = \"partners\"", with: "room = \"partner\"")
        let fixture = try self.fixture(extra: ["policy.d/tests/walls.toml": typo])
        defer { fixture.remove() }
        do {
            _ = try ConfigLoader.load(directory: fixture.root)
            Issue.record("the typos were accepted")
        } catch {
            #expect(error.issues.map(\.description) == [
                "policy.d/tests/walls.toml:6: case[0].rule: unknown rule \"globex-to-acmee\" (not in policy.toml)",
                "policy.d/tests/walls.toml:18: case[2].room: unknown room \"partner\" (not in routes.toml)",
            ])
        }
    }

    @Test("a reload whose policy fails its own cases is refused, audited, and the old policy keeps deciding")
    func reloadRunsCases() async throws {
        let fixture = try self.fixture(extra: ["policy.d/tests/walls.toml": Self.cases])
        defer { fixture.remove() }
        try await fixture.start()
        do {
            // The barrier turned audit-only: the case "globex never reaches trading" now fails.
            try Self.policy(mode: "audit-only").write(to: fixture.root.appendingPathComponent("policy.toml"), atomically: true, encoding: .utf8)
            guard case .rejected(let problems) = await fixture.gateway.reload() else {
                Issue.record("the reload was applied although a policy case fails")
                try await fixture.stop()
                return
            }
            #expect(problems.contains { $0.contains("case \"globex never reaches trading\": expected deny, got allow") }, "\(problems)")
            #expect(try await fixture.post(GatewayFixture.message("after", to: "tom@acme.test", text: "still walled")).status == 202)
            try await eventually("the message was decided") { !self.decided(try fixture.auditRecords(), to: "tom@acme.test").isEmpty }
            try await fixture.stop()
        } catch {
            try? await fixture.stop()
            throw error
        }
        let records = try fixture.auditRecords()
        #expect(records.contains { $0["event"] as? String == "config-rejected" && ($0["detail"] as? String)?.contains("policy test case fails") == true })
        let decision = try #require(self.decided(records, to: "tom@acme.test").first?["decision"] as? [String: Any])
        #expect(decision["rules"] as? [String] == ["no-globex-trading"])
    }
}
