import Foundation
import Testing

/// What the compiler and the module boundaries guarantee, checked over the source tree so that a change
/// that would open a path around the gate fails here first (docs/decisions.md §5).
@Suite("No path around the gate, in the source tree")
struct NoBypassTests {
    static let sources = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources")

    /// Every Swift file under Sources, with its path relative to Sources.
    static func files() throws -> [(path: String, text: String)] {
        let enumerator = try #require(FileManager.default.enumerator(at: Self.sources, includingPropertiesForKeys: nil))
        var result: [(String, String)] = []
        for case let url as URL in enumerator where url.pathExtension == "swift" {
            let relative = String(url.path.dropFirst(Self.sources.path.count + 1))
            result.append((relative, try String(contentsOf: url, encoding: .utf8)))
        }
        #expect(result.count > 50, "the source tree was not found at \(Self.sources.path)")
        return result
    }

    @Test("only the delivery worker may build a Delivery: no other file imports the DeliveryWorker SPI")
    func onlyTheWorkerBuildsDeliveries() throws {
        let importing = try Self.files().filter { file in
            file.text.split(separator: "\n").contains { $0.hasPrefix("@_spi(DeliveryWorker) import") }
        }.map(\.path)
        #expect(importing == ["bridged/Router/DeliveryWorker.swift"])
        let declaring = try Self.files().filter { $0.text.contains("@_spi(DeliveryWorker)\n") }.map(\.path)
        #expect(declaring == ["BridgeModel/Pipeline/Delivery.swift"])
        // No other SPI of BridgeModel exists that could hand out deliveries another way.
        let spis = try Self.files().filter { $0.text.contains("@_spi(") && !$0.text.contains("@_spi(DeliveryWorker)") }.map(\.path)
        #expect(spis.isEmpty, "\(spis)")
    }

    @Test("only the delivery worker calls an adapter's deliver; adapters never deliver on their own")
    func onlyTheWorkerCallsDeliver() throws {
        // A call on a value (`adapter.deliver(`), not an enum case (`return .deliver(stanza)`).
        let call = try Regex(#"[A-Za-z0-9_)\]]\.deliver\("#)
        let calling = try Self.files().filter { $0.text.contains(call) }.map(\.path).sorted()
        // Adapter.swift: the default `deliver(all:)` delivers, one by one, only the window it was given.
        #expect(calling == ["Adapters/Adapter.swift", "bridged/Router/DeliveryWorker.swift"], "\(calling)")
        // The worker builds a Delivery only from a clearance the gate in force gave for that attempt.
        let worker = try #require(try Self.files().first { $0.path == "bridged/Router/DeliveryWorker.swift" }?.text)
        #expect(worker.components(separatedBy: "Delivery(\n").count - 1 == 1)
        #expect(worker.contains("target: clearance.target"))
        #expect(worker.contains("gate.confirm(stored"))
        // What it delivers is the clearance's envelope (as redacted and annotated), whose stored digest it checked.
        #expect(worker.contains("envelope: clearance.envelope"))
        #expect(worker.contains("digest != ContentDigest.of(item.envelope)"))
    }

    @Test("labels and reserved rule ids have one source: no file but ReservedNames.swift spells them")
    func sharedConstantsHaveOneSource() throws {
        for (path, text) in try Self.files() where path != "BridgeModel/Envelope/ReservedNames.swift" {
            #expect(!text.contains("\"unauthenticated\""), "\(path) spells the unauthenticated label")
            #expect(!text.contains("\"default:"), "\(path) spells a reserved rule id")
        }
    }
}
