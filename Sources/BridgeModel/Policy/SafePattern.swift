/// A regular expression in bridged's safe subset, matched in time linear in the text whatever the pattern.
///
/// The subset is what a policy needs and nothing that can blow up: literals, `.`, classes `[a-z0-9_-]` and
/// `[^…]`, `\d \D \w \W \s \S`, `\b \B`, `^ $` (start and end of the text), groups `(…)` and `(?:…)`,
/// alternation `|`, and the quantifiers `* + ? {n} {n,} {n,m}` (greedy, or lazy with a trailing `?`), with
/// `n, m ≤ 1000`. `(?i)` at the very start makes ASCII letters match either case. Back-references,
/// look-around, possessive quantifiers and Unicode properties are refused with a message saying so.
///
/// Matching runs a Pike VM over the UTF-8 bytes: each byte of the text is looked at once per instruction at
/// most, so no pattern can backtrack catastrophically, and no time limit is needed. `.` and negated classes
/// match one whole character; `\w` counts any non-ASCII character as a word character, as ``TermMatcher``
/// does for word boundaries.
public struct SafePattern: Sendable, Hashable, CustomStringConvertible {
    public struct Problem: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { self.message }
    }

    /// The largest compiled program accepted (instructions, after `{n,m}` is expanded).
    public static let maxInstructions = 10_000
    public static let maxRepeat = 1_000

    public let source: String
    let program: [Instruction]
    /// The bytes a match can start with, when that is not every byte: where no thread is alive, the
    /// search skips ahead to the next such byte instead of stepping the machine.
    let firstBytes: ByteSet?

    public var description: String { self.source }

    public static func == (lhs: SafePattern, rhs: SafePattern) -> Bool { lhs.source == rhs.source }
    public func hash(into hasher: inout Hasher) { hasher.combine(self.source) }

    public init(_ source: String) throws(Problem) {
        self.source = source
        var parser = Parser(Array(source.utf8))
        let tree = try parser.parse()
        var compiler = Compiler(caseInsensitive: parser.caseInsensitive)
        try compiler.emit(tree)
        compiler.program.append(.match)
        self.program = compiler.program
        self.firstBytes = Self.firstBytes(of: compiler.program)
    }

    /// The union of the sets reachable from the start without consuming a byte (assertions are passed
    /// through, so the set may be larger than needed, never smaller); nil when a match can be empty.
    static func firstBytes(of program: [Instruction]) -> ByteSet? {
        var set = ByteSet()
        var seen = Set<Int>()
        var stack = [0]
        while let pc = stack.popLast() {
            guard seen.insert(pc).inserted else { continue }
            switch program[pc] {
            case .set(let bytes): set.formUnion(bytes)
            case .split(let first, let second): stack += [first, second]
            case .jump(let target): stack.append(target)
            case .assert: stack.append(pc + 1)
            case .match: return nil
            }
        }
        return set
    }

    /// Whether the pattern matches anywhere in `text`.
    public func matches(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { self.firstMatch(in: $0, from: 0) != nil }
    }

    /// Every non-overlapping match, as byte ranges of `text`'s UTF-8, leftmost first.
    public func ranges(in text: String) -> [Range<Int>] {
        var text = text
        return text.withUTF8 { bytes in
            var found: [Range<Int>] = []
            var start = 0
            while start <= bytes.count, let range = self.firstMatch(in: bytes, from: start) {
                found.append(range)
                start = range.isEmpty ? range.upperBound + 1 : range.upperBound
            }
            return found
        }
    }

    /// The leftmost match at or after `from` (the first alternative preferred, as Perl and RE2 do).
    public func firstMatch(in text: UnsafeBufferPointer<UInt8>, from: Int) -> Range<Int>? {
        var current = ThreadList(capacity: self.program.count)
        var next = ThreadList(capacity: self.program.count)
        var stack: [(pc: Int, start: Int)] = []
        var found: Range<Int>? = nil
        var position = from
        while true {
            if found == nil {
                if current.isEmpty, let first = self.firstBytes {
                    while position < text.count, !first.contains(text[position]) { position += 1 }
                    if position == text.count { break }
                }
                self.add(pc: 0, start: position, at: position, text: text, to: &current, stack: &stack)
            }
            if current.isEmpty, found != nil { break }
            next.clear()
            var index = 0
            step: while index < current.count {
                let (pc, start) = current.threads[index]
                index += 1
                switch self.program[pc] {
                case .set(let set):
                    if position < text.count, set.contains(text[position]) {
                        self.add(pc: pc + 1, start: start, at: position + 1, text: text, to: &next, stack: &stack)
                    }
                case .match:
                    found = start..<position
                    // Threads after this one have lower priority: they are cut.
                    break step
                case .split, .jump, .assert:
                    break  // followed when the thread was added
                }
            }
            if position >= text.count { break }
            swap(&current, &next)
            position += 1
        }
        return found
    }

    /// Adds a thread and everything reachable from it without consuming a byte, in priority order.
    private func add(
        pc: Int, start: Int, at position: Int, text: UnsafeBufferPointer<UInt8>, to list: inout ThreadList,
        stack: inout [(pc: Int, start: Int)]
    ) {
        stack.append((pc, start))
        while let (pc, start) = stack.popLast() {
            guard list.mark(pc) else { continue }
            switch self.program[pc] {
            case .jump(let target):
                stack.append((target, start))
            case .split(let first, let second):
                stack.append((second, start))
                stack.append((first, start))
            case .assert(let assertion):
                if assertion.holds(at: position, in: text) { stack.append((pc + 1, start)) }
            case .set, .match:
                list.threads.append((pc, start))
            }
        }
    }

    // MARK: - Program

    enum Instruction: Sendable {
        case set(ByteSet)
        case split(Int, Int)
        case jump(Int)
        case assert(Assertion)
        case match
    }

    enum Assertion: Sendable {
        case textStart
        case textEnd
        case wordBoundary
        case notWordBoundary

        func holds(at position: Int, in text: UnsafeBufferPointer<UInt8>) -> Bool {
            switch self {
            case .textStart: return position == 0
            case .textEnd: return position == text.count
            case .wordBoundary, .notWordBoundary:
                let before = position > 0 && ByteSet.isWordByte(text[position - 1])
                let after = position < text.count && ByteSet.isWordByte(text[position])
                return (before != after) == (self == .wordBoundary)
            }
        }
    }

    struct ThreadList {
        var threads: [(pc: Int, start: Int)] = []
        var seen: [UInt32]
        var generation: UInt32 = 1

        init(capacity: Int) {
            self.seen = Array(repeating: 0, count: capacity)
            self.threads.reserveCapacity(capacity)
        }

        var isEmpty: Bool { self.threads.isEmpty }
        var count: Int { self.threads.count }

        /// False when `pc` is already on the list for this step.
        mutating func mark(_ pc: Int) -> Bool {
            if self.seen[pc] == self.generation { return false }
            self.seen[pc] = self.generation
            return true
        }

        mutating func clear() {
            self.threads.removeAll(keepingCapacity: true)
            self.generation &+= 1
            if self.generation == 0 {
                for index in self.seen.indices { self.seen[index] = 0 }
                self.generation = 1
            }
        }
    }

    // MARK: - Syntax tree

    indirect enum Node {
        case empty
        /// One byte from a set.
        case set(ByteSet)
        /// One character: an ASCII byte from `ascii`, or (when `nonASCII`) any non-ASCII character.
        case character(ascii: ByteSet, nonASCII: Bool)
        case sequence([Node])
        case alternation([Node])
        case repeated(Node, min: Int, max: Int?, greedy: Bool)
        case assert(Assertion)
    }

    struct Parser {
        let bytes: [UInt8]
        var position = 0
        var caseInsensitive = false

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        func problem(_ message: String) -> Problem {
            Problem(message: "\(message) (at byte \(self.position + 1); the safe subset is described in docs/policy.md)")
        }

        var peek: UInt8? { self.position < self.bytes.count ? self.bytes[self.position] : nil }

        mutating func parse() throws(Problem) -> Node {
            if self.bytes.starts(with: Array("(?i)".utf8)) {
                self.caseInsensitive = true
                self.position = 4
            }
            if self.bytes.isEmpty { throw Problem(message: "an empty pattern matches everything") }
            let node = try self.alternation()
            if self.position < self.bytes.count { throw self.problem("unbalanced )") }
            return node
        }

        mutating func alternation() throws(Problem) -> Node {
            var branches = [try self.sequence()]
            while self.peek == UInt8(ascii: "|") {
                self.position += 1
                branches.append(try self.sequence())
            }
            return branches.count == 1 ? branches[0] : .alternation(branches)
        }

        mutating func sequence() throws(Problem) -> Node {
            var items: [Node] = []
            while let byte = self.peek, byte != UInt8(ascii: "|"), byte != UInt8(ascii: ")") {
                var atom = try self.atom()
                while let quantifier = try self.quantifier() {
                    if case .assert = atom { throw self.problem("an anchor or \\b cannot be repeated") }
                    atom = .repeated(atom, min: quantifier.min, max: quantifier.max, greedy: quantifier.greedy)
                }
                items.append(atom)
            }
            return items.count == 1 ? items[0] : (items.isEmpty ? .empty : .sequence(items))
        }

        mutating func quantifier() throws(Problem) -> (min: Int, max: Int?, greedy: Bool)? {
            guard let byte = self.peek else { return nil }
            var bounds: (Int, Int?)
            switch byte {
            case UInt8(ascii: "*"): bounds = (0, nil)
            case UInt8(ascii: "+"): bounds = (1, nil)
            case UInt8(ascii: "?"): bounds = (0, 1)
            case UInt8(ascii: "{"):
                guard let parsed = try self.braces() else { return nil }
                bounds = parsed
            default: return nil
            }
            if byte != UInt8(ascii: "{") { self.position += 1 }
            var greedy = true
            if self.peek == UInt8(ascii: "?") {
                greedy = false
                self.position += 1
            } else if self.peek == UInt8(ascii: "+") {
                throw self.problem("possessive quantifiers are not in the safe subset")
            }
            return (bounds.0, bounds.1, greedy)
        }

        /// `{n}`, `{n,}` or `{n,m}`; nil (a literal `{`) when what follows is not a count.
        mutating func braces() throws(Problem) -> (Int, Int?)? {
            var cursor = self.position + 1
            func number() -> Int? {
                var value: Int? = nil
                while cursor < self.bytes.count, self.bytes[cursor] >= 0x30, self.bytes[cursor] <= 0x39 {
                    value = (value ?? 0) * 10 + Int(self.bytes[cursor] - 0x30)
                    if value! > 100_000 { value = 100_000 }
                    cursor += 1
                }
                return value
            }
            guard let low = number() else { return nil }
            var high: Int? = low
            if cursor < self.bytes.count, self.bytes[cursor] == UInt8(ascii: ",") {
                cursor += 1
                high = number()
            }
            guard cursor < self.bytes.count, self.bytes[cursor] == UInt8(ascii: "}") else { return nil }
            self.position = cursor + 1
            if low > SafePattern.maxRepeat || (high ?? 0) > SafePattern.maxRepeat {
                throw self.problem("a count above \(SafePattern.maxRepeat) is not in the safe subset")
            }
            if let high, high < low { throw self.problem("{\(low),\(high)}: the upper bound is below the lower") }
            return (low, high)
        }

        mutating func atom() throws(Problem) -> Node {
            let byte = self.bytes[self.position]
            self.position += 1
            switch byte {
            case UInt8(ascii: "("):
                if self.peek == UInt8(ascii: "?") {
                    let rest = self.bytes[self.position...]
                    if rest.starts(with: Array("?:".utf8)) {
                        self.position += 2
                    } else if rest.starts(with: Array("?=".utf8)) || rest.starts(with: Array("?!".utf8))
                        || rest.starts(with: Array("?<=".utf8)) || rest.starts(with: Array("?<!".utf8))
                    {
                        throw self.problem("look-around is not in the safe subset")
                    } else if rest.starts(with: Array("?i)".utf8)) {
                        throw self.problem("(?i) is allowed only at the very start of the pattern")
                    } else {
                        throw self.problem("this (? group is not in the safe subset; use (?:…)")
                    }
                }
                let inner = try self.alternation()
                guard self.peek == UInt8(ascii: ")") else { throw self.problem("missing )") }
                self.position += 1
                return inner
            case UInt8(ascii: ")"):
                throw self.problem("unbalanced )")
            case UInt8(ascii: "["):
                return try self.characterClass()
            case UInt8(ascii: "."):
                var ascii = ByteSet.allASCII
                ascii.remove(UInt8(ascii: "\n"))
                return .character(ascii: ascii, nonASCII: true)
            case UInt8(ascii: "^"):
                return .assert(.textStart)
            case UInt8(ascii: "$"):
                return .assert(.textEnd)
            case UInt8(ascii: "\\"):
                return try self.escape(inClass: false)
            case UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "?"):
                throw self.problem("a quantifier needs something before it to repeat")
            default:
                return .set(ByteSet([byte]))
            }
        }

        mutating func escape(inClass: Bool) throws(Problem) -> Node {
            guard let byte = self.peek else { throw self.problem("a trailing backslash escapes nothing") }
            self.position += 1
            switch byte {
            case UInt8(ascii: "d"): return .character(ascii: .digits, nonASCII: false)
            case UInt8(ascii: "D"): return .character(ascii: ByteSet.digits.asciiComplement, nonASCII: true)
            case UInt8(ascii: "w"): return .character(ascii: .asciiWord, nonASCII: true)
            case UInt8(ascii: "W"): return .character(ascii: ByteSet.asciiWord.asciiComplement, nonASCII: false)
            case UInt8(ascii: "s"): return .character(ascii: .space, nonASCII: false)
            case UInt8(ascii: "S"): return .character(ascii: ByteSet.space.asciiComplement, nonASCII: true)
            case UInt8(ascii: "b") where !inClass: return .assert(.wordBoundary)
            case UInt8(ascii: "B") where !inClass: return .assert(.notWordBoundary)
            case UInt8(ascii: "n"): return .set(ByteSet([0x0A]))
            case UInt8(ascii: "r"): return .set(ByteSet([0x0D]))
            case UInt8(ascii: "t"): return .set(ByteSet([0x09]))
            case UInt8(ascii: "x"):
                guard self.position + 2 <= self.bytes.count,
                    let value = UInt8(String(decoding: self.bytes[self.position..<self.position + 2], as: UTF8.self), radix: 16),
                    value < 0x80
                else { throw self.problem("\\x takes two hex digits of an ASCII character") }
                self.position += 2
                return .set(ByteSet([value]))
            case 0x31...0x39:
                throw self.problem("back-references are not in the safe subset")
            case UInt8(ascii: "p"), UInt8(ascii: "P"):
                throw self.problem("Unicode property classes are not in the safe subset")
            default:
                let isLetterOrDigit = ByteSet.asciiWord.contains(byte)
                if isLetterOrDigit || byte >= 0x80 { throw self.problem("unknown escape \\\(Character(Unicode.Scalar(byte)))") }
                return .set(ByteSet([byte]))
            }
        }

        mutating func characterClass() throws(Problem) -> Node {
            var negated = false
            if self.peek == UInt8(ascii: "^") {
                negated = true
                self.position += 1
            }
            var ascii = ByteSet()
            var nonASCII = false
            var first = true
            while true {
                guard let byte = self.peek else { throw self.problem("missing ]") }
                if byte == UInt8(ascii: "]"), !first {
                    self.position += 1
                    break
                }
                first = false
                var low: UInt8
                if byte == UInt8(ascii: "\\") {
                    self.position += 1
                    switch try self.escape(inClass: true) {
                    case .set(let set) where set.count == 1: low = set.first!
                    case .character(let set, let wide):
                        ascii.formUnion(set)
                        nonASCII = nonASCII || wide
                        continue
                    default: throw self.problem("this escape cannot be part of a class")
                    }
                } else if byte >= 0x80 {
                    throw self.problem("a class holds ASCII characters only; write a non-ASCII character outside it, as (é|è)")
                } else {
                    low = byte
                    self.position += 1
                }
                if self.peek == UInt8(ascii: "-"), self.position + 1 < self.bytes.count,
                    self.bytes[self.position + 1] != UInt8(ascii: "]")
                {
                    self.position += 1
                    var high = self.bytes[self.position]
                    if high == UInt8(ascii: "\\") {
                        self.position += 1
                        guard case .set(let set) = try self.escape(inClass: true), set.count == 1 else {
                            throw self.problem("a range ends in one character")
                        }
                        high = set.first!
                    } else {
                        self.position += 1
                    }
                    guard high < 0x80 else { throw self.problem("a class holds ASCII characters only") }
                    guard low <= high else { throw self.problem("the range is backwards") }
                    for value in low...high { ascii.insert(value) }
                } else {
                    ascii.insert(low)
                }
            }
            if self.caseInsensitive { ascii = ascii.caseFolded }
            return negated ? .character(ascii: ascii.asciiComplement, nonASCII: !nonASCII) : .character(ascii: ascii, nonASCII: nonASCII)
        }
    }

    struct Compiler {
        let caseInsensitive: Bool
        var program: [Instruction] = []

        func folded(_ set: ByteSet) -> ByteSet {
            self.caseInsensitive ? set.caseFolded : set
        }

        mutating func append(_ instruction: Instruction) throws(Problem) {
            guard self.program.count < SafePattern.maxInstructions else {
                throw Problem(message: "the pattern is too large once its counts are expanded (over \(SafePattern.maxInstructions) steps)")
            }
            self.program.append(instruction)
        }

        mutating func emit(_ node: Node) throws(Problem) {
            switch node {
            case .empty:
                break
            case .set(let set):
                try self.append(.set(self.folded(set)))
            case .character(let ascii, let nonASCII):
                guard nonASCII else {
                    try self.append(.set(self.folded(ascii)))
                    return
                }
                // An ASCII byte from the set, or one whole multi-byte UTF-8 character.
                let continuation = ByteSet(0x80...0xBF)
                try self.emit(
                    .alternation([
                        .set(ascii),
                        .sequence([.set(ByteSet(0xC2...0xDF)), .set(continuation)]),
                        .sequence([.set(ByteSet(0xE0...0xEF)), .set(continuation), .set(continuation)]),
                        .sequence([.set(ByteSet(0xF0...0xF4)), .set(continuation), .set(continuation), .set(continuation)]),
                    ])
                )
            case .sequence(let items):
                for item in items { try self.emit(item) }
            case .alternation(let branches):
                var jumps: [Int] = []
                for (index, branch) in branches.enumerated() {
                    if index < branches.count - 1 {
                        let split = self.program.count
                        try self.append(.split(split + 1, -1))
                        try self.emit(branch)
                        jumps.append(self.program.count)
                        try self.append(.jump(-1))
                        self.program[split] = .split(split + 1, self.program.count)
                    } else {
                        try self.emit(branch)
                    }
                }
                for jump in jumps { self.program[jump] = .jump(self.program.count) }
            case .repeated(let inner, let min, let max, let greedy):
                for _ in 0..<min { try self.emit(inner) }
                if let max {
                    // Each optional copy: split over it, nested so that stopping early skips the rest.
                    var splits: [Int] = []
                    for _ in min..<max {
                        splits.append(self.program.count)
                        try self.append(.split(-1, -1))
                        try self.emit(inner)
                    }
                    let end = self.program.count
                    for split in splits { self.program[split] = greedy ? .split(split + 1, end) : .split(end, split + 1) }
                } else {
                    let split = self.program.count
                    try self.append(.split(-1, -1))
                    try self.emit(inner)
                    try self.append(.jump(split))
                    let end = self.program.count
                    self.program[split] = greedy ? .split(split + 1, end) : .split(end, split + 1)
                }
            case .assert(let assertion):
                try self.append(.assert(assertion))
            }
        }
    }
}

