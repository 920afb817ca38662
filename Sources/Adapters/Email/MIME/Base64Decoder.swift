/// RFC 2045 §6.8 base64, decoded tolerantly: line breaks and blanks anywhere are skipped, other characters
/// outside the alphabet are skipped and flagged, data after padding is decoded too (some encoders concatenate
/// encoded chunks), and a final incomplete quantum keeps the bytes it holds and is flagged as truncated.
public enum Base64Decoder {
    public struct Result: Hashable, Sendable {
        public var bytes: [UInt8]
        /// Characters outside the base64 alphabet (other than blanks and line breaks) were skipped.
        public var hadInvalidCharacters: Bool
        /// The data ended inside a 4-character quantum.
        public var wasTruncated: Bool
    }

    static let table: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, byte) in Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8).enumerated()
        {
            table[Int(byte)] = UInt8(index)
        }
        return table
    }()

    public static func decode(_ input: ArraySlice<UInt8>) -> Result {
        var output: [UInt8] = []
        output.reserveCapacity(input.count / 4 * 3 + 3)
        var invalid = false
        var quantum: UInt32 = 0
        var count = 0
        for byte in input {
            let value = table[Int(byte)]
            if value != 0xFF {
                quantum = quantum << 6 | UInt32(value)
                count += 1
                if count == 4 {
                    output.append(UInt8(truncatingIfNeeded: quantum >> 16))
                    output.append(UInt8(truncatingIfNeeded: quantum >> 8))
                    output.append(UInt8(truncatingIfNeeded: quantum))
                    quantum = 0
                    count = 0
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "="):
                // Padding ends the quantum: keep its whole bytes.
                flush(&quantum, &count, into: &output)
            case 0x20, 0x09, 0x0D, 0x0A:
                continue
            default:
                invalid = true
            }
        }
        let truncated = count != 0
        flush(&quantum, &count, into: &output)
        return Result(bytes: output, hadInvalidCharacters: invalid, wasTruncated: truncated)
    }

    /// Emits the whole bytes of a partial quantum (2 characters: 1 byte, 3: 2 bytes; 1 carries none).
    private static func flush(_ quantum: inout UInt32, _ count: inout Int, into output: inout [UInt8]) {
        switch count {
        case 2:
            output.append(UInt8(truncatingIfNeeded: quantum >> 4))
        case 3:
            output.append(UInt8(truncatingIfNeeded: quantum >> 10))
            output.append(UInt8(truncatingIfNeeded: quantum >> 2))
        default:
            break
        }
        quantum = 0
        count = 0
    }
}
