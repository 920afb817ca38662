#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import BridgeModel
import Crypto
import Foundation
import Logging

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Verify the audit log, prove records and consistency, manage the checkpoint key.",
        subcommands: [Verify.self, Prove.self, Consistency.self, CheckProof.self, Key.self, Keygen.self, Reindex.self]
    )

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every record, the Merkle tree and every signed checkpoint; exit 1 naming the first record that was tampered with."
        )

        @OptionGroup var options: ConfigOption

        @Option(
            help: ArgumentHelp(
                "A public key to verify checkpoints with: base64 Ed25519, or a C2SP verifier key (name+id+key). Repeat it "
                    + "for each key the log was signed with over time. Given with --audit-directory, no config is read."
            )
        )
        var publicKey: [String] = []

        @Option(help: "The audit directory, when verifying without a config directory.")
        var auditDirectory: String?

        @Option(help: "A directory of published checkpoints to check too (default with a config: audit.publish_directory).")
        var published: String?

        func run() async throws {
            var publishedDirectory = self.published.map { URL(fileURLWithPath: $0) }
            var keys: [Curve25519.Signing.PublicKey] = []
            var noteKeys: [NoteKey] = []
            for text in self.publicKey {
                if let noteKey = NoteKey(verifierKey: text) {
                    noteKeys.append(noteKey)
                } else if let raw = Data(base64Encoded: text), let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) {
                    keys.append(key)
                } else {
                    Output.error("--public-key must be a base64 Ed25519 public key (32 bytes) or a verifier key name+id+key")
                    throw ExitCode(2)
                }
            }
            let directory: URL
            if let auditDirectory, !self.publicKey.isEmpty {
                directory = URL(fileURLWithPath: auditDirectory)
            } else {
                let config = try self.options.load()
                directory = config.resolve(config.daemon.audit.directory)
                let secret = try config.daemon.audit.signingKey.resolve(relativeTo: config.directory)
                keys.append(try AuditSigningKey.parse(secret.bytes).publicKey)
                if publishedDirectory == nil { publishedDirectory = config.daemon.audit.publishDirectory.map(config.resolve) }
            }
            var published: [AuditCheckpoint] = []
            if let publishedDirectory {
                do { published = try AuditVerifier.publishedCheckpoints(in: publishedDirectory) } catch {
                    Output.error("cannot read the published checkpoints in \(publishedDirectory.path): \(error)")
                    throw ExitCode(1)
                }
            }
            do {
                let report = try AuditVerifier(directory: directory, publicKeys: keys, noteKeys: noteKeys, published: published).verify()
                let legacy = report.legacyCheckpoints > 0 ? " (\(report.legacyCheckpoints) from before the Merkle tree)" : ""
                let ids = report.keyIDs.isEmpty ? (keys + noteKeys.map(\.publicKey)).map { AuditCheckpoint.keyID($0) } : report.keyIDs
                print(
                    "audit log OK: \(report.records) records in \(report.segments) segment(s), "
                        + "\(report.checkpoints) signed checkpoint(s)\(legacy), key id \(ids.joined(separator: ", then "))"
                )
                if !published.isEmpty { print("\(published.count) published checkpoint(s) checked too") }
                print("head hash \(report.lastHash)")
                print("tree root \(report.root.base64) at size \(report.records)")
                if report.unsignedTail > 0 {
                    print("\(report.unsignedTail) record(s) after the last checkpoint are chained but not yet signed")
                }
            } catch {
                Output.error("audit log TAMPERED: \(error)")
                throw ExitCode(1)
            }
        }
    }

    /// Where the audit directory is: `--audit-directory`, else the config's.
    struct DirectoryOption: ParsableArguments {
        @OptionGroup var options: ConfigOption

        @Option(help: "The audit directory, when working without a config directory.")
        var auditDirectory: String?

        func resolve() throws -> URL {
            if let auditDirectory { return URL(fileURLWithPath: auditDirectory) }
            let config = try self.options.load()
            return config.resolve(config.daemon.audit.directory)
        }
    }

    struct Prove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print (JSON) the proof that one record is in the log: the record, its Merkle audit path and the signed checkpoint."
        )

        @OptionGroup var directory: DirectoryOption

        @Option(help: "The record's sequence number.")
        var seq: Int64

        @Option(help: "Prove against the first checkpoint of at least this tree size (default: the latest checkpoint).")
        var size: UInt64?

        func run() async throws {
            do {
                let proof = try AuditProofs(directory: try self.directory.resolve()).inclusion(seq: self.seq, size: self.size)
                print(try JSON.line(proof))
            } catch let failure as AuditProofs.Failure {
                Output.error("cannot prove record \(self.seq): \(failure)")
                throw ExitCode(1)
            }
        }
    }

    struct Consistency: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print (JSON) the proof that the log at one size extends the log at a smaller one: nothing was changed or removed."
        )

        @OptionGroup var directory: DirectoryOption

        @Option(help: "The smaller tree size (default: the first checkpoint's).")
        var from: UInt64?

        @Option(help: "The larger tree size (default: the latest checkpoint's).")
        var to: UInt64?

        func run() async throws {
            do {
                print(try JSON.line(try AuditProofs(directory: try self.directory.resolve()).consistency(size1: self.from, size2: self.to)))
            } catch let failure as AuditProofs.Failure {
                Output.error("cannot prove consistency: \(failure)")
                throw ExitCode(1)
            }
        }
    }

    struct CheckProof: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check-proof",
            abstract: "Check an inclusion proof file (from `audit prove`) offline against a public key; exit 1 if it does not hold."
        )

        @Argument(help: "The proof file (JSON).")
        var file: String

        @Option(help: "The checkpoint public key (base64), repeatable.")
        var publicKey: [String]

        func run() async throws {
            let keys = self.publicKey.compactMap { Data(base64Encoded: $0).flatMap { try? Curve25519.Signing.PublicKey(rawRepresentation: $0) } }
            guard keys.count == self.publicKey.count, !keys.isEmpty else {
                Output.error("--public-key must be a base64 Ed25519 public key (32 bytes)")
                throw ExitCode(2)
            }
            guard let data = FileManager.default.contents(atPath: self.file),
                let proof = try? JSONDecoder().decode(InclusionProof.self, from: data)
            else {
                Output.error("\(self.file) is not an inclusion proof")
                throw ExitCode(1)
            }
            do {
                let head = try proof.check(keys: keys)
                print("proof OK: record \(proof.seq) is in \(head.origin) at tree size \(head.size)")
            } catch {
                Output.error("proof FAILED: \(error)")
                throw ExitCode(1)
            }
        }
    }

    struct Key: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the checkpoint key: its base64 public key, key id, and C2SP verifier key for transparency tooling."
        )

        @OptionGroup var options: ConfigOption

        func run() async throws {
            let config = try self.options.load()
            let secret = try config.daemon.audit.signingKey.resolve(relativeTo: config.directory)
            let key = try AuditSigningKey.parse(secret.bytes).publicKey
            let origin = config.daemon.audit.origin ?? AuditLog.defaultOrigin()
            print("public key \(key.rawRepresentation.base64EncodedString())")
            print("key id \(AuditCheckpoint.keyID(key))")
            print("verifier key \(NoteKey(name: origin, publicKey: key).verifierKey)")
        }
    }

    struct Reindex: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rebuild the Merkle tree files from the segments (the daemon must be stopped; it rebuilds a damaged tree at start too)."
        )

        @OptionGroup var directory: DirectoryOption

        func run() async throws {
            let url = try self.directory.resolve()
            let lock = open(url.appendingPathComponent("LOCK").path, O_RDWR | O_CREAT | O_CLOEXEC, 0o640)
            guard lock >= 0, flock(lock, LOCK_EX | LOCK_NB) == 0 else {
                Output.error("bridged is running with \(url.path); stop it first")
                throw ExitCode(1)
            }
            defer { close(lock) }
            let segments = AuditSegments(directory: url)
            let tail = try AuditLog.recoverTail(segments, logger: Logger(label: "bridged.audit"))
            let tree = try AuditTree(auditDirectory: url)
            try tree.reset()
            try AuditLog.catchUpTree(tree, segments: segments, records: UInt64(tail.sequence))
            try tree.sync()
            print("audit tree rebuilt: \(tree.size) leaves, root \(tree.frontier.root.base64)")
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

/// One JSON object per line, keys sorted, `/` not escaped: what the audit commands print.
private enum JSON {
    static func line(_ value: some Encodable) throws -> String {
        String(decoding: try EnvelopeCoding.encoder().encode(value), as: UTF8.self)
    }
}
