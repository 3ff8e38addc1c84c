package dev.netstack.tcp.internal;

import static dev.netstack.tcp.internal.TcpScript.A;
import static dev.netstack.tcp.internal.TcpScript.LOCAL;
import static dev.netstack.tcp.internal.TcpScript.PEER;
import static dev.netstack.tcp.internal.TcpScript.S;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.ip.wire.Ipv4Header;
import dev.netstack.nic.PacketBuffer;
import dev.netstack.tcp.TcpOptions;
import dev.netstack.tcp.wire.TcpHeader;
import dev.netstack.tcp.wire.TcpOptionsView;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Malformed and random segments at the receive path: every truncation, every data offset, bad
 * option lengths, bad checksums, and seeded random mutations with a valid checksum (so they reach
 * the state machine). Nothing may throw and no buffer may leak.
 */
class TcpStackFuzzTest {

    static final long SEED = Long.getLong("tcp.fuzz.seed", 7_777L);

    /** Writes a segment (IP + TCP) from raw TCP bytes; fixes the checksum if asked. */
    static void deliver(TcpScript t, byte[] tcpBytes, int tcpLength, boolean fixChecksum) {
        PacketBuffer buffer = t.pool.allocate();
        int ipAt = buffer.append(20 + tcpLength);
        MemorySegment bytes = buffer.segment();
        new Ipv4Header().wrap(bytes, ipAt).emit(20 + tcpLength, 0, 0, 64, 6, PEER, LOCAL);
        MemorySegment.copy(MemorySegment.ofArray(tcpBytes), 0, bytes, ipAt + 20, tcpLength);
        if (fixChecksum && tcpLength >= 20) {
            TcpHeader h = new TcpHeader().wrap(bytes, ipAt + 20);
            h.fillChecksum(PEER, LOCAL, tcpLength);
        }
        buffer.setNetworkOffset(ipAt);
        buffer.advance(20);
        t.stack.receive(buffer, t.clock.nanoTime());
        t.loop.runTurn(t.clock.nanoTime());
    }

    static byte[] template(int seq, int ack, int flags) {
        byte[] b = new byte[60 + 100];
        MemorySegment s = MemorySegment.ofArray(b);
        TcpHeader h = new TcpHeader().wrap(s, 0);
        h.sourcePort(40_000).destinationPort(80).sequence(seq).acknowledgment(ack).headerLength(60).flags(flags)
                .window(1000).urgentPointer(0);
        long o = TcpOptionsView.writeMss(s, 20, 1460);
        o = TcpOptionsView.writeWindowScale(s, o, 7);
        o = TcpOptionsView.writeTimestamp(s, o, 5, 0);
        o = TcpOptionsView.writeSack(s, o, new int[] {seq + 10, seq + 20, seq + 30, seq + 40}, 2);
        while (o < 60) {
            s.set(ValueLayout.JAVA_BYTE, o++, (byte) 1);
        }
        for (int i = 60; i < b.length; i++) {
            b[i] = (byte) i;
        }
        return b;
    }

    @Test
    void everyTruncationAndDataOffsetIsDroppedCleanly() {
        try (TcpScript t = new TcpScript()) {
            t.stack.listen(0, 80, TcpOptions.defaults(), c -> new TcpScript.Events());
            byte[] syn = template(1000, 0, S);
            for (int length = 0; length <= syn.length; length++) {
                deliver(t, syn, length, false);
                deliver(t, syn, length, true);
            }
            for (int words = 0; words < 16; words++) {
                byte[] b = syn.clone();
                b[12] = (byte) (words << 4);
                deliver(t, b, 20 + 5, true);
                deliver(t, b, b.length, true);
            }
            assertTrue(t.counter(TcpCounter.DROP_TRUNCATED) > 0);
            assertTrue(t.counter(TcpCounter.DROP_BAD_OFFSET) > 0);
            assertTrue(t.counter(TcpCounter.DROP_BAD_CHECKSUM) > 0);
            t.drain();
        }
    }

    @Test
    void malformedOptionsAreDroppedCleanly() {
        try (TcpScript t = new TcpScript()) {
            t.stack.listen(0, 80, TcpOptions.defaults(), c -> new TcpScript.Events());
            byte[][] options = {{2, 3, 0, 0}, {3, 4, 7, 0}, {8, 9, 0, 0}, {5, 6, 0, 0}, {(byte) 200, 1, 0, 0},
                {(byte) 200, 9, 0, 0}, {1, 1, 1, 2}, {4, 3, 1, 1}, {5, 2, 0, 0}, {2, 0, 0, 0}};
            for (byte[] option : options) {
                byte[] b = template(1000, 0, S);
                b[12] = (byte) (6 << 4);
                System.arraycopy(option, 0, b, 20, 4);
                deliver(t, b, 24, true);
            }
            assertEquals(options.length, t.counter(TcpCounter.DROP_BAD_OPTIONS));
            t.expectNothing();
        }
    }

    @Test
    void randomMutationsNeverThrowOrLeak() {
        System.out.println("tcp fuzz seed " + SEED);
        SplittableRandom random = new SplittableRandom(SEED);
        try (TcpScript t = new TcpScript()) {
            TcbTest.Passive p = new TcbTest.Passive(t, true, TcpOptions.defaults());
            TcpScript.send(p.connection, new byte[5000]);
            int[] flagsChoices = {A, A | S, TcpScript.R, A | TcpScript.F, A | TcpScript.P, S, 0, 0xFF};
            for (int i = 0; i < 50_000; i++) {
                int seq = TcbTest.PEER_ISS + 1 + random.nextInt(-70_000, 70_000);
                int ack = p.iss + 1 + random.nextInt(-70_000, 70_000);
                byte[] b = template(seq, ack, flagsChoices[random.nextInt(flagsChoices.length)]);
                int mutations = random.nextInt(4);
                for (int m = 0; m < mutations; m++) {
                    b[random.nextInt(b.length)] = (byte) random.nextInt(256);
                }
                int length = random.nextInt(4) == 0 ? random.nextInt(b.length + 1) : b.length;
                deliver(t, b, length, random.nextInt(8) != 0);
                if (i % 1000 == 0) {
                    t.advance(random.nextInt(500));
                }
                t.drain();
            }
            System.out.println("after fuzz: " + p.connection.state() + " " + t.stack.counters());
        }
    }
}
