import Glibc

/// A character set named by a MIME label (`charset=` parameter, RFC 2047 encoded word), decoded to Unicode
/// with glibc `iconv` (Debian's libc6 ships the gconv modules).
///
/// Labels are normalized (`latin1`, `ISO_8859-1:1987`, `cp1252`, `x-sjis`, `csKOI8R` ...). Where mail in the
/// wild labels a charset by its narrower name but writes its vendor superset, the superset is tried first:
/// ISO-8859-1 is decoded as Windows-1252 (the WHATWG rule: C1 bytes are smart quotes, not controls), GB2312
/// and GBK as GB18030, Shift_JIS as CP932, EUC-JP then EUC-JP-MS, Big5 then Big5-HKSCS.
public struct Charset: Hashable, Sendable {
    /// The canonical name, e.g. `ISO-8859-2`, `WINDOWS-1251`, `SHIFT_JIS`.
    public let name: String
    /// iconv names tried in order; the first that decodes the bytes without error wins.
    let iconvNames: [String]

    init(name: String, iconvNames: [String]) {
        self.name = name
        self.iconvNames = iconvNames
    }

    public static let utf8 = Charset(name: "UTF-8", iconvNames: [])
    public static let usASCII = Charset(name: "US-ASCII", iconvNames: [])
    /// ISO-8859-1, read as its Windows-1252 superset where that decodes.
    public static let latin1 = Charset(name: "ISO-8859-1", iconvNames: ["WINDOWS-1252", "ISO-8859-1"])

    /// The charset a label names, or nil when neither the alias table nor glibc knows it.
    public init?(label: String) {
        let key = Charset.normalizedKey(label)
        guard !key.isEmpty, key.utf8.count <= 64 else { return nil }
        if let known = Charset.known(key) {
            self = known
            return
        }
        // Not in the table: glibc knows many more aliases (UTF-16, CP437, TIS-620 ...). Only plain names go there.
        let plain = key.utf8.allSatisfy {
            ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x2E
        }
        guard plain, Charset.iconvAvailable(key.uppercased()) else { return nil }
        self.init(name: key.uppercased(), iconvNames: [key.uppercased()])
    }

    /// Decodes bytes strictly: nil if they are not valid in this charset.
    public func decode(_ bytes: [UInt8]) -> String? {
        if self.iconvNames.isEmpty { return String(validating: bytes, as: UTF8.self) }
        for name in self.iconvNames {
            if let text = Charset.convert(bytes, from: name, lossy: false) { return text }
        }
        return nil
    }

    /// Decodes bytes, replacing sequences that are invalid in this charset with U+FFFD.
    public func decodeReplacing(_ bytes: [UInt8]) -> String {
        if let text = self.decode(bytes) { return text }
        if self.iconvNames.isEmpty { return String(decoding: bytes, as: UTF8.self) }
        return Charset.convert(bytes, from: self.iconvNames[0], lossy: true) ?? String(decoding: bytes, as: UTF8.self)
    }

    /// Decodes the text of a MIME part or encoded word as its label says, tolerantly.
    ///
    /// - No label: UTF-8 if valid, else ISO-8859-1 (with a warning only in the second case).
    /// - An unknown label: the same fallback, with a warning naming the label.
    /// - `us-ascii` with 8-bit bytes: the same fallback, with a warning.
    /// - A known label with bytes invalid in it: invalid sequences become U+FFFD, with a warning.
    public static func decodeText(_ bytes: [UInt8], label: String?) -> (text: String, warning: String?) {
        guard let label, !normalizedKey(label).isEmpty else {
            let (text, usedUTF8) = fallback(bytes)
            return (text, usedUTF8 ? nil : "8-bit text without a charset was decoded as ISO-8859-1")
        }
        guard let charset = Charset(label: label) else {
            let (text, usedUTF8) = fallback(bytes)
            return (
                text, "unknown charset '\(sanitizedLabel(label))' was decoded as \(usedUTF8 ? "UTF-8" : "ISO-8859-1")"
            )
        }
        if charset == .usASCII {
            if bytes.allSatisfy({ $0 < 0x80 }) { return (String(decoding: bytes, as: UTF8.self), nil) }
            let (text, usedUTF8) = fallback(bytes)
            return (text, "8-bit bytes in a us-ascii text were decoded as \(usedUTF8 ? "UTF-8" : "ISO-8859-1")")
        }
        if let text = charset.decode(bytes) { return (text, nil) }
        return (charset.decodeReplacing(bytes), "bytes invalid in \(charset.name) were replaced")
    }

