import Adapters
@_spi(DeliveryWorker) import BridgeModel
import Foundation
import Testing

@Suite("Spool adapter")
struct SpoolAdapterTests {
    func delivery(_ native: String = "evt-9") throws -> Delivery {
        let envelope = Envelope(
            origin: Origin(adapter: "globex-chat", nativeID: native),
            sender: Participant(address: try Address(parsing: "bob@globex.test")),
            recipients: [try Address(parsing: "alice@acme.test")], body: "hello"
        )
        return Delivery(id: 7, envelope: envelope, adapter: "acme-archive", target: .direct(envelope.recipients), attempt: 1)
    }

    @Test("a delivery becomes one complete JSON file named after the envelope, and redelivery rewrites it")
    func writesOneFile() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("spool-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let spool = SpoolAdapter(name: "acme-archive", org: "acme", directory: directory)
        let delivery = try self.delivery()
        _ = try await spool.deliver(delivery)
        _ = try await spool.deliver(delivery)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(files == ["\(delivery.envelope.id.rawValue).acme-archive.json"])
        let data = try Data(contentsOf: directory.appendingPathComponent(files[0]))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["deliveryKey"] as? String == delivery.deliveryKey)
        let envelope = try #require(object["envelope"] as? [String: Any])
        #expect(envelope["body"] as? String == "hello")
    }

    @Test("an unwritable spool is a transient failure, so the delivery is retried")
    func unwritable() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("spool-file-\(UUID().uuidString)")
        try Data("x".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let spool = SpoolAdapter(name: "acme-archive", org: "acme", directory: file.appendingPathComponent("sub"))
        let delivery = try self.delivery()
        let error = await #expect(throws: DeliveryFailure.self) {
            _ = try await spool.deliver(delivery)
        }
        #expect(error?.isPermanent == false)
        #expect(error?.code == "write-failed")
    }

    @Test(
        "a window is written in order; the first file that cannot be written stops it, and the rest stay queued",
        arguments: SpoolSettings.Sync.allCases
    )
    func window(sync: SpoolSettings.Sync) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("spool-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let spool = SpoolAdapter(name: "acme-archive", org: "acme", directory: directory, sync: sync)
        let deliveries = try (1...4).map { try self.delivery("evt-\($0)") }
        // A directory where the third item's file would go: its rename fails.
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("\(deliveries[2].deliveryKey).json"), withIntermediateDirectories: true
        )
        let outcomes = await spool.deliver(all: deliveries)
        #expect(outcomes.count == 4)
        for (position, outcome) in outcomes.enumerated() {
            switch (position, outcome) {
            case (0...1, .delivered(let receipt)): #expect(receipt.nativeID == "\(deliveries[position].deliveryKey).json")
            case (2, .failed(let failure)): #expect(!failure.isPermanent && failure.code == "write-failed")
            case (3, .notAttempted): break
            default: Issue.record("item \(position) of the window: \(outcome)")
            }
        }
        // No temporary file is left behind, the fourth item's included.
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: directory.path))
        #expect(files == Set((0...2).map { "\(deliveries[$0].deliveryKey).json" }), "\(files)")
    }

    @Test("with sync = filesystem a whole window lands, each file complete and named after its delivery, no temporary file left")
    func filesystemSync() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("spool-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let spool = SpoolAdapter(name: "acme-archive", org: "acme", directory: directory, sync: .filesystem)
        let deliveries = try (1...32).map { try self.delivery("evt-\($0)") }
        let outcomes = await spool.deliver(all: deliveries)
        for (delivery, outcome) in zip(deliveries, outcomes) {
            guard case .delivered(let receipt) = outcome else {
                Issue.record("\(delivery.deliveryKey): \(outcome)")
                continue
            }
            let data = try Data(contentsOf: directory.appendingPathComponent(try #require(receipt.nativeID)))
            let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            #expect(object["deliveryKey"] as? String == delivery.deliveryKey)
        }
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: directory.path))
        #expect(files == Set(deliveries.map { "\($0.deliveryKey).json" }), "\(files)")
    }
}
