import Foundation

/// A group (segment) of one org's people, declared in `orgs.toml`: explicit members, address patterns,
/// other groups it includes, and optionally a members file (one address or pattern per line).
///
/// Its id is `ORG/NAME`; policy subjects name it `group:ORG/NAME`.
public struct OrgGroup: Sendable, Hashable {
    public var org: String
    public var name: String
    /// Addresses and patterns, from `members` and from the members file.
    public var members: [MemberPattern]
    /// Ids (`ORG/NAME`) of the groups whose members are members of this one.
    public var includes: [String]
    /// The members file, relative to the config directory, if any.
    public var membersFile: String?

    public var id: String { "\(self.org)/\(self.name)" }

    public init(org: String, name: String, members: [MemberPattern] = [], includes: [String] = [], membersFile: String? = nil) {
        self.org = org
        self.name = name
        self.members = members
        self.includes = includes
        self.membersFile = membersFile
    }
}

/// One line of a group's membership: an address, or a pattern over addresses.
///
/// Patterns are `LOCAL@DOMAIN` where `LOCAL` may contain `*` (any run of characters, compared with the
/// canonical local part) and `DOMAIN` is a domain or `*.NAME` (every subdomain of NAME, not NAME itself):
/// `*@research.acme.test`, `*@*.research.acme.test`, `trader-*@acme.test`.
public enum MemberPattern: Sendable, Hashable, CustomStringConvertible {
    case address(Address)
    /// `*@DOMAIN`
    case inDomain(String)
    /// `*@*.NAME`
    case underDomain(String)
    /// Any other pattern: local-part glob segments (split at `*`) and a domain or `*.NAME`.
    case glob(local: [String], domain: String, subdomains: Bool)

    /// Parses one member line; nil when it is neither an address nor a pattern.
    public init?(_ text: String) {
        if !text.contains("*") {
            guard let address = try? Address(parsing: text) else { return nil }
            self = .address(address)
            return
        }
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty else { return nil }
        var domain = parts[1].lowercased()
        let subdomains = domain.hasPrefix("*.")
        if subdomains { domain.removeFirst(2) }
        guard Address.isValidDomain(domain) else { return nil }
        let local = String(parts[0])
        if local == "*" {
            self = subdomains ? .underDomain(domain) : .inDomain(domain)
            return
        }
        // Every literal piece must itself be a valid local part, once lower-cased as comparisons are.
        let pieces = local.split(separator: "*", omittingEmptySubsequences: false).map { String($0) }
        for piece in pieces where !piece.isEmpty {
            guard let probe = try? Address(local: piece, domain: domain), probe.canonicalLocal == piece.lowercased() else {
                return nil
            }
        }
        self = .glob(local: pieces.map { $0.lowercased() }, domain: domain, subdomains: subdomains)
    }

    /// The domain this line's addresses are in (for the org check): the domain itself, or the parent of
    /// `*.NAME`.
    public var domain: String {
        switch self {
        case .address(let address): address.domain
        case .inDomain(let domain), .underDomain(let domain): domain
        case .glob(_, let domain, _): domain
        }
    }

    public var matchesSubdomains: Bool {
        switch self {
        case .underDomain: true
        case .glob(_, _, let subdomains): subdomains
        default: false
        }
    }

    public func matches(_ address: Address) -> Bool {
        switch self {
        case .address(let member): return member == address
        case .inDomain(let domain): return address.domain == domain
        case .underDomain(let parent): return address.domain.hasSuffix(".\(parent)")
        case .glob(let pieces, let domain, let subdomains):
            let domainMatches = subdomains ? address.domain.hasSuffix(".\(domain)") : address.domain == domain
            return domainMatches && Self.glob(pieces, matches: address.canonicalLocal)
        }
    }

    /// `pieces` is a pattern split at `*`: the first piece is a prefix, the last a suffix, the others must
    /// appear in order between them.
    static func glob(_ pieces: [String], matches text: String) -> Bool {
        guard let first = pieces.first, let last = pieces.last, pieces.count > 1 else { return pieces.first == text }
        guard text.hasPrefix(first) else { return false }
        var rest = text.dropFirst(first.count)
        for piece in pieces.dropFirst().dropLast() where !piece.isEmpty {
            guard let range = rest.range(of: piece) else { return false }
            rest = rest[range.upperBound...]
        }
        return rest.count >= last.count && rest.hasSuffix(last)
    }

    public var description: String {
        switch self {
        case .address(let address): address.description
        case .inDomain(let domain): "*@\(domain)"
        case .underDomain(let domain): "*@*.\(domain)"
        case .glob(let pieces, let domain, let subdomains): pieces.joined(separator: "*") + "@" + (subdomains ? "*." : "") + domain
        }
    }
}

/// Every group's membership compiled for lookup: which groups one address belongs to costs a few
/// dictionary lookups, whatever the number of groups and members (globs excepted, which are checked one by
/// one and should stay few).
struct GroupMembership: Sendable {
    private var exact: [String: Set<String>] = [:]
    private var domains: [String: Set<String>] = [:]
    /// `*@*.NAME` lines, by NAME.
    private var parents: [String: Set<String>] = [:]
    private var globs: [(pattern: MemberPattern, groups: Set<String>)] = []

    init(_ groups: [String: OrgGroup]) {
        // Each group's members count for it and for every group that includes it, directly or not.
        var includers: [String: Set<String>] = [:]
        for group in groups.values {
            for included in group.includes { includers[included, default: []].insert(group.id) }
        }
        func closure(_ id: String) -> Set<String> {
            var result: Set<String> = [id]
            var stack = [id]
            while let next = stack.popLast() {
                for parent in includers[next] ?? [] where result.insert(parent).inserted { stack.append(parent) }
            }
            return result
        }
        var globs: [MemberPattern: Set<String>] = [:]
        for group in groups.values {
            let owners = closure(group.id)
            for member in group.members {
                switch member {
                case .address(let address): self.exact[address.canonical, default: []].formUnion(owners)
                case .inDomain(let domain): self.domains[domain, default: []].formUnion(owners)
                case .underDomain(let domain): self.parents[domain, default: []].formUnion(owners)
                case .glob: globs[member, default: []].formUnion(owners)
                }
            }
        }
        self.globs = globs.map { ($0.key, $0.value) }.sorted { $0.pattern.description < $1.pattern.description }
    }

    func groups(of address: Address) -> Set<String> {
        var result = self.exact[address.canonical] ?? []
        if let byDomain = self.domains[address.domain] { result.formUnion(byDomain) }
        if !self.parents.isEmpty {
            // Each parent domain of the address: `a.b.c` has the parents `b.c` and `c`.
            var rest = Substring(address.domain)
            while let dot = rest.firstIndex(of: ".") {
                rest = rest[rest.index(after: dot)...]
                if let byParent = self.parents[String(rest)] { result.formUnion(byParent) }
            }
        }
        for entry in self.globs where entry.pattern.matches(address) { result.formUnion(entry.groups) }
        return result
    }
}
