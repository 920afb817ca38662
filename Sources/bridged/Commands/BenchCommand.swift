import ArgumentParser
import BridgeModel
import Foundation
import Logging

/// `bridged bench pipeline`: measures the in-process pipeline on this machine's disk: accept (inbox
/// commit) -> route (gate, audit, outbox) -> deliver (spool file), all with durable commits.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the in-process pipeline with durable commits.",
        subcommands: [Pipeline.self]
    )

    struct Pipeline: AsyncParsableCommand {
        @Option(help: "How many envelopes to push through (1 to 1000000).")
        var envelopes = 2000

        @Option(help: "How many adapters accept concurrently (1 to 256).")
        var concurrency = 16

        @Option(help: "Work directory (default: a new temporary directory, removed afterwards).")
        var directory: String?

        func run() async throws {
            guard (1...1_000_000).contains(self.envelopes), (1...256).contains(self.concurrency) else {
                Output.error("--envelopes must be 1...1000000 and --concurrency 1...256")
                throw ExitCode(2)
            }
            let result = try await PipelineBenchmark.run(
                envelopes: self.envelopes, concurrency: self.concurrency, directory: self.directory.map { URL(fileURLWithPath: $0) }
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

        var summary: String {
            String(
                format: "pipeline: %d envelopes accepted in %.3f s (%.0f/s); accepted->spooled end to end in %.3f s (%.0f envelopes/s)",
                self.envelopes, self.acceptSeconds, Double(self.envelopes) / self.acceptSeconds, self.totalSeconds,
                Double(self.envelopes) / self.totalSeconds
            )
        }
    }

    static func run(envelopes: Int, concurrency: Int, directory: URL?) async throws -> Result {
        let root = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("bridged-bench-\(UUID().uuidString)")
        defer { if directory == nil { try? FileManager.default.removeItem(at: root) } }
        try BenchmarkConfig.write(to: root)
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
        var delivered = 0
        let deadline = ContinuousClock.now + .seconds(600)
        while delivered < envelopes, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
            delivered = (try? FileManager.default.contentsOfDirectory(atPath: spool.path).filter { $0.hasSuffix(".json") }.count) ?? 0
        }
        let total = ContinuousClock.now - start
        await gateway.shutdown()
        try await running.value
        guard delivered == envelopes else {
            throw BenchmarkFailure(description: "only \(delivered) of \(envelopes) envelopes were delivered within 600 s")
        }
        return Result(envelopes: envelopes, acceptSeconds: accepted.seconds, totalSeconds: total.seconds)
    }

    struct BenchmarkFailure: Error, CustomStringConvertible {
        var description: String
    }
}

/// A self-contained config directory: globex posts in, acme's archive spool receives.
enum BenchmarkConfig {
    static func write(to root: URL) throws {
        let files: [String: String] = [
            "bridged.toml": """
                [store]
                path = "var/bridged.sqlite"
                [audit]
                directory = "var/audit"
                signing_key_file = "var/audit.key"
                [http]
                listen = "127.0.0.1:0"
                [admin]
                listen = "127.0.0.1:0"
                [log]
                level = "warning"
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
            "adapters.d/acme-archive.toml": "type = \"spool\"\norg = \"acme\"\ndirectory = \"var/spool\"\n",
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
