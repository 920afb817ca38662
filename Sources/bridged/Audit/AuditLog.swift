#if canImport(Glibc)
import PolicyGate
import Glibc
#endif
import Adapters
import BridgeModel
import Crypto
import Foundation
import Logging

/// The append-only audit log: hash-chained records under an RFC 6962 Merkle tree.
///
/// Each record is one JSON line carrying the hash of the previous record, and each line is a leaf of the
/// tree (``AuditTree``); a batch of records is written and fsynced before `append` returns, so callers
/// continue (route, deliver, acknowledge) only once their record is on disk. Every `checkpointRecords`
/// records or `checkpointSeconds` seconds, and at close, the log signs the tree head with the Ed25519 key
/// as a C2SP checkpoint. The log files are the system of record; the tree files and the SQLite audit index
/// are rebuilt from them.
actor AuditLog {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let segments: AuditSegments
    let signingKey: Curve25519.Signing.PrivateKey
    let settings: AuditSettings
    let logger: Logger
    /// The log's name: the checkpoints' origin line and key name.
    let origin: String
    let tree: AuditTree
    /// Set when writing the tree failed after records were appended: it is rebuilt from the segments before
    /// the next checkpoint.
    private var treeBroken = false
    /// Where checkpoints are copied off the box (`audit.publish_directory`), and the newest one not copied yet.
    let publishDirectory: URL?
    var unpublished: AuditCheckpoint?
    var publishFailing = false
    /// The newest checkpoint, for publishers off the box (nil until the log has one).
    private(set) var latestCheckpoint: AuditCheckpoint?
    /// The last checkpoint written before this run, nil for a log without checkpoints.
    let lastCheckpointAtStart: AuditCheckpoint?
    private var fd: Int32 = -1
    private var segmentNumber = 0
    private var segmentSize = 0
    private(set) var lastSequence: Int64 = 0
    private(set) var lastHash = AuditSegments.genesisHash
    private var checkpointedSequence: Int64 = 0
    /// The config revision of the last `config-loaded` record this run wrote: from that record on, only
    /// decisions under it may be appended (``append(_:decidedUnder:)``).
    private(set) var configInForce: String?
    private var lastCheckpointAt = ContinuousClock.now
    private let encoder: JSONEncoder

    enum PreviousStop: Sendable, Equatable {
        case graceful
        /// The last run ended without its `stopped` record (killed, crashed, power lost).
        case unclean(cutBytes: Int)
    }

    /// How the run before this one ended, as the log's tail tells; nil for a new log.
    let previousStop: PreviousStop?

    init(
        directory: URL, signingKey: Curve25519.Signing.PrivateKey, settings: AuditSettings, publishDirectory: URL? = nil,
        logger: Logger
    ) throws {
        self.publishDirectory = publishDirectory
        self.segments = AuditSegments(directory: directory)
        self.signingKey = signingKey
        self.settings = settings
        self.logger = logger
        self.encoder = EnvelopeCoding.encoder()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let tail = try Self.recoverTail(self.segments, logger: logger)
        self.segmentNumber = tail.segment
        self.lastSequence = tail.sequence
        self.lastHash = tail.hash
        self.checkpointedSequence = tail.sequence
        self.origin = settings.origin ?? Self.defaultOrigin()
        let lastCheckpoint = AuditCheckpoint.last(in: self.segments.checkpointsURL)
        self.lastCheckpointAtStart = lastCheckpoint
        self.latestCheckpoint = lastCheckpoint
        self.tree = try AuditTree(auditDirectory: directory)
        try Self.bringUpTree(
            self.tree, segments: self.segments, records: UInt64(tail.sequence), lastCheckpoint: lastCheckpoint, logger: logger
        )
        self.previousStop = tail.lastEvent.map { $0 == AuditEventType.stopped.rawValue ? .graceful : .unclean(cutBytes: tail.cutBytes) }
        self.fd = try Self.openSegment(self.segments.segmentURL(tail.segment))
        self.segmentSize = Int(lseek(self.fd, 0, SEEK_END))
    }

    /// Decisions made under a config revision that a `config-loaded` record has already superseded.
    struct StaleRevision: Error, CustomStringConvertible {
        var decidedUnder: String
        var inForce: String
        var description: String { "decided under config \(self.decidedUnder), but \(self.inForce) is in force" }
    }

    /// Appends decisions, only if they were made under the config revision the log last recorded as
    /// loaded: a `config-loaded` record means "from here on, this revision decides". Checked and written in
    /// one turn of the actor, so no record can slip between the check and the write.
    /// - Throws: ``StaleRevision`` (nothing written) when a newer revision was recorded meanwhile; decide again.
    @discardableResult
    func append(_ events: [AuditEvent], decidedUnder revision: String) throws -> [AuditIndexEntry] {
        if let inForce = self.configInForce, inForce != revision {
            throw StaleRevision(decidedUnder: revision, inForce: inForce)
        }
        return try self.append(events)
    }

    /// Appends records in order and fsyncs them.
    /// - Returns: the index rows of the written records.
    @discardableResult
    func append(_ events: [AuditEvent]) throws -> [AuditIndexEntry] {
        guard !events.isEmpty else { return [] }
        guard self.fd >= 0 else { throw Failure(description: "the audit log is closed") }
        var output = Data()
        var lines: [Range<Int>] = []
        lines.reserveCapacity(events.count)
        var index: [AuditIndexEntry] = []
        var sequence = self.lastSequence
        var hash = self.lastHash
        let now = Date()
        let at = Timestamp.format(now)
        var body: [UInt8] = []
        for var event in events {
            sequence += 1
            event.seq = sequence
            event.at = at
            event.prev = hash
            body.removeAll(keepingCapacity: true)
            event.canonicalJSON(into: &body)
            var hasher = SHA256()
            hasher.update(data: Array(hash.utf8))
            hasher.update(data: [0x0A])
            hasher.update(data: body)
            hash = hasher.finalize().hexString
            let start = output.count
            output.append(contentsOf: body.dropLast())
            output.append(contentsOf: Array(#","hash":""#.utf8) + Array(hash.utf8) + Array("\"}".utf8))
            lines.append(start..<output.count)
            output.append(0x0A)
            index.append(
                AuditIndexEntry(
                    sequence: sequence, envelopeID: event.envelope.map(EnvelopeID.init(rawValue:)), event: event.event,
                    adapter: event.adapter, at: now
                )
            )
        }
        if self.segmentSize > 0, self.segmentSize + output.count > self.settings.segmentBytes {
            try self.rotate()
        }
        do {
            try Self.writeAll(self.fd, output)
            guard fsync(self.fd) == 0 else { throw Failure(description: "fsync of the audit log failed: errno \(errno)") }
        } catch {
            // Cut whatever part of the batch reached the file, so the next append starts on a record boundary
            // and the chain on disk stays exactly the records whose append returned.
            _ = ftruncate(self.fd, off_t(self.segmentSize))
            throw error
        }
        if let loaded = events.last(where: { $0.event == .configLoaded })?.config_revision {
            self.configInForce = loaded
        }
        self.segmentSize += output.count
        self.lastSequence = sequence
        self.lastHash = hash
        self.extendTree(output, lines: lines)
        if self.lastSequence - self.checkpointedSequence >= Int64(self.settings.checkpointRecords) {
            // The records are on disk: the append succeeded, whatever happens to the checkpoint. A failed
            // checkpoint is logged and tried again at the next append and by the periodic ticker, which
            // reports its own failures; throwing here would make callers write the same records again.
            do {
                try self.checkpoint()
            } catch {
                self.checkpointFailures += 1
                self.logger.critical(
                    "records are on disk, but the checkpoint could not be written; it will be retried",
                    metadata: ["error": "\(error)", "sequence": "\(self.lastSequence)"]
                )
            }
        }
        return index
    }

    /// Adds the leaves of records just written. A failure leaves the records appended (they are on disk)
    /// and the tree to be rebuilt from the segments before the next checkpoint.
    private func extendTree(_ output: Data, lines: [Range<Int>]) {
        guard !self.treeBroken else { return }
        let leaves = output.withUnsafeBytes { raw in
            lines.map { Merkle.leafHash(UnsafeRawBufferPointer(rebasing: raw[$0])) }
        }
        do {
            try self.tree.append(leaves)
        } catch {
            self.treeBroken = true
            self.logger.critical(
                "records are on disk, but the audit tree could not be extended; it is rebuilt before the next checkpoint",
                metadata: ["error": "\(error)", "sequence": "\(self.lastSequence)"]
            )
        }
    }

    /// Checkpoints that could not be written after their records were appended (retried since).
    private(set) var checkpointFailures = 0

    /// Signs a checkpoint when records were added since the last one and the time interval has passed.
    func checkpointIfDue() throws {
        if self.unpublished != nil { self.publishPending() }
        guard self.lastSequence > self.checkpointedSequence,
            ContinuousClock.now - self.lastCheckpointAt >= .seconds(self.settings.checkpointSeconds)
        else { return }
        try self.checkpoint()
    }

    /// Signs and appends a checkpoint for the current head. The tree files are not flushed for it: they are
    /// derived, and a start whose files do not reproduce the last signed root rebuilds them from the segments.
    func checkpoint() throws {
        if self.treeBroken || self.tree.size != UInt64(self.lastSequence) {
            try self.tree.load()
            try Self.catchUpTree(self.tree, segments: self.segments, records: UInt64(self.lastSequence))
            self.treeBroken = false
        }
        let head = TreeHead(origin: self.origin, size: self.tree.size, root: self.tree.frontier.root)
        let checkpoint = try AuditCheckpoint.make(head: head, at: Timestamp.format(Date()), key: self.signingKey)
        var line = try self.encoder.encode(checkpoint)
        line.append(0x0A)
        let fd = open(self.segments.checkpointsURL.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw Failure(description: "cannot open \(self.segments.checkpointsURL.path)") }
        defer { Glibc.close(fd) }
        let before = lseek(fd, 0, SEEK_END)
        do {
            try Self.writeAll(fd, line)
            guard fsync(fd) == 0 else { throw Failure(description: "fsync of the checkpoint file failed") }
        } catch {
            // Cut a partly written line, so the file keeps whole checkpoints only and the retry appends cleanly.
            if before >= 0 { _ = ftruncate(fd, before) }
            throw error
        }
        self.checkpointedSequence = self.lastSequence
        self.lastCheckpointAt = ContinuousClock.now
        self.latestCheckpoint = checkpoint
        if self.publishDirectory != nil {
            self.unpublished = checkpoint
            self.publishPending()
        }
    }

    /// Writes a final checkpoint and closes the segment.
    func close() throws {
        guard self.fd >= 0 else { return }
        if self.lastSequence > self.checkpointedSequence { try self.checkpoint() }
        try self.tree.sync()
        Glibc.close(self.fd)
        self.fd = -1
    }

    private func rotate() throws {
        guard fsync(self.fd) == 0 else { throw Failure(description: "fsync of the audit log failed") }
        Glibc.close(self.fd)
        self.segmentNumber += 1
        self.fd = try Self.openSegment(self.segments.segmentURL(self.segmentNumber))
        self.segmentSize = 0
        try DurableFile.syncDirectory(self.segments.directory.path)
    }

    private static func openSegment(_ url: URL) throws -> Int32 {
        let fd = open(url.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw Failure(description: "cannot open audit segment \(url.path): errno \(errno)") }
        return fd
    }

    private static func writeAll(_ fd: Int32, _ bytes: Data) throws {
        do { try DurableFile.writeAll(fd, bytes) } catch { throw Failure(description: "writing the audit log failed: \(error)") }
    }
}
