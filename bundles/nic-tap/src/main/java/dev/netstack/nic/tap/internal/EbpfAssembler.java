package dev.netstack.nic.tap.internal;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds eBPF programs one instruction at a time, with labels for jumps, and encodes them as the
 * kernel's {@code struct bpf_insn} array. Read RFC 9669 (BPF Instruction Set Architecture) §3
 * (encoding), §4 (arithmetic and jumps) and §5 (loads) first.
 *
 * <pre>
 *   one slot, 8 bytes, little-endian on x86 and arm64:
 *   | opcode (8) | dst_reg (4 low) src_reg (4 high) | offset (16, signed) | imm (32, signed) |
 *   opcode = operation | source (K immediate / X register) | class
 *   LD_IMM64 takes two slots: the low 32 bits in the first imm, the high 32 in the second.
 * </pre>
 *
 * <p>A jump's offset counts slots from the instruction after it (RFC 9669 §4.3); labels are
 * resolved by {@link #encode()}, so a jump may go forward to a label bound later. Only what a
 * socket filter needs is here: 64-bit ALU, conditional jumps, the legacy packet loads
 * {@code LD_ABS}/{@code LD_IND} (which read network byte order and end the program with 0 when
 * they would read past the packet) and {@code exit}. Control path only.
 */
public final class EbpfAssembler {

    /** Registers: R0 return value, R1 context on entry, R1-R5 clobbered by calls and packet loads. */
    public static final int R0 = 0;
    public static final int R1 = 1;
    public static final int R2 = 2;
    public static final int R3 = 3;
    public static final int R4 = 4;
    public static final int R5 = 5;
    /** R6-R9 survive calls and packet loads; LD_ABS/LD_IND want the context in R6. */
    public static final int R6 = 6;
    public static final int R7 = 7;
    public static final int R8 = 8;
    public static final int R9 = 9;
    /** Read-only frame pointer. */
    public static final int R10 = 10;

    /** Bytes of one instruction slot. */
    public static final int SLOT_BYTES = 8;

    // Classes (RFC 9669 §3.3)
    static final int CLASS_LD = 0x00;
    static final int CLASS_JMP = 0x05;
    static final int CLASS_ALU64 = 0x07;
    // Source (§4)
    static final int SRC_K = 0x00;
    static final int SRC_X = 0x08;
    // Load sizes and modes (§5)
    public static final int SIZE_W = 0x00;
    public static final int SIZE_H = 0x08;
    public static final int SIZE_B = 0x10;
    public static final int SIZE_DW = 0x18;
    static final int MODE_IMM = 0x00;
    static final int MODE_ABS = 0x20;
    static final int MODE_IND = 0x40;
    // Arithmetic operations (§4.1)
    public static final int ADD = 0x00;
    public static final int SUB = 0x10;
    public static final int MUL = 0x20;
    public static final int OR = 0x40;
    public static final int AND = 0x50;
    public static final int LSH = 0x60;
    public static final int RSH = 0x70;
    public static final int XOR = 0xa0;
    public static final int MOV = 0xb0;
    // Jump operations (§4.3); the comparisons without S are unsigned
    public static final int JA = 0x00;
    public static final int JEQ = 0x10;
    public static final int JGT = 0x20;
    public static final int JGE = 0x30;
    public static final int JNE = 0x50;
    public static final int JLT = 0xa0;
    public static final int JLE = 0xb0;
    static final int EXIT = 0x90;

    /** A jump target; bind it once with {@link #bind(Label)}. */
    public static final class Label {
        private final String name;
        private int slot = -1;

        public Label(String name) {
            this.name = name;
        }

        @Override
        public String toString() {
            return name + (slot < 0 ? " (unbound)" : " @" + slot);
        }
    }

    private record Insn(int opcode, int dst, int src, int offset, int imm, Label target) {
    }

    private final List<Insn> slots = new ArrayList<>();

    /** Instruction slots so far (LD_IMM64 counts two). */
    public int slots() {
        return slots.size();
    }

    /** {@code dst = imm} (sign-extended to 64 bits). */
    public EbpfAssembler mov(int dst, int imm) {
        return aluImm(MOV, dst, imm);
    }

    /** {@code dst = src}. */
    public EbpfAssembler movReg(int dst, int src) {
        return aluReg(MOV, dst, src);
    }

    /** 64-bit {@code dst = dst OP imm}, imm sign-extended ({@link #ADD}, {@link #AND}, {@link #RSH}, ...). */
    public EbpfAssembler aluImm(int operation, int dst, int imm) {
        return add(CLASS_ALU64 | SRC_K | checkAlu(operation), writable(dst), 0, 0, imm, null);
    }

    /** 64-bit {@code dst = dst OP src}. */
    public EbpfAssembler aluReg(int operation, int dst, int src) {
        return add(CLASS_ALU64 | SRC_X | checkAlu(operation), writable(dst), register(src), 0, 0, null);
    }

    /** {@code dst = imm64}: LD_IMM64, two slots (RFC 9669 §5.4). */
    public EbpfAssembler ldImm64(int dst, long imm) {
        add(CLASS_LD | SIZE_DW | MODE_IMM, writable(dst), 0, 0, (int) imm, null);
        return add(0, 0, 0, 0, (int) (imm >>> 32), null);
    }

    /**
     * {@code R0 = packet[offset]} of {@code size} ({@link #SIZE_B}, {@link #SIZE_H}, {@link #SIZE_W})
     * in network byte order, zero-extended; the context must be in R6. R1-R5 are clobbered, and
     * the program returns 0 at once if the read falls outside the packet (RFC 9669 §5.3).
     */
    public EbpfAssembler ldAbs(int size, int offset) {
        return add(CLASS_LD | checkPacketSize(size) | MODE_ABS, 0, 0, 0, offset, null);
    }

    /** {@code R0 = packet[src + offset]}, as {@link #ldAbs} otherwise. */
    public EbpfAssembler ldInd(int size, int src, int offset) {
        return add(CLASS_LD | checkPacketSize(size) | MODE_IND, 0, register(src), 0, offset, null);
    }

    /** {@code if (dst OP imm) goto target}, comparing 64 bits ({@link #JEQ}, {@link #JLT}, ...). */
    public EbpfAssembler jumpImm(int operation, int dst, int imm, Label target) {
        return add(CLASS_JMP | SRC_K | checkJump(operation), register(dst), 0, 0, imm, target);
    }

    /** {@code if (dst OP src) goto target}. */
    public EbpfAssembler jumpReg(int operation, int dst, int src, Label target) {
        return add(CLASS_JMP | SRC_X | checkJump(operation), register(dst), register(src), 0, 0, target);
    }

    /** {@code goto target}. */
    public EbpfAssembler jump(Label target) {
        return add(CLASS_JMP | JA, 0, 0, 0, 0, target);
    }

    /** Returns R0. */
    public EbpfAssembler exit() {
        return add(CLASS_JMP | EXIT, 0, 0, 0, 0, null);
    }

    /** Binds {@code label} to the next instruction. */
    public EbpfAssembler bind(Label label) {
        if (label.slot >= 0) {
            throw new IllegalStateException("label " + label + " is bound already");
        }
        label.slot = slots.size();
        return this;
    }

    /**
     * The program as {@code struct bpf_insn[]}, little-endian (the byte order of the hosts this
     * runs on: x86-64 and arm64).
     *
     * @throws IllegalStateException if a jump's label is unbound or too far away
     */
    public byte[] encode() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(slots.size() * SLOT_BYTES);
        for (int pc = 0; pc < slots.size(); pc++) {
            Insn insn = slots.get(pc);
            int offset = insn.offset;
            if (insn.target != null) {
                if (insn.target.slot < 0) {
                    throw new IllegalStateException("jump at slot " + pc + " to unbound label " + insn.target);
                }
                offset = insn.target.slot - (pc + 1);
                if (offset != (short) offset) {
                    throw new IllegalStateException("jump at slot " + pc + " to " + insn.target + " is too far");
                }
            }
            out.write(insn.opcode);
            out.write((insn.src << 4) | insn.dst);
            out.write(offset);
            out.write(offset >> 8);
            out.write(insn.imm);
            out.write(insn.imm >> 8);
            out.write(insn.imm >> 16);
            out.write(insn.imm >> 24);
        }
        return out.toByteArray();
    }

    private EbpfAssembler add(int opcode, int dst, int src, int offset, int imm, Label target) {
        slots.add(new Insn(opcode, dst, src, offset, imm, target));
        return this;
    }

    private static int register(int r) {
        if (r < R0 || r > R10) {
            throw new IllegalArgumentException("no register R" + r + ": eBPF has R0 to R10");
        }
        return r;
    }

    private static int writable(int r) {
        if (register(r) == R10) {
            throw new IllegalArgumentException("R10, the frame pointer, is read-only");
        }
        return r;
    }

    private static int checkAlu(int operation) {
        return switch (operation) {
            case ADD, SUB, MUL, OR, AND, LSH, RSH, XOR, MOV -> operation;
            default -> throw new IllegalArgumentException("not an ALU operation here: 0x"
                    + Integer.toHexString(operation));
        };
    }

    private static int checkJump(int operation) {
        return switch (operation) {
            case JEQ, JGT, JGE, JNE, JLT, JLE -> operation;
            default -> throw new IllegalArgumentException("not a conditional jump here: 0x"
                    + Integer.toHexString(operation));
        };
    }

    private static int checkPacketSize(int size) {
        return switch (size) {
            case SIZE_B, SIZE_H, SIZE_W -> size;
            default -> throw new IllegalArgumentException("packet loads read 1, 2 or 4 bytes");
        };
    }
}
