import Adapters
import Foundation
import NIOCore
import Testing

@Suite("SMTP DATA encoding: CRLF normalization and dot-stuffing")
struct SMTPDataEncoderTests {
    func encode(_ message: String, chunk: Int = 16 * 1024) -> String {
        var encoder = SMTPDataEncoder(message: Array(message.utf8))
        var output = ByteBuffer()
        var passes = 0
        while var next = encoder.nextChunk(maxBytes: chunk) {
            #expect(next.readableBytes <= max(chunk, 8))
            output.writeBuffer(&next)
            passes += 1
            if passes > 10_000 { Issue.record("the encoder does not finish"); break }
        }
        #expect(encoder.isFinished)
        return String(buffer: output)
    }

    @Test("bare LF and bare CR become CRLF, lines starting with a dot get a second dot, and the end is CRLF . CRLF")
    func examples() {
        #expect(self.encode("Hi\n.hidden\r\n.\r\nbye") == "Hi\r\n..hidden\r\n..\r\nbye\r\n.\r\n")
        #expect(self.encode("a\rb\r\n") == "a\r\nb\r\n.\r\n")
        #expect(self.encode("") == ".\r\n")
        #expect(self.encode(".") == "..\r\n.\r\n")
        #expect(self.encode("x\n\n") == "x\r\n\r\n.\r\n")
    }

    @Test(
        "no end-of-data look-alike in a message can end DATA early (SMTP smuggling)",
        arguments: ["a\n.\nb", "a\r.\rb", "a\r\n.\r\nb", "a\n.\r\nb", "a\r\n.\nb", "a\r.\r\nb", ".\r\n", "\r\n.\r\n"]
    )
    func smuggling(_ message: String) {
        let output = self.encode(message)
        #expect(output.hasSuffix("\r\n.\r\n") || output == ".\r\n")
        let bytes = Array(output.utf8)
        // The only lone "." line is the last one; every CR is followed by LF and every LF preceded by CR.
        #expect(output.components(separatedBy: "\r\n.\r\n").count == 2 || output == ".\r\n")
        for (index, byte) in bytes.enumerated() {
            if byte == 0x0D { #expect(index + 1 < bytes.count && bytes[index + 1] == 0x0A) }
            if byte == 0x0A { #expect(index > 0 && bytes[index - 1] == 0x0D) }
        }
    }

    @Test("every chunk size gives the same stream")
    func chunking() {
        let message = ".start\nmiddle\r\n..two\rend.\n.\n" + String(repeating: "x", count: 50)
        let whole = self.encode(message)
        for size in 8...64 {
            #expect(self.encode(message, chunk: size) == whole, "chunk \(size)")
        }
    }

    @Test("inspection reports the normalized size, 8-bit content and NUL")
    func inspection() {
        let plain = SMTPDataEncoder.inspect(Array("a\nb\r\nc\rd".utf8))
        #expect(plain == SMTPDataEncoder.Inspection(size: 12, needs8Bit: false, containsNUL: false))
        #expect(SMTPDataEncoder.inspect(Array("grüße\r\n".utf8)).needs8Bit)
        #expect(SMTPDataEncoder.inspect([0x61, 0x00, 0x0D, 0x0A]).containsNUL)
        let message = "x\ny\r\n"
        let stuffedFree = self.encode(message)
        #expect(SMTPDataEncoder.inspect(Array(message.utf8)).size == stuffedFree.utf8.count - 3)
    }
}
