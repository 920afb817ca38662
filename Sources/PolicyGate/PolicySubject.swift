import BridgeModel

/// A compiled rule subject.
enum PolicySubject: Hashable, Sendable {
    case anyone
    case org(String)
    case domain(String)
    /// `domain:*.NAME`: every subdomain of NAME.
    case subdomains(of: String)
    case address(Address)
    /// `group:ORG/NAME`, by id.
    case group(String)

    init?(_ text: String) {
        if text == "*" {
            self = .anyone
        } else if text.hasPrefix("group:") {
            self = .group(String(text.dropFirst(6)))
        } else if text.hasPrefix("org:") {
            self = .org(String(text.dropFirst(4)))
        } else if text.hasPrefix("domain:") {
            let domain = String(text.dropFirst(7)).lowercased()
            self = domain.hasPrefix("*.") ? .subdomains(of: String(domain.dropFirst(2))) : .domain(domain)
        } else if let address = try? Address(parsing: text) {
            self = .address(address)
        } else {
            return nil
        }
    }

    func matches(_ party: Party) -> Bool {
        switch self {
        case .anyone: return true
        case .org(let org): return party.org == org
        case .domain(let domain): return party.address?.domain == domain
        case .subdomains(let parent): return party.address?.domain.hasSuffix(".\(parent)") ?? false
        case .address(let address): return party.address == address
        case .group(let id): return party.groups.contains(id)
        }
    }

    /// The index bucket: the one org this subject can match, or the wildcard bucket when it may match several.
    func bucket(in orgs: OrgDirectory) -> String {
        switch self {
        case .anyone, .subdomains: return PolicyIndex.wildcard
        case .org(let org): return org
        case .domain(let domain): return orgs.org(ofDomain: domain) ?? PolicyIndex.unknownOrg
        case .address(let address): return orgs.org(of: address) ?? PolicyIndex.unknownOrg
        case .group(let id): return orgs.groups[id]?.org ?? PolicyIndex.unknownOrg
        }
    }
}
