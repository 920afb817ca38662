import BridgeModel
import Crypto

/// Turns a raw RFC 5322 message, as fetched over IMAP, into an ``InboundEmail``.
///
/// What is fatal (an ``EmailParseError``, the message is refused and audited):
/// - any ``EmailLimits`` exceeded: size (`too-large`), a header line or section (`header-too-long`), header
///   fields (`too-many-headers`), nesting (`too-deep`), parts (`too-many-parts`), an attachment
///   (`attachment-too-large`);
/// - not mail at all: the first line is not a header field (`header-malformed`);
/// - no From field, or none of its addresses is valid (`no-from`): nothing could be attributed to anyone.
///
/// What is tolerated, with a warning in ``InboundEmail/warnings`` (each distinct warning once):
/// - bare LF line ends (mail stores keep them) and a leading mbox `From ` line;
/// - a header section that ends without a blank line (the rest is the body);
/// - 8-bit header bytes: UTF-8 (RFC 6532) if valid, else ISO-8859-1; NUL bytes are removed;
/// - unknown charsets (UTF-8 if valid, else ISO-8859-1), bytes invalid in their charset (U+FFFD);
/// - a missing closing boundary, a boundary that never occurs (read as text/plain), an invalid Content-Type;
/// - base64 with invalid characters or truncated, quoted-printable with invalid escapes;
/// - malformed encoded words (left literally), invalid addresses in To/Cc/Reply-To (dropped), several From
///   addresses (the first is used and the sender is unverified), an unparseable Date (nil).
public struct EmailParser: Sendable {
    public var limits: EmailLimits
    public var authenticator: SenderAuthenticator

    public init(limits: EmailLimits = .init(), trustedAuthservIDs: Set<String>) {
        self.limits = limits
        self.authenticator = SenderAuthenticator(trustedAuthservIDs: trustedAuthservIDs)
    }

    public func parse(_ raw: [UInt8]) throws(EmailParseError) -> InboundEmail {
        guard raw.count <= self.limits.maxMessageBytes else {
            throw EmailParseError(.tooLarge, "the message is larger than \(self.limits.maxMessageBytes) bytes")
        }
        var warnings: [String] = []
        let section = try HeaderSectionParser.parse(raw, in: 0..<raw.count, limits: self.limits, requireHeaders: true)
        warnings.append(contentsOf: section.warnings)
        let headers = section.headers

        let fromFields = headers.all("From")
        guard !fromFields.isEmpty else { throw EmailParseError(.noFrom, "the message has no From field") }
        var fromMailboxes: [EmailMailbox] = []
        for field in fromFields {
            let parsed = AddressListParser.parse(field, warnings: &warnings)
            fromMailboxes.append(contentsOf: parsed.mailboxes)
            if !parsed.refused.isEmpty { warnings.append("a From address was refused: \(parsed.refused[0])") }
        }
        guard let from = fromMailboxes.first else {
            throw EmailParseError(.noFrom, "no address in the From field is valid")
        }
        if fromMailboxes.count > 1 { warnings.append("the message has several From addresses") }

        var structure = MIMEStructureParser(raw: raw, limits: self.limits)
        let root = try structure.entity(
            headers: headers,
            body: section.bodyStart..<raw.count,
            depth: 0,
            inDigest: false
        )
        warnings.append(contentsOf: structure.warnings)
        var extractor = EmailBodyExtractor(raw: raw, limits: self.limits)
        try extractor.walk(root)
        warnings.append(contentsOf: extractor.warnings)

        var fullPieces: [String] = []
        var chatPieces: [String] = []
        var htmlPieces: [String] = []
        for piece in extractor.pieces {
            switch piece {
            case .plain(let text):
                fullPieces.append(text)
                chatPieces.append(text)
            case .html(let html):
                htmlPieces.append(html)
                let full = HTMLTextRenderer.render(html)
                let chat = HTMLTextRenderer.render(html, dropQuotedReplies: true)
                fullPieces.append(full)
                chatPieces.append(chat.isEmpty ? full : chat)
            }
        }
        htmlPieces.append(contentsOf: extractor.htmlAlternatives)
        let text = Self.join(fullPieces)
        let chatText = ChatTextTrimmer.trim(Self.join(chatPieces))

        let messageIDs = headers.first("Message-ID").map(MessageIDParser.parse) ?? []
        let messageID = messageIDs.first ?? Self.synthesizedMessageID(raw)
        var references = headers.all("References").flatMap(MessageIDParser.parse)
        if references.count > self.limits.maxReferences {
            references = Array(references.suffix(self.limits.maxReferences))
        }
        let date = headers.first("Date").flatMap { field in
            let parsed = EmailDateParser.parse(field)
            if parsed == nil { warnings.append("the Date field could not be parsed") }
            return parsed
        }

        return InboundEmail(
            messageID: messageID,
            messageIDSynthesized: messageIDs.isEmpty,
            from: from,
            sender: self.mailboxes(headers, "Sender", &warnings).first,
            replyTo: self.mailboxes(headers, "Reply-To", &warnings),
            to: self.mailboxes(headers, "To", &warnings),
            cc: self.mailboxes(headers, "Cc", &warnings),
            subject: headers.first("Subject").map { EncodedWordDecoder.decode($0, warnings: &warnings) },
            date: date,
            inReplyTo: headers.first("In-Reply-To").flatMap { MessageIDParser.parse($0).first },
            references: references,
            text: text,
            chatText: chatText,
            html: htmlPieces.isEmpty ? nil : htmlPieces.joined(separator: "\n"),
            attachments: extractor.attachments,
            automation: AutomationClassifier.classify(headers: headers, contentType: root.contentType, from: from),
            authentication: self.authenticator.evaluate(
                authenticationResults: headers.all("Authentication-Results"),
                from: fromMailboxes
            ),
            warnings: Self.unique(warnings),
            headers: headers
        )
    }

    func mailboxes(_ headers: EmailHeaders, _ name: String, _ warnings: inout [String]) -> [EmailMailbox] {
        var result: [EmailMailbox] = []
        for field in headers.all(name) {
            let parsed = AddressListParser.parse(field, warnings: &warnings)
            result.append(contentsOf: parsed.mailboxes)
            for reason in parsed.refused { warnings.append("a \(name) address was refused: \(reason)") }
        }
        return result
    }

    /// `<hex SHA-256 of the raw bytes>@bridged.invalid`: stable across redeliveries of the same bytes.
    static func synthesizedMessageID(_ raw: [UInt8]) -> String {
        "\(sha256Hex(raw))@bridged.invalid"
    }

    /// Lower-case hex SHA-256.
    static func sha256Hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        var hex = ""
        hex.reserveCapacity(64)
        for byte in SHA256.hash(data: bytes) {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0F)])
        }
        return hex
    }

    static func join(_ pieces: [String]) -> String {
        pieces.map { $0.trimmingBlanks() }.filter { !$0.isEmpty }.joined(separator: "\n\n")
    }

    static func unique(_ warnings: [String]) -> [String] {
        var seen: Set<String> = []
        return warnings.filter { seen.insert($0).inserted }
    }
}
