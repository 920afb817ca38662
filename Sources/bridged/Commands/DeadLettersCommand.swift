import ArgumentParser
import AsyncHTTPClient
import BridgeModel
import Foundation
import NIOCore
import NIOHTTP1

/// Talks to the running daemon's admin listener: replay writes an audit record, which only the daemon
/// holding the audit log may do.
struct DeadLettersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dead-letters",
        abstract: "List dead letters, or replay one, through the running daemon's admin listener.",
        subcommands: [List.self, Replay.self]
    )

    struct List: AsyncParsableCommand {
        @OptionGroup var options: ConfigOption

        func run() async throws {
            let config = try self.options.load()
            print(try await DeadLettersCommand.call(config, method: .GET, path: "/dead-letters"))
        }
    }

    struct Replay: AsyncParsableCommand {
        @OptionGroup var options: ConfigOption

        @Argument(help: "The dead letter's id (from `bridged dead-letters list`).")
        var id: Int64

        func run() async throws {
            let config = try self.options.load()
            print(try await DeadLettersCommand.call(config, method: .POST, path: "/dead-letters/\(self.id)/replay"))
        }
    }

    static func call(_ config: ConfigSnapshot, method: HTTPMethod, path: String, json: [String: String]? = nil) async throws -> String {
        var request = HTTPClientRequest(url: "http://\(config.daemon.admin.listen)\(path)")
        request.method = method
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 16 << 20)
        let text = String(buffer: body)
        guard response.status == .ok else {
            Output.error("the daemon answered \(response.status.code): \(text)")
            throw ExitCode(1)
        }
        return text
    }
}
