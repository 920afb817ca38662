/// A file carried by an email: an attachment, or an inline image of a `multipart/related` HTML body.
public struct EmailAttachment: Hashable, Sendable {
    /// The file name without any path, RFC 2231/2047-decoded; `part-N.ext` when the sender gave none.
    public var name: String
    /// The lower-cased media type, e.g. `application/pdf`.
    public var mediaType: String
    /// The decoded size in bytes.
    public var size: Int
    /// SHA-256 of the decoded bytes, lower-case hex.
    public var sha256: String
    public var bytes: [UInt8]
    /// Shown inline (Content-Disposition `inline`, or a resource of a `multipart/related` body).
    public var isInline: Bool
    /// The Content-ID without angle brackets, which `cid:` URLs in the HTML refer to.
    public var contentID: String?

    public init(name: String, mediaType: String, sha256: String, bytes: [UInt8], isInline: Bool, contentID: String?) {
        self.name = name
        self.mediaType = mediaType
        self.size = bytes.count
        self.sha256 = sha256
        self.bytes = bytes
        self.isInline = isInline
        self.contentID = contentID
    }
}
