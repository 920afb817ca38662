/// A watch list of words and phrases, compiled once into one trie that finds any of them in a single pass
/// over the text, however many there are.
///
/// A term that begins with a letter or digit can match only where a word begins, so the trie is walked only
/// from the start of each word whose first byte begins some term (and from any other byte that begins a
/// term, such as `-` in `-rc1`); the rest of the text is skipped without stepping it, eight bytes at a time
/// where no byte begins a term.
///
/// Matching is case-insensitive for ASCII letters; a term with other letters matches as written, in lower
/// case, in upper case or capitalized ("über", "ÜBER", "Über"). Any whitespace in the text (a space, a tab,
/// a line break) matches a space in a term, one for one. A term matches only as whole words: where a term
/// starts or ends with a letter or digit, the text must not continue it (so "cat" is not found in
/// "concatenate").
public struct TermMatcher: Sendable, Hashable {
    public struct Match: Sendable, Hashable {
        /// The term as written in the policy.
        public var term: String
        /// Bytes of the text's UTF-8.
        public var range: Range<Int>
    }

    public struct Problem: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { self.message }
    }

    /// The terms as written in the policy, in order.
    public let terms: [String]

    /// Byte → class; bytes that occur in no term share class 0.
    private let classes: [UInt8]
    private let classCount: Int
    /// `children[node + class]`: the trie's child, premultiplied by `classCount` (the root is 0), or -1.
    private let children: [Int32]
    /// Whether some pattern ends at each node, by premultiplied node.
    private let accepting: [Bool]
    /// Byte → ``startsTerm`` when some term begins with it, ``inWord`` when it is a letter, digit or
    /// non-ASCII byte.
    private let starts: [UInt8]
    private static let startsTerm: UInt8 = 1
    private static let inWord: UInt8 = 2
    /// For each node, the patterns that end there.
    private let outputs: [[Int32]]
    /// For each pattern: its term's index, its length in bytes, and whether its edges need a word boundary.
    private let patterns: [(term: Int, length: Int, boundaryBefore: Bool, boundaryAfter: Bool)]

    public static func == (lhs: TermMatcher, rhs: TermMatcher) -> Bool { lhs.terms == rhs.terms }
    public func hash(into hasher: inout Hasher) { hasher.combine(self.terms) }

    public init(terms: [String]) throws(Problem) {
        self.terms = terms
        var variants: [(term: Int, bytes: [UInt8])] = []
        for (index, term) in terms.enumerated() {
            let normalized = term.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            guard !normalized.isEmpty else { throw Problem(message: "term \(index + 1) is empty") }
            var seen: Set<[UInt8]> = []
            for form in [normalized.lowercased(), normalized.uppercased(), normalized.prefix(1).uppercased() + normalized.dropFirst().lowercased()] {
                let bytes = form.utf8.map(Self.fold)
                if seen.insert(bytes).inserted { variants.append((index, bytes)) }
            }
        }
        // Byte classes: one per byte that occurs in some term.
        var classes = [UInt8](repeating: 0, count: 256)
        var next: UInt8 = 1
        for (_, bytes) in variants {
            for byte in bytes where classes[Int(byte)] == 0 {
                guard next < 255 else { throw Problem(message: "the terms use too many distinct characters (over 254 bytes)") }
                classes[Int(byte)] = next
                next += 1
            }
        }
        // Upper-case ASCII shares its letter's class, so the text need not be folded before lookup.
        for byte in UInt8(ascii: "A")...UInt8(ascii: "Z") { classes[Int(byte)] = classes[Int(byte + 32)] }
        for byte in [UInt8(0x09), 0x0A, 0x0B, 0x0C, 0x0D] { classes[Int(byte)] = classes[0x20] }
        let classCount = Int(next)

        // The trie.
        var trie: [[Int32]] = [[Int32](repeating: -1, count: classCount)]
        var outputs: [[Int32]] = [[]]
        var patterns: [(term: Int, length: Int, boundaryBefore: Bool, boundaryAfter: Bool)] = []
        for (term, bytes) in variants {
            var state = 0
            for byte in bytes {
                let cls = Int(classes[Int(byte)])
                if trie[state][cls] < 0 {
                    trie[state][cls] = Int32(trie.count)
                    trie.append([Int32](repeating: -1, count: classCount))
                    outputs.append([])
                }
                state = Int(trie[state][cls])
            }
            outputs[state].append(Int32(patterns.count))
            patterns.append(
                (term, bytes.count, ByteSet.isWordByte(bytes.first!), ByteSet.isWordByte(bytes.last!))
            )
        }
        var children = [Int32](repeating: -1, count: trie.count * classCount)
        for (node, row) in trie.enumerated() {
            for (cls, child) in row.enumerated() where child >= 0 { children[node * classCount + cls] = child * Int32(classCount) }
        }
        self.classes = classes
        self.classCount = classCount
        self.children = children
        var accepting = [Bool](repeating: false, count: trie.count * classCount)
        for (node, found) in outputs.enumerated() where !found.isEmpty { accepting[node * classCount] = true }
        self.accepting = accepting
        self.starts = (0..<256).map { byte in
            (trie[0][Int(classes[byte])] >= 0 ? Self.startsTerm : 0) | (ByteSet.isWordByte(UInt8(byte)) ? Self.inWord : 0)
        }
        self.outputs = outputs
        self.patterns = patterns
    }

    /// ASCII upper case to lower case; whitespace to a space.
    @inline(__always)
    static func fold(_ byte: UInt8) -> UInt8 {
        if byte >= 0x41, byte <= 0x5A { return byte + 32 }
        if byte == 0x09 || byte == 0x0A || byte == 0x0B || byte == 0x0C || byte == 0x0D { return 0x20 }
        return byte
    }

    /// The first whole-word match in `text` (the leftmost; of those beginning there, the shortest), or nil.
    public func firstMatch(in text: String) -> Match? {
        var text = text
        return text.withUTF8 { bytes in
            var found: Match? = nil
            self.scan(bytes) { match in
                found = match
                return false
            }
            return found
        }
    }

    /// Every whole-word match in `text`, leftmost first, overlapping ones merged into the longest.
    public func matches(in text: String) -> [Match] {
        var text = text
        return text.withUTF8 { bytes in
            var found: [Match] = []
            self.scan(bytes) { match in
                found.append(match)
                return true
            }
            found.sort { ($0.range.lowerBound, -$0.range.count) < ($1.range.lowerBound, -$1.range.count) }
            var merged: [Match] = []
            for match in found {
                if let last = merged.last, match.range.lowerBound < last.range.upperBound {
                    if match.range.upperBound > last.range.upperBound {
                        merged[merged.count - 1].range = last.range.lowerBound..<match.range.upperBound
                    }
                } else {
                    merged.append(match)
                }
            }
            return merged
        }
    }

    /// Walks the trie from every place a match can begin, leftmost first; `found` returns false to stop.
    private func scan(_ bytes: UnsafeBufferPointer<UInt8>, _ found: (Match) -> Bool) {
        self.children.withUnsafeBufferPointer { children in
            self.classes.withUnsafeBufferPointer { classes in
                self.accepting.withUnsafeBufferPointer { accepting in
                    self.starts.withUnsafeBufferPointer { starts in
                        var index = 0
                        while true {
                            index = Self.nextStart(in: bytes, from: index, starts)
                            guard index < bytes.count else { return }
                            let inWord = starts[Int(bytes[index])] & Self.inWord != 0
                            // A term that begins with a word byte begins a word: not here, inside one.
                            if inWord, index > 0, starts[Int(bytes[index - 1])] & Self.inWord != 0 {
                                index = Self.endOfWord(in: bytes, from: index, starts)
                                continue
                            }
                            var node = 0
                            var end = index
                            while end < bytes.count {
                                let child = children[node + Int(classes[Int(bytes[end])])]
                                guard child >= 0 else { break }
                                node = Int(child)
                                end += 1
                                guard accepting[node] else { continue }
                                for patternIndex in self.outputs[node / self.classCount] {
                                    let pattern = self.patterns[Int(patternIndex)]
                                    if pattern.boundaryAfter, end < bytes.count, starts[Int(bytes[end])] & Self.inWord != 0 { continue }
                                    if !found(Match(term: self.terms[pattern.term], range: index..<end)) { return }
                                }
                            }
                            index = inWord ? Self.endOfWord(in: bytes, from: index, starts) : index + 1
                        }
                    }
                }
            }
        }
    }

    /// The first index from `index` on whose byte begins some term, or the end of the text; the other bytes
    /// are skipped eight at a time.
    @inline(__always)
    private static func nextStart(
        in bytes: UnsafeBufferPointer<UInt8>, from index: Int, _ starts: UnsafeBufferPointer<UInt8>
    ) -> Int {
        var index = index
        while index + 8 <= bytes.count {
            var any: UInt8 = 0
            for offset in 0..<8 { any |= starts[Int(bytes[index + offset])] & Self.startsTerm }
            if any != 0 { break }
            index += 8
        }
        while index < bytes.count, starts[Int(bytes[index])] & Self.startsTerm == 0 { index += 1 }
        return index
    }

    /// The first index from `index` on whose byte is not a word byte, or the end of the text.
    @inline(__always)
    private static func endOfWord(
        in bytes: UnsafeBufferPointer<UInt8>, from index: Int, _ starts: UnsafeBufferPointer<UInt8>
    ) -> Int {
        var index = index
        while index < bytes.count, starts[Int(bytes[index])] & Self.inWord != 0 { index += 1 }
        return index
    }
}
