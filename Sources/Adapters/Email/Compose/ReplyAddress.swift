public import BridgeModel
public import Crypto

/// Signed reply addresses on the gateway's mail domain: an email user sees a remote person as
/// `r.<thread>.<mac>@<domain>`, and a reply to that address routes back to the conversation `thread`.
///
/// The MAC binds the thread to the human the address was given to: HMAC-SHA256 over a version label, the
/// thread and that person's lower-cased address, truncated to 80 bits and written as 16 lowercase base32
/// characters. So a third party who learns the address cannot post into the thread from their own
/// mailbox, and nobody can forge an address for another thread. Everything is lowercase and verification
/// folds case, because MTAs may change the case of local parts. The thread id is an opaque short id of
/// `a-z`, `0-9` and `-`, at most 40 characters, so the local part stays within 64 characters.
///
///     r.room-42.k5vdsmtdmvztgnlw@reply.gw.acme.test
public struct ReplyAddress: Sendable {
    private let key: SymmetricKey
    public let domain: String

    /// Longest thread id accepted.
    public static let maxThreadLength = 40
    static let macBytes = 10

    /// - Throws: ``ReplyAddressError`` when `domain` is not a valid DNS name.
    public init(key: SymmetricKey, domain: String) throws(ReplyAddressError) {
        let domain = domain.lowercased()
        guard Address.isValidDomain(domain) else { throw ReplyAddressError(.invalidDomain) }
        self.key = key
        self.domain = domain
    }

    /// The address to show `recipient` for `thread`.
    /// - Throws: ``ReplyAddressError`` when the thread id has characters outside `a-z0-9-` or is too long.
    public func address(thread: String, recipient: Address) throws(ReplyAddressError) -> Address {
        guard Self.isValidThread(thread) else { throw ReplyAddressError(.invalidThread) }
        let mac = Self.base32(self.mac(thread: thread, human: recipient))
        do {
            return try Address(local: "r.\(thread).\(mac)", domain: self.domain)
        } catch {
            // Unreachable with a valid thread and domain; reported rather than trapped.
            throw ReplyAddressError(.invalidThread)
        }
    }

    /// The thread that `address` stands for, if `sender` is the person it was given to.
    /// Comparison of the MAC takes the same time wherever the first difference is.
    public func thread(from address: Address, sender: Address) -> Result<String, ReplyAddressError> {
        guard address.domain == self.domain else { return .failure(ReplyAddressError(.wrongDomain)) }
        let parts = address.local.lowercased().split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "r", Self.isValidThread(String(parts[1])),
            let mac = Self.base32Decode(parts[2]), mac.count == Self.macBytes
        else { return .failure(ReplyAddressError(.malformed)) }
        let thread = String(parts[1])
        let expected = self.mac(thread: thread, human: sender)
        var difference: UInt8 = 0
        for (left, right) in zip(expected, mac) { difference |= left ^ right }
        guard difference == 0 else { return .failure(ReplyAddressError(.badSignature)) }
        return .success(thread)
    }

    private func mac(thread: String, human: Address) -> [UInt8] {
        var message = Array("bridged-reply-v1".utf8)
        message.append(0)
        message += Array(thread.utf8)
        message.append(0)
        message += Array(human.description.lowercased().utf8)
        let code = HMAC<SHA256>.authenticationCode(for: message, using: self.key)
        return Array(Array(code).prefix(Self.macBytes))
    }

    static func isValidThread(_ thread: String) -> Bool {
        !thread.isEmpty && thread.utf8.count <= Self.maxThreadLength
            && thread.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == UInt8(ascii: "-") }
    }

    // MARK: RFC 4648 base32, lowercase, no padding

    private static let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567".utf8)

    static func base32(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            buffer = buffer << 8 | UInt32(byte)
            bits += 8
            while bits >= 5 {
                bits -= 5
                output.append(self.alphabet[Int(buffer >> UInt32(bits) & 31)])
            }
        }
        if bits > 0 { output.append(self.alphabet[Int(buffer << UInt32(5 - bits) & 31)]) }
        return String(decoding: output, as: UTF8.self)
    }

    static func base32Decode(_ text: Substring) -> [UInt8]? {
        var output: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        for character in text.utf8 {
            guard let value = self.alphabet.firstIndex(of: character) else { return nil }
            buffer = buffer << 5 | UInt32(value)
            bits += 5
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(buffer >> UInt32(bits) & 0xFF))
            }
        }
        return output
    }
}

/// Why a reply address was refused.
public struct ReplyAddressError: Error, Hashable, Sendable, CustomStringConvertible {
    enum Code: Hashable, Sendable {
        case invalidDomain
        case invalidThread
        case wrongDomain
        case malformed
        case badSignature
    }

    let code: Code

    init(_ code: Code) { self.code = code }

    public var shortDescription: String {
        switch self.code {
        case .invalidDomain: "reply-address-invalid-domain"
        case .invalidThread: "reply-address-invalid-thread"
        case .wrongDomain: "reply-address-wrong-domain"
        case .malformed: "reply-address-malformed"
        case .badSignature: "reply-address-bad-signature"
        }
    }

    public var description: String {
        switch self.code {
        case .invalidDomain: "the reply domain is not a valid DNS name"
        case .invalidThread: "a thread id must be 1 to 40 characters of a-z, 0-9 and -"
        case .wrongDomain: "the address is not on the reply domain"
        case .malformed: "the address is not a reply address"
        case .badSignature: "the reply address was not issued to this sender or for this thread"
        }
    }
}
