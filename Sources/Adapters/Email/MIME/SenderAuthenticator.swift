import BridgeModel

/// Decides ``SenderAuthentication`` from the `Authentication-Results` fields (RFC 8601) of a message.
///
/// Only fields whose authserv-id is in `trustedAuthservIDs` count, and of those only the topmost one (the
/// one our own border MTA added last, RFC 8601 §5: anything below it may have been written by the sender).
/// Fields with any other authserv-id are ignored entirely, so a forger's own `dkim=pass` header is worthless.
///
/// The sender is verified if that field says:
/// - `dmarc=pass`, with `header.from` (when present) equal to the From domain; or
/// - `dkim=pass` with `header.d` (or the domain of `header.i`) aligned with the From domain; or
/// - `spf=pass` with the domain of `smtp.mailfrom` aligned with the From domain.
///
/// Alignment is DMARC's relaxed mode without a public suffix list: the domains are equal, or one is a
/// subdomain of the other and the shorter one has at least two labels (so `test` never aligns with
/// `evil.test`). Without the list, `a.co.uk` and `co.uk` would align; a signature for `co.uk` cannot be
/// obtained by a sender, so this only matters if From itself is a public suffix.
public struct SenderAuthenticator: Sendable {
    public var trustedAuthservIDs: Set<String>

    public init(trustedAuthservIDs: Set<String>) {
        self.trustedAuthservIDs = Set(trustedAuthservIDs.map { $0.lowercased() })
    }

    public func evaluate(authenticationResults fields: [String], from mailboxes: [EmailMailbox]) -> SenderAuthentication
    {
        guard mailboxes.count == 1, let from = mailboxes.first else {
            return .unverified("multiple From addresses")
        }
        var trusted: AuthenticationResults?
        for field in fields {
            if let parsed = AuthenticationResults.parse(field), self.trustedAuthservIDs.contains(parsed.authservID) {
                trusted = parsed
                break
            }
        }
        guard let trusted else { return .unverified("no trusted Authentication-Results") }
        let domain = from.address.domain
        var reasons: [String] = []
        func note(_ reason: String) {
            if !reasons.contains(reason) { reasons.append(reason) }
        }
        for result in trusted.results where result.method == "dmarc" {
            guard result.result == "pass" else {
                note("dmarc=\(Self.token(result.result))")
                continue
            }
            if let headerFrom = result.properties["header.from"], Self.normalized(headerFrom) != domain {
                note("dmarc pass for another domain than From")
                continue
            }
            return .verified("dmarc")
        }
        for result in trusted.results where result.method == "dkim" {
            guard result.result == "pass" else {
                note("dkim=\(Self.token(result.result))")
                continue
            }
            let signer = result.properties["header.d"] ?? result.properties["header.i"].map(Self.domainPart)
            if let signer, Self.aligned(Self.normalized(signer), domain) { return .verified("dkim") }
            note("dkim pass not aligned with From")
        }
        for result in trusted.results where result.method == "spf" {
            guard result.result == "pass" else {
                note("spf=\(Self.token(result.result))")
                continue
            }
            if let mailFrom = result.properties["smtp.mailfrom"],
                Self.aligned(Self.normalized(Self.domainPart(mailFrom)), domain)
            {
                return .verified("spf")
            }
            note("spf pass not aligned with From")
        }
        if reasons.isEmpty { reasons.append("no dmarc, dkim or spf result") }
        return .unverified(reasons.joined(separator: ", "))
    }

    /// DMARC relaxed alignment without a public suffix list (see the type's documentation).
    public static func aligned(_ first: String, _ second: String) -> Bool {
        let a = normalized(first)
        let b = normalized(second)
        guard !a.isEmpty, !b.isEmpty else { return false }
        if a == b { return true }
        let (shorter, longer) = a.utf8.count < b.utf8.count ? (a, b) : (b, a)
        guard shorter.contains(".") else { return false }
        return longer.hasSuffix("." + shorter)
    }

    static func normalized(_ domain: String) -> String {
        var text = domain.lowercased()
        while text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// The part after the last `@`, or the whole text.
    static func domainPart(_ text: String) -> String {
        guard let at = text.lastIndex(of: "@") else { return text }
        return String(text[text.index(after: at)...])
    }

    /// A result keyword fit for a reason string: lower-case letters only, at most 16.
    static func token(_ text: String) -> String {
        let kept = text.lowercased().filter { $0.isASCII && $0.isLetter }.prefix(16)
        return kept.isEmpty ? "unknown" : String(kept)
    }
}
