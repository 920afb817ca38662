#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import BridgeModel
import Foundation

/// Delivers each routed envelope as one JSON file into a directory: a journal or archive target, and the
/// simplest real destination.
///
/// Files are written to a temporary name, made durable (fsynced one by one, or the filesystem flushed once per window with
/// `sync = "filesystem"`), renamed to `<envelope-id>.<adapter>.json` (`….journal.json` for a journal copy) and the directory is
/// fsynced (once per delivery window), so a file either exists whole or not at all. Redelivering the same item rewrites the same
/// file: delivery into a spool is idempotent.
public struct SpoolAdapter: Adapter {
    public let name: String
    public let org: String
    public let directory: URL
    public let sync: SpoolSettings.Sync

    public init(name: String, org: String, directory: URL, sync: SpoolSettings.Sync = .file) {
        self.name = name
        self.org = org
        self.directory = directory
        self.sync = sync
    }

    public var canDeliver: Bool { true }

    public func run(sink: any InboundSink) async throws {}

    public func deliver(_ delivery: Delivery) async throws(DeliveryFailure) -> DeliveryReceipt {
        switch self.write([delivery])[0] {
        case .delivered(let receipt): return receipt
        case .failed(let failure): throw failure
        case .notAttempted: throw .transient("write-failed", "the spool file was not written")
        }
    }

    /// Writes the window's files in order, then fsyncs the directory once for all of them; stops at the
    /// first failure, leaving the rest queued.
    public func deliver(all deliveries: [Delivery]) async -> [DeliveryOutcome] {
        self.write(deliveries)
    }

    private func write(_ deliveries: [Delivery]) -> [DeliveryOutcome] {
        let encoder = EnvelopeCoding.encoder()
        var files: [(data: Data, name: String)] = []
        for delivery in deliveries {
            guard var data = try? encoder.encode(SpoolRecord(delivery: delivery)) else { break }
            data.append(0x0A)
            files.append((data, "\(delivery.deliveryKey).json"))
        }
        var outcomes: [DeliveryOutcome] = []
        do {
            try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
        } catch {
            return deliveries.indices.map { index in
                index == 0 ? .failed(.transient("write-failed", "cannot create \(self.directory.path): \(error)")) : .notAttempted
            }
        }
        let result = DurableFile.write(files, into: self.directory.path, sync: self.sync)
        for file in files.prefix(result.durable) { outcomes.append(.delivered(DeliveryReceipt(nativeID: file.name))) }
        if outcomes.count < deliveries.count {
            // The item that stopped the window: a write that failed, or one that could not be encoded.
            outcomes.append(
                result.failure.map { .failed(.transient("write-failed", "cannot write into \(self.directory.path): \($0)")) }
                    ?? .failed(.permanent("encode-failed", "the envelope could not be encoded"))
            )
        }
        while outcomes.count < deliveries.count { outcomes.append(.notAttempted) }
        return outcomes
    }
}

/// What a spool file holds.
struct SpoolRecord: Encodable {
    var deliveryKey: String
    var adapter: String
    var target: Delivery.Target
    var envelope: Envelope

    init(delivery: Delivery) {
        self.deliveryKey = delivery.deliveryKey
        self.adapter = delivery.adapter
        self.target = delivery.target
        self.envelope = delivery.envelope
    }
}

/// Crash-safe whole-file writes: temp file, fsync, rename, fsync of the directory.
public enum DurableFile {
    public struct WriteError: Error, CustomStringConvertible {
        public var operation: String
        public var errno: Int32
        public var description: String { "\(self.operation) failed: \(String(cString: strerror(self.errno)))" }
    }

    public static func write(_ data: Data, to url: URL) throws {
        let result = self.write([(data, url.lastPathComponent)], into: url.deletingLastPathComponent().path)
        if let failure = result.failure { throw failure }
    }

