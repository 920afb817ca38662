/// Bounds on everything the email parser holds or walks. Exceeding one is an ``EmailParseError``, never a
/// truncation, so an oversized message is refused (and audited) rather than bridged half-read.
public struct EmailLimits: Hashable, Sendable {
    /// The raw message size (default 32 MiB: a 25 MB attachment after base64 growth plus headers).
    public var maxMessageBytes: Int
    /// One physical header line, CRLF excluded. RFC 5322 §2.1.1 says 998; real mail is sloppier.
    public var maxHeaderLineBytes: Int
    /// One header section (the top-level message's or a body part's), folded lines included.
    public var maxHeaderSectionBytes: Int
    /// Header fields in one header section.
    public var maxHeaderFields: Int
    /// MIME nesting: the message itself is depth 0, the parts of a top-level multipart depth 1.
    public var maxDepth: Int
    /// MIME entities in the whole message, the message itself included.
    public var maxParts: Int
    /// One decoded attachment.
    public var maxAttachmentBytes: Int
    /// Message ids kept from References (the most recent ones are kept).
    public var maxReferences: Int

    public init(
        maxMessageBytes: Int = 32 * 1024 * 1024,
        maxHeaderLineBytes: Int = 16 * 1024,
        maxHeaderSectionBytes: Int = 512 * 1024,
        maxHeaderFields: Int = 1000,
        maxDepth: Int = 16,
        maxParts: Int = 500,
        maxAttachmentBytes: Int = 25 * 1024 * 1024,
        maxReferences: Int = 100
    ) {
        self.maxMessageBytes = maxMessageBytes
        self.maxHeaderLineBytes = maxHeaderLineBytes
        self.maxHeaderSectionBytes = maxHeaderSectionBytes
        self.maxHeaderFields = maxHeaderFields
        self.maxDepth = maxDepth
        self.maxParts = maxParts
        self.maxAttachmentBytes = maxAttachmentBytes
        self.maxReferences = maxReferences
    }
}
