import ArgumentParser
import BridgeModel
import Foundation
import NIOHTTP1
#if canImport(Glibc)
import Glibc
#endif

/// Reviews held deliveries through the running daemon's admin listener: a release or a rejection writes
/// an audit record naming the operator, which only the daemon holding the audit log may do.
struct QuarantineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quarantine",
        abstract: "List, show, release or reject deliveries a quarantine rule held for review.",
        subcommands: [List.self, Show.self, Release.self, Reject.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the held deliveries, oldest first.")
        @OptionGroup var options: ConfigOption
        @Flag(name: .long, help: "Print the daemon's JSON answer.") var json = false

        func run() async throws {
            let text = try await DeadLettersCommand.call(try self.options.load(), method: .GET, path: "/quarantine")
            guard !self.json else { return print(text, terminator: "") }
            let held = (QuarantineCommand.object(text)["held"] as? [[String: Any]]) ?? []
            guard !held.isEmpty else { return print("nothing is held") }
            var rows = [["ID", "HELD AT", "FROM", "TO", "VIA", "RULES"]]
            for item in held {
                rows.append([
                    "\(item["id"] ?? "")", item["held_at"] as? String ?? "", item["from"] as? String ?? "",
                    (item["to"] as? [String])?.joined(separator: ", ") ?? (item["room"] as? String).map { "room \($0)" } ?? "",
                    item["adapter"] as? String ?? "", (item["rules"] as? [String])?.joined(separator: ", ") ?? "",
                ])
            }
            print(Output.table(rows), terminator: "")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print one held delivery with its content.")
        @OptionGroup var options: ConfigOption
        @Argument(help: "The held item's id (from `bridged quarantine list`).") var id: Int64
        @Flag(name: .long, help: "Print the daemon's JSON answer.") var json = false

        func run() async throws {
            let text = try await DeadLettersCommand.call(try self.options.load(), method: .GET, path: "/quarantine/\(self.id)")
            guard !self.json else { return print(text, terminator: "") }
            let item = QuarantineCommand.object(text)
            func line(_ label: String, _ value: Any?) {
                guard let value else { return }
                let shown = (value as? [String])?.joined(separator: ", ") ?? "\(value)"
                print("\(label.padding(toLength: 12, withPad: " ", startingAt: 0))\(shown)")
            }
            line("id:", item["id"])
            line("held at:", item["held_at"])
            line("received:", item["received_at"])
            line("kind:", item["kind"])
            line("from:", item["from"])
            line("to:", item["to"] ?? item["room"])
            line("came via:", item["origin_adapter"])
            line("goes via:", item["adapter"])
            line("rules:", item["rules"])
            line("why:", item["reason"])
            line("subject:", item["subject"])
            line("attachment:", item["attachments"])
            print("")
            print(item["text"] as? String ?? "")
        }
    }

    struct Decide: ParsableArguments {
        @OptionGroup var options: ConfigOption
        @Argument(help: "The held item's id (from `bridged quarantine list`).") var id: Int64
        @Option(name: .long, help: "Why (kept in the audit record).") var reason: String?
        @Option(name: .long, help: "Who decides (kept in the audit record); defaults to the invoking user.")
        var `operator`: String = QuarantineCommand.invokingUser

        func send(_ action: String) async throws -> String {
            var body = ["operator": self.operator]
            if let reason = self.reason { body["reason"] = reason }
            return try await DeadLettersCommand.call(
                try self.options.load(), method: .POST, path: "/quarantine/\(self.id)/\(action)", json: body
            )
        }
    }

    struct Release: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Release a held delivery: it is decided again without the rules that held it, and goes out if allowed."
        )
        @OptionGroup var decide: Decide

        func run() async throws {
            let answer = QuarantineCommand.object(try await self.decide.send("release"))
            let delivering = answer["delivering_to"] as? [String] ?? []
            print(delivering.isEmpty ? "released \(self.decide.id): nothing is cleared" : "released \(self.decide.id): delivering to \(delivering.joined(separator: ", "))")
            if let again = answer["held_again_by"] as? [String] {
                print("still held by \(again.joined(separator: ", ")) under the policy in force; release again to override them")
            }
            for denied in answer["denied"] as? [String] ?? [] { print("denied: \(denied)") }
            if delivering.isEmpty { throw ExitCode(1) }
        }
    }

    struct Reject: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Reject a held delivery: it never goes out, and its sender is told unless the rule is silent.")
        @OptionGroup var decide: Decide

        func run() async throws {
            _ = try await self.decide.send("reject")
            print("rejected \(self.decide.id)")
        }
    }

    static func object(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    static var invokingUser: String {
        if let name = ProcessInfo.processInfo.environment["SUDO_USER"] ?? ProcessInfo.processInfo.environment["USER"], !name.isEmpty {
            return name
        }
        guard let entry = getpwuid(getuid()), let name = entry.pointee.pw_name else { return "uid \(getuid())" }
        return String(cString: name)
    }
}
