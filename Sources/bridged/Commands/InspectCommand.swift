import Adapters
import ArgumentParser
import BridgeModel
import Foundation
import Logging
import NIOPosix

struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show how an adapter reads a raw item, without sending or storing anything.",
        subcommands: [Email.self]
    )

    struct Email: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the envelope a raw email (RFC 5322 file) becomes, or why it is refused."
        )

        @OptionGroup var options: ConfigOption

        @Option(help: "The email adapter whose mail domain and trusted authserv-ids apply (default: the only one).")
        var adapter: String?

        @Argument(help: "The raw message file (.eml).")
        var file: String

        func run() async throws {
            let config = try self.options.load()
            let candidates = config.adapters.filter { definition in
                if case .email = definition.settings { return self.adapter == nil || definition.name == self.adapter }
                return false
            }
            guard candidates.count == 1, let definition = candidates.first, case .email(var settings) = definition.settings else {
                Output.error(
                    candidates.isEmpty
                        ? "no email adapter\(self.adapter.map { " named \($0)" } ?? "") in \(self.options.directory.path)"
                        : "several email adapters: choose one with --adapter"
                )
                throw ExitCode(2)
            }
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: self.file)))
            settings.imap = nil
            settings.smtp = nil
            let adapter = try EmailAdapter(
                name: definition.name, org: definition.org, settings: settings,
                replyKey: try settings.replyKey.resolve(relativeTo: config.directory), imapPassword: nil, smtpPassword: nil,
                state: ReadOnlyState(store: try SQLiteStore(path: config.resolve(config.daemon.store.path).path)),
                rejectedDirectory: nil, eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: Logger(label: "bridged.inspect")
            )
            let inspection = await adapter.inspect(bytes)
            if let email = inspection.email {
                print("message-id:     \(email.messageID)\(email.messageIDSynthesized ? " (synthesized: the message has none)" : "")")
                print("from:           \(email.from.displayName.map { "\($0) " } ?? "")<\(email.from.address)>")
                print("to, cc:         \((email.to + email.cc).map(\.address.description).joined(separator: ", "))")
                print("subject:        \(email.subject ?? "-")")
                print("in-reply-to:    \(email.inReplyTo ?? "-")")
                print("authentication: \(email.authentication)")
                print("automation:     \(email.automation.map { "\($0)" } ?? "none")")
                print("attachments:    \(email.attachments.map { "\($0.name) (\($0.mediaType), \($0.size) bytes, sha256 \($0.sha256))" })")
                for warning in email.warnings { print("warning:        \(warning)") }
            }
            if let refusal = inspection.refusal {
                print("refused:        \(refusal.reason): \(refusal.detail)")
                throw ExitCode(1)
            }
            if let envelope = inspection.envelope {
                print("envelope:")
                print(String(decoding: try EnvelopeCoding.encode(envelope), as: UTF8.self))
            }
        }
    }
}

/// Lets `inspect` read threads from the store without ever writing to it.
struct ReadOnlyState: AdapterStateStore {
    let store: SQLiteStore

    func loadState(adapter: String, key: String) async throws -> Data? {
        try await self.store.loadState(adapter: adapter, key: key)
    }

    func saveState(adapter: String, key: String, value: Data) async throws {}
}
