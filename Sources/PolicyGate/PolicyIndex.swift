import BridgeModel

/// Rules bucketed by (sender org, recipient org), so a decision looks at the rules that can concern that
/// pair of orgs and never walks the whole rule list: cost does not grow with unrelated rules.
struct PolicyIndex: Sendable {
    static let wildcard = "*"
    static let unknownOrg = "?"

    /// One direction of one rule.
    struct Entry: Sendable {
        /// Index of the rule (or barrier) in its list.
        var rule: Int
        var from: [PolicySubject]
        var to: [PolicySubject]
    }

    /// The entries filed under one sender bucket: by recipient org, and under the wildcard.
    private struct Row: Sendable {
        var byOrg: [String: [Int]] = [:]
        var anyOrg: [Int] = []

        mutating func insert(_ serial: Int, to bucket: String) {
            if bucket == PolicyIndex.wildcard {
                self.anyOrg.append(serial)
            } else {
                self.byOrg[bucket, default: []].append(serial)
            }
        }
    }

    /// Every rule direction, in insertion (rule) order; buckets hold positions in it.
    private var entries: [Entry] = []
    private var rows: [String: Row] = [:]
    private var anyRow = Row()

    /// Files one rule direction under every (sender bucket, recipient bucket) its subjects can match.
    mutating func insert(_ entry: Entry, orgs: OrgDirectory) {
        let serial = self.entries.count
        self.entries.append(entry)
        let fromBuckets = Set(entry.from.map { $0.bucket(in: orgs) })
        let toBuckets = Set(entry.to.map { $0.bucket(in: orgs) })
        for from in fromBuckets {
            for to in toBuckets {
                if from == Self.wildcard {
                    self.anyRow.insert(serial, to: to)
                } else {
                    self.rows[from, default: Row()].insert(serial, to: to)
                }
            }
        }
    }

    /// Every entry that may match the pair, each rule direction once, in rule order.
    func candidates(from: Party, to: Party) -> Candidates {
        // An empty index (a policy without barriers) or row hashes no key.
        guard !self.entries.isEmpty else { return Candidates(entries: [], lists: ([], [], [], [])) }
        let toKey = to.org ?? Self.unknownOrg
        let row = self.rows.isEmpty ? nil : self.rows[from.org ?? Self.unknownOrg]
        return Candidates(
            entries: self.entries,
            lists: (
                row.flatMap { $0.byOrg.isEmpty ? nil : $0.byOrg[toKey]?[...] } ?? [], row?.anyOrg[...] ?? [],
                self.anyRow.byOrg.isEmpty ? [] : self.anyRow.byOrg[toKey]?[...] ?? [], self.anyRow.anyOrg[...]
            )
        )
    }

    /// The entries of at most four buckets (the pair's orgs and the wildcards), merged in rule order as
    /// they are read: nothing is copied or sorted.
    struct Candidates: Sequence, IteratorProtocol {
        let entries: [Entry]
        /// Each bucket's entries not yet read, in ascending order; one entry may be in several.
        var lists: (ArraySlice<Int>, ArraySlice<Int>, ArraySlice<Int>, ArraySlice<Int>)

        mutating func next() -> Entry? {
            let serial = Swift.min(
                self.lists.0.first ?? .max, self.lists.1.first ?? .max, self.lists.2.first ?? .max,
                self.lists.3.first ?? .max
            )
            guard serial != .max else { return nil }
            Self.drop(serial, from: &self.lists.0)
            Self.drop(serial, from: &self.lists.1)
            Self.drop(serial, from: &self.lists.2)
            Self.drop(serial, from: &self.lists.3)
            return self.entries[serial]
        }

        private static func drop(_ serial: Int, from list: inout ArraySlice<Int>) {
            if list.first == serial { list.removeFirst() }
        }
    }
}
