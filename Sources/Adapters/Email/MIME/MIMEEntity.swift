/// One node of a message's MIME tree (RFC 2045 §2.4): its header fields, its interpreted content headers, and
/// either its body (a range of the raw message, still transfer-encoded) or, for a multipart, its children.
struct MIMEEntity {
    var headers: EmailHeaders
    /// The Content-Type, defaulted as RFC 2045 §5.2 says (`text/plain`, or `message/rfc822` in a digest).
    var contentType: MIMEHeaderValue
    var disposition: MIMEHeaderValue?
    /// Lower-cased Content-Transfer-Encoding, `7bit` when absent.
    var transferEncoding: String
    /// The body bytes in the raw message, after the header section.
    var body: Range<Int>
    var children: [MIMEEntity]
    var depth: Int

    var isMultipart: Bool { !self.children.isEmpty }
    var subtype: String { self.contentType.mediaSubtype }
}
