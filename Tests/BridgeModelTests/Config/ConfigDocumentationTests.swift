import Foundation
import Testing

/// Every key the config decoder knows is one an operator can look up.
@Suite("docs/configuration.md covers every config key")
struct ConfigDocumentationTests {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("each key of the strict TOML decoder appears in docs/configuration.md")
    func everyKeyIsDocumented() throws {
        let source = try String(contentsOf: Self.root.appendingPathComponent("Sources/BridgeModel/Config/ConfigFiles.swift"), encoding: .utf8)
        let docs = try String(contentsOf: Self.root.appendingPathComponent("docs/configuration.md"), encoding: .utf8)
        let keys = Set(source.matches(of: try Regex(#"(?m)^\s*var (\w+):"#)).compactMap { $0.output[1].substring.map(String.init) })
        #expect(keys.count > 60, "the decoder's keys were not found")
        let missing = keys.filter { key in
            !["`\(key)`", ".\(key)`", "[\(key)]", "[[\(key)]]", "`\(key).", ".\(key).", "`\(key)[].", ".\(key)[]."].contains { docs.contains($0) }
        }
        #expect(missing.isEmpty, "not in docs/configuration.md: \(missing.sorted())")
    }
}
