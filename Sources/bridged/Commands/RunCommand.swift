import Adapters
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

    @Option(
        name: .customLong("ready-file"),
        help: "Once every listener is bound, write {\"pid\", \"public_port\", \"admin_port\"} as JSON to this file (for supervisors and scripts; with port 0 it tells which ports the kernel chose)."
    )
    var readyFile: String?

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
        let readyFile = self.readyFile
        let announce = Task {
            let ports = await gateway.ports.bound()
            logger.notice("listening", metadata: ["public_port": "\(ports.public)", "admin_port": "\(ports.admin)"])
            guard let readyFile else { return }
            let json = #"{"admin_port":\#(ports.admin),"pid":\#(getpid()),"public_port":\#(ports.public)}"# + "\n"
            do {
                try DurableFile.write(Data(json.utf8), to: URL(fileURLWithPath: readyFile))
            } catch {
                logger.error("cannot write the ready file", metadata: ["path": "\(readyFile)", "error": "\(error)"])
            }
        }
        defer { announce.cancel() }
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
        let failed = PolicyCaseRunner(routing: routing).run(config.policyCases).filter { !$0.passed }
        if !failed.isEmpty {
            for result in failed { Output.error(result.report) }
            Output.error("\(failed.count) of the policy's own test cases fail (\(ConfigLoader.policyCaseDirectory))")
            throw ExitCode(78)
        }
        print(
            "configuration OK: \(config.adapters.count) adapters, \(config.orgs.orgs.count) orgs "
                + "(\(config.orgs.groups.count) groups), \(config.routes.reach.count) reach routes, "
                + "\(config.routes.rooms.count) rooms, \(config.policy.rules.count) policy rules, "
                + "\(config.policy.barriers.count) barriers, \(config.policyCases.count) policy test cases pass"
        )
        print("config revision \(routing.configRevision), policy revision \(routing.gate.revision)")
    }
}
