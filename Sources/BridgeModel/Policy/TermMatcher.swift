/// A watch list of words and phrases, compiled once into one automaton (Aho–Corasick) that finds any of
/// them in a single pass over the text, however many there are.
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
    /// `transitions[state * classCount + class]`: the automaton's next state (failure links folded in),
    /// stored premultiplied by `classCount` so the scan needs no multiplication.
    private let transitions: [Int32]
    /// Whether some pattern ends in each state, by premultiplied state.
    private let accepting: [Bool]
    /// Byte → 1 when it leaves the start state (it can begin a term), else 0: between matches the scan skips
    /// the other bytes eight at a time instead of stepping the automaton.
    private let starts: [UInt8]
    /// For each state, the patterns that end there (its own and those of its failure chain).
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
        // Failure links, breadth first, folded into a full transition table.
        var transitions = [Int32](repeating: 0, count: trie.count * classCount)
        var failure = [Int](repeating: 0, count: trie.count)
        var queue: [Int] = []
        for cls in 0..<classCount {
            let child = trie[0][cls]
            if child >= 0 {
                transitions[cls] = child
                queue.append(Int(child))
            }
        }
        var head = 0
        while head < queue.count {
            let state = queue[head]
            head += 1
            outputs[state] += outputs[failure[state]]
            for cls in 0..<classCount {
                let child = trie[state][cls]
                if child >= 0 {
                    failure[Int(child)] = Int(transitions[failure[state] * classCount + cls])
                    transitions[state * classCount + cls] = child
                    queue.append(Int(child))
                } else {
                    transitions[state * classCount + cls] = transitions[failure[state] * classCount + cls]
                }
            }
        }
        self.classes = classes
        self.classCount = classCount
        self.transitions = transitions.map { $0 * Int32(classCount) }
        var accepting = [Bool](repeating: false, count: trie.count * classCount)
        for (state, found) in outputs.enumerated() where !found.isEmpty { accepting[state * classCount] = true }
        self.accepting = accepting
        self.starts = (0..<256).map { transitions[Int(classes[$0])] == 0 ? 0 : 1 }
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

    /// The first whole-word match in `text`, or nil.
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

    /// Runs the automaton; `found` returns false to stop.
    private func scan(_ bytes: UnsafeBufferPointer<UInt8>, _ found: (Match) -> Bool) {
        self.transitions.withUnsafeBufferPointer { table in
            self.classes.withUnsafeBufferPointer { classes in
                self.accepting.withUnsafeBufferPointer { accepting in
                    self.starts.withUnsafeBufferPointer { starts in
                        var state = 0
                        var index = 0
                        while index < bytes.count {
                            if state == 0 {
                                index = Self.nextStart(in: bytes, from: index, starts)
                                guard index < bytes.count else { return }
                            }
                            state = Int(table[state + Int(classes[Int(bytes[index])])])
                            index += 1
                            guard accepting[state] else { continue }
                            for patternIndex in self.outputs[state / self.classCount] {
                                let pattern = self.patterns[Int(patternIndex)]
                                let end = index
                                let start = end - pattern.length
                                if pattern.boundaryBefore, start > 0, ByteSet.isWordByte(bytes[start - 1]) { continue }
                                if pattern.boundaryAfter, end < bytes.count, ByteSet.isWordByte(bytes[end]) { continue }
                                if !found(Match(term: self.terms[pattern.term], range: start..<end)) { return }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The first index from `index` on whose byte can start a term, or the end of the text: with no term in
    /// progress, any other byte leaves the automaton in its start state, so it is skipped, eight at a time.
    @inline(__always)
    private static func nextStart(
        in bytes: UnsafeBufferPointer<UInt8>, from index: Int, _ starts: UnsafeBufferPointer<UInt8>
    ) -> Int {
        var index = index
        while index + 8 <= bytes.count {
            var any: UInt8 = 0
            for offset in 0..<8 { any |= starts[Int(bytes[index + offset])] }
            if any != 0 { break }
            index += 8
        }
        while index < bytes.count, starts[Int(bytes[index])] == 0 { index += 1 }
        return index
    }
}
