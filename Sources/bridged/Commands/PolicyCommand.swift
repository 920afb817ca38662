import ArgumentParser
import BridgeModel
import Foundation
import PolicyGate

struct PolicyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Ask the policy gate.",
        subcommands: [Explain.self]
    )

    struct Explain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show how the gate decides a sender and a recipient, and which rules decided it."
        )

        @OptionGroup var options: ConfigOption

        @Option(help: "The sender: an address, or org:ID.")
        var from: String

        @Option(help: "The recipient: an address, or org:ID (a bridged room's side).")
        var to: String

        @Option(help: "The kind: message, presence, subscription, receipt, edit, retraction, notice.")
        var kind: String = "message"

        func run() async throws {
            let config = try self.options.load()
            let gate = Routing(config: config).gate
            guard let kind = EnvelopeKind(rawValue: self.kind) else {
                Output.error("unknown kind \(self.kind)")
                throw ExitCode(2)
            }
            let request = PolicyRequest(kind: kind, from: try self.party(self.from, gate), to: try self.party(self.to, gate))
            let explanation = gate.explain(request)
            print("request:      \(kind.rawValue) from \(request.from) to \(request.to)")
            print("policy:       revision \(gate.revision)")
            print("considered:   \(Self.list(explanation.considered))")
            print("matched allow: \(Self.list(explanation.matchedAllow))")
            print("matched deny:  \(Self.list(explanation.matchedDeny))")
            print("decision:     \(explanation.decision.effect.rawValue) (\(explanation.decision.ruleIDs.joined(separator: ", ")))")
            print("reason:       \(explanation.decision.reason)")
        }

        private func party(_ text: String, _ gate: PolicyGate) throws -> Party {
            if text.hasPrefix("org:") {
                let org = String(text.dropFirst(4))
                guard gate.orgs.orgs[org] != nil else {
                    Output.error("unknown org \(org)")
                    throw ExitCode(2)
                }
                return Party(address: nil, org: org)
            }
            guard let address = try? Address(parsing: text) else {
                Output.error("\(text) is neither an address nor org:ID")
                throw ExitCode(2)
            }
            return gate.party(address)
        }

        static func list(_ ids: [String]) -> String { ids.isEmpty ? "(none)" : ids.joined(separator: ", ") }
    }
}
