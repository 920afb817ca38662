import BridgeModel

/// Walks a ``MIMEEntity`` tree and collects the readable body parts and the attachments.
///
/// - `multipart/alternative`: the last `text/plain` alternative gives the text; the last HTML alternative
///   (plain `text/html`, or a `multipart/related` holding it) gives ``InboundEmail/html`` and its inline
///   images. With no plain alternative, the HTML is rendered to text.
/// - Other multiparts (`mixed`, `related`, `report`, `digest`, unknown): every part in order. Parts of a
///   `related` after its root are inline resources.
/// - A leaf is body text if it is `text/plain` or `text/html`, not `Content-Disposition: attachment`, and has no
///   file name; anything else is an attachment.
struct EmailBodyExtractor {
    enum Piece {
        case plain(String)
        case html(String)
    }

    let raw: [UInt8]
    let limits: EmailLimits
    var pieces: [Piece] = []
    /// HTML alternatives shown next to a plain alternative: kept for ``InboundEmail/html`` only.
    var htmlAlternatives: [String] = []
    var attachments: [EmailAttachment] = []
    var warnings: [String] = []

    init(raw: [UInt8], limits: EmailLimits) {
        self.raw = raw
        self.limits = limits
    }

    mutating func walk(_ entity: MIMEEntity, inRelated: Bool = false) throws(EmailParseError) {
        guard entity.isMultipart else {
            try self.leaf(entity, inRelated: inRelated)
            return
        }
        if entity.subtype == "alternative" {
            try self.alternative(entity)
            return
        }
        for (index, child) in entity.children.enumerated() {
            try self.walk(child, inRelated: inRelated || (entity.subtype == "related" && index > 0))
        }
    }

    mutating func alternative(_ entity: MIMEEntity) throws(EmailParseError) {
        let plain = entity.children.lastIndex { Self.firstText($0) == "plain" }
        let html = entity.children.lastIndex { Self.containsHTML($0) }
        guard let plain else {
            try self.walk(entity.children[html ?? 0])
            return
        }
        try self.walk(entity.children[plain])
        if let html, html != plain {
            var other = EmailBodyExtractor(raw: self.raw, limits: self.limits)
            try other.walk(entity.children[html])
            for piece in other.pieces {
                if case .html(let text) = piece { self.htmlAlternatives.append(text) }
            }
            self.htmlAlternatives.append(contentsOf: other.htmlAlternatives)
            for attachment in other.attachments where !self.attachments.contains(attachment) {
                self.attachments.append(attachment)
            }
            self.warnings.append(contentsOf: other.warnings)
        }
    }

    /// The subtype of the first body-text leaf (`plain`, `html`), depth-first.
    static func firstText(_ entity: MIMEEntity) -> String? {
        if entity.isMultipart {
            for child in entity.children {
                if let found = firstText(child) { return found }
            }
            return nil
        }
        return isBodyText(entity) ? entity.subtype : nil
    }

    static func containsHTML(_ entity: MIMEEntity) -> Bool {
        if entity.isMultipart { return entity.children.contains { containsHTML($0) } }
        return isBodyText(entity) && entity.subtype == "html"
    }

    static func isBodyText(_ entity: MIMEEntity) -> Bool {
        guard entity.contentType.value == "text/plain" || entity.contentType.value == "text/html" else { return false }
        if entity.disposition?.value == "attachment" { return false }
        return fileName(entity) == nil
    }

    static func fileName(_ entity: MIMEEntity) -> String? {
        let name = entity.disposition?[parameter: "filename"] ?? entity.contentType[parameter: "name"]
        return name.flatMap { $0.trimmingBlanks().isEmpty ? nil : $0 }
    }

