/// HTML character references: the named ones mail actually uses, and numeric ones (`&#233;`, `&#xE9;`).
enum HTMLEntities {
    static let named: [String: UInt32] = [
        "amp": 0x26, "lt": 0x3C, "gt": 0x3E, "quot": 0x22, "apos": 0x27, "nbsp": 0xA0, "ensp": 0x2002,
        "emsp": 0x2003, "thinsp": 0x2009, "zwnj": 0x200C, "zwj": 0x200D, "shy": 0xAD, "copy": 0xA9, "reg": 0xAE,
        "trade": 0x2122, "hellip": 0x2026, "mdash": 0x2014, "ndash": 0x2013, "lsquo": 0x2018, "rsquo": 0x2019,
        "sbquo": 0x201A, "ldquo": 0x201C, "rdquo": 0x201D, "bdquo": 0x201E, "laquo": 0xAB, "raquo": 0xBB,
        "lsaquo": 0x2039, "rsaquo": 0x203A, "bull": 0x2022, "middot": 0xB7, "euro": 0x20AC, "pound": 0xA3,
        "yen": 0xA5, "cent": 0xA2, "curren": 0xA4, "sect": 0xA7, "para": 0xB6, "deg": 0xB0, "plusmn": 0xB1,
        "times": 0xD7, "divide": 0xF7, "frac12": 0xBD, "frac14": 0xBC, "frac34": 0xBE, "sup1": 0xB9,
        "sup2": 0xB2, "sup3": 0xB3, "micro": 0xB5, "iexcl": 0xA1, "iquest": 0xBF, "uml": 0xA8, "acute": 0xB4,
        "cedil": 0xB8, "macr": 0xAF, "ordf": 0xAA, "ordm": 0xBA, "not": 0xAC, "brvbar": 0xA6, "dagger": 0x2020,
        "Dagger": 0x2021, "permil": 0x2030, "prime": 0x2032, "larr": 0x2190, "rarr": 0x2192, "uarr": 0x2191,
        "darr": 0x2193, "harr": 0x2194, "check": 0x2713, "Agrave": 0xC0, "Aacute": 0xC1, "Acirc": 0xC2,
        "Atilde": 0xC3, "Auml": 0xC4, "Aring": 0xC5, "AElig": 0xC6, "Ccedil": 0xC7, "Egrave": 0xC8,
        "Eacute": 0xC9, "Ecirc": 0xCA, "Euml": 0xCB, "Igrave": 0xCC, "Iacute": 0xCD, "Icirc": 0xCE, "Iuml": 0xCF,
        "ETH": 0xD0, "Ntilde": 0xD1, "Ograve": 0xD2, "Oacute": 0xD3, "Ocirc": 0xD4, "Otilde": 0xD5, "Ouml": 0xD6,
        "Oslash": 0xD8, "Ugrave": 0xD9, "Uacute": 0xDA, "Ucirc": 0xDB, "Uuml": 0xDC, "Yacute": 0xDD,
        "THORN": 0xDE, "szlig": 0xDF, "agrave": 0xE0, "aacute": 0xE1, "acirc": 0xE2, "atilde": 0xE3,
        "auml": 0xE4, "aring": 0xE5, "aelig": 0xE6, "ccedil": 0xE7, "egrave": 0xE8, "eacute": 0xE9,
        "ecirc": 0xEA, "euml": 0xEB, "igrave": 0xEC, "iacute": 0xED, "icirc": 0xEE, "iuml": 0xEF, "eth": 0xF0,
        "ntilde": 0xF1, "ograve": 0xF2, "oacute": 0xF3, "ocirc": 0xF4, "otilde": 0xF5, "ouml": 0xF6,
        "oslash": 0xF8, "ugrave": 0xF9, "uacute": 0xFA, "ucirc": 0xFB, "uuml": 0xFC, "yacute": 0xFD,
        "thorn": 0xFE, "yuml": 0xFF, "OElig": 0x152, "oelig": 0x153, "Scaron": 0x160, "scaron": 0x161,
        "Yuml": 0x178, "fnof": 0x192, "circ": 0x2C6, "tilde": 0x2DC, "alpha": 0x3B1, "beta": 0x3B2,
        "gamma": 0x3B3, "delta": 0x3B4, "pi": 0x3C0, "sigma": 0x3C3, "omega": 0x3C9, "Omega": 0x3A9,
        "infin": 0x221E, "ne": 0x2260, "le": 0x2264, "ge": 0x2265, "asymp": 0x2248, "minus": 0x2212,
    ]

    /// Decodes the reference starting at `start` (which holds `&`): the scalar and the index after it, or nil
    /// when there is no valid reference there (the `&` is then literal text).
    static func decode(_ bytes: [UInt8], at start: Int) -> (scalar: Unicode.Scalar, end: Int)? {
        var index = start + 1
        guard index < bytes.count else { return nil }
        if bytes[index] == UInt8(ascii: "#") {
            index += 1
            var radix: UInt32 = 10
            if index < bytes.count, bytes[index] == UInt8(ascii: "x") || bytes[index] == UInt8(ascii: "X") {
                radix = 16
                index += 1
            }
            var value: UInt32 = 0
            let digitsStart = index
            while index < bytes.count, index - digitsStart < 8, let digit = digitValue(bytes[index], radix: radix) {
                value = value * radix + digit
                index += 1
            }
            guard index > digitsStart else { return nil }
            if index < bytes.count, bytes[index] == UInt8(ascii: ";") { index += 1 }
            // Windows-1252 C1 numbers (`&#146;`) mean what browsers show for them.
            if (0x80...0x9F).contains(value), let mapped = Charset.latin1.decode([UInt8(value)])?.unicodeScalars.first {
                return (mapped, index)
            }
            guard value != 0, let scalar = Unicode.Scalar(value) else { return ("\u{FFFD}", index) }
            return (scalar, index)
        }
        let nameStart = index
        while index < bytes.count, index - nameStart < 10, isAlphanumeric(bytes[index]) { index += 1 }
        guard index > nameStart, index < bytes.count, bytes[index] == UInt8(ascii: ";") else { return nil }
        let name = String(decoding: bytes[nameStart..<index], as: UTF8.self)
        guard let value = named[name] ?? named[name.lowercased()], let scalar = Unicode.Scalar(value) else {
            return nil
        }
        return (scalar, index + 1)
    }

    /// Decodes every reference in an attribute value.
    static func decodeAll(_ bytes: ArraySlice<UInt8>) -> String {
        let array = Array(bytes)
        var output = ""
        var index = 0
        var runStart = 0
        while index < array.count {
            if array[index] == UInt8(ascii: "&"), let (scalar, end) = decode(array, at: index) {
                output += String(decoding: array[runStart..<index], as: UTF8.self)
                output.unicodeScalars.append(scalar)
                index = end
                runStart = end
            } else {
                index += 1
            }
        }
        output += String(decoding: array[runStart..<array.count], as: UTF8.self)
        return output
    }

    static func digitValue(_ byte: UInt8, radix: UInt32) -> UInt32? {
        if radix == 16, let hex = QuotedPrintableDecoder.hexValue(byte) { return UInt32(hex) }
        if byte >= 0x30 && byte <= 0x39 { return UInt32(byte - 0x30) }
        return nil
    }

    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }
}
