import Adapters
import ArgumentParser
import BridgeModel
import Foundation
import GRDB
import Logging

/// `bridged bench pipeline`: measures the in-process pipeline on this machine's disk: accept (inbox
/// commit) -> route (gate, audit, outbox) -> deliver (spool file), all with durable commits.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the in-process pipeline and the audit log with durable commits.",
        subcommands: [Pipeline.self, AuditBench.self]
    )

    struct Pipeline: AsyncParsableCommand {
        @Option(help: "How many envelopes to push through (1 to 1000000).")
        var envelopes = 2000

        @Option(help: "How many adapters accept concurrently (1 to 256).")
        var concurrency = 16

        @Option(help: "Work directory (default: a new temporary directory, removed afterwards).")
        var directory: String?

        @Option(help: "The archive spool's sync: file (an fsync per file) or filesystem (one syncfs per window).")
        var spoolSync: String = SpoolSettings.Sync.file.rawValue

        @Option(help: "delivery.window: deliveries handed to the spool and recorded together (1 to 256).")
        var window = 8

        @Option(help: "Idempotency keys already in the store before the run, as after months of traffic (0 to 10000000).")
        var history = 0

        func run() async throws {
            guard (1...1_000_000).contains(self.envelopes), (1...256).contains(self.concurrency) else {
                Output.error("--envelopes must be 1...1000000 and --concurrency 1...256")
                throw ExitCode(2)
            }
            guard (1...256).contains(self.window) else {
                Output.error("--window must be 1...256")
                throw ExitCode(2)
            }
            guard (0...10_000_000).contains(self.history) else {
                Output.error("--history must be 0...10000000")
                throw ExitCode(2)
            }
            guard let sync = SpoolSettings.Sync(rawValue: self.spoolSync) else {
                Output.error("--spool-sync must be file or filesystem")
                throw ExitCode(2)
            }
            let result = try await PipelineBenchmark.run(
                envelopes: self.envelopes, concurrency: self.concurrency, spoolSync: sync, window: self.window,
                history: self.history, directory: self.directory.map { URL(fileURLWithPath: $0) }
            )
            print(result.summary)
        }
    }
}

/// The pipeline benchmark, shared by `bridged bench pipeline` and the benchmark package's driver.
enum PipelineBenchmark {
    struct Result: Sendable {
        var envelopes: Int
        var acceptSeconds: Double
        var totalSeconds: Double
        /// Accept transactions and the accepts they carried (group commit).
        var acceptCommits: Int
        var spoolSync: SpoolSettings.Sync
        var window: Int
        var history: Int
        /// Seconds to write the history before the run (not part of any rate).
        var historySeconds: Double
        var ceiling: Ceiling

        var accepted: Double { Double(self.envelopes) / self.acceptSeconds }

        private var historyLine: String {
            guard self.history > 0 else { return "" }
            return String(format: "\nwith %d idempotency keys in the store before the run (written in %.1f s)", self.history, self.historySeconds)
        }
        var endToEnd: Double { Double(self.envelopes) / self.totalSeconds }

        var summary: String {
            String(
                format: """
                    pipeline: %d envelopes accepted in %.3f s (%.0f/s, %.1f per accept transaction); \
                    accepted->spooled (sync = \(self.spoolSync.rawValue), window \(self.window)) end to end in %.3f s (%.0f envelopes/s)
                    ceiling on this disk: SQLite %.0f single-row commits/s, %.0f rows/s at 100 per commit; \
                    spool %.0f files/s with sync = file, %.0f with sync = filesystem (8 files per window)
                    end to end = %.2f of the single-row commit rate, %.2f of the spool's rate with its sync\(self.historyLine)
                    """,
                self.envelopes, self.acceptSeconds, self.accepted, Double(self.envelopes) / Double(max(1, self.acceptCommits)),
                self.totalSeconds, self.endToEnd, self.ceiling.singleRowCommits, self.ceiling.batchedRows,
                self.ceiling.spoolFiles[.file] ?? 0, self.ceiling.spoolFiles[.filesystem] ?? 0,
                self.endToEnd / self.ceiling.singleRowCommits, self.endToEnd / (self.ceiling.spoolFiles[self.spoolSync] ?? .nan)
            )
        }
    }

