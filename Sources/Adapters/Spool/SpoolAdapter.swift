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
/// Files are written to a temporary name, fsynced, renamed to `<envelope-id>.<adapter>.json` (`….journal.json` for a journal copy) and the
/// directory is fsynced, so a file either exists whole or not at all. Redelivering the same item rewrites
/// the same file: delivery into a spool is idempotent.
public struct SpoolAdapter: Adapter {
    public let name: String
    public let org: String
    public let directory: URL

    public init(name: String, org: String, directory: URL) {
        self.name = name
        self.org = org
        self.directory = directory
    }

    public var canDeliver: Bool { true }

    public func run(sink: any InboundSink) async throws {}

    public func deliver(_ delivery: Delivery) async throws(DeliveryFailure) -> DeliveryReceipt {
        let record = SpoolRecord(delivery: delivery)
        let data: Data
        do {
            data = try EnvelopeCoding.encoder().encode(record)
        } catch {
            throw .permanent("encode-failed", "the envelope could not be encoded")
        }
        let fileName = "\(delivery.deliveryKey).json"
        do {
            try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
            try DurableFile.write(data + Data("\n".utf8), to: self.directory.appendingPathComponent(fileName))
        } catch {
            throw .transient("write-failed", "cannot write into \(self.directory.path): \(error)")
        }
        return DeliveryReceipt(nativeID: fileName)
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
        let directory = url.deletingLastPathComponent().path
        let temporary = "\(directory)/.\(url.lastPathComponent).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw WriteError(operation: "open", errno: errno) }
        var ok = false
        defer {
            if !ok { unlink(temporary) }
        }
        do {
            defer { close(fd) }
            try data.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let written = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        throw WriteError(operation: "write", errno: errno)
                    }
                    offset += written
                }
            }
            guard fsync(fd) == 0 else { throw WriteError(operation: "fsync", errno: errno) }
        }
        guard rename(temporary, url.path) == 0 else { throw WriteError(operation: "rename", errno: errno) }
        ok = true
        try self.syncDirectory(directory)
    }

    public static func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw WriteError(operation: "open directory", errno: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw WriteError(operation: "fsync directory", errno: errno) }
    }
}
