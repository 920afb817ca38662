import BridgeModel

/// Classifies an inbound email as auto-reply, bounce or list mail from its headers. Bounces are checked first
/// (a bounce often also carries `Auto-Submitted: auto-replied`), then auto-replies, then lists, then the
/// weaker `Precedence` field. Reasons name the field and at most its first keyword, never free text.
public enum AutomationClassifier {
    public static func classify(headers: EmailHeaders, contentType: MIMEHeaderValue, from: EmailMailbox?)
        -> EmailAutomation?
    {
        if let returnPath = headers.first("Return-Path"), returnPath.filter({ $0 != " " && $0 != "\t" }) == "<>" {
            return .bounce("null Return-Path")
        }
        if contentType.value == "multipart/report" {
            let type = (contentType[parameter: "report-type"] ?? "").lowercased()
            if type == "delivery-status" { return .bounce("delivery status report") }
            if type == "disposition-notification" { return .autoReply("disposition notification") }
        }
        if let local = from?.address.local, local.caseInsensitiveEquals("mailer-daemon") {
            return .bounce("From MAILER-DAEMON")
        }
        if let value = headers.first("Auto-Submitted") {
            let keyword = firstKeyword(value)
            if keyword != "no" { return .autoReply("Auto-Submitted: \(keyword)") }
        }
        for name in ["X-Autoreply", "X-Autorespond"] where headers.contains(name) {
            return .autoReply(name)
        }
        for name in ["List-Id", "List-Unsubscribe", "List-Post"] where headers.contains(name) {
            return .mailingList(name)
        }
        if let value = headers.first("Precedence") {
            let keyword = firstKeyword(value)
            switch keyword {
            case "list": return .mailingList("Precedence: list")
            case "bulk", "junk", "auto-reply", "auto_reply": return .autoReply("Precedence: \(keyword)")
            default: break
            }
        }
        return nil
    }

    /// The first word of a field, lower-cased, letters, digits, `-` and `_` only, at most 32.
    static func firstKeyword(_ value: String) -> String {
        let word = value.lowercased().prefix { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
        let kept = word.prefix(32)
        return kept.isEmpty ? "unknown" : String(kept)
    }
}
