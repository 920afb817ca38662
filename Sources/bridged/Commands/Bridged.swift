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
            RunCommand.self, CheckCommand.self, AuditCommand.self, PolicyCommand.self, DeadLettersCommand.self, QuarantineCommand.self,
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

    /// Rows as aligned columns (the first row is the header), each line ending in a newline.
    static func table(_ rows: [[String]]) -> String {
        var widths: [Int] = []
        for row in rows {
            for (column, cell) in row.enumerated() {
                if column == widths.count { widths.append(0) }
                widths[column] = max(widths[column], cell.count)
            }
        }
        return rows.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ") + "\n"
        }.joined()
    }
}

extension Logger.Level {
    init(configured: String) {
        self = Logger.Level(rawValue: configured) ?? .info
    }
}
