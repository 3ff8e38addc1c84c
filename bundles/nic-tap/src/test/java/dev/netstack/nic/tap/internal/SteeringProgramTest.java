package dev.netstack.nic.tap.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.netstack.nic.FlowHash;
import dev.netstack.runtime.os.Linux;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The steering program against {@link FlowHash#queueOfFrame}: loaded into the kernel (root only)
 * and run there by BPF_PROG_TEST_RUN on frames of every kind, random and malformed. Random frames
 * come from {@code -Dsteering.seed=N} (printed).
 */
class SteeringProgramTest {

    private static final long SEED = Long.getLong("steering.seed", System.nanoTime());
    /** The 14 bytes BPF_PROG_TEST_RUN strips as an Ethernet header (EtherType 0x88B5, local experimental). */
    private static final byte[] STRIPPED = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, (byte) 0x88, (byte) 0xB5};

    @Test
    void isOneStraightProgramEndingInExit() {
        byte[] code = SteeringProgram.assemble(4).encode();
        assertEquals(0, code.length % EbpfAssembler.SLOT_BYTES);
        int slots = code.length / EbpfAssembler.SLOT_BYTES;
        assertTrue(slots < 64, "slots: " + slots);
        assertEquals(0x95, code[code.length - EbpfAssembler.SLOT_BYTES] & 0xFF, "last instruction: exit");
        assertEquals(0xbf, code[0] & 0xFF, "first: mov r6, r1");
        assertEquals(0x16, code[1] & 0xFF);
    }

    @Test
    void bakesTheQueueCountIntoTheProgram() {
        byte[] two = SteeringProgram.assemble(2).encode();
        byte[] eight = SteeringProgram.assemble(8).encode();
        assertEquals(two.length, eight.length);
        int differing = 0;
        for (int i = 0; i < two.length; i++) {
            differing += two[i] != eight[i] ? 1 : 0;
        }
        assertEquals(1, differing, "only the immediate of mul r7, queues differs");
    }

    @Test
    void needsTwoQueuesOrMore() {
        assertThrows(IllegalArgumentException.class, () -> SteeringProgram.assemble(1));
    }

    @Test
    void kernelRunOfTheProgramAgreesWithFlowHashOnEveryKindOfFrame() {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root to load eBPF");
        System.out.println("SteeringProgramTest seed " + SEED + " (-Dsteering.seed=" + SEED + ")");
        Random random = new Random(SEED);
        int checked = 0;
        int[] perQueue = new int[16];
        for (int queues : new int[] {2, 3, 4, 8, 16}) {
            Bpf.Loaded loaded = SteeringProgram.load(queues);
            assertTrue(loaded.ok(), () -> "errno " + loaded.errno() + ": " + loaded.log());
            try {
                for (int i = 0; i < 400; i++) {
                    byte[] frame = randomFrame(random);
                    int q = check(loaded.fd(), frame, queues);
                    if (queues == 16) {
                        perQueue[q]++;
                    }
                    checked++;
                }
                byte[] tcp = tcpFrame(random, 5, 0);
                for (int length = 0; length <= tcp.length; length++) { // every truncation
                    check(loaded.fd(), Arrays.copyOf(tcp, length), queues);
                    checked++;
                }
                byte[] withOptions = tcpFrame(random, 15, 0); // IHL 15: ports at 14 + 60
                for (int length = 70; length <= withOptions.length; length++) {
                    check(loaded.fd(), Arrays.copyOf(withOptions, length), queues);
                    checked++;
                }
            } finally {
                new Linux().close(loaded.fd());
            }
        }
        System.out.println("SteeringProgramTest: " + checked + " frames agree; 16 queues got "
                + Arrays.toString(perQueue));
        for (int q = 0; q < 16; q++) {
            assertTrue(perQueue[q] > 0, "queue " + q + " of 16 got no random frame: " + Arrays.toString(perQueue));
        }
    }

    /** Runs the program on {@code frame} in the kernel and compares; returns the queue. */
    private static int check(int fd, byte[] frame, int queues) {
        byte[] input = new byte[STRIPPED.length + frame.length];
        System.arraycopy(STRIPPED, 0, input, 0, STRIPPED.length);
        System.arraycopy(frame, 0, input, STRIPPED.length, frame.length);
        long ran = Bpf.testRun(fd, input);
        assertTrue(ran >= 0, "BPF_PROG_TEST_RUN: errno " + -ran);
        int expected = FlowHash.queueOfFrame(MemorySegment.ofArray(frame), 0, frame.length, queues);
        assertEquals(expected, (int) ran % queues, () -> "frame " + hex(frame) + " among " + queues + " queues");
        return expected;
    }

    /** Mostly TCP (some fragments, some options), then UDP, ICMP, ARP, IPv6 and broken IPv4 headers. */
    private static byte[] randomFrame(Random random) {
        int kind = random.nextInt(10);
        return switch (kind) {
            case 0, 1, 2, 3 -> tcpFrame(random, 5, 0);
            case 4 -> tcpFrame(random, 5 + random.nextInt(11), 0);
            case 5 -> tcpFrame(random, 5, random.nextBoolean() ? 0x2000 : 1 + random.nextInt(0x1FFF)); // MF / offset
            case 6 -> {
                byte[] f = tcpFrame(random, 5, 0);
                f[14 + 9] = (byte) (random.nextBoolean() ? 17 : 1); // UDP or ICMP
                yield f;
            }
            case 7 -> {
                byte[] f = tcpFrame(random, 5, 0);
                f[12] = random.nextBoolean() ? (byte) 0x08 : (byte) 0x86; // ARP 0x0806 or IPv6 0x86DD
                f[13] = f[12] == 0x08 ? (byte) 0x06 : (byte) 0xDD;
                yield f;
            }
            case 8 -> {
                byte[] f = tcpFrame(random, 5, 0);
                f[14] = (byte) (random.nextBoolean() ? 0x65 : 0x40 | random.nextInt(5)); // version 6, or IHL < 5
                yield f;
            }
            default -> {
                byte[] f = tcpFrame(random, 5, 0x4000); // DF only: not a fragment
                f[14 + 12] = f[14 + 16];                 // shares a byte of the address: hash order matters
                yield f;
            }
        };
    }

    /** An Ethernet + IPv4 (IHL {@code ihl}) + TCP frame, random addresses and ports, padded to 60 bytes or more. */
    private static byte[] tcpFrame(Random random, int ihl, int flagsAndOffset) {
        byte[] f = new byte[Math.max(60, 14 + ihl * 4 + 20)];
        random.nextBytes(f);
        f[12] = 0x08;
        f[13] = 0x00;
        f[14] = (byte) (0x40 | ihl);
        f[14 + 6] = (byte) (flagsAndOffset >>> 8);
        f[14 + 7] = (byte) flagsAndOffset;
        f[14 + 9] = 6;
        if (random.nextInt(8) == 0) { // equal addresses: the ports decide the order
            System.arraycopy(f, 14 + 12, f, 14 + 16, 4);
        }
        return f;
    }

    private static String hex(byte[] bytes) {
        StringBuilder s = new StringBuilder();
        for (byte b : bytes) {
            s.append(String.format("%02x", b & 0xFF));
        }
        return s.toString();
    }
}
