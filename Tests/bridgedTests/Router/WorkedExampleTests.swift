import BridgeModel
import Foundation
import PolicyGate
import Testing

@testable import bridged

/// docs/policy.md's worked examples: each policy loads with the section's directory, and each of its
/// cases passes through the gate, so the reference cannot say one thing while the gateway does another.
@Suite("docs/policy.md worked examples")
struct WorkedExampleTests {
    static let docs = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/policy.md")

    struct Example {
        var title: String
        var blocks: [String]
    }

    /// The orgs block, then per `###` example its TOML blocks in order.
    static func examples() throws -> (orgs: String, examples: [Example]) {
        let text = try String(contentsOf: Self.docs, encoding: .utf8)
        guard let start = text.range(of: "## Worked examples\n") else { return ("", []) }
        let section = text[start.upperBound...].prefix { _ in true }
        let end = section.range(of: "\n## ")?.lowerBound ?? section.endIndex
        var orgs = ""
        var examples: [Example] = []
        var block: [String]? = nil
        for line in section[..<end].components(separatedBy: "\n") {
            if line.hasPrefix("### ") {
                examples.append(Example(title: String(line.dropFirst(4)), blocks: []))
            } else if block == nil, line == "```toml" {
                block = []
            } else if let current = block, line == "```" {
                if examples.isEmpty { orgs = current.joined(separator: "\n") } else { examples[examples.count - 1].blocks.append(current.joined(separator: "\n")) }
                block = nil
            } else if block != nil {
                block!.append(line)
            }
        }
        return (orgs, examples)
    }

    @Test("every worked example loads, has cases, and every case passes")
    func examplesHold() throws {
        let (orgs, examples) = try Self.examples()
        #expect(orgs.contains("[orgs.acme]"), "the directory block of the worked examples was not found")
        #expect(examples.count >= 7, "\(examples.map(\.title))")
        for example in examples {
            let policy = example.blocks.filter { !$0.contains("[[case]]") }.joined(separator: "\n\n")
            let cases = example.blocks.filter { $0.contains("[[case]]") }.joined(separator: "\n\n")
            #expect(!cases.isEmpty, "\(example.title): no cases")
            let fixture = try GatewayFixture(policy: policy, extraFiles: ["orgs.toml": orgs, "policy.d/tests/example.toml": cases])
            defer { fixture.remove() }
            let config: ConfigSnapshot
            do {
                config = try ConfigLoader.load(directory: fixture.root)
            } catch {
                Issue.record("\(example.title): \(error.issues.map(\.description))")
                continue
            }
            let results = PolicyCaseRunner(routing: Routing(config: config)).run(config.policyCases)
            #expect(!results.isEmpty, "\(example.title): no cases loaded")
            for result in results where !result.passed { Issue.record("\(example.title): \(result.report)") }
        }
    }
}
