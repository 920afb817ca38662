import PolicyGate
import Logging
import BridgeModel
import Foundation
import ServiceLifecycle
import UnixSignals

/// Reloads the config directory on SIGHUP: everything is validated first and swapped as one snapshot;
/// a broken edit keeps the running config and says why, in the log and in the audit log.
struct ReloadService: Service {
    let gateway: Gateway

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            await self.gateway.reload()
        }
    }
}

extension Gateway {
    enum ReloadOutcome: Sendable, Equatable {
        case applied(configRevision: String)
        case unchanged
        case rejected([String])
    }

    /// Validates the config directory again and swaps in policy, routes and orgs when all is valid.
    /// Adapter and daemon settings take effect at restart; a reload that changes them is refused whole.
    @discardableResult
    func reload() async -> ReloadOutcome {
        let problems: [String]
        do {
            let snapshot = try ConfigLoader.load(directory: self.config.directory)
            let current = await self.runtime.routing
            if snapshot.adapters != current.config.adapters || snapshot.daemon != current.config.daemon {
                problems = ["adapters.d or bridged.toml changed: those changes need a restart; nothing was reloaded"]
            } else {
                let routing = Routing(config: snapshot)
                // What `bridged check` refuses, a reload refuses: the policy's own cases must pass.
                let failed = PolicyCaseRunner(routing: routing).run(snapshot.policyCases).filter { !$0.passed }
                guard failed.isEmpty else { return await self.refuse(failed.map { "policy test case fails: \($0.report)" }) }
                guard routing.configRevision != current.configRevision else { return .unchanged }
                try await self.audit.appendIndexed([Self.configLoaded(routing)], into: self.store)
                await self.runtime.replace(with: routing)
                self.logger.notice(
                    "config reloaded",
                    metadata: ["config_revision": "\(routing.configRevision)", "policy_revision": "\(routing.gate.revision)"]
                )
                return .applied(configRevision: routing.configRevision)
            }
        } catch let errors as ConfigErrors {
            problems = errors.issues.map(\.description)
        } catch {
            problems = ["\(error)"]
        }
        return await self.refuse(problems)
    }

    /// Keeps the running config, logs each problem and writes one `config-rejected` record.
    private func refuse(_ problems: [String]) async -> ReloadOutcome {
        for problem in problems {
            self.logger.error("reload refused; the running config stays", metadata: ["problem": "\(problem)"])
        }
        var event = AuditEvent(.configRejected)
        event.detail = problems.joined(separator: "; ")
        do {
            try await self.audit.appendIndexed([event], into: self.store)
        } catch {
            self.logger.critical("cannot write an audit record", metadata: ["error": "\(error)"])
        }
        return .rejected(problems)
    }
}
