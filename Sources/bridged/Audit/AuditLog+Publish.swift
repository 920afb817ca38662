import Adapters
import Foundation
import Logging

extension AuditLog {
    /// The file a published checkpoint is written to: one per tree size, so a share keeps the history.
    static func publishedName(size: Int64) -> String {
        String(format: "checkpoint-%012lld.txt", size)
    }

    /// Copies the newest checkpoint not yet published into `audit.publish_directory` (the signed note
    /// alone, written to a temporary name, fsynced and renamed). A failure keeps it pending; the once-a-second
    /// tick tries again, and a newer checkpoint replaces it (it covers everything the older one did).
    func publishPending() {
        guard let directory = self.publishDirectory, let checkpoint = self.unpublished, let note = checkpoint.note else { return }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try DurableFile.write(Data(note.utf8), to: directory.appendingPathComponent(Self.publishedName(size: checkpoint.seq)))
            if self.publishFailing {
                self.logger.notice("audit checkpoints are published again", metadata: ["directory": "\(directory.path)"])
            }
            self.unpublished = nil
            self.publishFailing = false
        } catch {
            if !self.publishFailing {
                self.logger.error(
                    "cannot publish an audit checkpoint; retrying every second",
                    metadata: ["directory": "\(directory.path)", "size": "\(checkpoint.seq)", "error": "\(error)"]
                )
            }
            self.publishFailing = true
        }
    }
}

extension AuditVerifier {
    /// Checkpoints published off the box (`audit.publish_directory`), to check beside `checkpoints.jsonl`:
    /// with them, cutting the tail of the log *and* of `checkpoints.jsonl` is detected.
    static func publishedCheckpoints(in directory: URL) throws -> [AuditCheckpoint] {
        guard FileManager.default.fileExists(atPath: directory.path) else { return [] }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasPrefix("checkpoint-") && $0.hasSuffix(".txt") }.sorted()
        return try names.map { name in
            let note = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            let size = Int64(note.split(separator: "\n", omittingEmptySubsequences: false).dropFirst().first ?? "") ?? -1
            return AuditCheckpoint(seq: size, at: "", key_id: "", note: note)
        }
    }
}
