import BridgeModel
import Foundation

/// A throwaway config directory written from a dictionary of file contents.
struct ConfigFixture {
    let directory: URL

    static let validFiles: [String: String] = [
        "bridged.toml": """
            [audit]
            signing_key_file = "keys/audit.key"
            [admin]
            listen = "127.0.0.1:0"
            """,
        "keys/audit.key": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n",
        "secrets/globex.secret": "s3cret\n",
        "orgs.toml": """
            [orgs.acme]
            name = "Acme"
            domains = ["acme.test"]

            [orgs.globex]
            domains = ["globex.test", "*.globex.test"]
            """,
        "routes.toml": """
            [[reach]]
            org = "acme"
            adapter = "acme-archive"

            [[room]]
            id = "partners"
            [[room.member]]
            adapter = "globex-chat"
            channel = "acme-partners"
            [[room.member]]
            adapter = "acme-archive"
            channel = "partners"
            """,
        "policy.toml": """
            [[rule]]
            id = "globex-acme"
            action = "allow"
            from = ["org:globex"]
            to = ["org:acme"]
            both_ways = true
            """,
        "adapters.d/globex-chat.toml": """
            type = "webhook"
            org = "globex"
            secret_file = "secrets/globex.secret"
            """,
        "adapters.d/acme-archive.toml": """
            type = "spool"
            org = "acme"
            directory = "spool"
            """,
    ]

    init(_ overrides: [String: String?] = [:]) throws {
        self.directory = FileManager.default.temporaryDirectory.appendingPathComponent("bridged-config-\(UUID().uuidString)")
        var files = Self.validFiles
        for (name, contents) in overrides { files[name] = contents }
        for (name, contents) in files {
            let url = self.directory.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try contents.write(to: url, atomically: true, encoding: .utf8)
            if name.hasPrefix("keys/") || name.hasPrefix("secrets/") {
                try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
            }
        }
    }

    func remove() { try? FileManager.default.removeItem(at: self.directory) }

    /// Loads the valid example with these files replaced (nil removes one) and returns its problems.
    static func issues(_ overrides: [String: String?], environment: [String: String] = [:]) throws -> [ConfigIssue] {
        let fixture = try ConfigFixture(overrides)
        defer { fixture.remove() }
        do {
            _ = try ConfigLoader.load(directory: fixture.directory, environment: environment)
            return []
        } catch {
            return error.issues
        }
    }
}
