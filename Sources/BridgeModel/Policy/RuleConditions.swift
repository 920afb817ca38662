import Foundation

/// What the gate may look at beyond who and what kind: where the item goes, its words, its attachments and
/// when it was sent.
public struct PolicyContent: Sendable, Hashable {
    public enum Place: Sendable, Hashable, CustomStringConvertible {
        /// Sent to people directly.
        case direct
        /// A line in a bridged room (its id in routes.toml).
        case room(String)

        public var description: String {
            switch self {
            case .direct: "direct"
            case .room(let id): "room:\(id)"
            }
        }
    }

    public struct AttachmentFacts: Sendable, Hashable {
        public var mediaType: String
        public var size: Int

        public init(mediaType: String, size: Int) {
            self.mediaType = mediaType
            self.size = size
        }

        /// `TYPE/SUBTYPE:BYTES`, as `bridged policy explain --attachment` and case files write it.
        public init?(spec: String) {
            guard let colon = spec.lastIndex(of: ":"), let size = Int(spec[spec.index(after: colon)...]), size >= 0 else { return nil }
            let type = String(spec[..<colon])
            guard type.split(separator: "/").count == 2 else { return nil }
            self.init(mediaType: type, size: size)
        }
    }

    /// An RFC 3339 time with its offset (`2026-12-07T09:30:00+01:00`, or `Z`), as `--at` and case files take it.
    public static func time(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }

    public var place: Place
    /// The plain-text body.
    public var text: String
    public var subject: String?
    /// The rich form of the body (HTML or Markdown source), searched too.
    public var richText: String?
    public var attachments: [AttachmentFacts]
    /// When the item was received by the gateway: time windows are judged by it, so a decision made again
    /// later (a policy change, a replay) judges the same moment.
    public var at: Date

    public init(
        place: Place = .direct, text: String = "", subject: String? = nil, richText: String? = nil,
        attachments: [AttachmentFacts] = [], at: Date = Date()
    ) {
        self.place = place
        self.text = text
        self.subject = subject
        self.richText = richText
        self.attachments = attachments
        self.at = at
    }

    public init(_ envelope: Envelope, place: Place) {
        self.init(
            place: place, text: envelope.body, subject: envelope.subject, richText: envelope.rich?.text,
            attachments: envelope.attachments.map { AttachmentFacts(mediaType: $0.mediaType, size: $0.size) },
            at: envelope.receivedAt
        )
    }
}

/// A rule's scope and conditions, compiled once when the policy is loaded. A rule matches only when every
/// condition it states holds; the values listed for one condition are alternatives (any one will do).
public struct RuleConditions: Sendable, Hashable {
    /// Where: `direct`, `room` (any bridged room) or `room:ID`. Empty: anywhere.
    public enum PlaceSelector: Sendable, Hashable, CustomStringConvertible {
        case direct
        case anyRoom
        case room(String)

        public init?(_ text: String) {
            switch text {
            case "direct": self = .direct
            case "room": self = .anyRoom
            default:
                guard text.hasPrefix("room:"), text.count > 5 else { return nil }
                self = .room(String(text.dropFirst(5)))
            }
        }

        func matches(_ place: PolicyContent.Place) -> Bool {
            switch (self, place) {
            case (.direct, .direct), (.anyRoom, .room): true
            case (.room(let id), .room(let other)): id == other
            default: false
            }
        }

        public var description: String {
            switch self {
            case .direct: "direct"
            case .anyRoom: "room"
            case .room(let id): "room:\(id)"
            }
        }
    }

    public var places: [PlaceSelector] = []
    /// Words and phrases anywhere in the subject, the body or its rich form.
    public var words: TermMatcher?
    /// The file some of ``words`` came from (read on every load; its bytes count in the policy revision).
    public var wordsFile: String?
    /// Patterns anywhere in the subject, the body or its rich form.
    public var patterns: [SafePattern] = []
    public var detectors: [ContentDetector] = []
    public var subjectWords: TermMatcher?
    public var subjectPatterns: [SafePattern] = []
    /// Some attachment's media type is one of these (`application/pdf`, `image/*`, `*/*`).
    public var attachmentTypes: [String] = []
    /// Some attachment is larger than this many bytes (with `attachmentTypes`: the same attachment).
    public var attachmentLargerThan: Int?
    /// The sender's identity was (true) or was not (false) proven by their protocol.
    public var authenticated: Bool?
    /// The item was received inside one of these windows.
    public var times: [TimeWindow] = []

    public init() {}

    public var isEmpty: Bool { self == RuleConditions() }

    /// True when some condition looks at the words of the item.
    public var inspectsContent: Bool {
        self.words != nil || !self.patterns.isEmpty || !self.detectors.isEmpty || self.subjectWords != nil
            || !self.subjectPatterns.isEmpty
    }

