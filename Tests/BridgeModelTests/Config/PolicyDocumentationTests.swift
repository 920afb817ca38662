import BridgeModel
import Foundation
import Testing

/// Every policy example in docs/policy.md is a policy the loader accepts, against the example config's orgs
/// and routes, so the language reference cannot drift from the code.
@Suite("docs/policy.md examples load")
struct PolicyDocumentationTests {
    static let root = ConfigDocumentationTests.root

    /// The TOML blocks of docs/policy.md that hold rules or barriers, with the line each starts on.
    static func policyExamples() throws -> [(line: Int, text: String)] {
        let docs = try String(contentsOf: Self.root.appendingPathComponent("docs/policy.md"), encoding: .utf8)
        var examples: [(Int, String)] = []
        var current: [String]? = nil
        var start = 0
        for (index, line) in docs.components(separatedBy: "\n").enumerated() {
            // The worked examples have their own directory and cases (bridgedTests' WorkedExampleTests).
            if line == "## Worked examples" { break }
            if current == nil, line == "```toml" {
                current = []
                start = index + 2
            } else if current != nil, line == "```" {
                let text = current!.joined(separator: "\n")
                if text.contains("[[rule]]") || text.contains("[[barrier]]") { examples.append((start, text)) }
                current = nil
            } else if current != nil {
                current!.append(line)
            }
        }
        return examples
    }

    @Test("each rule and barrier example loads as policy.toml with the example orgs and routes")
    func examplesLoad() throws {
        let examples = try Self.policyExamples()
        #expect(examples.count >= 5, "the examples were not found in docs/policy.md")
        let orgs = try String(contentsOf: Self.root.appendingPathComponent("orgs.toml"), encoding: .utf8)
        let routes = try String(contentsOf: Self.root.appendingPathComponent("routes.toml"), encoding: .utf8)
        for (line, text) in examples {
            let issues = try ConfigFixture.issues([
                "policy.toml": text, "orgs.toml": orgs, "routes.toml": routes,
                "policy.d/watch.txt": "project falcon\n",
            ])
            #expect(issues.isEmpty, "docs/policy.md:\(line): \(issues.map(\.description))")
        }
    }
}
