import Foundation
import Testing

@testable import bridged

@Suite("Admin listener", .serialized)
struct AdminTests {
    @Test("healthz names the revisions; metrics count messages in, out, denied and rejected per adapter")
    func healthAndMetrics() async throws {
        let fixture = try GatewayFixture()
        defer { fixture.remove() }
        try await fixture.start()
        let health = try await fixture.admin("/healthz")
        #expect(health.status == 200)
        #expect(health.body.contains("\"policy_revision\":\"sha256:"))
        _ = try await fixture.post(GatewayFixture.message("m1"))
        _ = try await fixture.post(GatewayFixture.message("m2", to: "peter@initech.test"))
        _ = try await fixture.post(GatewayFixture.message("m3"), signed: false)
        try await eventually("both were routed") { try await fixture.quiescent() && fixture.spoolFiles().count == 1 }
        try await eventually("the metrics show it") {
            let metrics = try await fixture.admin("/metrics").body
            return metrics.contains(#"bridged_messages_in_total{adapter="globex-chat"} 2"#)
                && metrics.contains(#"bridged_messages_out_total{adapter="acme-archive"} 1"#)
                && metrics.contains(#"bridged_messages_denied_total{adapter="globex-chat"} 1"#)
                && metrics.contains(#"bridged_inbound_rejected_total{adapter="globex-chat",reason="missing-signature"} 1"#)
                && metrics.contains(#"bridged_queue_depth{adapter="acme-archive"} 0"#)
        }
        try await fixture.stop()
    }

    @Test("the admin listener refuses to bind anything but loopback")
    func loopbackOnly() throws {
        let fixture = try GatewayFixture(extraFiles: [
            "bridged.toml": "[audit]\nsigning_key_file = \"var/keys/audit.key\"\n[admin]\nlisten = \"0.0.0.0:9480\"\n"
        ])
        defer { fixture.remove() }
        let result = try DaemonProcess.command(["check", "--config", fixture.root.path])
        #expect(result.status == 78)
        #expect(result.output.contains("bridged.toml:4: admin.listen: the admin listener must bind a loopback address"))
    }
}
