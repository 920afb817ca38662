/// An organization taking part in the federation.
public struct Organization: Sendable, Hashable {
    public var id: String
    public var displayName: String?
    /// Mail/XMPP/chat domains whose addresses belong to this org. A leading `*.` also matches subdomains.
    public var domains: [String]

    public init(id: String, displayName: String? = nil, domains: [String]) {
        self.id = id
        self.displayName = displayName
        self.domains = domains
    }
}

/// `orgs.toml`: the orgs, their domains and their groups; resolves an address to its org and groups.
public struct OrgDirectory: Sendable, Hashable {
    public private(set) var orgs: [String: Organization]
    /// By id, `ORG/NAME`.
    public private(set) var groups: [String: OrgGroup]
    private var exact: [String: String] = [:]
    private var suffixes: [(suffix: String, org: String)] = []
    private let membership: GroupMembership

    public init(_ orgs: [Organization], groups: [OrgGroup] = []) {
        self.orgs = Dictionary(orgs.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        self.groups = Dictionary(groups.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        self.membership = GroupMembership(self.groups)
        for org in orgs.sorted(by: { $0.id < $1.id }) {
            for domain in org.domains {
                if domain.hasPrefix("*.") {
                    self.suffixes.append((String(domain.dropFirst(1)), org.id))
                } else {
                    self.exact[domain] = org.id
                }
            }
        }
        // The longest suffix wins, so `*.eu.globex.test` can belong to another org than `*.globex.test`.
        self.suffixes.sort { $0.suffix.count > $1.suffix.count }
    }

    /// The org an address's domain belongs to, or nil for an unknown domain.
    public func org(ofDomain domain: String) -> String? {
        if let org = self.exact[domain] { return org }
        for entry in self.suffixes where domain.hasSuffix(entry.suffix) { return entry.org }
        return nil
    }

    public func org(of address: Address) -> String? { self.org(ofDomain: address.domain) }

    /// The ids of every group the address belongs to, directly or through included groups.
    public func groupIDs(of address: Address) -> Set<String> {
        self.groups.isEmpty ? [] : self.membership.groups(of: address)
    }

    /// The ids of `id` and every group it includes, directly or not.
    public func expand(group id: String) -> Set<String> {
        var result: Set<String> = []
        var stack = [id]
        while let next = stack.popLast() {
            guard result.insert(next).inserted else { continue }
            stack.append(contentsOf: self.groups[next]?.includes ?? [])
        }
        return result
    }

    public static func == (lhs: OrgDirectory, rhs: OrgDirectory) -> Bool { lhs.orgs == rhs.orgs && lhs.groups == rhs.groups }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.orgs)
        hasher.combine(self.groups)
    }
}
