import Foundation

/// A canonical participant address, `local@domain`, as every adapter names people after normalizing.
///
/// The domain is lower-cased and must be a plausible DNS name. The local part keeps the sender's own
/// spelling for display (``local``), but two addresses are equal when their ``canonicalLocal`` forms are:
/// the form the servers behind the gateway resolve a local part to (Prosody's nodeprep, Dovecot's
/// case-insensitive user names): characters commonly mapped to nothing removed, compatibility-normalized
/// (NFKC: fullwidth `ａｌｉｃｅ` becomes `alice`) and lower-cased. Policy matching, the org check, the id
/// map and notices all compare addresses this way, so two spellings that reach one mailbox or account can
/// never get two different decisions.
///
/// Refused at the edge, so no address can smuggle header syntax, CRLF or bidi tricks into another protocol:
/// whitespace, C0 and C1 controls, `@`, `<`, `>`, `"` and the other specials, line and paragraph
/// separators, and bidi embedding, override and isolate controls.
public struct Address: Hashable, Sendable, Codable, CustomStringConvertible, TextOutputStreamable, Comparable {
    /// The local part as its owner's system spelled it.
    public let local: String
    public let domain: String
    /// The local part in the one form used for every comparison.
    public let canonicalLocal: String

    public init(local: String, domain: String) throws(AddressError) {
        guard !local.isEmpty, local.utf8.count <= 64 else { throw AddressError(.invalidLocalPart) }
        for scalar in local.unicodeScalars {
            if scalar.value < 0x21 || scalar.value == 0x7F || "@<>\"\\,;:()[]".unicodeScalars.contains(scalar)
                || Self.isForbiddenNonASCII(scalar)
            {
                throw AddressError(.invalidLocalPart)
            }
        }
        let domain = domain.lowercased()
        guard Address.isValidDomain(domain) else { throw AddressError(.invalidDomain) }
        let canonical = Self.canonicalize(local)
        guard !canonical.isEmpty else { throw AddressError(.invalidLocalPart) }
        self.local = local
        self.domain = domain
        self.canonicalLocal = canonical
    }

    /// For constants known to be valid (``GatewayIdentity/address``).
    init(validated local: String, domain: String) {
        self.local = local
        self.domain = domain
        self.canonicalLocal = Self.canonicalize(local)
    }

    /// C1 controls, NEL, line and paragraph separators, bidi embeddings, overrides and isolates, and
    /// non-characters: nothing a real account name contains, everything a spoofing attempt might.
    static func isForbiddenNonASCII(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x80...0x9F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C,
            0xFFF9...0xFFFB, 0xFFFE, 0xFFFF:
            return true
        default:
            return scalar.properties.generalCategory == .privateUse || scalar.properties.generalCategory == .unassigned
        }
    }

    /// RFC 3454 table B.1 (commonly mapped to nothing), which nodeprep removes before anything else.
    static func isMappedToNothing(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00AD, 0x034F, 0x1806, 0x180B...0x180D, 0x200B...0x200D, 0x2060, 0xFE00...0xFE0F, 0xFEFF: true
        default: false
        }
    }

    /// Removes B.1 characters, then NFKC, lower case, NFKC again (lower-casing can denormalize).
    /// ASCII needs only the lower-casing.
    static func canonicalize(_ local: String) -> String {
        if local.utf8.allSatisfy({ $0 < 0x80 }) {
            return local.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) ? local.lowercased() : local
        }
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: local.unicodeScalars.filter { !Self.isMappedToNothing($0) })
        let stripped = String(scalars)
        return stripped.precomposedStringWithCompatibilityMapping.lowercased().precomposedStringWithCompatibilityMapping
    }

    /// Parses `local@domain`; the last `@` separates the parts.
    public init(parsing text: String) throws(AddressError) {
        guard let at = text.lastIndex(of: "@") else { throw AddressError(.missingAt) }
        try self.init(local: String(text[..<at]), domain: String(text[text.index(after: at)...]))
    }

    public var description: String { "\(self.local)@\(self.domain)" }

    /// Writes ``description`` into `target` without building it first.
    public func write(to target: inout some TextOutputStream) {
        target.write(self.local)
        target.write("@")
        target.write(self.domain)
    }

    /// `canonicalLocal@domain`: the key to store, index and compare by.
    public var canonical: String { "\(self.canonicalLocal)@\(self.domain)" }

    public static func == (lhs: Address, rhs: Address) -> Bool {
        lhs.canonicalLocal == rhs.canonicalLocal && lhs.domain == rhs.domain
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.canonicalLocal)
        hasher.combine(self.domain)
    }

    public static func < (lhs: Address, rhs: Address) -> Bool { lhs.canonical < rhs.canonical }

    /// A DNS-like name: labels of letters, digits and hyphens, at least one dot is not required (test setups
    /// use single-label names rarely, but `localhost`-style names are legal in private deployments).
    public static func isValidDomain(_ domain: String) -> Bool {
        guard !domain.isEmpty, domain.utf8.count <= 253 else { return false }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        for label in labels {
            guard !label.isEmpty, label.utf8.count <= 63, label.first != "-", label.last != "-" else { return false }
            for byte in label.utf8 {
                let ok = (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || byte == 0x2D
                if !ok { return false }
            }
        }
        return true
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            try self.init(parsing: text)
        } catch {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "not a valid address: \(error)")
            )
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.description)
    }
}

/// Why a text is not an ``Address``.
public struct AddressError: Error, Hashable, Sendable, CustomStringConvertible {
    enum Code: Hashable, Sendable {
        case missingAt
        case invalidLocalPart
        case invalidDomain
    }

    let code: Code

    init(_ code: Code) { self.code = code }

    public var shortDescription: String {
        switch self.code {
        case .missingAt: "address-missing-at"
        case .invalidLocalPart: "address-invalid-local-part"
        case .invalidDomain: "address-invalid-domain"
        }
    }

    public var description: String {
        switch self.code {
        case .missingAt: "an address must have the form local@domain"
        case .invalidLocalPart: "the local part is empty, too long, or contains a forbidden character"
        case .invalidDomain: "the domain is not a valid DNS name"
        }
    }
}
