import BridgeModel
import Foundation
import PolicyGate
import Testing

@testable import bridged

/// A `config-loaded` record means "from here on, this revision decides": nothing decided under the
/// previous snapshot may follow it in the audit log, however the reload and the router interleave.
@Suite("Reload order: config-loaded, then only its revision decides", .serialized)
struct ReloadOrderTests {
    @Test("a message routed between the config-loaded record and the swap is decided by the new revision, not the old one")
    func configLoadedMeansFromHereOn() async throws {
        let acme = HookSink()
        let fixture = try GatewayFixture(acmeDeliverURL: "http://127.0.0.1:\(try await acme.start())/hooks/acme")
        defer { fixture.remove() }
        do {
            try await self.run(fixture, acme)
        } catch {
            try? await fixture.stop()
            await acme.stop()
            throw error
        }
        await acme.stop()
    }

    func run(_ fixture: GatewayFixture, _ acme: HookSink) async throws {
        try await fixture.start()
        try DeliveryClearanceTests.denyAlice.write(to: fixture.root.appendingPathComponent("policy.toml"), atomically: true, encoding: .utf8)
        let routing = Routing(config: try ConfigLoader.load(directory: fixture.root))
        // A reload's first step alone, held open: its record is on disk, the new snapshot not yet in force.
        try await fixture.gateway.audit.appendIndexed([Gateway.configLoaded(routing)], into: fixture.gateway.store)
        #expect(try await fixture.post(GatewayFixture.message("after-the-record", text: "decided by the new policy")).status == 202)
        // The router reads the old snapshot, decides, and is refused the append: it must not write that.
        try await eventually("the router found its batch decided under the superseded config") {
            await fixture.gateway.runtime.staleBatches >= 1
        }
        await fixture.gateway.runtime.replace(with: routing)
        try await eventually("the message was decided") {
            try fixture.auditRecords().contains { $0["event"] as? String == "decided" }
        }
        try await eventually("the pipeline is idle") { try await fixture.quiescent() }
        try await fixture.stop()

        let records = try fixture.auditRecords()
        let loaded = try #require(records.lastIndex { $0["event"] as? String == "config-loaded" && $0["config_revision"] as? String == routing.configRevision })
        let decisions = records[loaded...].filter { $0["event"] as? String == "decided" }
        #expect(!decisions.isEmpty)
        for decision in decisions {
            let body = try #require(decision["decision"] as? [String: Any])
            #expect(body["revision"] as? String == routing.gate.revision, "decided under \(body) after config-loaded \(routing.configRevision)")
        }
        #expect(decisions.contains { ($0["decision"] as? [String: Any])?["effect"] as? String == "deny" })
        let reached = await acme.state.texts
        #expect(reached.isEmpty, "the old policy let it through: \(reached)")
    }
}
