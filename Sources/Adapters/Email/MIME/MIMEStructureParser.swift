/// Builds the ``MIMEEntity`` tree of a message: header sections of body parts, and multipart bodies split at
/// their boundaries (RFC 2046 §5.1.1), bounded by ``EmailLimits/maxDepth`` and ``EmailLimits/maxParts``.
///
/// A delimiter is a line that starts with `--boundary`, optionally followed by `--` (the close delimiter) and
/// then only blanks; the line break before it belongs to it. The preamble and epilogue are ignored. A missing
/// close delimiter ends the last part at the end of its parent (with a warning); a multipart whose boundary
/// never occurs, or that has none, is read as `text/plain` (with a warning), so its words are not lost.
/// `message/rfc822` parts are not descended into: they are attachments.
struct MIMEStructureParser {
    let raw: [UInt8]
    let limits: EmailLimits
    var partCount = 0
    var warnings: [String] = []

    init(raw: [UInt8], limits: EmailLimits) {
        self.raw = raw
        self.limits = limits
    }

    mutating func entity(headers: EmailHeaders, body: Range<Int>, depth: Int, inDigest: Bool) throws(EmailParseError)
        -> MIMEEntity
    {
        self.partCount += 1
        guard self.partCount <= self.limits.maxParts else {
            throw EmailParseError(.tooManyParts, "the message has more than \(self.limits.maxParts) MIME parts")
        }
        guard depth <= self.limits.maxDepth else {
            throw EmailParseError(.tooDeep, "MIME parts are nested deeper than \(self.limits.maxDepth) levels")
        }
        var contentType = MIMEHeaderValue(value: inDigest ? "message/rfc822" : "text/plain")
        if let field = headers.first("Content-Type") {
            let parsed = MIMEHeaderValue.parse(field, warnings: &self.warnings)
            if parsed.mediaType.isEmpty || parsed.mediaSubtype.isEmpty {
                self.warnings.append("an invalid Content-Type was read as text/plain")
                contentType.parameters = parsed.parameters
            } else {
                contentType = parsed
            }
        }
        let disposition = headers.first("Content-Disposition").map {
            MIMEHeaderValue.parse($0, warnings: &self.warnings)
        }
        let encoding = (headers.first("Content-Transfer-Encoding") ?? "7bit").trimmingBlanks().lowercased()
        var entity = MIMEEntity(
            headers: headers,
            contentType: contentType,
            disposition: disposition,
            transferEncoding: encoding,
            body: body,
            children: [],
            depth: depth
        )
        guard contentType.mediaType == "multipart" else { return entity }
        guard let boundary = contentType[parameter: "boundary"], !boundary.isEmpty, boundary.utf8.count <= 200 else {
            self.warnings.append("a multipart without a usable boundary was read as text/plain")
            entity.contentType = MIMEHeaderValue(
                value: "text/plain",
                parameters: ["charset": contentType[parameter: "charset"] ?? ""]
            )
            return entity
        }
        let split = try self.split(body, boundary: Array(boundary.utf8))
        guard split.found else {
            self.warnings.append("a multipart boundary never occurs; the body was read as text/plain")
            entity.contentType = MIMEHeaderValue(value: "text/plain")
            return entity
        }
        if !split.closed { self.warnings.append("a multipart has no closing boundary") }
        for part in split.parts {
            let section = try HeaderSectionParser.parse(self.raw, in: part, limits: self.limits, requireHeaders: false)
            self.warnings.append(contentsOf: section.warnings)
            let child = try self.entity(
                headers: section.headers,
                body: section.bodyStart..<max(section.bodyStart, part.upperBound),
                depth: depth + 1,
                inDigest: contentType.mediaSubtype == "digest"
            )
            entity.children.append(child)
        }
        if entity.children.isEmpty {
            self.warnings.append("a multipart has no parts; the body was read as text/plain")
            entity.contentType = MIMEHeaderValue(value: "text/plain")
        }
        return entity
    }

    /// The body ranges of the parts between `--boundary` delimiter lines.
    func split(_ range: Range<Int>, boundary: [UInt8]) throws(EmailParseError) -> (
        parts: [Range<Int>], found: Bool, closed: Bool
    ) {
        let delimiter = Array("--".utf8) + boundary
        var parts: [Range<Int>] = []
        var partStart: Int?
        var found = false
        var index = range.lowerBound
        // Each round moves to the next line.
        while index < range.upperBound {
            let lineEnd = self.raw[index..<range.upperBound].firstIndex(of: 0x0A) ?? range.upperBound
            let next = min(lineEnd + 1, range.upperBound)
            let contentEnd = lineEnd > index && self.raw[lineEnd - 1] == 0x0D ? lineEnd - 1 : lineEnd
            if contentEnd - index >= delimiter.count,
                self.raw[index..<(index + delimiter.count)].elementsEqual(delimiter)
            {
                var rest = self.raw[(index + delimiter.count)..<contentEnd]
                let isClose = rest.starts(with: [0x2D, 0x2D])
                if isClose { rest = rest.dropFirst(2) }
                if rest.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
                    found = true
                    if let start = partStart {
                        var end = index
                        if end > start, self.raw[end - 1] == 0x0A { end -= 1 }
                        if end > start, self.raw[end - 1] == 0x0D { end -= 1 }
                        parts.append(start..<max(start, end))
                        guard parts.count < self.limits.maxParts else {
                            throw EmailParseError(
                                .tooManyParts,
                                "the message has more than \(self.limits.maxParts) MIME parts"
                            )
                        }
                    }
                    if isClose { return (parts, true, true) }
                    partStart = next
                }
            }
            index = next
        }
        if let start = partStart { parts.append(start..<range.upperBound) }
        return (parts, found, false)
    }
}