/// A set of bytes, as four 64-bit words.
struct ByteSet: Sendable, Hashable {
    var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    init() {}

    init(_ bytes: some Sequence<UInt8>) {
        for byte in bytes { self.insert(byte) }
    }

    init(_ range: ClosedRange<UInt8>) {
        for byte in range { self.insert(byte) }
    }

    static func == (lhs: ByteSet, rhs: ByteSet) -> Bool { lhs.words == rhs.words }
    func hash(into hasher: inout Hasher) {
        hasher.combine(self.words.0)
        hasher.combine(self.words.1)
        hasher.combine(self.words.2)
        hasher.combine(self.words.3)
    }

    @inline(__always)
    func contains(_ byte: UInt8) -> Bool {
        let bit = UInt64(1) << UInt64(byte & 63)
        switch byte >> 6 {
        case 0: return self.words.0 & bit != 0
        case 1: return self.words.1 & bit != 0
        case 2: return self.words.2 & bit != 0
        default: return self.words.3 & bit != 0
        }
    }

    mutating func insert(_ byte: UInt8) {
        let bit = UInt64(1) << UInt64(byte & 63)
        switch byte >> 6 {
        case 0: self.words.0 |= bit
        case 1: self.words.1 |= bit
        case 2: self.words.2 |= bit
        default: self.words.3 |= bit
        }
    }

