/// Trims an email's text to what its author wrote, for chat: quoted replies, reply headers and signatures go.
///
/// In order:
/// 1. Everything from an Outlook-style reply header on: a `-----Original Message-----` line (and its
///    localized forms), or a `From:` line followed within four lines by `Sent:`/`Date:` (localized too), with
///    a `____` or blank separator line just above it.
/// 2. A trailing block of `>` quote lines and blank lines, then an attribution line just above it
///    (`On ... wrote:`, `Am ... schrieb ...:`, `Le ... a écrit :`, ... possibly wrapped over two lines).
///    Quotes followed by the author's own text (interleaved replies) are kept.
/// 3. Everything from the first `-- ` signature separator line on.
///
/// A cut is only made if something is left above it, and if trimming would leave nothing, the untrimmed
/// text is returned.
public enum ChatTextTrimmer {
    public static func trim(_ text: String) -> String {
        let original = text.trimmingBlanks()
        var lines = original.split(separator: "\n", omittingEmptySubsequences: false).map { String($0) }
        if let cut = replyHeaderStart(lines) { lines.removeSubrange(cut...) }
        lines = dropTrailingQuote(lines)
        if let signature = lines.indices.dropFirst().first(where: { lines[$0] == "-- " || lines[$0] == "--" }),
            hasContent(lines[..<signature])
        {
            lines.removeSubrange(signature...)
        }
        let trimmed = lines.joined(separator: "\n").trimmingBlanks()
        return trimmed.isEmpty ? original : trimmed
    }

    static func hasContent(_ lines: ArraySlice<String>) -> Bool {
        lines.contains { !$0.trimmingBlanks().isEmpty }
    }

    // MARK: Reply headers

    static let originalMessageMarkers: Set<String> = [
        "original message", "ursprüngliche nachricht", "message d'origine", "mensaje original",
        "messaggio originale", "oorspronkelijk bericht", "mensagem original", "ursprungligt meddelande",
        "opprinnelig melding", "oprindelig meddelelse", "wiadomość oryginalna", "исходное сообщение",
        "alkuperäinen viesti", "původní zpráva", "eredeti üzenet",
    ]
    static let fromLabels = [
        "from:", "von:", "de:", "de :", "da:", "van:", "från:", "fra:", "od:", "от:", "lähettäjä:", "feladó:",
        "发件人:", "發件人:", "差出人:", "보낸 사람:",
    ]
    static let sentLabels = [
        "sent:", "date:", "gesendet:", "datum:", "envoyé :", "envoyé:", "date :", "enviado:", "enviado el:",
        "fecha:", "inviato:", "data:", "verzonden:", "skickat:", "sendt:", "wysłano:", "отправлено:", "дата:",
        "lähetetty:", "odesláno:", "elküldve:", "发送时间:", "發送時間:", "送信日時:", "日時:", "보낸 날짜:",
    ]

    /// Where a reply header block starts, if there is one with content above it.
    static func replyHeaderStart(_ lines: [String]) -> Int? {
        for index in lines.indices {
            let line = lines[index].trimmingBlanks().lowercased()
            var start: Int?
            if line.hasPrefix("-----"), line.hasSuffix("-----") {
                let inner = line.trimmingRepeated("-").trimmingBlanks()
                if originalMessageMarkers.contains(inner) { start = index }
            } else if hasLabel(line, fromLabels) {
                let window = lines[(index + 1)..<min(lines.count, index + 5)]
                if window.contains(where: { hasLabel($0.trimmingBlanks().lowercased(), sentLabels) }) {
                    start = index
                    if index > 0 {
                        let above = lines[index - 1].trimmingBlanks()
                        if above.count >= 8, above.allSatisfy({ $0 == "_" || $0 == "-" }) { start = index - 1 }
                    }
                }
            }
            if let start, hasContent(lines[..<start]) { return start }
        }
        return nil
    }

    static func hasLabel(_ line: String, _ labels: [String]) -> Bool {
        let stripped = line.replacingStars()
        return labels.contains { stripped.hasPrefix($0) }
    }

    // MARK: Quotes and attributions

    /// Without the trailing quote block and the attribution above it, if content remains above them.
    static func dropTrailingQuote(_ lines: [String]) -> [String] {
        var end = lines.count
        var sawQuote = false
        while end > 0 {
            let line = lines[end - 1].trimmingBlanks()
            if line.isEmpty {
                end -= 1
            } else if line.hasPrefix(">") {
                sawQuote = true
                end -= 1
            } else {
                break
            }
        }
        guard sawQuote else { return lines }
        if end > 0, isAttribution(lines[end - 1]) {
            end -= 1
        } else if end > 1, isAttribution(lines[end - 2] + " " + lines[end - 1]) {
            end -= 2
        }
        guard hasContent(lines[..<end]) else { return lines }
        return Array(lines[..<end])
    }

    /// `(prefix, keyword)`: a line starting with the prefix, containing the keyword and ending in a colon.
    static let attributions: [(prefix: String, keyword: String)] = [
        ("on ", "wrote"), ("am ", "schrieb"), ("le ", "écrit"), ("el ", "escribió"), ("il ", "scritto"),
        ("op ", "schreef"), ("em ", "escreveu"), ("den ", "skrev"), ("w dniu ", "pisze"), ("", "написал"),
        ("", "写道"), ("", "寫道"), ("", " wrote"), ("", "kirjoitti"), ("", "napsal"),
    ]

    static func isAttribution(_ line: String) -> Bool {
        let text = line.trimmingBlanks().lowercased()
        guard text.count <= 400, text.hasSuffix(":") || text.hasSuffix("：") else { return false }
        return attributions.contains { text.hasPrefix($0.prefix) && text.contains($0.keyword) }
    }
}

extension String {
    /// Without `*` (Outlook's plain text renders bold labels as `*From:*`).
    fileprivate func replacingStars() -> String { self.filter { $0 != "*" } }

    fileprivate func trimmingRepeated(_ character: Character) -> Substring {
        guard let first = self.firstIndex(where: { $0 != character }),
            let last = self.lastIndex(where: { $0 != character })
        else {
            return ""
        }
        return self[first...last]
    }
}
