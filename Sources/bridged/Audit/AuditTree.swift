#if canImport(Glibc)
import Glibc
#endif
import Adapters
import Foundation

/// The Merkle tree over an audit directory's records, kept beside the segments in `tree/`: one file per
/// level (`level-00.bin` holds the leaf hashes, `level-01.bin` the hashes of pairs, …), each a run of
/// 32-byte node hashes in index order. A node is written once, when the leaf that completes its subtree
/// is appended, so appending costs one write per touched level and proofs read O(log n) nodes.
///
/// The files are derived data: the segments are the system of record, and ``reconcile(records:)`` brings
/// the tree back to them at start-up (a crash can leave it a batch short, or a batch long). They are
/// flushed before each checkpoint is signed, not on every append.
final class AuditTree: MerkleNodes {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static let directoryName = "tree"
    static let maxLevels = 64

    let directory: URL
    /// Opened by a command beside a running daemon: reads only, never cuts or writes a file.
    let readOnly: Bool
    private var descriptors: [Int32] = []
    private(set) var frontier = MerkleFrontier()

    var size: UInt64 { self.frontier.size }

    init(auditDirectory: URL, readOnly: Bool = false) throws {
        self.directory = auditDirectory.appendingPathComponent(Self.directoryName)
        self.readOnly = readOnly
        if !readOnly { try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true) }
        try self.load()
    }

    /// Reads the tree's size and right edge from its files.
    func load() throws {
        // A crash can leave the levels out of step (a batch written to some levels only). The largest size
        // every level supports is kept; the caller appends the rest from the segments.
        var size = try self.count(level: 0)
        for level in 1..<Self.maxLevels {
            let nodes = try self.count(level: level)
            size = min(size, ((nodes + 1) << level) - 1)
            if nodes == 0, size >> level == 0 { break }
        }
        if !self.readOnly {
            for level in 0..<Self.maxLevels { try self.truncate(level: level, nodes: size >> level) }
        }
        self.frontier = try MerkleFrontier(size: size, nodes: self)
    }

    deinit {
        for fd in self.descriptors where fd >= 0 { Glibc.close(fd) }
    }

    /// Appends leaf hashes in order, writing every node they complete.
    func append(_ leaves: [TreeHash]) throws {
        guard !leaves.isEmpty else { return }
        precondition(!self.readOnly, "a read-only audit tree is never appended to")
        var pending: [[UInt8]] = []
        for leaf in leaves {
            self.frontier.append(leaf) { level, _, hash in
                while pending.count <= level { pending.append([]) }
                hash.withUnsafeBytes { pending[level].append(contentsOf: $0) }
            }
        }
        for (level, bytes) in pending.enumerated() where !bytes.isEmpty {
            try Self.writeAll(try self.descriptor(level), bytes)
        }
    }

    /// Flushes every level to disk (before a checkpoint that signs the root is written).
    func sync() throws {
        for fd in self.descriptors where fd >= 0 {
            guard fsync(fd) == 0 else { throw Failure(description: "fsync of the audit tree failed: errno \(errno)") }
        }
    }

    /// Makes the tree hold exactly the first `records` leaves: cuts extra ones, and returns how many the
    /// caller must append (read back from the segments).
    func reconcile(records: UInt64) throws -> UInt64 {
        if self.size > records {
            for level in 0..<Self.maxLevels { try self.truncate(level: level, nodes: records >> level) }
            self.frontier = try MerkleFrontier(size: records, nodes: self)
        }
        return records - self.size
    }

    /// Empties the tree, to rebuild it from the segments.
    func reset() throws {
        for level in 0..<Self.maxLevels { try self.truncate(level: level, nodes: 0) }
        self.frontier = MerkleFrontier()
    }

    func node(level: Int, index: UInt64) throws -> TreeHash {
        guard level < Self.maxLevels else { throw Failure(description: "the audit tree has no level \(level)") }
        let fd = try self.descriptor(level)
        var bytes = [UInt8](repeating: 0, count: 32)
        let read = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 32, off_t(index * 32)) }
        guard read == 32, let hash = TreeHash(bytes: bytes) else {
            throw Failure(
                description: "the audit tree has no node \(index) at level \(level) (damaged? `bridged audit reindex` rebuilds it)"
            )
        }
        return hash
    }

    // MARK: Files

    private func url(level: Int) -> URL {
        self.directory.appendingPathComponent(String(format: "level-%02d.bin", level))
    }

    private func count(level: Int) throws -> UInt64 {
        let path = self.url(level: level).path
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return 0 }
        return ((attributes[.size] as? NSNumber)?.uint64Value ?? 0) / 32
    }

    private func truncate(level: Int, nodes: UInt64) throws {
        let path = self.url(level: level).path
        guard FileManager.default.fileExists(atPath: path) else { return }
        if nodes == 0, level > 0 {
            if level < self.descriptors.count, self.descriptors[level] >= 0 {
                Glibc.close(self.descriptors[level])
                self.descriptors[level] = -1
            }
            try FileManager.default.removeItem(atPath: path)
            return
        }
        guard Glibc.truncate(path, off_t(nodes * 32)) == 0 else {
            throw Failure(description: "cannot truncate \(path): errno \(errno)")
        }
    }

    private func descriptor(_ level: Int) throws -> Int32 {
        while self.descriptors.count <= level { self.descriptors.append(-1) }
        if self.descriptors[level] >= 0 { return self.descriptors[level] }
        let path = self.url(level: level).path
        let fd = self.readOnly ? open(path, O_RDONLY | O_CLOEXEC) : open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw Failure(description: "cannot open \(path): errno \(errno)") }
        self.descriptors[level] = fd
        return fd
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        do { try DurableFile.writeAll(fd, bytes) } catch { throw Failure(description: "writing the audit tree failed: \(error)") }
    }
}
