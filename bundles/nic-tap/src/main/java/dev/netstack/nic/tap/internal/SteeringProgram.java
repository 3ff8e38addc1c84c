package dev.netstack.nic.tap.internal;

import static dev.netstack.nic.tap.internal.EbpfAssembler.AND;
import static dev.netstack.nic.tap.internal.EbpfAssembler.JLE;
import static dev.netstack.nic.tap.internal.EbpfAssembler.JLT;
import static dev.netstack.nic.tap.internal.EbpfAssembler.JNE;
import static dev.netstack.nic.tap.internal.EbpfAssembler.LSH;
import static dev.netstack.nic.tap.internal.EbpfAssembler.MUL;
import static dev.netstack.nic.tap.internal.EbpfAssembler.OR;
import static dev.netstack.nic.tap.internal.EbpfAssembler.R0;
import static dev.netstack.nic.tap.internal.EbpfAssembler.R1;
import static dev.netstack.nic.tap.internal.EbpfAssembler.R6;
import static dev.netstack.nic.tap.internal.EbpfAssembler.R7;
import static dev.netstack.nic.tap.internal.EbpfAssembler.R8;
import static dev.netstack.nic.tap.internal.EbpfAssembler.R9;
import static dev.netstack.nic.tap.internal.EbpfAssembler.RSH;
import static dev.netstack.nic.tap.internal.EbpfAssembler.SIZE_B;
import static dev.netstack.nic.tap.internal.EbpfAssembler.SIZE_H;
import static dev.netstack.nic.tap.internal.EbpfAssembler.SIZE_W;
import static dev.netstack.nic.tap.internal.EbpfAssembler.XOR;

import dev.netstack.nic.FlowHash;
import dev.netstack.nic.tap.internal.EbpfAssembler.Label;

/**
 * The eBPF program a multi-queue TAP runs to choose the queue of each frame the kernel sends
 * (TUNSETSTEERINGEBPF): {@link FlowHash#queueOfFrame} in eBPF, so the kernel delivers every TCP
 * flow on the queue {@link FlowHash#queueOf} names and everything else on queue 0.
 *
 * <p>Read drivers/net/tun.c first: {@code tun_select_queue} runs the program, a socket filter,
 * on the frame about to be queued, with the packet starting at its Ethernet header (the skb's data
 * at ndo_select_queue time), and takes the return value modulo the number of queues
 * ({@code tun_ebpf_select_queue}). Then RFC 9669 for the instructions.
 *
 * <pre>
 *   not IPv4 (EtherType 0x0800, version 4, IHL >= 5), not TCP, MF or fragment offset set ─▶ 0
 *   a  = src:sport (48 bits)   b = dst:dport   lo, hi = min, max (unsigned)
 *   h  = (lo * K1) ^ hi;  h *= K2;  h ^= h >>> 31;  hash = h >>> 32
 *   return (hash * queues) >>> 32
 * </pre>
 *
 * <p>The packet loads (LD_ABS/LD_IND) read in network byte order, as FlowHash does, and end the
 * program with 0 when the frame is too short to hold what they read: the same answer FlowHash
 * gives a frame too short for the ports. 64-bit multiply, xor and logical shifts are exactly
 * Java's long arithmetic.
 */
public final class SteeringProgram {

    private static final int ETHERTYPE = 12;
    private static final int IP = 14;
    private static final int ETHERTYPE_IPV4 = 0x0800;
    private static final int TCP = 6;

    private SteeringProgram() {
    }

    /** The program for a TAP of {@code queues} queues, 2 or more. */
    public static EbpfAssembler assemble(int queues) {
        if (queues < 2) {
            throw new IllegalArgumentException("steering needs two queues or more, got " + queues);
        }
        EbpfAssembler a = new EbpfAssembler();
        Label other = new Label("other");
        Label ordered = new Label("ordered");
        a.movReg(R6, R1)                                       // the packet loads take the skb from R6
                .ldAbs(SIZE_H, ETHERTYPE)
                .jumpImm(JNE, R0, ETHERTYPE_IPV4, other)
                .ldAbs(SIZE_B, IP)                             // version and IHL: RFC 791 §3.1
                .movReg(R7, R0)
                .aluImm(RSH, R7, 4)
                .jumpImm(JNE, R7, 4, other)
                .aluImm(AND, R0, 0x0F)
                .aluImm(LSH, R0, 2)
                .jumpImm(JLT, R0, 20, other)
                .movReg(R9, R0)                                // R9 = IPv4 header bytes
                .ldAbs(SIZE_B, IP + 9)                         // protocol
                .jumpImm(JNE, R0, TCP, other)
                .ldAbs(SIZE_H, IP + 6)                         // flags and fragment offset
                .aluImm(AND, R0, 0x3FFF)                       // MF or an offset: a fragment
                .jumpImm(JNE, R0, 0, other)
                .ldAbs(SIZE_W, IP + 12)                        // source address
                .movReg(R7, R0)
                .aluImm(LSH, R7, 16)
                .ldInd(SIZE_H, R9, IP)                         // source port: RFC 9293 §3.1
                .aluReg(OR, R7, R0)                            // R7 = a
                .ldAbs(SIZE_W, IP + 16)                        // destination address
                .movReg(R8, R0)
                .aluImm(LSH, R8, 16)
                .ldInd(SIZE_H, R9, IP + 2)                     // destination port
                .aluReg(OR, R8, R0)                            // R8 = b
                .jumpReg(JLE, R7, R8, ordered)                 // unsigned: both below 2^48
                .movReg(R0, R7)
                .movReg(R7, R8)
                .movReg(R8, R0)
                .bind(ordered)                                 // R7 = lo, R8 = hi
                .ldImm64(R1, FlowHash.K1)
                .aluReg(MUL, R7, R1)
                .aluReg(XOR, R7, R8)
                .ldImm64(R1, FlowHash.K2)
                .aluReg(MUL, R7, R1)
                .movReg(R0, R7)
                .aluImm(RSH, R0, 31)
                .aluReg(XOR, R7, R0)
                .aluImm(RSH, R7, 32)                           // the 32-bit hash
                .aluImm(MUL, R7, queues)
                .aluImm(RSH, R7, 32)                           // FlowHash.queue: no division
                .movReg(R0, R7)
                .exit()
                .bind(other)
                .mov(R0, 0)
                .exit();
        return a;
    }

    /**
     * Loads the program for {@code queues} queues into the kernel.
     *
     * @return the program's descriptor, or the failure with the verifier's log
     */
    public static Bpf.Loaded load(int queues) {
        return Bpf.loadSocketFilter(assemble(queues).encode(), "netstack_steer");
    }
}
