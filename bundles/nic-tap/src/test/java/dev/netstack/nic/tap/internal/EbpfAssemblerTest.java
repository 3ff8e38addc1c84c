package dev.netstack.nic.tap.internal;

import static dev.netstack.nic.tap.internal.EbpfAssembler.AND;
import static dev.netstack.nic.tap.internal.EbpfAssembler.JEQ;
import static dev.netstack.nic.tap.internal.EbpfAssembler.JLE;
import static dev.netstack.nic.tap.internal.EbpfAssembler.JNE;
import static dev.netstack.nic.tap.internal.EbpfAssembler.LSH;
import static dev.netstack.nic.tap.internal.EbpfAssembler.MUL;
import static dev.netstack.nic.tap.internal.EbpfAssembler.OR;
import static dev.netstack.nic.tap.internal.EbpfAssembler.R0;
import static dev.netstack.nic.tap.internal.EbpfAssembler.R1;
import static dev.netstack.nic.tap.internal.EbpfAssembler.R10;
import static dev.netstack.nic.tap.internal.EbpfAssembler.R6;
import static dev.netstack.nic.tap.internal.EbpfAssembler.R7;
import static dev.netstack.nic.tap.internal.EbpfAssembler.R8;
import static dev.netstack.nic.tap.internal.EbpfAssembler.R9;
import static dev.netstack.nic.tap.internal.EbpfAssembler.RSH;
import static dev.netstack.nic.tap.internal.EbpfAssembler.SIZE_B;
import static dev.netstack.nic.tap.internal.EbpfAssembler.SIZE_DW;
import static dev.netstack.nic.tap.internal.EbpfAssembler.SIZE_H;
import static dev.netstack.nic.tap.internal.EbpfAssembler.SIZE_W;
import static dev.netstack.nic.tap.internal.EbpfAssembler.XOR;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.nic.tap.internal.EbpfAssembler.Label;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * Instruction encodings checked byte by byte against RFC 9669 §3-5: opcode, registers (dst in
 * the low nibble), 16-bit offset and 32-bit immediate, little-endian.
 */
class EbpfAssemblerTest {

    private static byte[] hex(String text) {
        return HexFormat.of().parseHex(text.replace(" ", ""));
    }

    @Test
    void encodesMovesBetweenRegistersAndFromImmediates() {
        // BPF_ALU64|BPF_MOV|BPF_X = 0xbf, dst r6, src r1; BPF_ALU64|BPF_MOV|BPF_K = 0xb7
        assertArrayEquals(hex("bf 16 0000 00000000"), new EbpfAssembler().movReg(R6, R1).encode());
        assertArrayEquals(hex("b7 00 0000 00000000"), new EbpfAssembler().mov(R0, 0).encode());
        assertArrayEquals(hex("b7 09 0000 ffffffff"), new EbpfAssembler().mov(R9, -1).encode());
    }

    @Test
    void encodesSixtyFourBitArithmeticWithImmediateAndRegisterSources() {
        assertArrayEquals(hex("57 00 0000 0f000000"), new EbpfAssembler().aluImm(AND, R0, 0x0F).encode());
        assertArrayEquals(hex("67 07 0000 10000000"), new EbpfAssembler().aluImm(LSH, R7, 16).encode());
        assertArrayEquals(hex("77 07 0000 20000000"), new EbpfAssembler().aluImm(RSH, R7, 32).encode());
        assertArrayEquals(hex("27 07 0000 04000000"), new EbpfAssembler().aluImm(MUL, R7, 4).encode());
        assertArrayEquals(hex("2f 17 0000 00000000"), new EbpfAssembler().aluReg(MUL, R7, R1).encode());
        assertArrayEquals(hex("af 87 0000 00000000"), new EbpfAssembler().aluReg(XOR, R7, R8).encode());
        assertArrayEquals(hex("4f 07 0000 00000000"), new EbpfAssembler().aluReg(OR, R7, R0).encode());
    }

    @Test
    void encodesLdImm64AsTwoSlotsLowWordFirst() {
        EbpfAssembler a = new EbpfAssembler().ldImm64(R1, 0x9E3779B97F4A7C15L);
        assertEquals(2, a.slots());
        // BPF_LD|BPF_DW|BPF_IMM = 0x18; second slot: opcode 0, imm = high 32 bits
        assertArrayEquals(hex("18 01 0000 157c4a7f" + "00 00 0000 b979379e"), a.encode());
    }

