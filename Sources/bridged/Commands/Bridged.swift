import ArgumentParser
import BridgeModel
import Foundation
import Logging

@main
struct Bridged: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bridged",
        abstract: "Federation gateway: email, XMPP and team chat across organizations, through one policy gate.",
        version: BridgedVersion.current,
        subcommands: [
            RunCommand.self, CheckCommand.self, AuditCommand.self, PolicyCommand.self, DeadLettersCommand.self,
            BenchCommand.self, InspectCommand.self,
        ]
    )
}

/// `--config DIR`, shared by every subcommand.
struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: "The config directory (bridged.toml, adapters.d/, orgs.toml, routes.toml, policy.toml).")
    var config: String = ProcessInfo.processInfo.environment["BRIDGED_CONFIG"] ?? "."

    var directory: URL { URL(fileURLWithPath: self.config, isDirectory: true) }

    /// Loads the directory or prints every problem and exits with EX_CONFIG (78).
    func load() throws -> ConfigSnapshot {
        do {
            return try ConfigLoader.load(directory: self.directory)
        } catch {
            for issue in error.issues { Output.error(issue.description) }
            Output.error("\(error.issues.count) problem\(error.issues.count == 1 ? "" : "s") in \(self.directory.path)")
            throw ExitCode(78)
        }
    }
}

enum Output {
    static func error(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}

extension Logger.Level {
    init(configured: String) {
        self = Logger.Level(rawValue: configured) ?? .info
    }
}
