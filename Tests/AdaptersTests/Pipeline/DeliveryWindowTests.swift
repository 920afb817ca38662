import Adapters
@_spi(DeliveryWorker) import BridgeModel
import Foundation
import Synchronization
import Testing

@Suite("Adapter.deliver(all:) default")
struct DeliveryWindowTests {
    /// Answers each delivery from a script, by delivery id, and remembers which ids it was asked for.
    final class ScriptedAdapter: Adapter {
        let name = "scripted"
        let org = "acme"
        let canDeliver = true
        let script: [Int64: DeliveryFailure]
        let asked = Mutex<[Int64]>([])

        init(_ script: [Int64: DeliveryFailure]) { self.script = script }

        func run(sink: any InboundSink) async throws {}

        func deliver(_ delivery: Delivery) async throws(DeliveryFailure) -> DeliveryReceipt {
            self.asked.withLock { $0.append(delivery.id) }
            if let failure = self.script[delivery.id] { throw failure }
            return DeliveryReceipt(nativeID: "native-\(delivery.id)")
        }
    }

    static func delivery(_ id: Int64) throws -> Delivery {
        let envelope = Envelope(
            origin: Origin(adapter: "globex-chat", nativeID: "e\(id)"),
            sender: Participant(address: try Address(parsing: "bob@globex.test")),
            recipients: [try Address(parsing: "alice@acme.test")], body: "m\(id)"
        )
        return Delivery(id: id, envelope: envelope, adapter: "scripted", target: .direct(envelope.recipients), attempt: 1)
    }

    @Test("delivers in order; a permanent failure does not stop the window, the first transient one does and the rest stay untried")
    func stopsAtTheFirstTransientFailure() async throws {
        let adapter = ScriptedAdapter([2: .permanent("http-404", "gone"), 3: .transient("http-503", "busy")])
        let outcomes = await adapter.deliver(all: try (1...5).map(Self.delivery))
        #expect(adapter.asked.withLock { $0 } == [1, 2, 3])
        let summary = outcomes.map { outcome in
            switch outcome {
            case .delivered(let receipt): receipt.nativeID ?? "?"
            case .failed(let failure): failure.code
            case .notAttempted: "untried"
            }
        }
        #expect(summary == ["native-1", "http-404", "http-503", "untried", "untried"])
    }
}
