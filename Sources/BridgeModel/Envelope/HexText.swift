/// Lower-case hex text of bytes, written directly into the string's storage (no formatter per byte).
public enum HexText {
    private static let digits = Array("0123456789abcdef".utf8)

    public static func lowercase(_ bytes: some Sequence<UInt8>) -> String {
        let bytes = Array(bytes)
        return String(unsafeUninitializedCapacity: bytes.count * 2) { buffer in
            for (index, byte) in bytes.enumerated() {
                buffer[2 * index] = Self.digits[Int(byte >> 4)]
                buffer[2 * index + 1] = Self.digits[Int(byte & 0x0F)]
            }
            return bytes.count * 2
        }
    }
}
