@testable import Adapters
@_spi(DeliveryWorker) import BridgeModel
import Foundation
import Logging
import PeerHarness
import Testing

@Suite("A delivery window against a real Prosody", .serialized)
struct ComponentDeliveryWindowTests {
    static func delivery(_ id: Int64, to recipient: String, text: String) throws -> Delivery {
        let envelope = Envelope(
            origin: Origin(adapter: "globex-chat", nativeID: "e\(id)"),
            sender: Participant(address: try Address(parsing: "bob@globex.test")),
            recipients: [try Address(parsing: recipient)], body: text
        )
        return Delivery(id: id, envelope: envelope, adapter: "acme-xmpp", target: .direct(envelope.recipients), attempt: 1)
    }

    @Test("a window of five is confirmed by one ping: the one to a user Prosody lacks fails naming the condition, the others are delivered in order")
    func oneBarrierPerWindow() async throws {
        let prosody = try ProsodyFixture()
        do {
            try await self.oneBarrierPerWindow(prosody)
        } catch {
            await prosody.stop()
            throw error
        }
        await prosody.stop()
    }

    func oneBarrierPerWindow(_ prosody: ProsodyFixture) async throws {
        try prosody.register("alice", host: "acme.test", password: "alicepw")
        try await prosody.waitReady()
        let settings = XMPPComponentSettings(
            host: "127.0.0.1", port: prosody.componentPort, component: "partners.acme.test", secret: .environment("UNUSED")
        )
        let adapter = try XMPPComponentAdapter(
            name: "acme-xmpp", org: "acme", settings: settings, secret: Secret(bytes: Array(ProsodyFixture.secret.utf8)),
            logger: Logger(label: "test")
        )
        let running = Task { try await adapter.run(sink: RecordingSink()) }
        defer { running.cancel() }
        let deadline = ContinuousClock.now + .seconds(60)
        while await adapter.connection.sender == nil {
            guard ContinuousClock.now < deadline else {
                Issue.record("the component session did not come up within 60 s:\n\(prosody.log.suffix(2000))")
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }

        let before = await adapter.ledger.barriersSent
        let window = try [
            Self.delivery(1, to: "alice@acme.test", text: "one"),
            Self.delivery(2, to: "nobody@acme.test", text: "to nobody"),
            Self.delivery(3, to: "alice@acme.test", text: "two"),
            Self.delivery(4, to: "alice@acme.test", text: "three"),
            Self.delivery(5, to: "alice@acme.test", text: "four"),
        ]
        let outcomes = await adapter.deliver(all: window)
        #expect(await adapter.ledger.barriersSent - before == 1, "a window to one domain must cost one round trip")
        #expect(outcomes.count == 5)
        for (index, outcome) in outcomes.enumerated() where index != 1 {
            guard case .delivered(let receipt) = outcome else {
                Issue.record("item \(index + 1) was not delivered: \(outcome)")
                continue
            }
            #expect(receipt.nativeID == window[index].deliveryKey)
        }
        guard case .failed(let failure) = outcomes[1] else {
            Issue.record("the delivery to nobody@acme.test was not failed: \(outcomes[1])")
            return
        }
        #expect(failure.isPermanent)
        #expect(failure.code == "xmpp-service-unavailable", "\(failure.code): \(failure.detail)")

        // Alice, offline, gets the four in the order they were given.
        let alice = try ChildProcess(
            "/usr/bin/python3",
            [ChildProcess.peersDirectory.appendingPathComponent("xmpp_user.py").path,
             "alice@acme.test", "alicepw", "\(prosody.c2sPort)", "--until-body", "four", "--wait", "30"]
        )
        let status = try await alice.waitForExit(seconds: 60)
        await alice.stop()
        #expect(status == 0, "\(alice.output)")
        let order = ["one", "two", "three", "four"].compactMap { alice.output.range(of: "\"body\": \"\($0)\"")?.lowerBound }
        #expect(order.count == 4 && order == order.sorted(), "\(alice.output)")
    }
}
