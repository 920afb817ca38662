/// RFC 2045 §6.7 quoted-printable, decoded tolerantly.
///
/// `=XX` (either hex case) is a byte; `=` before a line break (optionally after trailing blanks) is a soft
/// break; trailing blanks on a line are transport padding and dropped. A hard line break becomes CRLF. An `=`
/// that starts neither is kept literally and flagged, as RFC 2045 §6.7 note (1) advises.
public enum QuotedPrintableDecoder {
    public struct Result: Hashable, Sendable {
        public var bytes: [UInt8]
        /// An `=` not followed by two hex digits or a line break was kept literally.
        public var hadInvalidEscape: Bool
    }

    public static func decode(_ input: ArraySlice<UInt8>) -> Result {
        var output: [UInt8] = []
        output.reserveCapacity(input.count)
        var invalid = false
        var index = input.startIndex
        // Index of the first byte of the current run of blanks in `output`, to drop trailing padding.
        var blanksStart: Int?
        while index < input.endIndex {
            let byte = input[index]
            switch byte {
            case UInt8(ascii: "="):
                var next = index + 1
                // Soft break: "=" then optional blanks then LF or CRLF (or the end of the text).
                while next < input.endIndex, input[next] == 0x20 || input[next] == 0x09 { next += 1 }
                if next == input.endIndex {
                    index = next
                    continue
                }
                if input[next] == 0x0A || (input[next] == 0x0D && next + 1 < input.endIndex && input[next + 1] == 0x0A)
                {
                    index = input[next] == 0x0A ? next + 1 : next + 2
                    blanksStart = nil
                    continue
                }
                if index + 2 < input.endIndex, let high = hexValue(input[index + 1]),
                    let low = hexValue(input[index + 2])
                {
                    output.append(high << 4 | low)
                    blanksStart = nil
                    index += 3
                    continue
                }
                invalid = true
                output.append(byte)
                blanksStart = nil
                index += 1
            case 0x20, 0x09:
                if blanksStart == nil { blanksStart = output.count }
                output.append(byte)
                index += 1
            case 0x0D where index + 1 < input.endIndex && input[index + 1] == 0x0A, 0x0A:
                if let start = blanksStart { output.removeSubrange(start...) }
                blanksStart = nil
                output.append(0x0D)
                output.append(0x0A)
                index += byte == 0x0D ? 2 : 1
            default:
                blanksStart = nil
                output.append(byte)
                index += 1
            }
        }
        if let start = blanksStart { output.removeSubrange(start...) }
        return Result(bytes: output, hadInvalidEscape: invalid)
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }
}
