/// `policy.toml` as written: the rules, before the policy gate compiles them.
public struct PolicyDocument: Sendable, Hashable {
    /// Whether a rule or barrier decides, or only says in the audit log what it would have decided.
    public enum Mode: String, Sendable, Hashable, CaseIterable {
        case enforce
        /// The decision is made as if the rule were absent; the `decided` record says what it would have
        /// changed ("would deny by …"). How a new rule is rolled out safely.
        case auditOnly = "audit-only"
    }

    /// An information barrier: nothing of any kind crosses between its two sides, in either direction,
    /// whatever an allow rule says.
    public struct Barrier: Sendable, Hashable {
        public var id: String
        /// Exactly two subjects, each `group:ORG/NAME` or `org:NAME`.
        public var between: [String]
        public var mode: Mode
        /// What the sender is told instead of the gateway's default sentence, or nothing when ``silent``.
        public var notice: DenyNotice
        public var description: String?

        public init(id: String, between: [String], mode: Mode = .enforce, notice: DenyNotice = .standard, description: String? = nil) {
            self.id = id
            self.between = between
            self.mode = mode
            self.notice = notice
            self.description = description
        }
    }

    public struct Rule: Sendable, Hashable {
        public enum Action: String, Sendable, Hashable, CaseIterable {
            case allow
            case deny
            /// Held for review when it would otherwise be allowed; a reviewer releases or rejects it.
            case quarantine
            /// What the rule's content conditions find is masked before the item is delivered.
            case redact
            /// The rule's ``Rule/disclaimer`` is appended before the item is delivered.
            case annotate
            /// A copy also goes to ``Rule/journalTo`` (a compliance mailbox, an archive spool).
            case journal
            /// Over ``Rule/rateLimit`` an item is denied; under it, the rule does not decide.
            case rateLimit = "rate_limit"

            /// Redact and annotate change what is delivered; they never decide whether it is.
            public var transforms: Bool { self == .redact || self == .annotate }
            /// Allow, deny and quarantine decide; the others act beside whatever decides.
            public var decides: Bool { self == .allow || self == .deny || self == .quarantine }
            /// Rules that change or copy messages and edits only.
            public var actsOnText: Bool { self.transforms || self == .journal }
        }

        /// The kinds a quarantine rule holds; it never matches others (a presence or receipt held for
        /// review would be stale when released).
        public static let quarantinableKinds: Set<EnvelopeKind> = [.message, .edit]
        /// The kinds a redact or annotate rule changes: the ones with text.
        public static let transformableKinds: Set<EnvelopeKind> = [.message, .edit]

        public var id: String
        public var action: Action
        /// Subjects: `org:NAME`, `group:ORG/NAME`, `domain:NAME` (`domain:*.NAME` for subdomains),
        /// `local@domain`, or `*`.
        public var from: [String]
        public var to: [String]
        /// Empty means every kind.
        public var kinds: Set<EnvelopeKind>
        /// Also applies with `from` and `to` swapped.
        public var bothWays: Bool
        /// An allow rule that also lets senders whose identity their protocol could not prove (email without
        /// aligned DKIM/SPF) cross org lines. Without it, such senders are denied across orgs.
        public var allowUnauthenticated: Bool
        public var mode: Mode
        /// Where the rule applies and what the item must hold (words, patterns, detectors, attachments,
        /// authentication, time); empty for a rule about who and what kind only.
        public var conditions: RuleConditions
        /// For a deny or quarantine rule: what the sender is told.
        public var notice: DenyNotice
        /// For an annotate rule: the text appended to what is delivered.
        public var disclaimer: String?
        /// For a journal rule: where the copy goes, and whether denied items are copied too.
        public var journalTo: Address?
        public var journalDenied: Bool
        /// For a rate_limit rule: the limit.
        public var rateLimit: RateLimit?
        public var description: String?

        public init(
            id: String,
            action: Action,
            from: [String],
            to: [String],
            kinds: Set<EnvelopeKind> = [],
            bothWays: Bool = false,
            allowUnauthenticated: Bool = false,
            mode: Mode = .enforce,
            conditions: RuleConditions = RuleConditions(),
            notice: DenyNotice = .standard,
            disclaimer: String? = nil,
            journalTo: Address? = nil,
            journalDenied: Bool = false,
            rateLimit: RateLimit? = nil,
            description: String? = nil
        ) {
            self.rateLimit = rateLimit
            self.disclaimer = disclaimer
            self.journalTo = journalTo
            self.journalDenied = journalDenied
            self.notice = notice
            self.mode = mode
            self.conditions = conditions
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

    /// What a sender denied (or whose item is held) by a rule or barrier is told.
    public enum DenyNotice: Sendable, Hashable {
        /// The gateway's own sentence ("… the gateway's policy does not allow it").
        case standard
        /// The operator's words (`notice_text`), in place of the gateway's reason.
        case text(String)
        /// Nobody is told (`silent = true`); the audit record still says what was denied and by what.
        case silent
    }

    /// An operator's label for this revision; the gate adds the file's digest.
    public var revision: String?
    public var rules: [Rule]
    public var barriers: [Barrier]

    public init(revision: String? = nil, rules: [Rule] = [], barriers: [Barrier] = []) {
        self.revision = revision
        self.rules = rules
        self.barriers = barriers
    }
}
