import CExpat
import NIOCore

/// What the parser found in the bytes fed so far.
public enum XMPPStreamEvent: Hashable, Sendable {
    /// `<stream:stream ...>`: the element with its attributes, no children.
    case streamOpened(XMLElement)
    /// One complete first-level element (a stanza, `<handshake/>`, `<stream:error/>`, ...).
    case stanza(XMLElement)
    /// A first-level element that broke a per-stanza limit (nesting, attributes): only its name and its
    /// addressing attributes (`from`, `to`, `id`, `type`) are kept, so it can be answered with a stanza
    /// error while the stream goes on (RFC 6120 §8.3: a bad stanza is that stanza's error, not the stream's).
    case refusedStanza(XMLElement, reason: String)
    /// `</stream:stream>`.
    case streamClosed
}

/// Limits on what one stream may make the parser hold.
public struct XMPPStreamLimits: Hashable, Sendable {
    /// Bytes from a stanza's `<` to its end.
    public var maxStanzaBytes = 256 * 1024
    /// Element nesting, counting `<stream:stream>` as 1.
    public var maxDepth = 32
    public var maxAttributes = 64
    /// Bytes fed without the parser completing anything (a tag, a text run). Bounds expat 2.5's
    /// re-scanning of one unfinished token, which is quadratic in the token's length.
    public var maxTokenBytes = 16 * 1024

    public init() {}
}

/// An incremental XMPP stream parser over libexpat (RFC 6120 §4, with the restricted XML of §11.1).
///
/// Feed it every TCP chunk as it arrives, split anywhere (inside a tag, inside a UTF-8 sequence); it
/// returns the events completed by that chunk. A stanza that nests too deep or carries too many
/// attributes is skipped to its end and reported as ``XMPPStreamEvent/refusedStanza(_:reason:)``; the
/// stream goes on. Anything else that breaks the rules (not well-formed XML, restricted XML, an
/// oversized stanza or token) ends the stream: the error names the stream error condition to send, and
/// every later call throws it again. Events completed before the violation in the same chunk are still
/// returned; the error is thrown by the next call (``finish()`` included).
///
///     <stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' id='3f1c'>
///       <message to='alice@acme.test' from='bob\40globex.test@gw.acme.test'><body>hi</body></message>
///
/// Not thread-safe: one parser per connection, used from that connection's event loop.
public final class XMPPStreamParser {
    public static let streamsNamespace = "http://etherx.jabber.org/streams"
    static let separator: CChar = 0x20

    let limits: XMPPStreamLimits
    private let parser: XML_Parser
    private var stack: [XMLElement] = []
    private var events: [XMPPStreamEvent] = []
    private var failure: XMPPStreamError?
    private var opened = false
    private var closed = false
    /// Total bytes handed to expat.
    private var fed = 0
    /// Byte index where the current stanza began, while inside one.
    private var stanzaStart: Int?
    /// Bytes fed when a handler last ran.
    private var lastProgress = 0
    /// While skipping a refused stanza: why, its top element (addressing only), and how deep inside it
    /// the parser is (1 = the stanza element itself).
    private var skipping: (reason: String, element: XMLElement, depth: Int)?

    public init(limits: XMPPStreamLimits = XMPPStreamLimits()) {
        self.limits = limits
        guard let parser = XML_ParserCreateNS(nil, Self.separator) else {
            preconditionFailure("libexpat could not allocate a parser")
        }
        self.parser = parser
        XML_SetUserData(parser, Unmanaged.passUnretained(self).toOpaque())
        XML_SetElementHandler(parser, { user, name, attributes in
            XMPPStreamParser.instance(user).startElement(name, attributes)
        }, { user, name in
            XMPPStreamParser.instance(user).endElement(name)
        })
        XML_SetCharacterDataHandler(parser, { user, bytes, length in
            XMPPStreamParser.instance(user).characters(bytes, Int(length))
        })
        XML_SetStartDoctypeDeclHandler(parser, { user, _, _, _, _ in
            XMPPStreamParser.instance(user).fail(.restrictedXML, "a document type declaration")
        })
        XML_SetCommentHandler(parser, { user, _ in XMPPStreamParser.instance(user).fail(.restrictedXML, "a comment") })
        XML_SetProcessingInstructionHandler(parser, { user, _, _ in
            XMPPStreamParser.instance(user).fail(.restrictedXML, "a processing instruction")
        })
        XML_SetEntityDeclHandler(parser, { user, _, _, _, _, _, _, _, _ in
            XMPPStreamParser.instance(user).fail(.restrictedXML, "an entity declaration")
        })
        // Belt and braces: no DTD is ever accepted, so entity amplification cannot start; cap it anyway.
        _ = XML_SetBillionLaughsAttackProtectionMaximumAmplification(parser, 10)
        _ = XML_SetBillionLaughsAttackProtectionActivationThreshold(parser, 64 * 1024)
    }