    /// What the disk itself allows, measured in the same run and directory: the figures the pipeline is
    /// compared with.
    struct Ceiling: Sendable {
        var singleRowCommits: Double
        var batchedRows: Double
        /// Spool files per second written in windows of 8, by sync mode.
        var spoolFiles: [SpoolSettings.Sync: Double]

        static func measure(in root: URL) throws -> Ceiling {
            let directory = root.appendingPathComponent("ceiling")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let store = try SQLiteStore(path: directory.appendingPathComponent("ceiling.sqlite").path)
            try store.pool.write { db in try db.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB NOT NULL)") }
            let row = Data(repeating: 0x61, count: 600)
            let single = 1000
            var start = ContinuousClock.now
            for _ in 0..<single {
                try store.pool.write { db in try db.execute(sql: "INSERT INTO t (v) VALUES (?)", arguments: [row]) }
            }
            let singleSeconds = (ContinuousClock.now - start).seconds
            let batches = 100
            start = ContinuousClock.now
            for _ in 0..<batches {
                try store.pool.write { db in
                    for _ in 0..<100 { try db.execute(sql: "INSERT INTO t (v) VALUES (?)", arguments: [row]) }
                }
            }
            let batchedSeconds = (ContinuousClock.now - start).seconds
            let files = 1000
            var spoolFiles: [SpoolSettings.Sync: Double] = [:]
            for sync in SpoolSettings.Sync.allCases {
                let spool = directory.appendingPathComponent("spool-\(sync.rawValue)")
                try FileManager.default.createDirectory(at: spool, withIntermediateDirectories: true)
                start = ContinuousClock.now
                for window in stride(from: 0, to: files, by: 8) {
                    let names = (window..<min(files, window + 8)).map { (row, "f-\($0).json") }
                    if let failure = DurableFile.write(names, into: spool.path, sync: sync).failure { throw failure }
                }
                spoolFiles[sync] = Double(files) / (ContinuousClock.now - start).seconds
            }
            return Ceiling(
                singleRowCommits: Double(single) / singleSeconds, batchedRows: Double(batches * 100) / batchedSeconds,
                spoolFiles: spoolFiles
            )
        }
    }

    static func run(
        envelopes: Int, concurrency: Int, spoolSync: SpoolSettings.Sync, window: Int, history: Int = 0, directory: URL?
    ) async throws -> Result {
        let root = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("bridged-bench-\(UUID().uuidString)")
        defer { if directory == nil { try? FileManager.default.removeItem(at: root) } }
        try BenchmarkConfig.write(to: root, spoolSync: spoolSync, window: window)
        let ceiling = try Ceiling.measure(in: root)
        let historyStart = ContinuousClock.now
        if history > 0 { try Self.writeHistory(history, store: root.appendingPathComponent(BenchmarkConfig.storePath)) }
        let historySeconds = (ContinuousClock.now - historyStart).seconds
        let config = try ConfigLoader.load(directory: root)
        var logger = Logger(label: "bridged.bench")
        logger.logLevel = .warning
        let gateway = try await Gateway(config: config, logger: logger)
        let running = Task { try await gateway.run(handleSignals: false) }
        let spool = root.appendingPathComponent("var/spool")
        let sender = try Address(parsing: "bob@globex.test")
        let recipient = try Address(parsing: "alice@acme.test")
        let start = ContinuousClock.now
        try await withThrowingDiscardingTaskGroup { group in
            for lane in 0..<concurrency {
                group.addTask {
                    for index in stride(from: lane, to: envelopes, by: concurrency) {
                        let envelope = Envelope(
                            origin: Origin(adapter: "globex-in", nativeID: "bench-\(index)"),
                            sender: Participant(address: sender), recipients: [recipient],
                            body: "benchmark message \(index)", hops: ["globex-in"]
                        )
                        _ = try await gateway.ingress.accept(envelope)
                    }
                }
            }
        }
        let accepted = ContinuousClock.now - start
        // Done when nothing is left to route or deliver (asked of the store, which costs the pipeline less
        // than listing the spool); the spool is counted once at the end.
        let deadline = ContinuousClock.now + .seconds(600)
        while ContinuousClock.now < deadline {
            let left = try await gateway.store.inboxDepth() + gateway.store.outboxDepth(adapter: "acme-archive")
            if left == 0 { break }
            try await Task.sleep(for: .milliseconds(5))
        }
        let total = ContinuousClock.now - start
        await gateway.shutdown()
        try await running.value
        let delivered = try FileManager.default.contentsOfDirectory(atPath: spool.path).filter { $0.hasSuffix(".json") }.count
        guard delivered == envelopes else {
            throw BenchmarkFailure(description: "only \(delivered) of \(envelopes) envelopes were delivered within 600 s")
        }
        return Result(
            envelopes: envelopes, acceptSeconds: accepted.seconds, totalSeconds: total.seconds,
            acceptCommits: gateway.store.accepts.committed.batches, spoolSync: spoolSync, window: window, history: history,
            historySeconds: historySeconds, ceiling: ceiling
        )
    }

