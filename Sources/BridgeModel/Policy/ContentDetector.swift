/// Built-in detectors for data that a watch list cannot describe: numbers that carry their own check digits.
public enum ContentDetector: String, Sendable, Hashable, CaseIterable {
    /// A payment card number: 13 to 19 digits, optionally grouped by single spaces or hyphens, whose Luhn
    /// check digit is right.
    case card
    /// An international bank account number: a country code, two check digits and the account, optionally
    /// grouped by single spaces, of the length its country uses, whose ISO 7064 mod-97 check is right.
    case iban

    /// Every match in `text`, as byte ranges of its UTF-8.
    public func ranges(in text: String) -> [Range<Int>] {
        var text = text
        return text.withUTF8 { bytes in
            switch self {
            case .card: Self.cards(bytes)
            case .iban: Self.ibans(bytes)
            }
        }
    }

    /// Whether `text` holds at least one match.
    public func occurs(in text: String) -> Bool { !self.ranges(in: text).isEmpty }

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    @inline(__always)
    static func isAlphanumeric(_ byte: UInt8) -> Bool { ByteSet.isWordByte(byte) && byte != UInt8(ascii: "_") }

    static func cards(_ bytes: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        var found: [Range<Int>] = []
        var index = 0
        var digits: [UInt8] = []
        digits.reserveCapacity(19)
        while index < bytes.count {
            guard isDigit(bytes[index]), index == 0 || !isAlphanumeric(bytes[index - 1]) else {
                index += 1
                continue
            }
            // A run of digits, with single separators between them.
            digits.removeAll(keepingCapacity: true)
            var cursor = index
            var end = index
            while cursor < bytes.count {
                let byte = bytes[cursor]
                if isDigit(byte) {
                    digits.append(byte - 0x30)
                    cursor += 1
                    end = cursor
                } else if (byte == 0x20 || byte == UInt8(ascii: "-")), cursor + 1 < bytes.count, isDigit(bytes[cursor + 1]), !digits.isEmpty {
                    cursor += 1
                } else {
                    break
                }
                if digits.count > 19 { break }
            }
            let bounded = end == bytes.count || !isAlphanumeric(bytes[end])
            if bounded, digits.count >= 13, digits.count <= 19, luhn(digits) {
                found.append(index..<end)
            }
            index = max(end, index + 1)
        }
        return found
    }

    static func luhn(_ digits: [UInt8]) -> Bool {
        var sum = 0
        for (offset, digit) in digits.reversed().enumerated() {
            var value = Int(digit)
            if offset % 2 == 1 {
                value *= 2
                if value > 9 { value -= 9 }
            }
            sum += value
        }
        return sum % 10 == 0
    }

    /// IBAN lengths by country (the SWIFT IBAN registry).
    static let ibanLengths: [String: Int] = [
        "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29,
        "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24,
        "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21,
        "HU": 28, "IE": 22, "IL": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32,
        "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31,
        "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22,
        "SA": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "TN": 24, "TR": 26, "UA": 29, "VG": 24, "XK": 20,
    ]

    static func ibans(_ bytes: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        func upper(_ byte: UInt8) -> UInt8 { byte >= 0x61 && byte <= 0x7A ? byte - 32 : byte }
        func isLetter(_ byte: UInt8) -> Bool { let u = upper(byte); return u >= 0x41 && u <= 0x5A }
        var found: [Range<Int>] = []
        var index = 0
        var characters: [UInt8] = []
        characters.reserveCapacity(34)
        while index + 15 <= bytes.count {
            guard isLetter(bytes[index]), isLetter(bytes[index + 1]), isDigit(bytes[index + 2]), isDigit(bytes[index + 3]),
                index == 0 || !isAlphanumeric(bytes[index - 1]),
                let length = ibanLengths[String(decoding: [upper(bytes[index]), upper(bytes[index + 1])], as: UTF8.self)]
            else {
                index += 1
                continue
            }
            characters.removeAll(keepingCapacity: true)
            var cursor = index
            var end = index
            while cursor < bytes.count, characters.count < length {
                let byte = bytes[cursor]
                if isDigit(byte) || isLetter(byte) {
                    characters.append(upper(byte))
                    cursor += 1
                    end = cursor
                } else if byte == 0x20, cursor + 1 < bytes.count, isAlphanumeric(bytes[cursor + 1]) {
                    cursor += 1
                } else {
                    break
                }
            }
            if characters.count == length, end == bytes.count || !isAlphanumeric(bytes[end]), mod97(characters) == 1 {
                found.append(index..<end)
                index = end
            } else {
                index += 1
            }
        }
        return found
    }

    /// ISO 7064 mod 97-10 of an IBAN: the first four characters moved to the end, letters as 10 to 35.
    static func mod97(_ characters: [UInt8]) -> Int {
        var remainder = 0
        for byte in characters[4...] + characters[..<4] {
            if isDigit(byte) {
                remainder = (remainder * 10 + Int(byte - 0x30)) % 97
            } else {
                remainder = (remainder * 100 + Int(byte - 0x41 + 10)) % 97
            }
        }
        return remainder
    }
}
