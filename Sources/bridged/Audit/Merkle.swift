import BridgeModel
import Crypto
import Foundation

/// A 32-byte SHA-256 value held inline (no heap storage), so trees of millions of nodes cost no allocations.
struct TreeHash: Hashable, Sendable {
    private var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    static func == (lhs: TreeHash, rhs: TreeHash) -> Bool {
        lhs.words.0 == rhs.words.0 && lhs.words.1 == rhs.words.1 && lhs.words.2 == rhs.words.2
            && lhs.words.3 == rhs.words.3
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(self.words.0)
        hasher.combine(self.words.1)
    }

    init(_ digest: SHA256.Digest) {
        digest.withUnsafeBytes { raw in
            withUnsafeMutableBytes(of: &self.words) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw.prefix(32))) }
        }
    }

    /// Exactly 32 bytes, or nil.
    init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 32 else { return nil }
        withUnsafeMutableBytes(of: &self.words) { target in
            for (offset, byte) in bytes.enumerated() { target[offset] = byte }
        }
    }

    init?(base64: some StringProtocol) {
        guard let data = Data(base64Encoded: String(base64)) else { return nil }
        self.init(bytes: data)
    }

    init?(hex: some StringProtocol) {
        let digits = Array(hex.utf8)
        guard digits.count == 64 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for index in stride(from: 0, to: 64, by: 2) {
            guard let high = Self.nibble(digits[index]), let low = Self.nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        self.init(bytes: bytes)
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case 0x30...0x39: digit - 0x30
        case 0x61...0x66: digit - 0x61 + 10
        case 0x41...0x46: digit - 0x41 + 10
        default: nil
        }
    }

    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: self.words, body)
    }

    var bytes: [UInt8] { self.withUnsafeBytes { Array($0) } }
    var base64: String { Data(self.bytes).base64EncodedString() }
    var hex: String { HexText.lowercase(self.bytes) }
}

/// The Merkle tree hashing of RFC 6962 §2.1 / RFC 9162 §2.1, and its inclusion and consistency proofs.
///
/// - leaf hash: `SHA-256(0x00 ‖ record bytes)`;
/// - node hash: `SHA-256(0x01 ‖ left ‖ right)`;
/// - the tree over n leaves splits at k, the largest power of two smaller than n, so the left subtree is
///   always perfect (`MTH(D[n]) = node(MTH(D[0:k]), MTH(D[k:n]))`).
enum Merkle {
    /// The root of the empty tree: SHA-256 of nothing.
    static let emptyRoot = TreeHash(SHA256.hash(data: [UInt8]()))
    private static let leafPrefix: UInt8 = 0x00
    private static let nodePrefix: UInt8 = 0x01

    static func leafHash(_ record: UnsafeRawBufferPointer) -> TreeHash {
        var hasher = SHA256()
        withUnsafeBytes(of: Self.leafPrefix) { hasher.update(bufferPointer: $0) }
        hasher.update(bufferPointer: record)
        return TreeHash(hasher.finalize())
    }

    static func leafHash(_ record: some ContiguousBytes) -> TreeHash {
        record.withUnsafeBytes { Self.leafHash($0) }
    }

    static func nodeHash(_ left: TreeHash, _ right: TreeHash) -> TreeHash {
        var hasher = SHA256()
        withUnsafeBytes(of: Self.nodePrefix) { hasher.update(bufferPointer: $0) }
        left.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        right.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        return TreeHash(hasher.finalize())
    }

    /// The largest power of two strictly smaller than `n` (n ≥ 2).
    static func split(_ n: UInt64) -> UInt64 {
        precondition(n >= 2, "a tree of fewer than two leaves does not split")
        return UInt64(1) << (63 - (n - 1).leadingZeroBitCount)
    }

    /// The root over leaf hashes held in memory (tests and small trees).
    static func root(_ leaves: ArraySlice<TreeHash>) -> TreeHash {
        switch leaves.count {
        case 0: return Self.emptyRoot
        case 1: return leaves[leaves.startIndex]
        default:
            let k = Int(Self.split(UInt64(leaves.count)))
            let middle = leaves.startIndex + k
            return Self.nodeHash(Self.root(leaves[..<middle]), Self.root(leaves[middle...]))
        }
    }

    // MARK: Verifying proofs (RFC 9162 §2.1.3.2 and §2.1.4.2)

