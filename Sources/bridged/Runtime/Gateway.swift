#if canImport(Glibc)
import PolicyGate
import Glibc
#endif
import Adapters
import AsyncHTTPClient
import BridgeModel
import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals

/// One running gateway, assembled from a config snapshot: store, audit log, adapters, router, delivery
/// workers and listeners. ``run(handleSignals:)`` serves until SIGTERM/SIGINT (or ``shutdown()``), then
/// finishes in-flight work, writes the final audit checkpoint and closes.
final class Gateway: Sendable {
    struct StartError: Error, CustomStringConvertible {
        var description: String
    }

    let config: ConfigSnapshot
    let logger: Logger
    let store: SQLiteStore
    let audit: AuditLog
    let runtime: RuntimeConfig
    let metrics = GatewayMetrics()
    let adapters: [String: any Adapter]
    let webhooks: [String: WebhookAdapter]
    let httpClient: HTTPClient
    /// Posts checkpoints to `audit.publish_url`, when set.
    let checkpointPoster: CheckpointPoster?
    let inboxBell = Doorbell()
    let outboxBells: [String: Doorbell]
    let ports = ListeningPorts()
    let control = GatewayControl()
    private let lockDescriptor: Int32

    let refusals: RefusalWindow
    /// The rate_limit rules' buckets, shared by every routing batch.
    let rateLimiter = RateLimiter()
    /// Where reviewers release or reject held deliveries; one per gateway, so actions run one at a time.
    let quarantine: QuarantineDesk
    /// Per deliverable adapter: its destination's outage state, shared by its worker and /healthz.
    let health: [String: AdapterHealth]
    /// The public listener's connection budget.
    let publicBudget: ConnectionBudget
    var publicConnections: Int { self.publicBudget.openConnections }

    var ingress: Ingress {
        Ingress(
            store: self.store, audit: self.audit, runtime: self.runtime, metrics: self.metrics, bell: self.inboxBell,
            logger: self.logger, refusals: self.refusals
        )
    }

    var router: InboxRouter {
        var router = InboxRouter(
            store: self.store, audit: self.audit, runtime: self.runtime,
            deliverable: Set(self.adapters.values.filter(\.canDeliver).map(\.name)), metrics: self.metrics,
            inboxBell: self.inboxBell, outboxBells: self.outboxBells, logger: self.logger
        )
        router.presenceCarriers = Set(self.adapters.values.filter(\.carriesPresence).map(\.name))
        router.rateLimiter = self.rateLimiter
        return router
    }

    func worker(for adapter: any Adapter) -> DeliveryWorker {
        var worker = DeliveryWorker(
            adapter: adapter, store: self.store, audit: self.audit, runtime: self.runtime,
            settings: self.config.daemon.delivery, metrics: self.metrics,
            bell: self.outboxBells[adapter.name] ?? Doorbell(), inboxBell: self.inboxBell, logger: self.logger
        )
        worker.deliverable = Set(self.adapters.values.filter(\.canDeliver).map(\.name))
        worker.health = self.health[adapter.name] ?? AdapterHealth()
        worker.presenceCarriers = Set(self.adapters.values.filter(\.carriesPresence).map(\.name))
        return worker
    }

    /// Opens the store and the audit log (recovering both after a crash) and builds the adapters.
    init(config: ConfigSnapshot, logger: Logger) async throws {
        self.config = config
        self.logger = logger
        self.refusals = RefusalWindow(window: .seconds(config.daemon.audit.refusalWindowSeconds))
        self.publicBudget = ConnectionBudget(settings: config.daemon.http)
        let auditDirectory = config.resolve(config.daemon.audit.directory)
        try FileManager.default.createDirectory(at: auditDirectory, withIntermediateDirectories: true)
        self.lockDescriptor = try Self.lock(auditDirectory.appendingPathComponent("LOCK"))
        self.store = try SQLiteStore(path: config.resolve(config.daemon.store.path).path)
        let keySecret = try config.daemon.audit.signingKey.resolve(relativeTo: config.directory)
        let key = try AuditSigningKey.parse(keySecret.bytes)
        self.audit = try AuditLog(
            directory: auditDirectory, signingKey: key, settings: config.daemon.audit,
            publishDirectory: config.daemon.audit.publishDirectory.map(config.resolve), logger: logger
        )
        let missing = try await self.audit.indexEntries(after: try await self.store.lastIndexedSequence())
        if !missing.isEmpty {
            logger.notice("re-indexed audit records written before a crash", metadata: ["records": "\(missing.count)"])
            try await self.store.insertIndex(missing)
        }
        let routing = Routing(config: config)
        self.runtime = RuntimeConfig(routing)
        var clientConfiguration = HTTPClient.Configuration()
        clientConfiguration.redirectConfiguration = .disallow
        clientConfiguration.timeout = .init(connect: .seconds(5), read: .seconds(30))
        self.httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
        if let url = config.daemon.audit.publishURL {
            let token: String?
            do {
                token = try config.daemon.audit.publishToken.map { String(decoding: try $0.resolve(relativeTo: config.directory).bytes, as: UTF8.self) }
            } catch {
                try? await self.httpClient.shutdown()
                throw error
            }
            self.checkpointPoster = CheckpointPoster(url: url, token: token, client: self.httpClient, logger: logger)
        } else {
            self.checkpointPoster = nil
        }
        do {
            let built = try AdapterFactory.build(config: config, httpClient: self.httpClient, state: self.store, logger: logger)
            self.adapters = built.adapters
            self.webhooks = built.webhooks
        } catch {
            try? await self.httpClient.shutdown()
            throw error
        }
        self.outboxBells = Dictionary(uniqueKeysWithValues: self.adapters.keys.map { ($0, Doorbell()) })
        self.health = Dictionary(uniqueKeysWithValues: self.adapters.keys.map { ($0, AdapterHealth()) })
        self.quarantine = QuarantineDesk(
            store: self.store, audit: self.audit, runtime: self.runtime,
            deliverable: Set(self.adapters.values.filter(\.canDeliver).map(\.name)),
            presenceCarriers: Set(self.adapters.values.filter(\.carriesPresence).map(\.name)), metrics: self.metrics,
            inboxBell: self.inboxBell, outboxBells: self.outboxBells
        )
        var started = AuditEvent(.started)
        started.detail = "bridged \(BridgedVersion.current), adapters: \(self.adapters.keys.sorted().joined(separator: ", "))"
        if case .unclean(let cutBytes) = self.audit.previousStop {
            // Say what this start picks up, so an operator and an auditor can see the crash and its recovery.
            let inbox = try await self.store.inboxDepth()
            var queued = 0
            for name in self.adapters.keys { queued += try await self.store.outboxDepth(adapter: name) }
            let recovered = "after an unclean stop: \(inbox) accepted items still to route, \(queued) deliveries queued, "
                + "\(missing.count) audit records re-indexed, \(cutBytes) bytes of an interrupted record cut"
            started.detail = (started.detail ?? "") + "; " + recovered
            started.recovered = true
            logger.warning("the last run did not stop cleanly; recovering", metadata: [
                "inbox": "\(inbox)", "queued": "\(queued)", "reindexed": "\(missing.count)", "cut_bytes": "\(cutBytes)",
            ])
        }
        let keyRecord = await self.audit.keyRecord()
        try await self.audit.appendIndexed([started] + (keyRecord.map { [$0] } ?? []) + [Self.configLoaded(routing)], into: self.store)
    }

