import Crypto
import Foundation
import Testing

@testable import bridged

/// The leaves and hashes published with the RFC 6962 reference implementations
/// (transparency-dev/merkle `testonly/constants.go` and `proof/verify_test.go`).
enum RFC6962Vectors {
    static let leaves: [[UInt8]] = [
        "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f",
    ].map(bytes)

    /// Roots for tree sizes 0 through 8.
    static let roots: [String] = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]

    /// (leaf index, tree size, path).
    static let inclusion: [(UInt64, UInt64, [String])] = [
        (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
        (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
        (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
        (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    ]

    /// (size1, size2, path).
    static let consistency: [(UInt64, UInt64, [String])] = [
        (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
        (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
        (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
        (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    ]

    static func bytes(_ hex: String) -> [UInt8] {
        stride(from: 0, to: hex.count, by: 2).map { offset in
            let start = hex.index(hex.startIndex, offsetBy: offset)
            return UInt8(hex[start..<hex.index(start, offsetBy: 2)], radix: 16)!
        }
    }

    static func hash(_ hex: String) -> TreeHash { TreeHash(hex: hex)! }
}

/// Nodes computed from leaves in memory: the reference the stored tree is compared with.
struct MemoryNodes: MerkleNodes {
    var leaves: [TreeHash]

    func node(level: Int, index: UInt64) throws -> TreeHash {
        let start = Int(index) << level
        return Merkle.root(self.leaves[start..<(start + (1 << level))])
    }
}

@Suite("Merkle tree: RFC 6962 hashing and proofs against the published vectors")
struct MerkleTests {
    let leaves = RFC6962Vectors.leaves.map { Merkle.leafHash($0) }

    @Test("the roots of every size 0 to 8 are the published ones, in memory, from the frontier and from stored nodes")
    func roots() throws {
        var frontier = MerkleFrontier()
        let nodes = MemoryNodes(leaves: self.leaves)
        for size in 0...8 {
            let expected = RFC6962Vectors.hash(RFC6962Vectors.roots[size])
            #expect(Merkle.root(self.leaves[..<size]) == expected, "size \(size)")
            #expect(frontier.root == expected, "frontier at size \(size)")
            #expect(try MemoryNodes(leaves: Array(self.leaves[..<size])).root(size: UInt64(size)) == expected)
            #expect(try MerkleFrontier(size: UInt64(size), nodes: nodes).root == expected)
            if size < 8 { frontier.append(self.leaves[size]) }
        }
    }

    @Test("the published inclusion proofs are produced and verify; every corruption of them is refused")
    func inclusion() throws {
        for (index, size, path) in RFC6962Vectors.inclusion {
            let nodes = MemoryNodes(leaves: Array(self.leaves[..<Int(size)]))
            let proof = path.map(RFC6962Vectors.hash)
            let root = RFC6962Vectors.hash(RFC6962Vectors.roots[Int(size)])
            #expect(try nodes.inclusionProof(index: index, size: size) == proof, "path of \(index) in \(size)")
            #expect(Merkle.verifyInclusion(index: index, size: size, leaf: self.leaves[Int(index)], proof: proof, root: root))
            let other = RFC6962Vectors.hash(RFC6962Vectors.roots[0])
            #expect(!Merkle.verifyInclusion(index: index + 1, size: size, leaf: self.leaves[Int(index)], proof: proof, root: root))
            #expect(!Merkle.verifyInclusion(index: index, size: size * 2, leaf: self.leaves[Int(index)], proof: proof, root: root))
            #expect(!Merkle.verifyInclusion(index: index, size: size, leaf: other, proof: proof, root: root))
            #expect(!Merkle.verifyInclusion(index: index, size: size, leaf: self.leaves[Int(index)], proof: proof, root: other))
            #expect(!Merkle.verifyInclusion(index: index, size: size, leaf: self.leaves[Int(index)], proof: proof + [root], root: root))
            #expect(!Merkle.verifyInclusion(index: index, size: size, leaf: self.leaves[Int(index)], proof: Array(proof.dropLast()), root: root))
            for position in proof.indices {
                var flipped = proof[position].bytes
                flipped[0] ^= 8
                var bad = proof
                bad[position] = TreeHash(bytes: flipped)!
                #expect(!Merkle.verifyInclusion(index: index, size: size, leaf: self.leaves[Int(index)], proof: bad, root: root))
            }
        }
        #expect(!Merkle.verifyInclusion(index: 0, size: 0, leaf: self.leaves[0], proof: [], root: Merkle.emptyRoot))
    }

    @Test("the published consistency proofs are produced and verify; every corruption of them is refused")
    func consistency() throws {
        for (size1, size2, path) in RFC6962Vectors.consistency {
            let nodes = MemoryNodes(leaves: Array(self.leaves[..<Int(size2)]))
            let proof = path.map(RFC6962Vectors.hash)
            let root1 = RFC6962Vectors.hash(RFC6962Vectors.roots[Int(size1)])
            let root2 = RFC6962Vectors.hash(RFC6962Vectors.roots[Int(size2)])
            #expect(try nodes.consistencyProof(size1: size1, size2: size2) == proof, "proof \(size1) → \(size2)")
            #expect(Merkle.verifyConsistency(size1: size1, size2: size2, root1: root1, root2: root2, proof: proof))
            #expect(!Merkle.verifyConsistency(size1: size1, size2: size2, root1: root2, root2: root1, proof: proof))
            #expect(!Merkle.verifyConsistency(size1: size1 + 1, size2: size2, root1: root1, root2: root2, proof: proof))
            #expect(!Merkle.verifyConsistency(size1: size1, size2: size2, root1: root1, root2: root2, proof: []))
            #expect(!Merkle.verifyConsistency(size1: size1, size2: size2, root1: root1, root2: root2, proof: proof + [root1]))
            #expect(!Merkle.verifyConsistency(size1: size1, size2: size2, root1: root1, root2: root2, proof: [root1] + proof))
            for position in proof.indices {
                var flipped = proof[position].bytes
                flipped[0] ^= 16
                var bad = proof
                bad[position] = TreeHash(bytes: flipped)!
                #expect(!Merkle.verifyConsistency(size1: size1, size2: size2, root1: root1, root2: root2, proof: bad))
            }
        }
        let root = RFC6962Vectors.hash(RFC6962Vectors.roots[1])
        #expect(Merkle.verifyConsistency(size1: 1, size2: 1, root1: root, root2: root, proof: []))
        #expect(!Merkle.verifyConsistency(size1: 1, size2: 1, root1: root, root2: Merkle.emptyRoot, proof: []))
        #expect(Merkle.verifyConsistency(size1: 0, size2: 1, root1: Merkle.emptyRoot, root2: root, proof: []))
        #expect(!Merkle.verifyConsistency(size1: 2, size2: 1, root1: root, root2: root, proof: []))
    }

    @Test("in trees of every size up to 70, the stored tree's proofs equal the reference's and verify, for every leaf and every prefix")
    func storedTreeAgreesEverywhere() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tree-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let tree = try AuditTree(auditDirectory: directory)
        var leaves: [TreeHash] = []
        for size in 1...70 {
            let leaf = Merkle.leafHash([UInt8(size), UInt8(truncatingIfNeeded: size &* 7)])
            leaves.append(leaf)
            // Appended one, two or three at a time, as batches come.
            if size % 3 != 1 || size == 70 {
                try tree.append(Array(leaves[Int(tree.size)...]))
            } else {
                continue
            }
            let reference = MemoryNodes(leaves: leaves)
            let root = Merkle.root(leaves[...])
            #expect(tree.frontier.root == root, "frontier root at \(size)")
            #expect(try tree.root(size: UInt64(size)) == root, "stored root at \(size)")
            for index in 0..<UInt64(size) {
                let proof = try tree.inclusionProof(index: index, size: UInt64(size))
                #expect(proof == (try reference.inclusionProof(index: index, size: UInt64(size))))
                #expect(Merkle.verifyInclusion(index: index, size: UInt64(size), leaf: leaves[Int(index)], proof: proof, root: root))
            }
            for first in 0...UInt64(size) {
                let proof = try tree.consistencyProof(size1: first, size2: UInt64(size))
                let root1 = Merkle.root(leaves[..<Int(first)])
                #expect(Merkle.verifyConsistency(size1: first, size2: UInt64(size), root1: root1, root2: root, proof: proof), "\(first) → \(size)")
            }
        }
        // Reopened from its files, the tree has the same size and root.
        let reopened = try AuditTree(auditDirectory: directory)
        #expect(reopened.size == 70)
        #expect(reopened.frontier.root == Merkle.root(leaves[...]))
    }

    @Test("a tree whose levels a crash left out of step is cut back to a size every level holds")
    func crashLeftLevelsOutOfStep() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tree-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let leaves = (0..<13).map { Merkle.leafHash([UInt8($0)]) }
        do {
            let tree = try AuditTree(auditDirectory: directory)
            try tree.append(leaves)
        }
        // Level 1 lost its last node (a batch's write cut short): 6 pairs on disk → 5.
        let level1 = directory.appendingPathComponent("tree/level-01.bin")
        try FileHandle(forWritingTo: level1).truncate(atOffset: 5 * 32)
        let tree = try AuditTree(auditDirectory: directory)
        #expect(tree.size == 11, "level 1 with 5 nodes supports at most 11 leaves")
        #expect(tree.frontier.root == Merkle.root(leaves[..<11]))
        try tree.append(Array(leaves[11...]))
        #expect(try tree.root(size: 13) == Merkle.root(leaves[...]))
    }
}
