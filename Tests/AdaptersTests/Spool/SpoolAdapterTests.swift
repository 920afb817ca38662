import Adapters
@_spi(DeliveryWorker) import BridgeModel
import Foundation
import Testing

@Suite("Spool adapter")
struct SpoolAdapterTests {
    func delivery() throws -> Delivery {
        let envelope = Envelope(
            origin: Origin(adapter: "globex-chat", nativeID: "evt-9"),
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
}