    /// True when `proof` shows the leaf at `index` is in the tree of `size` leaves with `root`.
    static func verifyInclusion(index: UInt64, size: UInt64, leaf: TreeHash, proof: [TreeHash], root: TreeHash) -> Bool {
        guard index < size else { return false }
        var fn = index
        var sn = size - 1
        var r = leaf
        for p in proof {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                r = Self.nodeHash(p, r)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                r = Self.nodeHash(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 && r == root
    }

    /// True when `proof` shows the tree of `size2` leaves with `root2` extends the one of `size1` with `root1`.
    static func verifyConsistency(size1: UInt64, size2: UInt64, root1: TreeHash, root2: TreeHash, proof: [TreeHash]) -> Bool {
        guard size1 <= size2 else { return false }
        if size1 == size2 { return proof.isEmpty && root1 == root2 }
        if size1 == 0 { return proof.isEmpty }
        guard !proof.isEmpty else { return false }
        var path = proof
        if size1 & (size1 - 1) == 0 { path.insert(root1, at: 0) }
        var fn = size1 - 1
        var sn = size2 - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var fr = path[0]
        var sr = path[0]
        for c in path.dropFirst() {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                fr = Self.nodeHash(c, fr)
                sr = Self.nodeHash(c, sr)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                sr = Self.nodeHash(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        return fr == root1 && sr == root2 && sn == 0
    }
}

/// Where proofs read the hashes of perfect subtrees: `node(level:index:)` covers the leaves
/// `index << level ..< (index + 1) << level`.
protocol MerkleNodes {
    func node(level: Int, index: UInt64) throws -> TreeHash
}

extension MerkleNodes {
    /// `MTH(D[start:start+count])`, for the ranges a tree's recursion produces (start a multiple of the split).
    func subtreeHash(start: UInt64, count: UInt64) throws -> TreeHash {
        if count == 0 { return Merkle.emptyRoot }
        if count & (count - 1) == 0, start % count == 0 {
            return try self.node(level: count.trailingZeroBitCount, index: start / count)
        }
        let k = Merkle.split(count)
        return Merkle.nodeHash(
            try self.subtreeHash(start: start, count: k), try self.subtreeHash(start: start + k, count: count - k)
        )
    }

    func root(size: UInt64) throws -> TreeHash { try self.subtreeHash(start: 0, count: size) }

    /// `PATH(m, D[n])` of RFC 6962 §2.1.1: the audit path of leaf `index` in the tree of `size` leaves.
    func inclusionProof(index: UInt64, size: UInt64) throws -> [TreeHash] {
        precondition(index < size, "the leaf must be in the tree")
        var proof: [TreeHash] = []
        try self.path(index, start: 0, count: size, into: &proof)
        return proof
    }

    private func path(_ m: UInt64, start: UInt64, count: UInt64, into proof: inout [TreeHash]) throws {
        guard count > 1 else { return }
        let k = Merkle.split(count)
        if m < start + k {
            try self.path(m, start: start, count: k, into: &proof)
            proof.append(try self.subtreeHash(start: start + k, count: count - k))
        } else {
            try self.path(m, start: start + k, count: count - k, into: &proof)
            proof.append(try self.subtreeHash(start: start, count: k))
        }
    }

    /// `PROOF(m, D[n])` of RFC 6962 §2.1.2: that the tree of `size1` leaves is a prefix of the one of `size2`.
    func consistencyProof(size1: UInt64, size2: UInt64) throws -> [TreeHash] {
        precondition(size1 <= size2, "a tree is consistent only with a larger one")
        guard size1 > 0, size1 < size2 else { return [] }
        var proof: [TreeHash] = []
        try self.subproof(size1, start: 0, count: size2, whole: true, into: &proof)
        return proof
    }

    private func subproof(_ m: UInt64, start: UInt64, count: UInt64, whole: Bool, into proof: inout [TreeHash]) throws {
        if m == count {
            if !whole { proof.append(try self.subtreeHash(start: start, count: count)) }
            return
        }
        let k = Merkle.split(count)
        if m <= k {
            try self.subproof(m, start: start, count: k, whole: whole, into: &proof)
            proof.append(try self.subtreeHash(start: start + k, count: count - k))
        } else {
            try self.subproof(m - k, start: start + k, count: count - k, whole: false, into: &proof)
            proof.append(try self.subtreeHash(start: start, count: k))
        }
    }
}

/// The right edge of a tree: the roots of its perfect subtrees, largest first (one per set bit of `size`).
/// Appending a leaf is amortised O(1); the root is O(log n) node hashes.
struct MerkleFrontier: Sendable {
    private(set) var size: UInt64 = 0
    private(set) var hashes: [TreeHash] = []

    init() {}

    /// The frontier of the tree of `size` leaves, read from its stored nodes.
    init(size: UInt64, nodes: some MerkleNodes) throws {
        self.size = size
        var start: UInt64 = 0
        for level in stride(from: 63, through: 0, by: -1) where size & (UInt64(1) << level) != 0 {
            self.hashes.append(try nodes.node(level: level, index: start >> level))
            start += UInt64(1) << level
        }
    }

    /// Adds a leaf; `completed` is told of every perfect subtree the leaf completes, leaf first, as
    /// (level, index, hash).
    mutating func append(_ leaf: TreeHash, completed: (Int, UInt64, TreeHash) -> Void = { _, _, _ in }) {
        var hash = leaf
        var level = 0
        completed(0, self.size, hash)
        while self.size & (UInt64(1) << level) != 0 {
            hash = Merkle.nodeHash(self.hashes.removeLast(), hash)
            level += 1
            completed(level, self.size >> level, hash)
        }
        self.hashes.append(hash)
        self.size += 1
    }

    var root: TreeHash {
        guard var hash = self.hashes.last else { return Merkle.emptyRoot }
        for left in self.hashes.dropLast().reversed() { hash = Merkle.nodeHash(left, hash) }
        return hash
    }
}
