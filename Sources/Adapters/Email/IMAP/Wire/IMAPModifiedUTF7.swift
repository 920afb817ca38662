/// Mailbox names in modified UTF-7 (RFC 3501 §5.1.3): printable US-ASCII stands for itself, `&` is `&-`,
/// anything else is `&` + base64 of UTF-16BE with `,` for `/` and no padding + `-`.
///
///     "Entwürfe"  <->  "Entw&APw-rfe"
///     "R&D"       <->  "R&-D"
public enum IMAPModifiedUTF7 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,".utf8)

    public static func encode(_ name: String) -> String {
        var output: [UInt8] = []
        var pending: [UInt16] = []

        func flush() {
            guard !pending.isEmpty else { return }
            var bytes: [UInt8] = []
            for unit in pending {
                bytes.append(UInt8(unit >> 8))
                bytes.append(UInt8(unit & 0xFF))
            }
            output.append(UInt8(ascii: "&"))
            var index = 0
            while index < bytes.count {
                let chunk = bytes[index..<min(index + 3, bytes.count)]
                let value = chunk.enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (16 - 8 * $1.offset) }
                for sextet in 0..<(chunk.count + 1) {
                    output.append(Self.alphabet[Int(value >> (18 - 6 * sextet) & 0x3F)])
                }
                index += 3
            }
            output.append(UInt8(ascii: "-"))
            pending = []
        }

        for scalar in name.unicodeScalars {
            if scalar.value >= 0x20, scalar.value <= 0x7E {
                flush()
                output.append(UInt8(scalar.value))
                if scalar == "&" { output.append(UInt8(ascii: "-")) }
            } else {
                pending.append(contentsOf: UTF16.encode(scalar).map { Array($0) } ?? [])
            }
        }
        flush()
        return String(decoding: output, as: UTF8.self)
    }

    /// Decodes a modified UTF-7 name; nil when it is not valid modified UTF-7.
    public static func decode(_ encoded: String) -> String? {
        var units: [UInt16] = []
        var bytes = Array(encoded.utf8)[...]
        while let byte = bytes.popFirst() {
            guard byte >= 0x20, byte <= 0x7E else { return nil }
            guard byte == UInt8(ascii: "&") else {
                units.append(UInt16(byte))
                continue
            }
            guard let end = bytes.firstIndex(of: UInt8(ascii: "-")) else { return nil }
            let run = bytes[bytes.startIndex..<end]
            bytes = bytes[(end + 1)...]
            if run.isEmpty {
                units.append(UInt16(UInt8(ascii: "&")))
                continue
            }
            var bits: UInt32 = 0
            var bitCount = 0
            var decoded: [UInt8] = []
            for character in run {
                guard let value = Self.alphabet.firstIndex(of: character) else { return nil }
                bits = bits << 6 | UInt32(value)
                bitCount += 6
                if bitCount >= 8 {
                    bitCount -= 8
                    decoded.append(UInt8(bits >> UInt32(bitCount) & 0xFF))
                }
            }
            guard decoded.count % 2 == 0, !decoded.isEmpty else { return nil }
            for pair in stride(from: 0, to: decoded.count, by: 2) {
                units.append(UInt16(decoded[pair]) << 8 | UInt16(decoded[pair + 1]))
            }
        }
        var scalars = String.UnicodeScalarView()
        var iterator = units.makeIterator()
        var utf16 = UTF16()
        loop: while true {
            switch utf16.decode(&iterator) {
            case .scalarValue(let scalar): scalars.append(scalar)
            case .emptyInput: break loop
            case .error: return nil
            }
        }
        return String(scalars)
    }
}
