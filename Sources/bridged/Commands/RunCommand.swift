import ArgumentParser
import BridgeModel
import Foundation
import Logging
import PolicyGate

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the gateway until SIGTERM or SIGINT; SIGHUP reloads the config directory."
    )

    @OptionGroup var options: ConfigOption

    func run() async throws {
        let config = try self.options.load()
        let level = Logger.Level(configured: config.daemon.log.level)
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "bridged")
        let gateway: Gateway
        do {
            gateway = try await Gateway(config: config, logger: logger)
        } catch {
            logger.critical("cannot start", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        logger.notice(
            "bridged started",
            metadata: [
                "public": "\(config.daemon.http.listen)", "admin": "\(config.daemon.admin.listen)",
                "adapters": "\(config.adapters.map(\.name).sorted().joined(separator: ","))",
            ]
        )
        try await gateway.run(handleSignals: true)
        logger.notice("bridged stopped")
    }
}

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate the whole config directory, like nginx -t. Exit 0 when valid, 78 with every problem listed."
    )

    @OptionGroup var options: ConfigOption

    func run() async throws {
        let config = try self.options.load()
        let routing = Routing(config: config)
        print(
            "configuration OK: \(config.adapters.count) adapters, \(config.orgs.orgs.count) orgs, "
                + "\(config.routes.reach.count) reach routes, \(config.routes.rooms.count) rooms, "
                + "\(config.policy.rules.count) policy rules"
        )
        print("config revision \(routing.configRevision), policy revision \(routing.gate.revision)")
    }
}