    @Test
    void encodesLegacyPacketLoads() {
        // BPF_LD|BPF_ABS|BPF_H = 0x28, |BPF_B = 0x30, |BPF_W = 0x20; BPF_IND: 0x48, 0x50, 0x40
        assertArrayEquals(hex("28 00 0000 0c000000"), new EbpfAssembler().ldAbs(SIZE_H, 12).encode());
        assertArrayEquals(hex("30 00 0000 0e000000"), new EbpfAssembler().ldAbs(SIZE_B, 14).encode());
        assertArrayEquals(hex("20 00 0000 1a000000"), new EbpfAssembler().ldAbs(SIZE_W, 26).encode());
        assertArrayEquals(hex("48 90 0000 0e000000"), new EbpfAssembler().ldInd(SIZE_H, R9, 14).encode());
        assertArrayEquals(hex("50 90 0000 10000000"), new EbpfAssembler().ldInd(SIZE_B, R9, 16).encode());
        assertThrows(IllegalArgumentException.class, () -> new EbpfAssembler().ldAbs(SIZE_DW, 0));
    }

    @Test
    void resolvesForwardJumpsRelativeToTheNextInstruction() {
        Label out = new Label("out");
        EbpfAssembler a = new EbpfAssembler()
                .jumpImm(JNE, R0, 0x0800, out)   // slot 0 → 3: offset 2
                .mov(R0, 1)
                .exit()
                .bind(out)
                .mov(R0, 0)
                .exit();
        byte[] code = a.encode();
        // BPF_JMP|BPF_JNE|BPF_K = 0x55, offset 2, imm 0x0800
        assertArrayEquals(hex("55 00 0200 00080000"), Arrays.copyOfRange(code, 0, 8));
        assertArrayEquals(hex("95 00 0000 00000000"), Arrays.copyOfRange(code, 16, 24));
    }

    @Test
    void countsLdImm64AsTwoSlotsInJumpOffsetsAndJumpsBackwards() {
        Label after = new Label("after");
        Label top = new Label("top");
        EbpfAssembler a = new EbpfAssembler()
                .bind(top)
                .jumpReg(JLE, R7, R8, after)     // slot 0 → 3
                .ldImm64(R1, 1)                  // slots 1, 2
                .bind(after)
                .jumpImm(JEQ, R0, 0, top)        // slot 3 → 0: offset -4
                .jump(after)                     // slot 4 → 3: offset -2
                .exit();
        byte[] code = a.encode();
        // BPF_JMP|BPF_JLE|BPF_X = 0xbd, src r8 dst r7
        assertArrayEquals(hex("bd 87 0200 00000000"), Arrays.copyOfRange(code, 0, 8));
        assertArrayEquals(hex("15 00 fcff 00000000"), Arrays.copyOfRange(code, 24, 32));
        assertArrayEquals(hex("05 00 feff 00000000"), Arrays.copyOfRange(code, 32, 40));
    }

    @Test
    void refusesUnboundLabelsDoubleBindingAndBadRegisters() {
        Label nowhere = new Label("nowhere");
        EbpfAssembler a = new EbpfAssembler().jump(nowhere).exit();
        IllegalStateException unbound = assertThrows(IllegalStateException.class, a::encode);
        assertTrue(unbound.getMessage().contains("nowhere"), unbound.getMessage());

        Label twice = new Label("twice");
        EbpfAssembler b = new EbpfAssembler().bind(twice);
        assertThrows(IllegalStateException.class, () -> b.bind(twice));

        assertThrows(IllegalArgumentException.class, () -> new EbpfAssembler().mov(11, 0));
        assertThrows(IllegalArgumentException.class, () -> new EbpfAssembler().mov(R10, 0));
        assertThrows(IllegalArgumentException.class, () -> new EbpfAssembler().aluImm(0x80, R0, 0)); // NEG: not here
        assertThrows(IllegalArgumentException.class, () -> new EbpfAssembler().jumpImm(0x90, R0, 0, twice)); // EXIT
    }

    @Test
    void refusesJumpsBeyondSixteenBitOffsets() {
        Label far = new Label("far");
        EbpfAssembler a = new EbpfAssembler().jump(far);
        for (int i = 0; i < 40_000; i++) {
            a.mov(R0, i);
        }
        a.bind(far).exit();
        assertThrows(IllegalStateException.class, a::encode);
    }
}
