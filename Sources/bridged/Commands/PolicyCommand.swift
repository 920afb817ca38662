import ArgumentParser
import BridgeModel
import Foundation
import PolicyGate

struct PolicyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Ask the policy gate.",
        subcommands: [Explain.self, Test.self]
    )

    struct Explain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show how the gate decides a sender and a recipient, and why each rule matched or did not."
        )

        @OptionGroup var options: ConfigOption

        @Option(help: "The sender: an address, or org:ID.")
        var from: String

        @Option(help: "The recipient: an address, org:ID or group:ORG/NAME (a bridged room's side).")
        var to: String?

        @Option(help: "A bridged room id: decide the line for every member channel's audience instead of --to.")
        var room: String?

        @Option(help: "With --room: the adapter the line was written through (its own channel is skipped).")
        var via: String?

        @Option(help: "The kind: message, presence, subscription, receipt, edit, retraction, notice.")
        var kind: String = "message"

        @Flag(help: "Ask as for a sender whose protocol could not prove who they are (email without DKIM/SPF).")
        var unauthenticated = false

        @Option(help: "The body text the rules' words, patterns and detectors look at.")
        var text: String = ""

        @Option(help: "The subject (email).")
        var subject: String?

        @Option(help: "An attachment, TYPE/SUBTYPE:BYTES (repeatable), as application/pdf:120000.")
        var attachment: [String] = []

        @Option(help: "When it is sent, RFC 3339 with offset (2026-12-07T09:30:00+01:00); default now.")
        var at: String?

        func run() async throws {
            let config = try self.options.load()
            let routing = Routing(config: config)
            let gate = routing.gate
            guard let kind = EnvelopeKind(rawValue: self.kind) else {
                Output.error("unknown kind \(self.kind)")
                throw ExitCode(2)
            }
            let from = try self.party(self.from, gate)
            var destinations: [(String, Party)] = []
            switch (self.to, self.room) {
            case (let to?, nil):
                destinations = [(to, try self.party(to, gate))]
            case (nil, let roomID?):
                guard let room = config.routes.rooms.first(where: { $0.id == roomID }) else {
                    Output.error("unknown room \(roomID)")
                    throw ExitCode(2)
                }
                destinations = routing.audiences(ofRoom: room, via: self.via).map {
                    ("\($0.member.adapter)/\($0.member.channel) \($0.subject)", $0.party)
                }
            default:
                Output.error("give exactly one of --to and --room")
                throw ExitCode(2)
            }
            var attachments: [PolicyContent.AttachmentFacts] = []
            for spec in self.attachment {
                guard let facts = PolicyContent.AttachmentFacts(spec: spec) else {
                    Output.error("--attachment is TYPE/SUBTYPE:BYTES, as application/pdf:120000, not \(spec)")
                    throw ExitCode(2)
                }
                attachments.append(facts)
            }
            var at = Date()
            if let text = self.at {
                guard let parsed = PolicyContent.time(text) else {
                    Output.error("--at is RFC 3339 with its offset, as 2026-12-07T09:30:00+01:00, not \(text)")
                    throw ExitCode(2)
                }
                at = parsed
            }
            let content = PolicyContent(
                place: self.room.map { .room($0) } ?? .direct, text: self.text, subject: self.subject, attachments: attachments, at: at
            )
            print("policy:   revision \(gate.revision)")
            for (label, to) in destinations {
                let request = PolicyRequest(
                    kind: kind, from: from, to: to, senderAuthenticated: !self.unauthenticated, content: content
                )
                let explanation = gate.explain(request)
                if destinations.count > 1 { print("\n\(label)") }
                Self.show(explanation)
            }
        }

        static func show(_ explanation: PolicyExplanation) {
            let request = explanation.request
            let decision = explanation.decision
            Swift.print("request:  \(request.kind.rawValue) from \(request.from) to \(request.to)" + (request.senderAuthenticated ? "" : ", sender unauthenticated"))
            for (side, party) in [("sender", request.from), ("recipient", request.to)] where !party.groups.isEmpty {
                Swift.print("groups:   \(side) in \(party.groups.sorted().joined(separator: ", "))")
            }
            if explanation.steps.isEmpty { Swift.print("rules:    (none concerns this pair of orgs)") }
            let width = explanation.steps.map(\.id.count).max() ?? 0
            for step in explanation.steps {
                let id = step.id.padding(toLength: width, withPad: " ", startingAt: 0)
                let what = step.mode == .auditOnly ? "\(step.action.rawValue), audit-only" : step.action.rawValue
                let outcome = switch step.outcome {
                case .matched: "matched"
                case .unproven: "matched, but the sender is unauthenticated and the rule does not allow_unauthenticated"
                case .notMatched(let why): "no: \(why)"
                }
                let because = step.because.isEmpty ? "" : " (\(step.because.joined(separator: "; ")))"
                Swift.print("  \(id)  [\(what)]  \(outcome)\(because)")
            }
            Swift.print("decision: \(decision.effect.rawValue) (\(decision.ruleIDs.joined(separator: ", ")))")
            if let would = decision.wouldBe {
                Swift.print("would:    \(would.effect.rawValue) (\(would.ruleIDs.joined(separator: ", "))) if the audit-only rules decided")
            }
            Swift.print("reason:   \(decision.reason)")
        }

        private func party(_ text: String, _ gate: PolicyGate) throws -> Party {
            if text.hasPrefix("org:") || text.hasPrefix("group:") {
                if let problem = ConfigLoader.subjectProblem(text, orgs: gate.orgs) {
                    Output.error(problem)
                    throw ExitCode(2)
                }
                return gate.party(audience: text)
            }
            guard let address = try? Address(parsing: text) else {
                Output.error("\(text) is neither an address, org:ID nor group:ORG/NAME")
                throw ExitCode(2)
            }
            return gate.party(address)
        }
    }

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run policy test cases and list every mismatch, like opa test. Exit 0 when all pass, 1 otherwise.",
            discussion: "Without files, runs the config directory's own cases in \(ConfigLoader.policyCaseDirectory)/*.toml."
        )

        @OptionGroup var options: ConfigOption

        @Flag(name: .shortAndLong, help: "Also list the cases that pass.")
        var verbose = false

        @Argument(help: "Case files (TOML, [[case]] tables).")
        var files: [String] = []

        func run() async throws {
            let config = try self.options.load()
            let cases: [PolicyCase]
            if self.files.isEmpty {
                cases = config.policyCases
            } else {
                do {
                    cases = try ConfigLoader.policyCases(files: self.files.map { URL(fileURLWithPath: $0) }, config: config)
                } catch {
                    for issue in error.issues { Output.error(issue.description) }
                    throw ExitCode(78)
                }
            }
            let results = PolicyCaseRunner(routing: Routing(config: config)).run(cases)
            for result in results {
                if !result.passed {
                    print("FAIL \(result.report)")
                } else if self.verbose {
                    print("PASS \(result.policyCase.name): \(result.got)")
                }
            }
            let failed = results.filter { !$0.passed }.count
            print("\(results.count) case\(results.count == 1 ? "" : "s"), \(failed) failed")
            if failed > 0 { throw ExitCode(1) }
        }
    }
}