    static func configLoaded(_ routing: Routing) -> AuditEvent {
        var event = AuditEvent(.configLoaded)
        event.config_revision = routing.configRevision
        event.detail = "policy revision \(routing.gate.revision)"
        return event
    }

    /// Serves until a graceful shutdown, then closes the audit log with a final checkpoint.
    func run(handleSignals: Bool) async throws {
        let pipeline = PipelineService(gateway: self)
        let services: [any Service] = [
            pipeline,
            AdminListener.application(gateway: self),
            PublicListener.application(gateway: self),
        ] + (handleSignals ? [ReloadService(gateway: self)] : [])
        let group = ServiceGroup(
            services: services,
            gracefulShutdownSignals: handleSignals ? [.sigterm, .sigint] : [],
            logger: self.logger
        )
        await self.control.attach(group)
        var failure: (any Error)?
        do {
            try await group.run()
        } catch {
            failure = error
            self.logger.error("a service failed", metadata: ["error": "\(error)"])
        }
        try await self.close()
        if let failure { throw failure }
    }

    /// Asks ``run(handleSignals:)`` to shut down gracefully.
    func shutdown() async { await self.control.shutdown() }

    private func close() async throws {
        await self.ingress.recordClosedRefusalWindows(all: true)
        var stopped = AuditEvent(.stopped)
        stopped.detail = "graceful shutdown"
        try await self.audit.appendIndexed([stopped], into: self.store)
        try await self.audit.close()
        try await self.httpClient.shutdown()
        flock(self.lockDescriptor, LOCK_UN)
        Glibc.close(self.lockDescriptor)
    }

    /// One daemon per audit directory: two writers would fork the chain.
    private static func lock(_ url: URL) throws -> Int32 {
        let fd = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw StartError(description: "cannot open \(url.path)") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            Glibc.close(fd)
            throw StartError(description: "another bridged is already running with the audit directory \(url.deletingLastPathComponent().path)")
        }
        return fd
    }
}

/// Holds the service group so a shutdown can be requested from outside `run`.
actor GatewayControl {
    private var group: ServiceGroup?
    private var shutdownRequested = false

    func attach(_ group: ServiceGroup) async {
        self.group = group
        if self.shutdownRequested { await group.triggerGracefulShutdown() }
    }

    func shutdown() async {
        self.shutdownRequested = true
        await self.group?.triggerGracefulShutdown()
    }
}

/// The ports the listeners actually bound (useful with port 0).
actor ListeningPorts {
    private(set) var publicPort: Int?
    private(set) var adminPort: Int?
    private var waiters: [CheckedContinuation<(public: Int, admin: Int), Never>] = []

    func setPublic(_ port: Int?) {
        self.publicPort = port
        self.wake()
    }

    func setAdmin(_ port: Int?) {
        self.adminPort = port
        self.wake()
    }

    /// Suspends until both listeners are bound. - Returns: their ports.
    func bound() async -> (public: Int, admin: Int) {
        if let publicPort, let adminPort { return (publicPort, adminPort) }
        return await withCheckedContinuation { self.waiters.append($0) }
    }

    private func wake() {
        guard let publicPort, let adminPort else { return }
        for waiter in self.waiters { waiter.resume(returning: (publicPort, adminPort)) }
        self.waiters = []
    }
}

enum BridgedVersion {
    static let current = "0.1.0"
}