    /// UTF-8 if the bytes are valid UTF-8, else ISO-8859-1 (Windows-1252 where defined).
    static func fallback(_ bytes: [UInt8]) -> (text: String, usedUTF8: Bool) {
        if let text = String(validating: bytes, as: UTF8.self) { return (text, true) }
        return (latin1.decodeReplacing(bytes), false)
    }

    /// A label safe to quote in a warning: at most 40 printable ASCII characters.
    static func sanitizedLabel(_ label: String) -> String {
        String(
            String.UnicodeScalarView(
                label.unicodeScalars.filter { $0.value > 0x20 && $0.value < 0x7F && $0 != "'" }.prefix(40)
            )
        )
    }

    /// Lower case, quotes and blanks trimmed, `_` as `-`.
    static func normalizedKey(_ label: String) -> String {
        var key = label.lowercased()
        key = String(
            key.unicodeScalars.filter { $0 != "\"" && $0 != "'" && $0 != " " && $0 != "\t" }.map(Character.init)
        )
        return key.replacingUnderscores()
    }
}

extension String {
    fileprivate func replacingUnderscores() -> String {
        String(self.map { $0 == "_" ? "-" : $0 })
    }
}

extension Charset {
    /// The alias table: normalized label to charset.
    static func known(_ key: String) -> Charset? {
        switch key {
        case "utf-8", "utf8", "unicode-1-1-utf-8", "x-unicode20utf8", "unicode-2-0-utf-8":
            return .utf8
        case "us-ascii", "ascii", "us", "ansi-x3.4-1968", "ansi-x3.4-1986", "iso646-us", "iso-ir-6", "cp367",
            "ibm367", "csascii", "iso-646.irv:1991":
            return .usASCII
        case "latin1", "l1", "cp819", "ibm819", "csisolatin1", "iso-ir-100":
            return .latin1
        case "latin2", "l2", "csisolatin2": return iso8859(2)
        case "latin3", "l3": return iso8859(3)
        case "latin4", "l4": return iso8859(4)
        case "cyrillic", "csisolatincyrillic": return iso8859(5)
        case "arabic", "csisolatinarabic", "iso-8859-6-i", "iso-8859-6-e": return iso8859(6)
        case "greek", "greek8", "csisolatingreek": return iso8859(7)
        case "hebrew", "csisolatinhebrew", "iso-8859-8-i", "iso-8859-8-e": return iso8859(8)
        case "latin5", "l5": return iso8859(9)
        case "latin6", "l6": return iso8859(10)
        case "latin7", "l7": return iso8859(13)
        case "latin8", "l8": return iso8859(14)
        case "latin9", "l9": return iso8859(15)
        case "latin10", "l10": return iso8859(16)
        case "iso-2022-jp", "csiso2022jp", "jis":
            return Charset(name: "ISO-2022-JP", iconvNames: ["ISO-2022-JP", "ISO-2022-JP-3"])
        case "iso-2022-jp-2", "csiso2022jp2": return Charset(name: "ISO-2022-JP-2", iconvNames: ["ISO-2022-JP-2"])
        case "shift-jis", "shiftjis", "sjis", "x-sjis", "ms-kanji", "csshiftjis", "windows-31j", "cp932", "ms932",
            "x-ms-cp932":
            return Charset(name: "SHIFT_JIS", iconvNames: ["CP932", "SJIS"])
        case "euc-jp", "eucjp", "x-euc-jp", "cseucpkdfmtjapanese", "x-eucjp":
            return Charset(name: "EUC-JP", iconvNames: ["EUC-JP", "EUC-JP-MS"])
        case "gb2312", "gb-2312", "csgb2312", "euc-cn", "euccn", "x-euc-cn", "chinese", "iso-ir-58", "gb-2312-80":
            return Charset(name: "GB2312", iconvNames: ["GB18030"])
        case "gbk", "x-gbk", "cp936", "ms936", "windows-936":
            return Charset(name: "GBK", iconvNames: ["GB18030"])
        case "gb18030": return Charset(name: "GB18030", iconvNames: ["GB18030"])
        case "big5", "big-5", "cn-big5", "x-x-big5", "csbig5", "x-big5", "cp950":
            return Charset(name: "BIG5", iconvNames: ["BIG5", "BIG5-HKSCS"])
        case "big5-hkscs", "big5hkscs": return Charset(name: "BIG5-HKSCS", iconvNames: ["BIG5-HKSCS"])
        case "koi8-r", "koi8r", "cskoi8r", "koi8", "koi": return Charset(name: "KOI8-R", iconvNames: ["KOI8-R"])
        case "koi8-u", "koi8u", "koi8-ru": return Charset(name: "KOI8-U", iconvNames: ["KOI8-U"])
        default:
            break
        }
        for prefix in ["iso-8859-", "iso8859-", "iso-8859", "iso8859"] where key.hasPrefix(prefix) {
            // `iso-8859-2:1987` and friends.
            let digits = key.dropFirst(prefix.count).prefix { $0.isASCII && $0.isNumber }
            if let number = Int(digits), (1...16).contains(number), number != 12 {
                return number == 1 ? .latin1 : iso8859(number)
            }
            return nil
        }
        for prefix in ["windows-", "x-cp", "cp", "win-", "win"] where key.hasPrefix(prefix) {
            if let number = Int(key.dropFirst(prefix.count)), (1250...1258).contains(number) {
                return Charset(name: "WINDOWS-\(number)", iconvNames: ["WINDOWS-\(number)"])
            }
        }
        return nil
    }