    mutating func remove(_ byte: UInt8) {
        let bit = ~(UInt64(1) << UInt64(byte & 63))
        switch byte >> 6 {
        case 0: self.words.0 &= bit
        case 1: self.words.1 &= bit
        case 2: self.words.2 &= bit
        default: self.words.3 &= bit
        }
    }

    mutating func formUnion(_ other: ByteSet) {
        self.words = (self.words.0 | other.words.0, self.words.1 | other.words.1, self.words.2 | other.words.2, self.words.3 | other.words.3)
    }

    var count: Int {
        self.words.0.nonzeroBitCount + self.words.1.nonzeroBitCount + self.words.2.nonzeroBitCount + self.words.3.nonzeroBitCount
    }

    var first: UInt8? { (0...255).lazy.map { UInt8($0) }.first { self.contains($0) } }

    /// This set with both cases of every ASCII letter it holds.
    var caseFolded: ByteSet {
        var result = self
        for byte in UInt8(ascii: "a")...UInt8(ascii: "z") where self.contains(byte) || self.contains(byte - 32) {
            result.insert(byte)
            result.insert(byte - 32)
        }
        return result
    }

    /// The ASCII bytes not in this set.
    var asciiComplement: ByteSet {
        var result = ByteSet()
        result.words = (~self.words.0, ~self.words.1, 0, 0)
        return result
    }

    static let allASCII = ByteSet(0...0x7F)
    static let digits = ByteSet(UInt8(ascii: "0")...UInt8(ascii: "9"))
    static let asciiWord: ByteSet = {
        var set = ByteSet(UInt8(ascii: "a")...UInt8(ascii: "z"))
        set.formUnion(ByteSet(UInt8(ascii: "A")...UInt8(ascii: "Z")))
        set.formUnion(.digits)
        set.insert(UInt8(ascii: "_"))
        return set
    }()
    static let space = ByteSet([0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D])

    /// A byte of a word: an ASCII letter, digit or underscore, or any byte of a non-ASCII character.
    @inline(__always)
    static func isWordByte(_ byte: UInt8) -> Bool {
        byte >= 0x80 || asciiWord.contains(byte)
    }
}
