package dev.netstack.ip.internal;

import static dev.netstack.ip.internal.Host.bytes;
import static dev.netstack.ip.internal.Host.ipv4;
import static dev.netstack.ip.internal.Host.pattern;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.ip.wire.IcmpHeader;
import dev.netstack.ip.wire.Ipv4Address;
import dev.netstack.ip.wire.Ipv4Header;
import dev.netstack.nic.Disposition;
import dev.netstack.nic.PacketBuffer;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Reassembly, end to end: host A fragments a datagram through its send path, host B reassembles
 * the fragments in the order the test chooses and delivers to a recording handler.
 */
class ReassemblerTest {

    static final int A = Ipv4Address.parse("198.18.0.1");
    static final int B = Ipv4Address.parse("198.18.0.2");

    final ManualClock clock = new ManualClock();
    final Host a = new Host(clock, "198.18.0.1/24");
    final Host b = new Host(clock, "198.18.0.2/24");
    final Ipv4LayerTest.Recorder udp = new Ipv4LayerTest.Recorder();

    ReassemblerTest() {
        b.layer.bindProtocol(17, udp);
    }

    @AfterEach
    void noLeaks() {
        a.link.releaseSent();
        b.link.releaseSent();
        assertEquals(0, a.buffersInUse(), "A leaked");
        assertEquals(0, b.buffersInUse(), "B leaked");
    }

    /** Fragments of a {@code size}-byte UDP payload from A to B, as A's link would transmit them. */
    List<PacketBuffer> fragmentsOf(byte[] data) {
        PacketBuffer payload = a.layer.largePool().allocate();
        int at = payload.append(data.length);
        MemorySegment.copy(data, 0, payload.segment(), ValueLayout.JAVA_BYTE, at, data.length);
        assertEquals(Disposition.HANDLED, a.layer.send(0, B, 17, payload, a.now()));
        List<PacketBuffer> fragments = new ArrayList<>();
        for (FakeLink.Sent s : a.link.takeSent()) {
            fragments.add(s.packet());
        }
        return fragments;
    }

    Disposition toB(PacketBuffer p) {
        return b.layer.receive(b.eth0, p, b.now());
    }

    @ParameterizedTest(name = "{0} bytes, {1}")
    @CsvSource({"4000, in-order", "4000, reversed", "4000, shuffled", "4000, duplicated",
            "65000, in-order", "65000, reversed", "65000, shuffled", "65000, duplicated"})
    void reassemblesInAnyOrder(int size, String order) {
        long seed = System.nanoTime();
        System.out.println("ReassemblerTest " + size + " " + order + " seed " + seed);
        Random random = new Random(seed);
        byte[] data = pattern(size, (int) seed);
        List<PacketBuffer> fragments = fragmentsOf(data);
        assertEquals((size + 1479) / 1480, fragments.size());
        switch (order) {
            case "reversed" -> Collections.reverse(fragments);
            case "shuffled" -> Collections.shuffle(fragments, random);
            case "duplicated" -> {
                List<PacketBuffer> copies = new ArrayList<>();
                for (PacketBuffer f : fragments) {
                    if (random.nextBoolean()) {
                        copies.add(Host.copy(f, a.pool()));
                    }
                }
                fragments.addAll(copies);
                Collections.shuffle(fragments, random);
            }
            default -> { }
        }
        // Duplicates after completion start a new reassembly: it times out, or, when every fragment
        // was duplicated, completes and delivers a second identical copy (IP does not suppress
        // duplicate datagrams; RFC 791 leaves that to the transport).
        for (PacketBuffer f : fragments) {
            toB(f);
        }
        int delivered = udp.payloads.size();
        assertTrue(delivered == 1 || (order.equals("duplicated") && delivered == 2), delivered + " deliveries, seed " + seed);
        for (byte[] payload : udp.payloads) {
            assertArrayEquals(data, payload, "seed " + seed);
        }
        Ipv4Header header = new Ipv4Header().wrap(MemorySegment.ofArray(udp.headers.get(0)), 0);
        assertEquals(20 + size, header.totalLength());
        assertEquals(0, header.flagsFragment());
        assertTrue(header.checksumValid());
        assertEquals(delivered, b.layer.counters().get(IpCounter.REASM_OKS));
        clock.advanceMs(31_000);
        b.turn(); // time out any reassembly the late duplicates started
        b.link.releaseSent();
        assertEquals(0, b.layer.reassembler().active());
    }

    @Test
    void dropsTheWholeDatagramOnAnyOverlap() {
        byte[] data = pattern(4000, 1);
        List<PacketBuffer> fragments = fragmentsOf(data);
        // A forged fragment at offset 1000 (1480 - 480): overlaps the first and the second.
        PacketBuffer forged = ipv4(a.pool(), A, B, 17, new Ipv4Header().wrap(fragments.get(0).segment(),
                fragments.get(0).offset()).identification(), Ipv4Header.FLAG_MORE_FRAGMENTS | 125, pattern(800, 9));
        assertEquals(Disposition.QUEUED, toB(fragments.get(0)));
        assertEquals(Disposition.DROPPED, toB(forged));
        assertEquals(1, b.layer.counters().get(IpCounter.REASM_OVERLAPS));
        assertEquals(0, b.layer.reassembler().active());
        toB(fragments.get(1));
        toB(fragments.get(2));
        assertTrue(udp.payloads.isEmpty(), "a datagram with overlapping fragments must never be delivered");
        clock.advanceMs(31_000);
        b.turn();
        b.link.releaseSent();
    }