    static func iso8859(_ number: Int) -> Charset {
        Charset(name: "ISO-8859-\(number)", iconvNames: ["ISO-8859-\(number)"])
    }

    static func iconvAvailable(_ name: String) -> Bool {
        let descriptor = iconv_open("UTF-8", name)
        if Int(bitPattern: descriptor) == -1 { return false }
        iconv_close(descriptor)
        return true
    }

    /// Runs iconv over the bytes. Strict mode returns nil at the first invalid or incomplete sequence; lossy mode
    /// writes U+FFFD for it and skips one byte. Nil also if iconv does not know `name`.
    static func convert(_ bytes: [UInt8], from name: String, lossy: Bool) -> String? {
        if bytes.isEmpty { return "" }
        let descriptor = iconv_open("UTF-8", name)
        if Int(bitPattern: descriptor) == -1 { return nil }
        defer { iconv_close(descriptor) }
        let replacement: [UInt8] = [0xEF, 0xBF, 0xBD]
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count * 2 + 16)
        var chunk = [UInt8](repeating: 0, count: 4096)
        var input = bytes
        let complete: Bool = input.withUnsafeMutableBytes { inputBuffer in
            chunk.withUnsafeMutableBytes { chunkBuffer in
                let inputBase = inputBuffer.baseAddress!.assumingMemoryBound(to: CChar.self)
                let chunkBase = chunkBuffer.baseAddress!.assumingMemoryBound(to: CChar.self)
                var inPointer: UnsafeMutablePointer<CChar>? = inputBase
                var inLeft = bytes.count
                // Each round consumes input, emits output, or skips a byte: bounded by input plus output size.
                for _ in 0..<(bytes.count * 2 + 16) {
                    var outPointer: UnsafeMutablePointer<CChar>? = chunkBase
                    var outLeft = chunkBuffer.count
                    let result =
                        inLeft == 0
                        ? iconv(descriptor, nil, nil, &outPointer, &outLeft)
                        : iconv(descriptor, &inPointer, &inLeft, &outPointer, &outLeft)
                    let failure = result == -1 ? errno : 0
                    output.append(
                        contentsOf: UnsafeRawBufferPointer(
                            start: chunkBuffer.baseAddress,
                            count: chunkBuffer.count - outLeft
                        )
                    )
                    if result != -1 {
                        // Done once a flush round (input empty) emits nothing more; else go round again.
                        if inLeft == 0 && outLeft == chunkBuffer.count { return true }
                        continue
                    }
                    switch failure {
                    case E2BIG:
                        continue
                    case EILSEQ, EINVAL:
                        guard lossy else { return false }
                        output.append(contentsOf: replacement)
                        inPointer = inPointer.map { $0 + 1 }
                        inLeft -= 1
                    default:
                        return false
                    }
                }
                return false
            }
        }
        guard complete || lossy else { return nil }
        return String(decoding: output, as: UTF8.self)
    }
}
