/// The record format's bytes, written directly: one JSON object, keys sorted, nil fields omitted, `/` not
/// escaped — the same bytes `JSONEncoder` with `.sortedKeys` and `.withoutEscapingSlashes` produces (a test
/// holds the two equal), at a fraction of its cost on the append path.
extension AuditEvent {
    func canonicalJSON(into out: inout [UInt8]) {
        var object = JSONMembers.open(&out)
        object.string("adapter", self.adapter, &out)
        object.strings("annotated", self.annotated, &out)
        object.string("at", self.at, &out)
        object.int("attempt", self.attempt.map(Int64.init), &out)
        object.string("body", self.body, &out)
        object.string("body_sha256", self.body_sha256, &out)
        object.string("config_revision", self.config_revision, &out)
        object.string("content_sha256", self.content_sha256, &out)
        object.int("count", self.count.map(Int64.init), &out)
        if let decision = self.decision {
            object.key("decision", &out)
            var inner = JSONMembers.open(&out)
            inner.string("effect", decision.effect, &out)
            inner.string("reason", decision.reason, &out)
            inner.string("revision", decision.revision, &out)
            inner.strings("rules", decision.rules, &out)
            inner.bool("silent", decision.silent, &out)
            inner.strings("transforms", decision.transforms, &out)
            if let would = decision.would {
                inner.key("would", &out)
                var innermost = JSONMembers.open(&out)
                innermost.string("effect", would.effect, &out)
                innermost.strings("rules", would.rules, &out)
                innermost.close(&out)
            }
            inner.close(&out)
        }
        object.string("detail", self.detail, &out)
        object.string("envelope", self.envelope, &out)
        object.string("event", self.event.rawValue, &out)
        object.string("from", self.from, &out)
        object.int("held", self.held, &out)
        object.strings("held_rules", self.held_rules, &out)
        object.bool("journal", self.journal, &out)
        object.string("key_id", self.key_id, &out)
        object.string("kind", self.kind, &out)
        object.string("native_id", self.native_id, &out)
        object.string("operator", self.operator, &out)
        object.string("origin_adapter", self.origin_adapter, &out)
        object.string("prev", self.prev, &out)
        object.string("previous_key_id", self.previous_key_id, &out)
        object.string("public_key", self.public_key, &out)
        object.string("reason", self.reason, &out)
        object.string("received_at", self.received_at, &out)
        object.bool("recovered", self.recovered, &out)
        if let redacted = self.redacted {
            object.key("redacted", &out)
            out.append(UInt8(ascii: "["))
            for (position, span) in redacted.enumerated() {
                if position > 0 { out.append(UInt8(ascii: ",")) }
                var inner = JSONMembers.open(&out)
                inner.string("field", span.field, &out)
                inner.string("found", span.found, &out)
                inner.string("rule", span.rule, &out)
                inner.string("sha256", span.sha256, &out)
                inner.close(&out)
            }
            out.append(UInt8(ascii: "]"))
        }
        object.bool("redecided", self.redecided, &out)
        object.string("room", self.room, &out)
        object.int("seq", self.seq, &out)
        object.string("subject", self.subject, &out)
        object.string("subject_sha256", self.subject_sha256, &out)
        object.strings("to", self.to, &out)
        object.string("verifier_key", self.verifier_key, &out)
        object.close(&out)
    }
}

/// Writes one JSON object's members into a buffer, in the order given (the caller gives them sorted).
struct JSONMembers {
    private var first = true

    /// Opens an object; members follow, then ``close(_:)``.
    static func open(_ out: inout [UInt8]) -> JSONMembers {
        out.append(UInt8(ascii: "{"))
        return JSONMembers()
    }

    func close(_ out: inout [UInt8]) { out.append(UInt8(ascii: "}")) }

    mutating func key(_ name: StaticString, _ out: inout [UInt8]) {
        if !self.first { out.append(UInt8(ascii: ",")) }
        self.first = false
        out.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { out.append(contentsOf: $0) }
        out.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
    }

    mutating func string(_ name: StaticString, _ value: String?, _ out: inout [UInt8]) {
        guard let value else { return }
        self.key(name, &out)
        JSONText.append(value, to: &out)
    }

    mutating func strings(_ name: StaticString, _ values: [String]?, _ out: inout [UInt8]) {
        guard let values else { return }
        self.key(name, &out)
        out.append(UInt8(ascii: "["))
        for (position, value) in values.enumerated() {
            if position > 0 { out.append(UInt8(ascii: ",")) }
            JSONText.append(value, to: &out)
        }
        out.append(UInt8(ascii: "]"))
    }

    mutating func int(_ name: StaticString, _ value: Int64?, _ out: inout [UInt8]) {
        guard let value else { return }
        self.key(name, &out)
        out.append(contentsOf: String(value).utf8)
    }

    mutating func bool(_ name: StaticString, _ value: Bool?, _ out: inout [UInt8]) {
        guard let value else { return }
        self.key(name, &out)
        out.append(contentsOf: (value ? "true" : "false").utf8)
    }
}

enum JSONText {
    private static let hex = Array("0123456789abcdef".utf8)

    /// A JSON string literal: `"` and `\` escaped, control characters as `\b \f \n \r \t` or `\u00XX`,
    /// everything else (including `/` and non-ASCII) as its UTF-8 bytes.
    static func append(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
            case 0x08: out.append(contentsOf: [0x5C, UInt8(ascii: "b")])
            case 0x0C: out.append(contentsOf: [0x5C, UInt8(ascii: "f")])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x00..<0x20:
                out.append(contentsOf: Array("\\u00".utf8))
                out.append(Self.hex[Int(byte >> 4)])
                out.append(Self.hex[Int(byte & 0x0F)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
