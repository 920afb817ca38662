import BridgeModel

/// Rules bucketed by (sender org, recipient org), so a decision looks at the rules that can concern that
/// pair of orgs and never walks the whole rule list: cost does not grow with unrelated rules.
struct PolicyIndex: Sendable {
    static let wildcard = "*"
    static let unknownOrg = "?"

    /// One direction of one rule.
    struct Entry: Sendable {
        /// Unique per rule direction.
        var serial: Int
        /// Index of the rule (or barrier) in its list.
        var rule: Int
        var from: [PolicySubject]
        var to: [PolicySubject]
    }

    private var buckets: [String: [String: [Entry]]] = [:]

    mutating func insert(_ entry: Entry, orgs: OrgDirectory) {
        let fromBuckets = Set(entry.from.map { $0.bucket(in: orgs) })
        let toBuckets = Set(entry.to.map { $0.bucket(in: orgs) })
        for from in fromBuckets {
            for to in toBuckets {
                self.buckets[from, default: [:]][to, default: []].append(entry)
            }
        }
    }

    /// Every entry that may match the pair, each rule direction once, in rule order.
    func candidates(from: Party, to: Party) -> [Entry] {
        let fromKeys = [from.org ?? Self.unknownOrg, Self.wildcard]
        let toKeys = [to.org ?? Self.unknownOrg, Self.wildcard]
        var result: [Entry] = []
        var seen: Set<Int> = []
        for fromKey in Set(fromKeys) {
            guard let row = self.buckets[fromKey] else { continue }
            for toKey in Set(toKeys) {
                for entry in row[toKey] ?? [] where seen.insert(entry.serial).inserted {
                    result.append(entry)
                }
            }
        }
        return result.sorted { $0.serial < $1.serial }
    }
}
