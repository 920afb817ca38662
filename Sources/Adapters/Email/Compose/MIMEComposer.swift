import BridgeModel

/// Renders an ``OutboundEmail`` as an RFC 5322 / MIME message.
///
/// The output is 7-bit clean and uses CRLF everywhere: headers are ASCII (RFC 2047 encoded words for
/// anything else), bodies are quoted-printable UTF-8. Header lines are folded to at most 78 characters
/// where a fold point exists and never exceed 998. Header values are sanitized before encoding: CR, LF and
/// every other control character become a space, so text from a chat can neither add a header nor end the
/// header block.
///
///     Date: Sat, 21 Nov 2026 12:00:00 +0000
///     From: "Bob (Globex)" <r.k7d2.mfrgg3dfmzsxg5dm@gw.acme.test>
///     To: Carol <carol@initech.test>
///     Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=
///     Message-ID: <2k1x.9zq@gw.acme.test>
///     MIME-Version: 1.0
///     Content-Type: text/plain; charset=utf-8
///     Content-Transfer-Encoding: quoted-printable
public enum MIMEComposer {
    /// The message bytes.
    public static func render(_ email: OutboundEmail) -> [UInt8] {
        var lines: [String] = []
        lines.append(Self.field("Date", [Self.rfc5322Date(email.date)]))
        lines.append(Self.field("From", Self.mailboxTokens([email.from], after: "From")))
        if email.to.isEmpty, email.cc.isEmpty {
            lines.append(Self.field("To", ["undisclosed-recipients:;"]))
        }
        if !email.to.isEmpty { lines.append(Self.field("To", Self.mailboxTokens(email.to, after: "To"))) }
        if !email.cc.isEmpty { lines.append(Self.field("Cc", Self.mailboxTokens(email.cc, after: "Cc"))) }
        if let replyTo = email.replyTo { lines.append(Self.field("Reply-To", Self.mailboxTokens([replyTo], after: "Reply-To"))) }
        lines.append(Self.field("Subject", Self.unstructuredTokens(email.subject, after: "Subject")))
        lines.append(Self.field("Message-ID", [email.messageID.description]))
        if let parent = email.inReplyTo { lines.append(Self.field("In-Reply-To", [parent.description])) }
        if !email.references.isEmpty { lines.append(Self.field("References", email.references.map(\.description))) }
        for header in email.extraHeaders {
            lines.append(Self.field(header.name.rawValue, Self.unstructuredTokens(header.value, after: header.name.rawValue)))
        }
        lines.append("MIME-Version: 1.0")

        let text = Self.quotedPrintable(email.text)
        guard let html = email.html.map(Self.quotedPrintable) else {
            lines.append("Content-Type: text/plain; charset=utf-8")
            lines.append("Content-Transfer-Encoding: quoted-printable")
            return Self.bytes(headers: lines, body: text)
        }
        let boundary = Self.boundary(avoiding: [text, html])
        lines.append(Self.field("Content-Type", ["multipart/alternative;", "boundary=\"\(boundary)\""]))
        let body = [
            "--\(boundary)",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: quoted-printable",
            "",
            text,
            "--\(boundary)",
            "Content-Type: text/html; charset=utf-8",
            "Content-Transfer-Encoding: quoted-printable",
            "",
            html,
            "--\(boundary)--",
        ].joined(separator: "\r\n")
        return Self.bytes(headers: lines, body: body)
    }

    private static func bytes(headers: [String], body: String) -> [UInt8] {
        Array((headers.joined(separator: "\r\n") + "\r\n\r\n" + body + "\r\n").utf8)
    }