    deinit { XML_ParserFree(self.parser) }

    private static func instance(_ user: UnsafeMutableRawPointer?) -> XMPPStreamParser {
        Unmanaged<XMPPStreamParser>.fromOpaque(user!).takeUnretainedValue()
    }

    /// Parses the next chunk of the stream.
    /// - Returns: the events this chunk completed, in order.
    /// - Throws: ``XMPPStreamError`` naming the stream error condition; the stream is then unusable.
    public func feed(_ bytes: UnsafeRawBufferPointer) throws(XMPPStreamError) -> [XMPPStreamEvent] {
        if let failure = self.failure { throw failure }
        do {
            return try self.parse(bytes)
        } catch {
            guard !self.events.isEmpty else { throw error }
            defer { self.events.removeAll(keepingCapacity: true) }
            return self.events
        }
    }

    private func parse(_ bytes: UnsafeRawBufferPointer) throws(XMPPStreamError) -> [XMPPStreamEvent] {
        // Slices keep every limit checked at a bounded distance past where it was crossed.
        let slice = 4096
        var offset = 0
        while offset < bytes.count {
            let length = min(slice, bytes.count - offset)
            let base = bytes.baseAddress!.advanced(by: offset).assumingMemoryBound(to: CChar.self)
            let status = XML_Parse(self.parser, base, Int32(length), 0)
            self.fed += length
            offset += length
            if let failure = self.failure { throw failure }
            if status != XML_STATUS_OK {
                self.fail(.notWellFormed, String(cString: XML_ErrorString(XML_GetErrorCode(self.parser))))
                throw self.failure!
            }
            if let start = self.stanzaStart, self.fed - start > self.limits.maxStanzaBytes {
                self.fail(.policyViolation, "a stanza is larger than \(self.limits.maxStanzaBytes) bytes")
                throw self.failure!
            }
            if self.fed - self.lastProgress > self.limits.maxTokenBytes {
                self.fail(.policyViolation, "more than \(self.limits.maxTokenBytes) bytes without a complete tag or text")
                throw self.failure!
            }
        }
        defer { self.events.removeAll(keepingCapacity: true) }
        return self.events
    }

