/// Why a raw message could not be turned into an ``InboundEmail``.
///
/// `shortDescription` is the payload-free audit reason code (`no-from`, `too-deep`, ...); `reason` is a sentence
/// for operators. Neither ever contains message content: header values and body bytes stay out of both.
public struct EmailParseError: Error, Hashable, Sendable, CustomStringConvertible {
    enum Code: Hashable, Sendable {
        /// The message exceeds ``EmailLimits/maxMessageBytes``.
        case tooLarge
        /// One physical header line exceeds ``EmailLimits/maxHeaderLineBytes``, or a header section
        /// exceeds ``EmailLimits/maxHeaderSectionBytes``.
        case headerTooLong
        /// More header fields than ``EmailLimits/maxHeaderFields`` in one header section.
        case tooManyHeaders
        /// MIME nesting deeper than ``EmailLimits/maxDepth``.
        case tooDeep
        /// More MIME entities than ``EmailLimits/maxParts``.
        case tooManyParts
        /// A decoded attachment larger than ``EmailLimits/maxAttachmentBytes``.
        case attachmentTooLarge
        /// Not a message at all: the text does not start with a header field.
        case headerMalformed
        /// No From header, or none of its addresses could be parsed.
        case noFrom
    }

    let code: Code
    /// Operator-facing explanation, never message content.
    public let reason: String

    init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    /// The audit reason code.
    public var shortDescription: String {
        switch self.code {
        case .tooLarge: "too-large"
        case .headerTooLong: "header-too-long"
        case .tooManyHeaders: "too-many-headers"
        case .tooDeep: "too-deep"
        case .tooManyParts: "too-many-parts"
        case .attachmentTooLarge: "attachment-too-large"
        case .headerMalformed: "header-malformed"
        case .noFrom: "no-from"
        }
    }

    public var description: String { "\(self.shortDescription): \(self.reason)" }
}
