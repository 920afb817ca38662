/// Why an XMPP stream was refused, named by its RFC 6120 §4.9.3 stream error condition.
public struct XMPPStreamError: Error, Hashable, Sendable, CustomStringConvertible {
    enum Code: Hashable, Sendable {
        /// DTDs, comments, processing instructions, internal subsets (RFC 6120 §11.1).
        case restrictedXML
        /// Not XML at all, bad UTF-8, unbalanced tags.
        case notWellFormed
        /// Over a size, depth or attribute limit.
        case policyViolation
        /// The root is not `<stream:stream>` in the streams namespace.
        case invalidNamespace
        /// Well-formed, but not a stream: text between stanzas, a stream that ends mid-stanza.
        case badFormat
    }

    let code: Code
    /// Operator-facing detail; never stanza content.
    public let detail: String

    init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    /// The stream error condition element's name, e.g. `restricted-xml`.
    public var condition: String {
        switch self.code {
        case .restrictedXML: "restricted-xml"
        case .notWellFormed: "not-well-formed"
        case .policyViolation: "policy-violation"
        case .invalidNamespace: "invalid-namespace"
        case .badFormat: "bad-format"
        }
    }

    public var shortDescription: String { self.condition }

    public var description: String { "\(self.condition): \(self.detail)" }
}
