import Adapters
import AsyncHTTPClient
import BridgeModel
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Testing

@testable import bridged

/// A config directory in a temp folder plus an in-process gateway on loopback ports chosen by the kernel.
final class GatewayFixture: @unchecked Sendable {
    // @unchecked: `gateway` and `running` are set once in start() before any concurrent use and read after.
    let root: URL
    var gateway: Gateway!
    var running: Task<Void, any Error>?
    /// Set when the daemon runs as a separate process: the public port it reported in its ready file.
    var fixedPublicPort: Int?
    static let secret = "globex-webhook-secret"

    /// - Parameters:
    ///   - acmeDeliverURL: when set, acme is reached through a webhook adapter posting there instead of the spool.
    init(
        acmeDeliverURL: String? = nil,
        delivery: String = "max_attempts = 5\ninitial_backoff_ms = 50\nmax_backoff_seconds = 1",
        policy: String = GatewayFixture.defaultPolicy,
        extraFiles: [String: String] = [:],
        ports: (public: Int, admin: Int) = (0, 0),
        http: String = ""
    ) throws {
        self.fixedPublicPort = ports.public == 0 ? nil : ports.public
        self.root = FileManager.default.temporaryDirectory.appendingPathComponent("bridged-test-\(UUID().uuidString)")
        var files: [String: String] = [
            "bridged.toml": """
                [audit]
                signing_key_file = "var/keys/audit.key"
                checkpoint_records = 10
                content = "hashes"
                refusal_window_seconds = 1
                [http]
                listen = "127.0.0.1:\(ports.public)"
                max_body_bytes = 4096
                \(http)
                [admin]
                listen = "127.0.0.1:\(ports.admin)"
                [delivery]
                \(delivery)
                [log]
                level = "warning"
                """,
            "var/keys/audit.key": AuditSigningKey.generate().privateKey + "\n",
            "var/secrets/globex.secret": Self.secret + "\n",
            "var/secrets/acme.secret": "acme-outbound-secret\n",
            "orgs.toml": """
                [orgs.acme]
                domains = ["acme.test"]
                [orgs.globex]
                domains = ["globex.test"]
                [orgs.initech]
                domains = ["initech.test"]
                """,
            "routes.toml": """
                [[reach]]
                org = "acme"
                adapter = "\(acmeDeliverURL == nil ? "acme-archive" : "acme-chat")"
                [[reach]]
                org = "initech"
                adapter = "initech-archive"

                [[room]]
                id = "partners"
                [[room.member]]
                adapter = "globex-chat"
                channel = "acme-partners"
                [[room.member]]
                adapter = "acme-archive"
                channel = "partners"
                """,
            "policy.toml": policy,
            "adapters.d/globex-chat.toml": "type = \"webhook\"\norg = \"globex\"\nsecret_file = \"var/secrets/globex.secret\"\n",
            "adapters.d/acme-archive.toml": "type = \"spool\"\norg = \"acme\"\ndirectory = \"var/spool/acme\"\n",
            "adapters.d/initech-archive.toml": "type = \"spool\"\norg = \"initech\"\ndirectory = \"var/spool/initech\"\n",
        ]
        if let acmeDeliverURL {
            files["adapters.d/acme-chat.toml"] = """
                type = "webhook"
                org = "acme"
                secret_file = "var/secrets/acme.secret"
                deliver_url = "\(acmeDeliverURL)"
                deliver_timeout_seconds = 2
                """
        }
        for (name, contents) in extraFiles { files[name] = contents }
        try BenchmarkConfig.writeFiles(files, to: self.root)
    }

    static let defaultPolicy = """
        [[rule]]
        id = "globex-to-acme"
        action = "allow"
        from = ["org:globex"]
        to = ["org:acme"]
        kinds = ["message"]
        """

    func start() async throws {
        let config = try ConfigLoader.load(directory: self.root)
        var logger = Logger(label: "bridged.test")
        logger.logLevel = .warning
        let gateway = try await Gateway(config: config, logger: logger)
        self.gateway = gateway
        self.running = Task { try await gateway.run(handleSignals: false) }
        try await eventually("the listeners are up") {
            let publicPort = await gateway.ports.publicPort
            let adminPort = await gateway.ports.adminPort
            return publicPort != nil && adminPort != nil
        }
    }

    func stop() async throws {
        guard let running = self.running else { return }
        await self.gateway.shutdown()
        try await running.value
        self.running = nil
    }

    func remove() { try? FileManager.default.removeItem(at: self.root) }

    // MARK: Talking to it

    struct Answer {
        var status: Int
        var body: String
    }

    func post(_ json: String, adapter: String = "globex-chat", secret: String = GatewayFixture.secret, signed: Bool = true) async throws -> Answer {
        let port: Int
        if let fixed = self.fixedPublicPort {
            port = fixed
        } else {
            port = try #require(await self.gateway.ports.publicPort)
        }
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/hooks/\(adapter)")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if signed {
            let timestamp = Int64(Date().timeIntervalSince1970)
            request.headers.add(name: "X-Bridged-Timestamp", value: "\(timestamp)")
            request.headers.add(
                name: "X-Bridged-Signature",
                value: WebhookSignature.sign(body: Array(json.utf8), timestamp: timestamp, secret: Secret(bytes: Array(secret.utf8)))
            )
        }
        request.body = .bytes(ByteBuffer(string: json))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        return Answer(status: Int(response.status.code), body: String(buffer: body))
    }

    func admin(_ path: String, method: HTTPMethod = .GET, json: String? = nil) async throws -> Answer {
        let port = try #require(await self.gateway.ports.adminPort)
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = method
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: json))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        return Answer(status: Int(response.status.code), body: String(buffer: try await response.body.collect(upTo: 1 << 20)))
    }

    static func message(_ event: String, from: String = "bob@globex.test", to: String = "alice@acme.test", text: String = "hello") -> String {
        #"{"event_id":"\#(event)","from":"\#(from)","to":["\#(to)"],"text":"\#(text)"}"#
    }

    // MARK: Looking at what happened

    func spoolFiles(_ org: String = "acme") -> [String] {
        let path = self.root.appendingPathComponent("var/spool/\(org)").path
        return ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
    }

    var auditDirectory: URL { self.root.appendingPathComponent("var/audit") }

    /// Every audit record, parsed, in order.
    func auditRecords() throws -> [[String: Any]] {
        try AuditFiles.records(in: self.auditDirectory)
    }

    func quiescent() async throws -> Bool {
        let store = self.gateway.store
        guard try await store.inboxDepth() == 0 else { return false }
        for name in self.gateway.adapters.keys where try await store.outboxDepth(adapter: name) > 0 { return false }
        return true
    }
}

enum AuditFiles {
    static func records(in directory: URL) throws -> [[String: Any]] {
        let segments = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasPrefix("audit-") }.sorted()
        return try segments.flatMap { name in
            try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
                .split(separator: "\n").map { line in
                    try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                }
        }
    }
}

/// Polls a condition until it holds or the bound passes (a liveness bound, not a speed assertion).
func eventually(
    _ what: String,
    within seconds: Double = 60,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    Issue.record("timed out waiting until \(what)", sourceLocation: sourceLocation)
    throw CancellationError()
}