    @Test
    void sendsTimeExceededWhenFragmentZeroArrivedAndTheRestDidNot() {
        List<PacketBuffer> fragments = fragmentsOf(pattern(4000, 2));
        byte[] first = bytes(fragments.get(0));
        toB(fragments.get(0));
        toB(fragments.get(2));
        fragments.get(1).release();
        clock.advanceMs(29_999);
        b.turn();
        assertTrue(b.link.sent.isEmpty());
        clock.advanceMs(2);
        b.turn();
        assertEquals(1, b.layer.counters().get(IpCounter.REASM_TIMEOUTS));
        List<FakeLink.Sent> sent = b.link.takeSent();
        assertEquals(1, sent.size());
        PacketBuffer error = sent.get(0).packet();
        IcmpHeader m = new IcmpHeader().wrap(error.segment(), error.offset() + 20);
        assertEquals(IcmpHeader.TYPE_TIME_EXCEEDED, m.type());
        assertEquals(IcmpHeader.CODE_REASSEMBLY_TIME_EXCEEDED, m.code());
        assertTrue(m.checksumValid(error.length() - 20));
        byte[] quote = java.util.Arrays.copyOfRange(bytes(error), 28, 56);
        assertArrayEquals(java.util.Arrays.copyOf(first, 28), quote, "quotes fragment 0's header and 8 bytes");
        assertEquals(A, new Ipv4Header().wrap(error.segment(), error.offset()).destination());
        error.release();
    }

    @Test
    void staysSilentOnTimeoutWithoutFragmentZero() {
        List<PacketBuffer> fragments = fragmentsOf(pattern(4000, 3));
        fragments.get(0).release();
        toB(fragments.get(1));
        toB(fragments.get(2));
        clock.advanceMs(30_001);
        b.turn();
        assertEquals(1, b.layer.counters().get(IpCounter.REASM_TIMEOUTS));
        assertTrue(b.link.sent.isEmpty());
    }

    @Test
    void evictsTheOldestDatagramWhenReassemblyMemoryIsFull() {
        Host small = new Host(clock, "198.18.0.2/24", 1500,
                TestConfigs.ip(64, 30_000, 2L * Ipv4Layer.LARGE_BUFFER_BYTES, 100));
        Ipv4LayerTest.Recorder recorder = new Ipv4LayerTest.Recorder();
        small.layer.bindProtocol(17, recorder);
        List<List<PacketBuffer>> datagrams = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            datagrams.add(fragmentsOf(pattern(3000, i)));
        }
        for (int i = 0; i < 3; i++) {
            small.layer.receive(small.eth0, datagrams.get(i).get(0), small.now());
            clock.advanceMs(1);
        }
        assertEquals(1, small.layer.counters().get(IpCounter.REASM_EVICTIONS));
        assertEquals(2, small.layer.reassembler().active());
        for (int i = 2; i >= 0; i--) { // datagram 0 was evicted: its rest starts over and waits
            for (PacketBuffer f : datagrams.get(i).subList(1, datagrams.get(i).size())) {
                small.layer.receive(small.eth0, f, small.now());
            }
        }
        assertEquals(2, recorder.payloads.size());
        assertArrayEquals(pattern(3000, 2), recorder.payloads.get(0));
        assertArrayEquals(pattern(3000, 1), recorder.payloads.get(1));
        clock.advanceMs(31_000);
        small.turn();
        small.link.releaseSent();
        assertEquals(0, small.buffersInUse());
    }

    @Test
    void dropsFragmentsEndingPast65535AsMalformed() {
        // Offset 8189 units = 65512 bytes, plus 20 header + 8 data: 65540 > 65535.
        PacketBuffer tail = ipv4(a.pool(), A, B, 17, 77, 8189, pattern(8, 0));
        assertEquals(Disposition.MALFORMED, toB(tail));
        assertEquals(1, b.layer.counters().get(IpCounter.HDR_FRAGMENT_PAST_MAX));
        assertEquals(0, b.layer.reassembler().active());
        // The largest legal end is accepted: offset 65512 with 3 bytes makes exactly 65535.
        assertEquals(Disposition.QUEUED, toB(ipv4(a.pool(), A, B, 17, 78, 8189, pattern(3, 0))));
        clock.advanceMs(31_000);
        b.turn();
    }

    @Test
    void dropsNonLastFragmentsThatAreNotAMultipleOfEight() {
        assertEquals(Disposition.MALFORMED, toB(ipv4(a.pool(), A, B, 17, 79, Ipv4Header.FLAG_MORE_FRAGMENTS, pattern(12, 0))));
        assertEquals(1, b.layer.counters().get(IpCounter.HDR_BAD_FRAGMENT));
    }

    @Test
    void dropsTheDatagramWhenTwoLastFragmentsDisagree() {
        List<PacketBuffer> fragments = fragmentsOf(pattern(4000, 4));
        int id = new Ipv4Header().wrap(fragments.get(0).segment(), fragments.get(0).offset()).identification();
        toB(fragments.get(2)); // the real last fragment: total 4000
        assertEquals(Disposition.DROPPED, toB(ipv4(a.pool(), A, B, 17, id, 500, pattern(16, 0)))); // says 4016
        assertEquals(1, b.layer.counters().get(IpCounter.REASM_FAILS));
        toB(fragments.get(0));
        toB(fragments.get(1));
        assertTrue(udp.payloads.isEmpty());
        clock.advanceMs(31_000);
        b.turn();
        b.link.releaseSent();
    }
}
