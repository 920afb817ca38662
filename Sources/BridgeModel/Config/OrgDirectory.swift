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

/// `orgs.toml`: the orgs and their domains; resolves an address to its org.
public struct OrgDirectory: Sendable, Hashable {
    public private(set) var orgs: [String: Organization]
    private var exact: [String: String] = [:]
    private var suffixes: [(suffix: String, org: String)] = []

    public init(_ orgs: [Organization]) {
        self.orgs = Dictionary(orgs.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
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

    public static func == (lhs: OrgDirectory, rhs: OrgDirectory) -> Bool { lhs.orgs == rhs.orgs }

    public func hash(into hasher: inout Hasher) { hasher.combine(self.orgs) }
}