    /// `count` idempotency keys of earlier traffic from the same adapter, accepted within the retention (so
    /// the start-up sweep keeps them), written through the store's own schema 10,000 per transaction.
    static func writeHistory(_ count: Int, store path: URL) throws {
        let store = try SQLiteStore(path: path.path)
        let now = Date().timeIntervalSince1970
        for start in stride(from: 0, to: count, by: 10_000) {
            try store.pool.write { db in
                let insert = try db.makeStatement(
                    sql: "INSERT INTO idempotency (origin_adapter, native_id, envelope_id, accepted_at) VALUES ('globex-in', ?, ?, ?)"
                )
                for index in start..<min(count, start + 10_000) {
                    try insert.execute(arguments: ["history-\(index)", "history-envelope-\(index)", now - Double(count - index) / 1000])
                }
            }
        }
    }

    struct BenchmarkFailure: Error, CustomStringConvertible {
        var description: String
    }
}

/// A self-contained config directory: globex posts in, acme's archive spool receives.
enum BenchmarkConfig {
    /// The store's file, relative to the config directory.
    static let storePath = "var/bridged.sqlite"

    static func write(to root: URL, spoolSync: SpoolSettings.Sync, window: Int) throws {
        let files: [String: String] = [
            "bridged.toml": """
                [store]
                path = "\(Self.storePath)"
                [audit]
                directory = "var/audit"
                signing_key_file = "var/audit.key"
                [http]
                listen = "127.0.0.1:0"
                [admin]
                listen = "127.0.0.1:0"
                [log]
                level = "warning"
                [delivery]
                window = \(window)
                """,
            "orgs.toml": """
                [orgs.acme]
                domains = ["acme.test"]
                [orgs.globex]
                domains = ["globex.test"]
                """,
            "routes.toml": """
                [[reach]]
                org = "acme"
                adapter = "acme-archive"
                """,
            "policy.toml": """
                [[rule]]
                id = "globex-to-acme"
                action = "allow"
                from = ["org:globex"]
                to = ["org:acme"]
                """,
            "adapters.d/globex-in.toml": "type = \"spool\"\norg = \"globex\"\ndirectory = \"var/unused\"\n",
            "adapters.d/acme-archive.toml": "type = \"spool\"\norg = \"acme\"\ndirectory = \"var/spool\"\nsync = \"\(spoolSync.rawValue)\"\n",
            "var/audit.key": AuditSigningKey.generate().privateKey + "\n",
        ]
        try self.writeFiles(files, to: root)
    }

    /// Writes files (path relative to `root` -> contents), creating folders as needed.
    static func writeFiles(_ files: [String: String], to root: URL) throws {
        for (name, contents) in files {
            let url = root.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try contents.write(to: url, atomically: true, encoding: .utf8)
            // Keys and secrets live under var/: readable by the owner only, as bridged requires.
            if name.hasPrefix("var/") { try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path) }
        }
    }
}

extension Duration {
    var seconds: Double { Double(self.components.seconds) + Double(self.components.attoseconds) / 1e18 }
}
