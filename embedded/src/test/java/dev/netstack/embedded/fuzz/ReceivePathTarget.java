package dev.netstack.embedded.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.netstack.embedded.NetStack;
import dev.netstack.ethernet.internal.EthernetLayer;
import dev.netstack.nic.MacAddress;
import dev.netstack.nic.PacketBatch;
import dev.netstack.nic.PacketBuffer;
import dev.netstack.nic.PacketPool;
import dev.netstack.test.LeakCheck;
import dev.netstack.test.MemoryLink;
import dev.netstack.test.VirtualClock;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The whole receive path of an embedded stack as a fuzz target: Ethernet → ARP / IPv4 → ICMP and
 * reassembly, on a hand-driven shard over one end of a {@link MemoryLink}; the fuzzer's frames
 * enter through the other end.
 *
 * <p>An input is a sequence of frames, each a 2-byte big-endian length and that many bytes (the
 * last takes what is left), so fragments of one datagram can arrive together. After each input
 * the virtual clock moves past every ARP retry and the reassembly timeout; then:
 * <ul>
 *   <li>no exception escaped (the manual shard rethrows what a poll task or timer throws);</li>
 *   <li>every device buffer and every reassembly buffer is back in its pool (no leak, and the
 *       reassembly state is empty: its memory cannot grow without bound);</li>
 *   <li>no packet still waits for ARP.</li>
 * </ul>
 * The stack has the address and MAC the corpus frames were captured for (198.18.26.2).
 */
final class ReceivePathTarget implements AutoCloseable {

    private static final int MAX_FRAMES = 16;
    private static final int MAX_FRAME_BYTES = 1514;
    private static final long STEP_NS = 500_000_000L;

    private final VirtualClock clock = new VirtualClock();
    private final MemoryLink link;
    private final NetStack stack;
    private final PacketBatch batch = new PacketBatch(64);

    ReceivePathTarget() {
        link = MemoryLink.builder().macA(MacAddress.parse("5a:85:4f:90:87:9c"))
                .macB(MacAddress.parse("06:59:36:88:19:25")).buffers(256).build();
        stack = NetStack.builder().device(link.a()).address("198.18.26.2/24").manualClock(clock)
                .ethernet("arp.retries", 2).ethernet("arp.retry.ms", 200)
                .ip("reassembly.timeout.ms", 1000).ip("reassembly.memory.bytes", 8 * 65_792)
                .ip("icmp.rate.per.second", 1000).build();
        settle();
    }

    NetStack stack() {
        return stack;
    }

    /** Seeds: each corpus frame alone, and the fragments of the corpus's fragmented echo request in and out of order. */
    static List<byte[]> seeds() {
        List<byte[]> seeds = new ArrayList<>();
        Map<String, byte[]> frames = Corpus.frames();
        for (byte[] frame : frames.values()) {
            seeds.add(encode(List.of(frame)));
        }
        seeds.add(fragmentedEchoRequest());
        seeds.add(encode(List.of(frames.get("09-ipv4-fragment-last-echo-request.hex"),
                frames.get("07-ipv4-fragment-first.hex"))));
        return seeds;
    }

    static byte[] fragmentedEchoRequest() {
        Map<String, byte[]> frames = Corpus.frames();
        return encode(List.of(frames.get("07-ipv4-fragment-first.hex"), frames.get("08-ipv4-fragment-middle.hex"),
                frames.get("09-ipv4-fragment-last-echo-request.hex")));
    }

    void check(byte[] input) {
        LeakCheck leaks = LeakCheck.of(stack.poolList().toArray(new PacketPool[0]));
        for (byte[] frame : decode(input)) {
            inject(frame);
        }
        long now = clock.advance(1_000);
        stack.runTurn(now);
        stack.runTurn(now);
        drainPeer();
        settle();
        leaks.assertNoLeaks();
        assertEquals(0, stack.poolList().getLast().inUse(), "reassembly state is empty after its timeout");
        assertEquals(0, ((EthernetLayer) stack.linkLayer()).arpQueuedPackets(), "nothing waits for ARP");
    }

    /** Lets every timer that can hold a buffer (ARP retries, reassembly) run out; drains what the stack sends. */
    private void settle() {
        for (int i = 0; i < 6; i++) {
            long now = clock.advance(STEP_NS);
            stack.runTurn(now);
            drainPeer();
        }
    }

    private void inject(byte[] frame) {
        PacketBuffer buffer = link.b().pool(0).allocate();
        if (buffer == null) {
            throw new IllegalStateException("the peer's pool is empty: the stack's replies were not drained");
        }
        int at = buffer.append(frame.length);
        MemorySegment.copy(MemorySegment.ofArray(frame), 0, buffer.segment(), at, frame.length);
        batch.clear();
        batch.add(buffer);
        int taken = link.b().transmit(0, batch);
        if (taken == 0) {
            buffer.release();
        }
        batch.clear();
        stack.runTurn(clock.advance(1_000));
        drainPeer();
    }

    private void drainPeer() {
        while (true) {
            batch.clear();
            int n = link.b().receive(0, batch);
            for (int i = 0; i < n; i++) {
                batch.get(i).release();
            }
            batch.clear();
            if (n == 0) {
                return;
            }
        }
    }

    @Override
    public void close() {
        stack.close();
    }

    static byte[] encode(List<byte[]> frames) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] frame : frames) {
            out.write(frame.length >>> 8);
            out.write(frame.length);
            out.writeBytes(frame);
        }
        return out.toByteArray();
    }

    static List<byte[]> decode(byte[] input) {
        List<byte[]> frames = new ArrayList<>();
        int at = 0;
        while (at < input.length && frames.size() < MAX_FRAMES) {
            int length = at + 1 < input.length ? ((input[at] & 0xFF) << 8) | (input[at + 1] & 0xFF) : 0;
            at += 2;
            int available = Math.max(0, input.length - at);
            int take = Math.min(Math.min(length, available), MAX_FRAME_BYTES);
            if (length > available) {
                take = Math.min(available, MAX_FRAME_BYTES);
            }
            frames.add(Arrays.copyOfRange(input, Math.min(at, input.length), Math.min(at, input.length) + take));
            at += take;
        }
        return frames;
    }
}