    /// Writes several whole files into one directory, in order: each to a temporary name, made durable and
    /// renamed, then one fsync of the directory makes every rename durable. Stops at the first failure.
    ///
    /// With `.file` each temporary file is fsynced before its rename. With `.filesystem` the temporary files
    /// are written, the filesystem holding them is flushed once (`syncfs`, which reports writeback errors
    /// since Linux 5.8), and only then renamed: a rename never names a file whose data is not on disk.
    /// - Returns: how many files, from the first, are durably in place, and the failure that stopped the
    ///   rest (a failed flush or directory fsync counts none as durable: the files are not known to be).
    public static func write(_ files: [(data: Data, name: String)], into directory: String, sync: SpoolSettings.Sync = .file) -> (durable: Int, failure: WriteError?) {
        var written: [(temporary: String, final: String)] = []
        var failure: WriteError?
        for (data, name) in files {
            let temporary = "\(directory)/.\(name).\(UInt32.random(in: 0...UInt32.max)).tmp"
            do {
                try self.writeTemporary(data, at: temporary, fsync: sync == .file)
                written.append((temporary, "\(directory)/\(name)"))
            } catch {
                failure = error
                break
            }
        }
        if sync == .filesystem, !written.isEmpty {
            do {
                try self.syncFilesystem(of: directory)
            } catch {
                for file in written { unlink(file.temporary) }
                return (0, error)
            }
        }
        // Renamed in order; after a failed rename the rest are removed, so the durable ones stay a prefix.
        var renamed = 0
        var renameFailure: WriteError?
        for file in written {
            if renameFailure == nil, rename(file.temporary, file.final) == 0 {
                renamed += 1
                continue
            }
            if renameFailure == nil { renameFailure = WriteError(operation: "rename", errno: errno) }
            unlink(file.temporary)
        }
        failure = renameFailure ?? failure
        guard renamed > 0 else { return (0, failure) }
        do {
            try self.syncDirectory(directory)
        } catch {
            return (0, error)
        }
        return (renamed, failure)
    }

    /// Writes a whole temporary file, fsynced when asked; removes it again if any step fails.
    /// Writes every byte to `fd`, going on after short writes and EINTR.
    public static func writeAll(_ fd: Int32, _ bytes: some ContiguousBytes) throws(WriteError) {
        let failure: WriteError? = bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return WriteError(operation: "write", errno: errno)
                }
                offset += written
            }
            return nil
        }
        if let failure { throw failure }
    }

    private static func writeTemporary(_ data: Data, at temporary: String, fsync sync: Bool) throws(WriteError) {
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw WriteError(operation: "open", errno: errno) }
        var ok = false
        defer {
            if !ok { unlink(temporary) }
        }
        do {
            defer { close(fd) }
            try self.writeAll(fd, data)
            if sync { guard fsync(fd) == 0 else { throw WriteError(operation: "fsync", errno: errno) } }
        }
        ok = true
    }

    /// Flushes the whole filesystem that holds `path` (Linux `syncfs`; elsewhere `sync` then an fsync of the
    /// directory, which is as strong).
    public static func syncFilesystem(of path: String) throws(WriteError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw WriteError(operation: "open directory", errno: errno) }
        defer { close(fd) }
        #if os(Linux)
        guard let syncfs = Self.syncfs else { throw WriteError(operation: "syncfs", errno: ENOSYS) }
        guard syncfs(fd) == 0 else { throw WriteError(operation: "syncfs", errno: errno) }
        #else
        Foundation.sync()
        guard fsync(fd) == 0 else { throw WriteError(operation: "fsync directory", errno: errno) }
        #endif
    }

    #if os(Linux)
    /// glibc's `syncfs(2)`, which the Glibc module does not export (it is declared only under `_GNU_SOURCE`).
    private static let syncfs: (@convention(c) (Int32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "syncfs") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32) -> Int32).self)
    }()
    #endif

    public static func syncDirectory(_ path: String) throws(WriteError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw WriteError(operation: "open directory", errno: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw WriteError(operation: "fsync directory", errno: errno) }
    }
}
