package dev.netstack.socket.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.nic.PacketBuffer;
import dev.netstack.socket.StreamSocket;
import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Zero-copy send (allocate, fill, send) and zero-copy receive (receiveBuffer, release) between two
 * stacks, measuring heap bytes allocated per packet after warm-up on the two application threads
 * and on the two shard threads ({@code com.sun.management.ThreadMXBean}).
 */
class ZeroCopyAllocationTest {

    static final int WARMUP = 20_000;
    static final int PACKETS = 50_000;
    static final int PAYLOAD = 1024;

    static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    static long allocated(Thread t) {
        return THREADS.getThreadAllocatedBytes(t.threadId());
    }

    static Thread thread(String name) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(name)).findFirst()
                .orElseThrow();
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void zeroCopySendAndReceiveAllocateNothingPerPacketAfterWarmUp() throws Exception {
        try (TwoStacks net = new TwoStacks()) {
            StreamSocket server = net.b.sockets.openStream();
            server.setZeroCopyReceive(true);
            server.bind(0, 6000);
            server.listen(4);
            StreamSocket client = net.a.sockets.openStream();
            client.connect(TwoStacks.B, 6000);
            StreamSocket peer = server.accept();
            // full-sized buffers: each leaves as one segment from the buffer itself
            int payload = client.maxSegmentSize();

            AtomicLong receiverBytes = new AtomicLong(-1);
            AtomicLong received = new AtomicLong();
            long total = (long) (WARMUP + PACKETS) * payload;
            long[] receiverMark = new long[2];
            Thread receiver = Thread.ofPlatform().name("zero-copy-receiver").start(() -> {
                long got = 0;
                long checksum = 0;
                boolean marked = false;
                while (got < total) {
                    PacketBuffer b = peer.receiveBuffer();
                    if (!marked && got >= (long) WARMUP * payload) {
                        receiverMark[0] = allocated(Thread.currentThread());
                        receiverMark[1] = got;
                        marked = true;
                    }
                    int n = b.length();
                    checksum += b.segment().get(java.lang.foreign.ValueLayout.JAVA_BYTE, b.offset());
                    got += n;
                    peer.release(b);
                }
                receiverBytes.set(allocated(Thread.currentThread()) - receiverMark[0]);
                received.set(got + (checksum == Long.MIN_VALUE ? 1 : 0));
            });

            Thread shardA = thread("netstack-shard-0");
            Thread shardB = thread("netstack-shard-1");
            long shardA0 = 0;
            long shardB0 = 0;
            long app0 = 0;
            for (int i = 0; i < WARMUP + PACKETS; i++) {
                if (i == WARMUP) {
                    shardA0 = allocated(shardA);
                    shardB0 = allocated(shardB);
                    app0 = allocated(Thread.currentThread());
                }
                PacketBuffer b = client.allocate();
                b.segment().set(java.lang.foreign.ValueLayout.JAVA_BYTE, b.offset(), (byte) i);
                b.append(payload);
                client.send(b);
            }
            long app = allocated(Thread.currentThread()) - app0;
            receiver.join(60_000);
            long shardAllocA = allocated(shardA) - shardA0;
            long shardAllocB = allocated(shardB) - shardB0;
            assertEquals(total, received.get(), "every byte arrived");
            long receivedPackets = (total - receiverMark[1]) / payload;
            System.out.printf("bytes allocated per packet after warm-up: sender %.3f, receiver %.3f (%d buffers), "
                    + "shard A %.3f, shard B %.3f%n", (double) app / PACKETS,
                    (double) receiverBytes.get() / receivedPackets, receivedPackets,
                    (double) shardAllocA / PACKETS, (double) shardAllocB / PACKETS);
            assertTrue(app < PACKETS / 10, "sender thread allocated " + app + " bytes for " + PACKETS + " packets");
            assertTrue(receiverBytes.get() < PACKETS / 10, "receiver thread allocated " + receiverBytes.get());
            assertTrue(shardAllocA < PACKETS, "shard A allocated " + shardAllocA + " bytes");
            assertTrue(shardAllocB < PACKETS, "shard B allocated " + shardAllocB + " bytes");
            client.close();
            peer.close();
            server.close();
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void udpZeroCopySendAndReceiveAllocateNothingPerDatagramAfterWarmUp() throws Exception {
        try (TwoStacks net = new TwoStacks()) {
            dev.netstack.socket.DatagramSocket server = net.b.sockets.openDatagram();
            server.setZeroCopyReceive(true);
            server.bind(0, 6001);
            server.setReceiveQueueLimits(4096, 64 << 20);
            dev.netstack.socket.DatagramSocket client = net.a.sockets.openDatagram();
            client.connect(TwoStacks.B, 6001);
            // the first datagram resolves the peer's MAC (ARP queues only a few datagrams meanwhile)
            PacketBuffer first = client.allocate();
            first.append(8);
            client.send(first);
            server.release(server.receiveBuffer(null));
            server.setReceiveTimeout(20_000);
            int total = WARMUP + PACKETS;
            AtomicLong received = new AtomicLong();
            long[] receiverMark = new long[2];
            AtomicLong receiverBytes = new AtomicLong(-1);
            Thread receiver = Thread.ofPlatform().name("udp-zero-copy-receiver").start(() -> {
                dev.netstack.udp.UdpDatagram from = new dev.netstack.udp.UdpDatagram();
                long sum = 0;
                for (int i = 0; i < total; i++) {
                    if (i == WARMUP) {
                        receiverMark[0] = allocated(Thread.currentThread());
                    }
                    PacketBuffer b = server.receiveBuffer(from);
                    sum += b.segment().get(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, b.offset());
                    server.release(b);
                    received.incrementAndGet();
                }
                receiverBytes.set(allocated(Thread.currentThread()) - receiverMark[0]);
                receiverMark[1] = sum;
            });
            Thread shardA = thread("netstack-shard-0");
            Thread shardB = thread("netstack-shard-1");
            long shardA0 = 0;
            long shardB0 = 0;
            long app0 = 0;
            for (int i = 0; i < total; i++) {
                if (i == WARMUP) {
                    shardA0 = allocated(shardA);
                    shardB0 = allocated(shardB);
                    app0 = allocated(Thread.currentThread());
                }
                while (i - received.get() > 256) {
                    Thread.onSpinWait(); // UDP has no flow control: stay within the receiver's queue
                }
                PacketBuffer b = client.allocate();
                b.segment().set(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, b.offset(), i);
                b.append(PAYLOAD);
                client.send(b);
            }
            long app = allocated(Thread.currentThread()) - app0;
            receiver.join(60_000);
            long shardAllocA = allocated(shardA) - shardA0;
            long shardAllocB = allocated(shardB) - shardB0;
            assertEquals(total, received.get(), "every datagram arrived");
            System.out.printf("UDP bytes allocated per datagram after warm-up: sender %.3f, receiver %.3f, shard A %.3f, "
                    + "shard B %.3f%n", (double) app / PACKETS, (double) receiverBytes.get() / PACKETS,
                    (double) shardAllocA / PACKETS, (double) shardAllocB / PACKETS);
            assertTrue(app < PACKETS, "sender thread allocated " + app + " bytes for " + PACKETS + " datagrams");
            assertTrue(receiverBytes.get() < PACKETS, "receiver thread allocated " + receiverBytes.get());
            assertTrue(shardAllocA < PACKETS, "shard A allocated " + shardAllocA + " bytes");
            assertTrue(shardAllocB < PACKETS, "shard B allocated " + shardAllocB + " bytes");
            client.close();
            server.close();
        }
    }
}
