/// `policy.toml` as written: the rules, before the policy gate compiles them.
public struct PolicyDocument: Sendable, Hashable {
    public struct Rule: Sendable, Hashable {
        public enum Action: String, Sendable, Hashable, CaseIterable {
            case allow
            case deny
        }

        public var id: String
        public var action: Action
        /// Subjects: `org:NAME`, `domain:NAME` (`domain:*.NAME` for subdomains), `local@domain`, or `*`.
        public var from: [String]
        public var to: [String]
        /// Empty means every kind.
        public var kinds: Set<EnvelopeKind>
        /// Also applies with `from` and `to` swapped.
        public var bothWays: Bool
        /// An allow rule that also lets senders whose identity their protocol could not prove (email without
        /// aligned DKIM/SPF) cross org lines. Without it, such senders are denied across orgs.
        public var allowUnauthenticated: Bool
        public var description: String?

        public init(
            id: String,
            action: Action,
            from: [String],
            to: [String],
            kinds: Set<EnvelopeKind> = [],
            bothWays: Bool = false,
            allowUnauthenticated: Bool = false,
            description: String? = nil
        ) {
            self.allowUnauthenticated = allowUnauthenticated
            self.id = id
            self.action = action
            self.from = from
            self.to = to
            self.kinds = kinds
            self.bothWays = bothWays
            self.description = description
        }
    }

    /// An operator's label for this revision; the gate adds the file's digest.
    public var revision: String?
    public var rules: [Rule]

    public init(revision: String? = nil, rules: [Rule] = []) {
        self.revision = revision
        self.rules = rules
    }
}