    public func feed(_ bytes: [UInt8]) throws(XMPPStreamError) -> [XMPPStreamEvent] {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(XMPPStreamError) in try self.feed(raw) }
        }
        return try result.get()
    }

    public func feed(_ buffer: ByteBuffer) throws(XMPPStreamError) -> [XMPPStreamEvent] {
        let result = buffer.withUnsafeReadableBytes { raw in
            Result { () throws(XMPPStreamError) in try self.feed(raw) }
        }
        return try result.get()
    }

    /// Throws the stream error if a chunk fed so far ended the stream (after handing over the stanzas
    /// that completed before it).
    public func throwIfFailed() throws(XMPPStreamError) {
        if let failure = self.failure { throw failure }
    }

    /// The connection ended. A stream that stopped inside a stanza (or never closed cleanly mid-stanza) is
    /// an error; one that ended between stanzas is not.
    public func finish() throws(XMPPStreamError) {
        if let failure = self.failure { throw failure }
        if self.stanzaStart != nil {
            self.fail(.badFormat, "the stream ended inside a stanza")
            throw self.failure!
        }
    }

    // MARK: expat callbacks

    private func fail(_ code: XMPPStreamError.Code, _ detail: String) {
        guard self.failure == nil else { return }
        self.failure = XMPPStreamError(code, detail)
        XML_StopParser(self.parser, XML_FALSE)
    }

    private func startElement(_ rawName: UnsafePointer<CChar>?, _ rawAttributes: UnsafeMutablePointer<UnsafePointer<CChar>?>?) {
        guard self.failure == nil, let rawName else { return }
        self.markProgress()
        if self.skipping != nil {
            self.skipping!.depth += 1
            return
        }
        let (namespace, name) = Self.split(rawName)
        var attributes: [XMLElement.Attribute] = []
        var addressing: [XMLElement.Attribute] = []
        var tooMany = false
        if var pointer = rawAttributes {
            while let attributeName = pointer.pointee, let value = pointer.advanced(by: 1).pointee {
                let (attributeNamespace, local) = Self.split(attributeName)
                let attribute = XMLElement.Attribute(namespace: attributeNamespace, name: local, value: String(cString: value))
                if attributeNamespace == nil, ["from", "to", "id", "type"].contains(local) { addressing.append(attribute) }
                if attributes.count < self.limits.maxAttributes {
                    attributes.append(attribute)
                } else {
                    tooMany = true
                }
                pointer = pointer.advanced(by: 2)
            }
        }
        if self.opened, self.stack.count >= 1, tooMany || self.stack.count >= self.limits.maxDepth {
            let reason = tooMany
                ? "an element has more than \(self.limits.maxAttributes) attributes"
                : "elements nest deeper than \(self.limits.maxDepth)"
            if self.stack.count == 1 {
                // The stanza element itself: skip it whole, keeping its addressing for the answer.
                self.stanzaStart = Int(XML_GetCurrentByteIndex(self.parser))
                self.skipping = (reason, XMLElement(name: name, namespace: namespace, attributes: addressing), 1)
            } else {
                // Inside a stanza: drop what was built of it and skip to its end.
                // The stanza and the children still open (count - 1), plus this element.
                let open = self.stack.count
                let top = self.stack[1]
                let kept = top.attributes.filter { $0.namespace == nil && ["from", "to", "id", "type"].contains($0.name) }
                self.stack.removeLast(self.stack.count - 1)
                self.skipping = (reason, XMLElement(name: top.name, namespace: top.namespace, attributes: kept), open)
            }
            return
        }
        if tooMany {
            return self.fail(.policyViolation, "an element has more than \(self.limits.maxAttributes) attributes")
        }
        let element = XMLElement(name: name, namespace: namespace, attributes: attributes)
        if !self.opened {
            guard name == "stream", namespace == Self.streamsNamespace else {
                return self.fail(.invalidNamespace, "the root element is not <stream:stream>")
            }
            self.opened = true
            self.stack = [element]
            self.events.append(.streamOpened(element))
            return
        }
        if self.stack.count == 1 { self.stanzaStart = Int(XML_GetCurrentByteIndex(self.parser)) }
        self.stack.append(element)
    }

    private func endElement(_ rawName: UnsafePointer<CChar>?) {
        guard self.failure == nil else { return }
        self.markProgress()
        if let skipping = self.skipping {
            if skipping.depth > 1 {
                self.skipping!.depth -= 1
            } else {
                self.skipping = nil
                self.stanzaStart = nil
                self.events.append(.refusedStanza(skipping.element, reason: skipping.reason))
            }
            return
        }
        guard let element = self.stack.popLast() else { return }
        switch self.stack.count {
        case 0:
            self.closed = true
            self.events.append(.streamClosed)
        case 1:
            self.stanzaStart = nil
            self.events.append(.stanza(element))
        default:
            self.stack[self.stack.count - 1].children.append(.element(element))
        }
    }

    private func characters(_ bytes: UnsafePointer<CChar>?, _ length: Int) {
        guard self.failure == nil, let bytes, length > 0 else { return }
        self.markProgress()
        if self.skipping != nil { return }
        let text = String(decoding: UnsafeRawBufferPointer(start: bytes, count: length), as: UTF8.self)
        guard self.stack.count >= 2 else {
            // Between stanzas only whitespace (keepalives) is allowed.
            if text.utf8.contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }) {
                self.fail(.badFormat, "text between stanzas")
            }
            return
        }
        let top = self.stack.count - 1
        if case .text(let previous) = self.stack[top].children.last {
            self.stack[top].children[self.stack[top].children.count - 1] = .text(previous + text)
        } else {
            self.stack[top].children.append(.text(text))
        }
    }

    /// A handler ran: the parser is not stuck re-scanning one unfinished token.
    private func markProgress() {
        let index = Int(XML_GetCurrentByteIndex(self.parser))
        if index >= 0 { self.lastProgress = index }
    }

    private static func split(_ raw: UnsafePointer<CChar>) -> (namespace: String?, name: String) {
        let text = String(cString: raw)
        guard let space = text.lastIndex(of: " ") else { return (nil, text) }
        return (String(text[..<space]), String(text[text.index(after: space)...]))
    }
}
