/// A canonical participant address, `local@domain`, as every adapter names people after normalizing.
///
/// The domain is lower-cased and must be a plausible DNS name; the local part keeps its case (mail local
/// parts are case-sensitive in principle) but may not contain whitespace, control characters, `@`, `<`,
/// `>` or `"`. Anything else is refused at the edge, so no address can smuggle header syntax or CRLF into
/// another protocol.
public struct Address: Hashable, Sendable, Codable, CustomStringConvertible, Comparable {
    public let local: String
    public let domain: String

    public init(local: String, domain: String) throws(AddressError) {
        guard !local.isEmpty, local.utf8.count <= 64 else { throw AddressError(.invalidLocalPart) }
        for scalar in local.unicodeScalars {
            if scalar.value < 0x21 || scalar.value == 0x7F || "@<>\"\\,;:()[]".unicodeScalars.contains(scalar) {
                throw AddressError(.invalidLocalPart)
            }
        }
        let domain = domain.lowercased()
        guard Address.isValidDomain(domain) else { throw AddressError(.invalidDomain) }
        self.local = local
        self.domain = domain
    }

    /// Parses `local@domain`; the last `@` separates the parts.
    public init(parsing text: String) throws(AddressError) {
        guard let at = text.lastIndex(of: "@") else { throw AddressError(.missingAt) }
        try self.init(local: String(text[..<at]), domain: String(text[text.index(after: at)...]))
    }

    public var description: String { "\(self.local)@\(self.domain)" }

    public static func < (lhs: Address, rhs: Address) -> Bool { lhs.description < rhs.description }

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