    /// A boundary that occurs in no part. Quoted-printable output never contains `=_` (an `=` is always
    /// followed by two hex digits or a line break), so the first candidate always fits; the check guards
    /// the rule anyway, a bounded number of times.
    static func boundary(avoiding parts: [String]) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        var candidate = ""
        for _ in 0..<16 {
            candidate = "=_bridged_" + String((0..<24).map { _ in alphabet.randomElement()! })
            if !parts.contains(where: { $0.contains(candidate) }) { break }
        }
        return candidate
    }

    // MARK: Addresses

    /// `mailbox, mailbox` as foldable tokens, the comma attached to the token before it.
    static func mailboxTokens(_ mailboxes: [OutboundEmail.Mailbox], after name: String) -> [String] {
        var tokens: [String] = []
        for (index, mailbox) in mailboxes.enumerated() {
            let address = SMTPCommand.localPart(mailbox.address.local) + "@" + mailbox.address.domain
            let displayName = Self.sanitized(mailbox.displayName ?? "")
            let room = index == 0 ? Self.firstLineRoom(after: name) : 77
            var mailboxTokens = displayName.isEmpty ? [address] : Self.phraseTokens(displayName, firstLimit: room) + ["<\(address)>"]
            if index < mailboxes.count - 1 { mailboxTokens[mailboxTokens.count - 1] += "," }
            tokens += mailboxTokens
        }
        return tokens
    }

    /// A display name as atoms, a quoted string, or encoded words (RFC 5322 §3.2.5, RFC 2047 §5(3)).
    static func phraseTokens(_ name: String, firstLimit: Int) -> [String] {
        let isASCII = name.utf8.allSatisfy { $0 < 0x80 }
        if isASCII, !name.contains("=?") {
            let words = name.split(separator: " ")
            if Self.fit(words, firstLimit: firstLimit), words.allSatisfy({ $0.unicodeScalars.allSatisfy(Self.atext.contains) }) {
                return words.map(String.init)
            }
            let quoted = "\"" + name.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"") + "\""
            if quoted.count <= firstLimit { return [quoted] }
        }
        return Self.encodedWords(name, firstLimit: firstLimit)
    }

    static let atext = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~".unicodeScalars)

    // MARK: Unstructured text

    /// Subject-like text: plain words when it is short-worded ASCII, otherwise encoded words.
    static func unstructuredTokens(_ value: String, after name: String) -> [String] {
        let text = Self.sanitized(value)
        guard !text.isEmpty else { return [] }
        let words = text.split(separator: " ")
        let room = Self.firstLineRoom(after: name)
        let plain = text.utf8.allSatisfy { $0 < 0x80 } && !text.contains("=?") && Self.fit(words, firstLimit: room)
        return plain ? words.map(String.init) : Self.encodedWords(text, firstLimit: room)
    }

    /// CR, LF and all other controls become spaces; leading and trailing spaces are dropped.
    static func sanitized(_ value: String) -> String {
        let scalars = value.unicodeScalars.map { scalar -> Unicode.Scalar in
            scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar == "\u{2028}" || scalar == "\u{2029}"
                ? " " : scalar
        }
        var text = String(String.UnicodeScalarView(scalars))
        while text.hasPrefix(" ") { text.removeFirst() }
        while text.hasSuffix(" ") { text.removeLast() }
        return text
    }

    // MARK: Folding

    /// How long the first token may be so that `Name: token` stays within 78 characters.
    static func firstLineRoom(after name: String) -> Int { 78 - name.count - 2 }

    /// Whether words fit on folded lines: the first within `firstLimit`, the others after a fold's space.
    static func fit(_ words: [Substring], firstLimit: Int) -> Bool {
        (words.first.map { $0.count <= firstLimit } ?? true) && words.dropFirst().allSatisfy { $0.count <= 77 }
    }

    /// `Name: token token …` folded before a token whenever the line would pass 78 characters. Tokens are
    /// built to fit a line (the first one after the name) except message ids (≤ 252 characters) and
    /// addresses (≤ 320), so no line exceeds 998.
    static func field(_ name: String, _ tokens: [String]) -> String {
        var output = name + ":"
        var lineLength = output.count
        var tokensOnLine = 0
        for token in tokens {
            if tokensOnLine > 0, lineLength + 1 + token.count > 78 {
                output += "\r\n"
                lineLength = 0
                tokensOnLine = 0
            }
            output += " " + token
            lineLength += 1 + token.count
            tokensOnLine += 1
        }
        return output
    }
}