    mutating func leaf(_ entity: MIMEEntity, inRelated: Bool) throws(EmailParseError) {
        let bytes = self.decodeTransfer(entity)
        if Self.isBodyText(entity) {
            var label = entity.contentType[parameter: "charset"]
            if entity.subtype == "html", label == nil { label = Self.metaCharset(bytes) }
            let decoded = Charset.decodeText(bytes, label: label)
            if let warning = decoded.warning { self.warnings.append(warning) }
            var text = self.normalizeLineEnds(decoded.text)
            if entity.subtype == "plain", (entity.contentType[parameter: "format"] ?? "").lowercased() == "flowed" {
                let deleteSpace = (entity.contentType[parameter: "delsp"] ?? "").lowercased() == "yes"
                text = FlowedText.unflow(text, deleteSpace: deleteSpace)
            }
            self.pieces.append(entity.subtype == "html" ? .html(text) : .plain(text))
            return
        }
        guard bytes.count <= self.limits.maxAttachmentBytes else {
            throw EmailParseError(
                .attachmentTooLarge,
                "an attachment is larger than \(self.limits.maxAttachmentBytes) bytes"
            )
        }
        let name =
            Self.fileName(entity).flatMap(Self.sanitizedName)
            ?? "part-\(self.attachments.count + 1)\(Self.fileExtension(entity.contentType.value))"
        let contentID = entity.headers.first("Content-ID").flatMap { MessageIDParser.parse($0).first }
        let disposition = entity.disposition?.value
        self.attachments.append(
            EmailAttachment(
                name: name,
                mediaType: entity.contentType.value,
                sha256: EmailParser.sha256Hex(bytes),
                bytes: bytes,
                isInline: disposition == "inline" || (inRelated && disposition != "attachment"),
                contentID: contentID
            )
        )
    }

    mutating func decodeTransfer(_ entity: MIMEEntity) -> [UInt8] {
        let body = self.raw[entity.body]
        switch entity.transferEncoding {
        case "base64":
            let result = Base64Decoder.decode(body)
            if result.hadInvalidCharacters { self.warnings.append("invalid characters in base64 data were skipped") }
            if result.wasTruncated { self.warnings.append("base64 data is truncated") }
            return result.bytes
        case "quoted-printable":
            let result = QuotedPrintableDecoder.decode(body)
            if result.hadInvalidEscape { self.warnings.append("invalid quoted-printable escapes were kept literally") }
            return result.bytes
        case "7bit", "8bit", "binary", "":
            return Array(body)
        default:
            self.warnings.append("an unknown Content-Transfer-Encoding was read as 8bit")
            return Array(body)
        }
    }

    /// LF line ends, no NUL bytes.
    mutating func normalizeLineEnds(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        var previousCR = false
        var sawNUL = false
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\r":
                scalars.append("\n")
                previousCR = true
                continue
            case "\n":
                if !previousCR { scalars.append("\n") }
            case "\0":
                sawNUL = true
            default:
                scalars.append(scalar)
            }
            previousCR = false
        }
        if sawNUL { self.warnings.append("NUL bytes in the text were removed") }
        return String(scalars)
    }

    /// The file name without directories or control characters, at most 255 UTF-8 bytes; nil if nothing
    /// usable is left.
    static func sanitizedName(_ name: String) -> String? {
        var base = Substring(name)
        if let slash = base.lastIndex(where: { $0 == "/" || $0 == "\\" }) { base = base[base.index(after: slash)...] }
        var cleaned = String(
            String.UnicodeScalarView(base.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F })
        )
        .trimmingBlanks()
        guard !cleaned.isEmpty, cleaned != ".", cleaned != ".." else { return nil }
        while cleaned.utf8.count > 255 {
            if let dot = cleaned.lastIndex(of: "."), cleaned.distance(from: dot, to: cleaned.endIndex) <= 16,
                dot > cleaned.startIndex
            {
                cleaned.remove(at: cleaned.index(before: dot))
            } else {
                cleaned.removeLast()
            }
        }
        return cleaned
    }

    static func fileExtension(_ mediaType: String) -> String {
        switch mediaType {
        case "text/plain", "message/delivery-status", "text/rfc822-headers", "message/disposition-notification": ".txt"
        case "text/html": ".html"
        case "text/calendar": ".ics"
        case "message/rfc822": ".eml"
        case "image/png": ".png"
        case "image/jpeg": ".jpg"
        case "image/gif": ".gif"
        case "application/pdf": ".pdf"
        default: ".bin"
        }
    }

    /// A `charset` named in the first 2 KB of an HTML document (`<meta charset=...>` or the http-equiv form).
    static func metaCharset(_ bytes: [UInt8]) -> String? {
        let head = bytes.prefix(2048).map(asciiLower)
        let key = Array("charset=".utf8)
        guard head.count >= key.count else { return nil }
        for index in 0...(head.count - key.count) where head[index..<(index + key.count)].elementsEqual(key) {
            var start = index + key.count
            while start < head.count, head[start] == UInt8(ascii: "\"") || head[start] == UInt8(ascii: "'") {
                start += 1
            }
            var end = start
            while end < head.count, EncodedWordDecoder.isTokenByte(head[end]) { end += 1 }
            return end > start ? String(decoding: head[start..<end], as: UTF8.self) : nil
        }
        return nil
    }
}
