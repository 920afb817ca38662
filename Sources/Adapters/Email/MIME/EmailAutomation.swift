/// Why an inbound email looks machine-sent, so the gateway can refuse to bridge it (no loops with
/// vacation responders, bounces or list servers) and audit the reason.
public enum EmailAutomation: Hashable, Sendable {
    /// An auto-responder (RFC 3834 `Auto-Submitted`, `X-Autoreply`, `Precedence: bulk` ...).
    case autoReply(String)
    /// A delivery status notification (null sender, `multipart/report; report-type=delivery-status`, MAILER-DAEMON).
    case bounce(String)
    /// Mailing list traffic (RFC 2369 / RFC 2919 `List-*` fields, `Precedence: list`).
    case mailingList(String)

    /// The short reason, e.g. `Auto-Submitted: auto-replied`.
    public var reason: String {
        switch self {
        case .autoReply(let reason), .bounce(let reason), .mailingList(let reason): reason
        }
    }
}
