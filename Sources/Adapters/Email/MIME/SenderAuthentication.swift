/// Whether the From address of an inbound email is backed by a trusted receiver's authentication results.
public enum SenderAuthentication: Hashable, Sendable {
    /// The method that verified it: `dmarc`, `dkim` or `spf`.
    case verified(String)
    /// Why not, e.g. `no trusted Authentication-Results`, `dkim=fail`, `spf pass not aligned with From`.
    case unverified(String)

    public var isVerified: Bool {
        if case .verified = self { return true }
        return false
    }
}
