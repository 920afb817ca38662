import Foundation

/// One of an IT team's own policy test cases (`policy.d/tests/*.toml`, or files given to
/// `bridged policy test`): a question for the gate and the answer the team expects.
public struct PolicyCase: Sendable, Hashable {
    public enum Expectation: String, Sendable, Hashable, CaseIterable {
        case allow
        case deny
        /// Held for review by a quarantine rule.
        case quarantine
        /// For `would`: no audit-only rule would change the decision.
        case none
    }

    /// Where the case is written, for the report.
    public var file: String
    public var line: Int?
    public var name: String
    /// The sender's address.
    public var from: String
    /// A direct recipient: an address, `org:NAME` or `group:ORG/NAME`. Exactly one of `to` and `room`.
    public var to: String?
    /// A bridged room id from routes.toml: the line is decided for every member channel's audience.
    public var room: String?
    /// For a room: the adapter the line was written through; its own channel is not a destination.
    public var via: String?
    public var kind: EnvelopeKind
    public var text: String?
    public var subject: String?
    public var attachments: [PolicyContent.AttachmentFacts]
    /// When the item is sent (for time windows); nil: when the case runs.
    public var at: Date?
    public var authenticated: Bool
    public var expect: Expectation
    /// Rule ids that must all be among those that decided.
    public var rules: [String]
    /// What audit-only rules must say they would have decided (nil: not checked).
    public var would: Expectation?
    public var wouldRules: [String]
    /// Redact, annotate and journal rules that must all apply to the item.
    public var actions: [String]

    public init(
        file: String, line: Int? = nil, name: String, from: String, to: String? = nil, room: String? = nil,
        via: String? = nil, kind: EnvelopeKind = .message, text: String? = nil, subject: String? = nil,
        attachments: [PolicyContent.AttachmentFacts] = [], at: Date? = nil, authenticated: Bool = true,
        expect: Expectation, rules: [String] = [], would: Expectation? = nil, wouldRules: [String] = [], actions: [String] = []
    ) {
        self.file = file
        self.line = line
        self.name = name
        self.from = from
        self.to = to
        self.room = room
        self.via = via
        self.kind = kind
        self.text = text
        self.subject = subject
        self.attachments = attachments
        self.at = at
        self.authenticated = authenticated
        self.expect = expect
        self.rules = rules
        self.would = would
        self.wouldRules = wouldRules
        self.actions = actions
    }
}