    /// The outcome of checking an item: whether every condition holds, and, when asked, what was found.
    public struct Outcome: Sendable, Hashable {
        public var holds: Bool
        /// Why it holds (what matched), or the first condition that does not, for `policy explain`.
        public var because: [String]
    }

    /// Checks every condition; `explain` asks for the reasons, which the decision path never builds.
    public func check(_ content: PolicyContent, senderAuthenticated: Bool, explain: Bool = false) -> Outcome {
        var because: [String] = []
        func fails(_ reason: @autoclosure () -> String) -> Outcome {
            Outcome(holds: false, because: explain ? [reason()] : [])
        }
        if !self.places.isEmpty, !self.places.contains(where: { $0.matches(content.place) }) {
            return fails("it is sent \(content.place), not \(self.places.map(\.description).joined(separator: " or "))")
        }
        if let authenticated, authenticated != senderAuthenticated {
            return fails(senderAuthenticated ? "the sender is authenticated" : "the sender is not authenticated")
        }
        if !self.times.isEmpty {
            guard let window = self.times.first(where: { $0.contains(content.at) }) else {
                return fails("it was sent \(self.times[0].local(content.at)), outside \(self.times.map(\.source).joined(separator: "; "))")
            }
            if explain { because.append("sent \(window.local(content.at)), inside \(window.source)") }
        }
        if self.attachmentLargerThan != nil || !self.attachmentTypes.isEmpty {
            let hit = content.attachments.first { attachment in
                (self.attachmentLargerThan.map { attachment.size > $0 } ?? true)
                    && (self.attachmentTypes.isEmpty || self.attachmentTypes.contains { Self.mediaType(attachment.mediaType, matches: $0) })
            }
            guard let hit else {
                var wanted: [String] = []
                if !self.attachmentTypes.isEmpty { wanted.append("of type \(self.attachmentTypes.joined(separator: " or "))") }
                if let limit = self.attachmentLargerThan { wanted.append("larger than \(limit) bytes") }
                return fails("no attachment \(wanted.joined(separator: " and "))")
            }
            if explain { because.append("attachment \(hit.mediaType), \(hit.size) bytes") }
        }
        let subject = content.subject ?? ""
        if let subjectWords {
            guard let match = subjectWords.firstMatch(in: subject) else { return fails("no listed word in the subject") }
            if explain { because.append("subject has \"\(match.term)\"") }
        }
        if !self.subjectPatterns.isEmpty {
            guard let pattern = self.subjectPatterns.first(where: { $0.matches(subject) }) else {
                return fails("the subject matches no listed pattern")
            }
            if explain { because.append("subject matches /\(pattern.source)/") }
        }
        // What `probe` finds first in the body, the subject or the rich body, in that order, skipping empty ones.
        let rich = content.richText ?? ""
        func firstInFields<Found>(_ probe: (String) -> Found?) -> Found? {
            if !content.text.isEmpty, let found = probe(content.text) { return found }
            if !subject.isEmpty, let found = probe(subject) { return found }
            if !rich.isEmpty, let found = probe(rich) { return found }
            return nil
        }
        func anyField(_ test: (String) -> Bool) -> Bool { firstInFields { test($0) ? true : nil } != nil }
        if let words {
            guard let match = firstInFields({ words.firstMatch(in: $0) }) else {
                return fails("no listed word in the text")
            }
            if explain { because.append("text has \"\(match.term)\"") }
        }
        if !self.patterns.isEmpty {
            guard let pattern = self.patterns.first(where: { pattern in anyField { pattern.matches($0) } }) else {
                return fails("the text matches no listed pattern")
            }
            if explain { because.append("text matches /\(pattern.source)/") }
        }
        if !self.detectors.isEmpty {
            guard let detector = self.detectors.first(where: { detector in anyField { detector.occurs(in: $0) } }) else {
                return fails("no \(self.detectors.map(\.noun).joined(separator: " or ")) in the text")
            }
            if explain { because.append("text has \(detector.label)") }
        }
        return Outcome(holds: true, because: because)
    }

    /// `image/*` matches every image type; `*/*` or `*` matches any; parameters (`; charset=…`) are ignored.
    static func mediaType(_ type: String, matches wanted: String) -> Bool {
        let bare = type.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        let wanted = wanted.lowercased()
        if wanted == "*" || wanted == "*/*" { return true }
        if wanted.hasSuffix("/*") { return bare.hasPrefix(String(wanted.dropLast(1))) }
        return bare == wanted
    }
}

extension ContentDetector {
    /// How explanations name what was found.
    public var label: String {
        switch self {
        case .card: "a payment card number"
        case .iban: "an IBAN"
        }
    }

    /// The same without its article: "no payment card number or IBAN in the text".
    public var noun: String {
        switch self {
        case .card: "payment card number"
        case .iban: "IBAN"
        }
    }
}
