import Foundation
import PeerHarness
import Testing

@testable import bridged

/// The real binary, killed with SIGKILL while it works through a backlog in the gateway's mailbox.
@Suite("Email adapter: SIGKILL during fetch, store and mark", .serialized)
struct EmailCrashTests {
    @Test("bridged killed while taking 30 messages from IMAP loses none and delivers none twice after restart")
    func killDuringBacklog() async throws {
        try DaemonProcess.requireBinary()
        let dovecot = try DovecotFixture()
        try await dovecot.waitReady()
        let total = 30
        for index in 1...total {
            try await dovecot.deliver(
                to: DovecotFixture.gateway.user,
                raw: EmailBridgeTests.mail(id: "backlog-\(index)@initech.test", body: "message \(index)"),
                from: "carol@initech.test"
            )
        }
        let sink = HookSink()
        let hookPort = try await sink.start()
        let fixture = try GatewayFixture(
            acmeDeliverURL: "http://127.0.0.1:\(hookPort)/hooks/acme",
            policy: EmailBridgeTests.policy,
            extraFiles: [
                "var/secrets/imap.password": DovecotFixture.gateway.password + "\n",
                "var/secrets/reply.key": "crash-test-key\n",
                "adapters.d/initech-mail.toml": EmailBridgeTests.adapterFile(EmailBridgeTests.imapSection(dovecot)),
                "routes.toml": "[[reach]]\norg = \"acme\"\nadapter = \"acme-chat\"\n[[reach]]\norg = \"initech\"\nadapter = \"initech-mail\"\n",
            ]
        )
        defer { fixture.remove() }

        let first = try DaemonProcess(config: fixture.root)
        defer { first.kill() }
        _ = try await first.waitReady()
        try await eventually("the backlog is being worked through", within: 30) { await sink.state.count >= 5 }
        first.signal(SIGKILL)
        #expect(try await first.waitForExit() == SIGKILL)
        let seenBeforeKill = await sink.state.count

        let second = try DaemonProcess(config: fixture.root)
        defer { second.kill() }
        _ = try await second.waitReady()
        try await eventually("every message is marked", within: 60) {
            let messages = try await dovecot.messages(of: DovecotFixture.gateway.user)
            return messages.count == total && messages.allSatisfy { $0.flags.contains("$Bridged") }
        }
        // Distinct texts, not posts: a repeated post must not stand in for a message still on its way.
        try await eventually("every message reached alice", within: 60) { Set(await sink.state.texts).count == total }
        try await eventually("every delivery is recorded", within: 60) {
            try fixture.auditRecords().filter { $0["event"] as? String == "delivered" }.count >= total
        }
        second.signal(SIGTERM)
        #expect(try await second.waitForExit() == 0)
        await sink.stop()
        await dovecot.stop()

        // Each message became exactly one envelope (the IMAP side: fetched again after the kill, deduplicated).
        let records = try fixture.auditRecords()
        #expect(records.filter { $0["event"] as? String == "accepted" }.count == total)
        // Every message reached the chat. A post the chat took just before the kill, whose `delivered` record
        // was not yet written, is posted again after the restart with the same event id (the delivery key),
        // which is how the chat system recognises it: at-least-once on the wire, exactly once by event id.
        let texts = await sink.state.texts
        let eventIDs = await sink.state.eventIDs
        #expect(Set(texts) == Set((1...total).map { "message \($0)" }), "\(seenBeforeKill) arrived before the kill")
        #expect(Set(eventIDs).count == total, "\(eventIDs)")
        // Posts are counted, not only compared as sets: a text posted twice must be the same delivery (one
        // event id), and repeats are bounded by the crash window, one delivery window (delivery.window, 8).
        var idsByText: [String: Set<String>] = [:]
        for (text, id) in zip(texts, eventIDs) { idsByText[text, default: []].insert(id) }
        #expect(idsByText.values.allSatisfy { $0.count == 1 }, "a message was delivered twice as two deliveries: \(idsByText)")
        #expect(texts.count - total <= 8, "\(texts.count - total) repeated posts after the kill")
        let verify = try DaemonProcess.command(["audit", "verify", "--config", fixture.root.path])
        #expect(verify.status == 0, "\(verify.output)")
    }
}
