import ArgumentParser
import BridgeModel
import Crypto
import Foundation

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Verify the audit log, or make a checkpoint signing key.",
        subcommands: [Verify.self, Keygen.self]
    )

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every record and signed checkpoint; exit 1 naming the first record that was tampered with."
        )

        @OptionGroup var options: ConfigOption

        @Option(help: "Verify with this public key (base64) instead of the config's signing key: for auditors off the box.")
        var publicKey: String?

        @Option(help: "The audit directory, when verifying without a config directory.")
        var auditDirectory: String?

        func run() async throws {
            let directory: URL
            let key: Curve25519.Signing.PublicKey
            if let publicKey, let auditDirectory {
                guard let raw = Data(base64Encoded: publicKey), let parsed = try? Curve25519.Signing.PublicKey(rawRepresentation: raw)
                else {
                    Output.error("--public-key must be a base64 Ed25519 public key (32 bytes)")
                    throw ExitCode(2)
                }
                key = parsed
                directory = URL(fileURLWithPath: auditDirectory)
            } else {
                let config = try self.options.load()
                directory = config.resolve(config.daemon.audit.directory)
                let secret = try config.daemon.audit.signingKey.resolve(relativeTo: config.directory)
                key = try AuditSigningKey.parse(secret.bytes).publicKey
            }
            do {
                let report = try AuditVerifier(directory: directory, publicKey: key).verify()
                print(
                    "audit log OK: \(report.records) records in \(report.segments) segment(s), "
                        + "\(report.checkpoints) signed checkpoint(s), key id \(AuditCheckpoint.keyID(key))"
                )
                print("head hash \(report.lastHash)")
                if report.unsignedTail > 0 {
                    print("\(report.unsignedTail) record(s) after the last checkpoint are chained but not yet signed")
                }
            } catch {
                Output.error("audit log TAMPERED: \(error)")
                throw ExitCode(1)
            }
        }
    }

    struct Keygen: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a new Ed25519 checkpoint signing key (base64, mode 0600) and print its public key."
        )

        @Option(help: "Where to write the private key.")
        var out: String

        @Flag(help: "Replace an existing key file (old checkpoints then need the old public key to verify).")
        var force = false

        func run() async throws {
            if FileManager.default.fileExists(atPath: self.out), !self.force {
                Output.error("\(self.out) exists; refusing to replace a signing key without --force")
                throw ExitCode(1)
            }
            let (privateKey, publicKey) = AuditSigningKey.generate()
            let url = URL(fileURLWithPath: self.out)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            guard FileManager.default.createFile(atPath: url.path, contents: Data((privateKey + "\n").utf8), attributes: [.posixPermissions: 0o600])
            else {
                Output.error("cannot write the signing key to \(url.path)")
                throw ExitCode(1)
            }
            print("public key \(publicKey)")
        }
    }
}
