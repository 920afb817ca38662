import Logging
import BridgeModel
import Crypto
import Foundation
import PolicyGate

/// Everything the router needs from one config snapshot: the compiled gate and the routes, indexed.
struct Routing: Sendable {
    let config: ConfigSnapshot
    let gate: PolicyGate
    /// org -> adapter that reaches its people.
    let reach: [String: String]
    /// (adapter, channel) -> room.
    let rooms: [ConversationRef: RoutesConfig.Room]
    /// adapter -> org it speaks for.
    let adapterOrgs: [String: String]
    /// Digest of every file in the config directory.
    let configRevision: String
    /// Each room member's audience, resolved to parties once per snapshot rather than once per line.
    private let audiences: [RoutesConfig.Room.Member: [(subject: String, party: Party)]]

    init(config: ConfigSnapshot) {
        self.config = config
        self.gate = PolicyGate(policy: config.policy, orgs: config.orgs, revision: Self.policyRevision(config))
        self.reach = Dictionary(config.routes.reach.map { ($0.org, $0.adapter) }, uniquingKeysWith: { first, _ in first })
        var rooms: [ConversationRef: RoutesConfig.Room] = [:]
        for room in config.routes.rooms {
            for member in room.members {
                rooms[ConversationRef(adapter: member.adapter, channel: member.channel)] = room
            }
        }
        self.rooms = rooms
        self.adapterOrgs = Dictionary(config.adapters.map { ($0.name, $0.org) }, uniquingKeysWith: { first, _ in first })
        self.configRevision = Self.configRevision(config)
        var audiences: [RoutesConfig.Room.Member: [(subject: String, party: Party)]] = [:]
        for member in config.routes.rooms.flatMap(\.members) {
            audiences[member] = Self.resolve(member, gate: self.gate, adapterOrgs: self.adapterOrgs)
        }
        self.audiences = audiences
    }

    /// Who a room line reaches through one member channel: each audience subject the member declares
    /// (`org:NAME`, `group:ORG/NAME` or a person), or else the org of the member's adapter.
    func audience(of member: RoutesConfig.Room.Member) -> [(subject: String, party: Party)] {
        self.audiences[member] ?? Self.resolve(member, gate: self.gate, adapterOrgs: self.adapterOrgs)
    }

    /// Every audience a line in `room` reaches, in member order, except the channel of the adapter it was
    /// written through.
    func audiences(ofRoom room: RoutesConfig.Room, via: String?) -> [(member: RoutesConfig.Room.Member, subject: String, party: Party)] {
        room.members.filter { $0.adapter != via }.flatMap { member in
            self.audience(of: member).map { (member, $0.subject, $0.party) }
        }
    }

    private static func resolve(
        _ member: RoutesConfig.Room.Member, gate: PolicyGate, adapterOrgs: [String: String]
    ) -> [(subject: String, party: Party)] {
        guard !member.audience.isEmpty else {
            let org = adapterOrgs[member.adapter]
            return [("org:\(org ?? "?")", Party(address: nil, org: org))]
        }
        return member.audience.map { ($0, gate.party(audience: $0)) }
    }

    /// `sha256:<12 hex>` of the whole directory, in file-name order.
    static func configRevision(_ config: ConfigSnapshot) -> String {
        var hasher = SHA256()
        for (name, contents) in config.files.sorted(by: { $0.key < $1.key }) {
            hasher.update(data: Array(name.utf8) + [0] + Array(contents.utf8) + [0])
        }
        return "sha256:" + hasher.finalize().hexString.prefix(12)
    }

    /// The operator's revision label, if any, plus the digest of `policy.toml` (and of `orgs.toml` and the
    /// groups' members files, which give subjects their meaning, and of the rules' words files).
    static func policyRevision(_ config: ConfigSnapshot) -> String {
        var hasher = SHA256()
        let membersFiles = Set(config.orgs.groups.values.compactMap(\.membersFile)).sorted()
        let wordsFiles = Set(config.policy.rules.compactMap(\.conditions.wordsFile)).sorted()
        for name in ["orgs.toml", "policy.toml"] + membersFiles + wordsFiles {
            hasher.update(data: Array(name.utf8) + [0] + Array((config.files[name] ?? "").utf8) + [0])
        }
        let digest = "sha256:" + hasher.finalize().hexString.prefix(12)
        return config.policy.revision.map { "\($0)@\(digest)" } ?? digest
    }
}

/// The current routing snapshot; a reload swaps it as one value.
actor RuntimeConfig {
    private(set) var routing: Routing
    /// Batches decided under a snapshot a `config-loaded` record had already superseded, and decided again.
    private(set) var staleBatches = 0

    init(_ routing: Routing) { self.routing = routing }

    func replace(with routing: Routing) { self.routing = routing }

    func noteStaleBatch() { self.staleBatches += 1 }
}
