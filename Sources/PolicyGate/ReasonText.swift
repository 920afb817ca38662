/// Writes a decision's reason into one string of exactly its length: the pieces are measured, then copied.
///
/// Every decision has a reason, so it is on the decision path; appending piece by piece would grow the
/// string and check its storage again at every step.
struct ReasonText: TextOutputStream {
    /// Where the copy goes; nil while measuring.
    private var buffer: UnsafeMutableBufferPointer<UInt8>?
    /// Bytes measured, or copied so far.
    private var count = 0

    private init(buffer: UnsafeMutableBufferPointer<UInt8>?) {
        self.buffer = buffer
    }

    /// The text that `write` writes. It is called twice, to measure and to copy, and writes the same both times.
    static func make(_ write: (inout ReasonText) -> Void) -> String {
        var measured = ReasonText(buffer: nil)
        write(&measured)
        return String(unsafeUninitializedCapacity: measured.count) { buffer in
            var text = ReasonText(buffer: buffer)
            write(&text)
            return text.count
        }
    }

    mutating func write(_ string: String) {
        guard let buffer = self.buffer else {
            self.count += string.utf8.count
            return
        }
        var string = string
        string.withUTF8 { bytes in
            let length = min(bytes.count, buffer.count - self.count)
            guard length > 0, let source = bytes.baseAddress, let target = buffer.baseAddress else { return }
            (target + self.count).initialize(from: source, count: length)
            self.count += length
        }
    }
}
