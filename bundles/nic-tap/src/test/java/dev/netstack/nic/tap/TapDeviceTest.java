package dev.netstack.nic.tap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.nic.DeviceCapabilities;
import dev.netstack.nic.MacAddress;
import dev.netstack.nic.PacketBatch;
import dev.netstack.nic.PacketBuffer;
import dev.netstack.nic.tap.TapException.Reason;
import dev.netstack.nic.tap.internal.Ifreq;
import dev.netstack.runtime.EventLoop;
import dev.netstack.runtime.NanoClock;
import dev.netstack.runtime.PollIdleStrategy;
import dev.netstack.runtime.PollTask;
import dev.netstack.runtime.os.Linux;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Linux kernel as the peer: each test creates a namespace {@code nsb-tap-*}, opens the TAP on
 * a thread inside it with the kernel side at 198.18.0.1/24, and plays the stack at 198.18.0.2.
 * Runs only as root with /dev/net/tun and iproute2.
 */
class TapDeviceTest {

    private static final String TAP = "nsbtap0";
    private static final int KERNEL_IP = 0xC612_0001;  // 198.18.0.1
    private static final int STACK_IP = 0xC612_0002;   // 198.18.0.2
    private static final long STACK_MAC = 0x0200_00C6_1202L;
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final int ETHERTYPE_ARP = 0x0806;
    private static final int ETHERTYPE_IPV4 = 0x0800;

    private Netns ns;
    private TapDevice tap;

    @BeforeAll
    static void requireRoot() {
        Netns.assumeRootWithTun();
    }

    @BeforeEach
    void openTap() throws Exception {
        ns = Netns.create();
        TapSettings settings = new TapSettings("eth0", TAP, STACK_MAC, 1400, KERNEL_IP, 24, 256);
        tap = ns.call(() -> TapDevice.open(settings));
    }

    @AfterEach
    void closeTap() {
        try {
            if (tap != null) {
                tap.close();
            }
        } finally {
            ns.close();
        }
    }

    @Test
    void createsTapInsideNamespaceWithKernelSideConfigured() throws Exception {
        assertEquals(TAP, tap.tapName());
        assertEquals("tap:" + TAP, tap.description());
        assertEquals(STACK_MAC, tap.macAddress());
        assertEquals(1400, tap.mtu());
        assertEquals(1414, tap.capabilities().maxFrameBytes());
        assertTrue(tap.isLinkUp());
        assertTrue(tap.readinessFd(0) >= 0);

        String link = ns.ip("link", "show", "dev", TAP).output();
        assertTrue(link.contains("mtu 1400"), link);
        assertTrue(link.contains(",UP"), link);
        String addr = ns.ip("-4", "addr", "show", "dev", TAP).output();
        assertTrue(addr.contains("inet 198.18.0.1/24"), addr);
        assertNotEquals(0, Netns.exec("ip", "link", "show", "dev", TAP).exit(), "TAP must not be in the root namespace");

        // The kernel's own struct ifreq for SIOCGIFADDR, parsed by our flyweight.
        Ifreq reply = ns.call(() -> {
            Linux linux = new Linux();
            int socket = linux.socket(Linux.AF_INET, Linux.SOCK_DGRAM, 0);
            MemorySegment segment = Arena.ofAuto().allocate(Ifreq.BYTES);
            Ifreq ifr = new Ifreq().wrap(segment, 0).clear().name(TAP);
            assertEquals(0, linux.ioctl(socket, 0x8915L /* SIOCGIFADDR */, segment));
            linux.close(socket);
            return ifr;
        });
        assertEquals(TAP, reply.name());
        assertEquals(Linux.AF_INET, reply.family());
        assertEquals(KERNEL_IP, reply.ipv4());
    }

    @Test
    void withoutHostAddressKernelSideIsLeftAlone() throws Exception {
        try (TapDevice plain = ns.call(() -> TapDevice.open(TapSettings.defaults("eth1", "nsbtap1")))) {
            String link = ns.ip("link", "show", "dev", "nsbtap1").output();
            assertTrue(link.contains("mtu 1500"), link);
            assertTrue(!link.contains(",UP"), link);
            assertTrue(!ns.ip("-4", "addr", "show", "dev", "nsbtap1").output().contains("inet "));
            assertEquals(TapSettings.defaultMac("nsbtap1"), plain.macAddress());
            assertEquals(4096, plain.pool(0).capacity());
        }
        assertNotEquals(0, ns.ip("link", "show", "dev", "nsbtap1").exit());
    }

    @Test
    void kernelAnswersArpRequestWrittenByStackAndLearnsStackMac() throws Exception {
        long rxBefore = ns.kernelRxPackets(TAP);
        PacketBatch batch = new PacketBatch(8);
        batch.add(arp(1, STACK_MAC, STACK_IP, 0, KERNEL_IP, MacAddress.BROADCAST));
        assertEquals(1, tap.transmit(0, batch));
        batch.removeFirst(1);
        assertEquals(1, tap.counters(0).txPackets);
        assertEquals(60, tap.counters(0).txBytes);

        PacketBuffer reply = awaitFrame(ETHERTYPE_ARP, 2);
        try {
            MemorySegment s = reply.segment();
            int at = reply.offset();
            assertEquals(STACK_MAC, mac(s, at));                        // to us
            long kernelMac = mac(s, at + 6);
            assertEquals(kernelMac, mac(s, at + 14 + 8));                // sender hardware address
            assertEquals(KERNEL_IP, s.get(U32, at + 14 + 14));           // sender protocol address
            assertEquals(STACK_MAC, mac(s, at + 14 + 18));               // target hardware address
            assertEquals(STACK_IP, s.get(U32, at + 14 + 24));
            assertEquals(reply.offset(), reply.linkOffset());
        } finally {
            reply.release();
        }
        assertTrue(ns.kernelRxPackets(TAP) >= rxBefore + 1);
        String neighbours = ns.ip("neigh", "show", "dev", TAP).output();
        assertTrue(neighbours.contains("198.18.0.2 lladdr " + MacAddress.format(STACK_MAC)), neighbours);
        assertEquals(0, tap.pool(0).inUse(), "every buffer back in the pool");
    }

    @Test
    void kernelTrafficToStackSubnetArrivesAndReadinessFdSignalsIt() throws Exception {
        byte[] payload = "hello from the kernel".getBytes(StandardCharsets.US_ASCII);
        // A socket made on the namespace thread belongs to the namespace.
        DatagramChannel udp = ns.call(() -> DatagramChannel.open(StandardProtocolFamily.INET));
        try {
            ns.run(() -> udp.send(ByteBuffer.wrap(payload), new InetSocketAddress("198.18.0.2", 9999)));
            assertTrue(awaitReadable(), "the TAP fd polls readable once the kernel sends");

            PacketBuffer request = awaitFrame(ETHERTYPE_ARP, 1);
            long kernelMac;
            try {
                MemorySegment s = request.segment();
                int at = request.offset();
                assertEquals(MacAddress.BROADCAST, mac(s, at));
                kernelMac = mac(s, at + 6);
                assertEquals(KERNEL_IP, s.get(U32, at + 14 + 14));
                assertEquals(STACK_IP, s.get(U32, at + 14 + 24));        // who has 198.18.0.2
            } finally {
                request.release();
            }

            PacketBatch batch = new PacketBatch(4);
            batch.add(arp(2, STACK_MAC, STACK_IP, kernelMac, KERNEL_IP, kernelMac));
            assertEquals(1, tap.transmit(0, batch));
            batch.removeFirst(1);

            PacketBuffer datagram = awaitFrame(ETHERTYPE_IPV4, -1);
            try {
                MemorySegment s = datagram.segment();
                int ip = datagram.offset() + 14;
                assertEquals(STACK_MAC, mac(s, datagram.offset()));
                assertEquals(17, s.get(ValueLayout.JAVA_BYTE, ip + 9));   // UDP
                assertEquals(STACK_IP, s.get(U32, ip + 16));
                int udpAt = ip + 4 * (s.get(ValueLayout.JAVA_BYTE, ip) & 0xF);
                assertEquals(9999, s.get(U16, udpAt + 2) & 0xFFFF);
                byte[] received = new byte[payload.length];
                MemorySegment.copy(s, ValueLayout.JAVA_BYTE, udpAt + 8, received, 0, received.length);
                assertEquals(new String(payload, StandardCharsets.US_ASCII),
                        new String(received, StandardCharsets.US_ASCII));
            } finally {
                datagram.release();
            }
        } finally {
            udp.close();
        }
        assertTrue(tap.counters(0).rxPackets >= 2);
        assertEquals(0, tap.pool(0).inUse());
    }

    @Test
    void shardSleepingInPollWakesWhenKernelSends() throws Exception {
        PollIdleStrategy idle = new PollIdleStrategy(0, 0, 60_000); // no timers: only the fd can end a sleep within the test
        EventLoop loop = new EventLoop(0, NanoClock.SYSTEM, idle, 64);
        AtomicLong arpSeenNs = new AtomicLong();
        PollTask task = new PollTask() {
            private final PacketBatch batch = new PacketBatch(16);

            @Override
            public int poll(long nowNs) {
                int n = tap.receive(0, batch);
                for (int i = 0; i < n; i++) {
                    PacketBuffer b = batch.get(i);
                    if ((b.segment().get(U16, b.offset() + 12) & 0xFFFF) == ETHERTYPE_ARP) {
                        arpSeenNs.compareAndSet(0, System.nanoTime());
                    }
                }
                batch.releaseAll();
                return n;
            }

            @Override
            public int readinessFd() {
                return tap.readinessFd(0);
            }
        };
        loop.start();
        try (DatagramChannel udp = ns.call(() -> DatagramChannel.open(StandardProtocolFamily.INET))) {
            assertTrue(loop.execute(() -> loop.addTask(task)));
            Thread.sleep(300); // the shard goes to sleep in poll(2)
            long sentNs = System.nanoTime();
            ns.run(() -> udp.send(ByteBuffer.wrap(new byte[] {1}), new InetSocketAddress("198.18.0.2", 9999)));
            while (arpSeenNs.get() == 0 && System.nanoTime() - sentNs < 4_000_000_000L) {
                Thread.sleep(1);
            }
            long latencyMs = (arpSeenNs.get() - sentNs) / 1_000_000;
            System.out.println("shard woke for the kernel's ARP request after " + latencyMs + " ms");
            // The sleep lasts up to 60 s and no timer is scheduled: seeing the request within the
            // 4 s wait means the TAP's descriptor woke the shard (the latency is printed, not asserted).
            assertNotEquals(0, arpSeenNs.get(), "the shard never woke for the ARP request");
        } finally {
            loop.stop();
        }
    }

    @Test
    void closeRemovesTheTapAndIsIdempotent() throws Exception {
        assertEquals(0, ns.ip("link", "show", "dev", TAP).exit());
        tap.close();
        tap.close();
        assertNotEquals(0, ns.ip("link", "show", "dev", TAP).exit(), "TAP gone after close");
        assertTrue(!tap.isLinkUp());
        assertEquals(-1, tap.readinessFd(0));
        assertEquals(0, tap.receive(0, new PacketBatch(4)));
    }

    @Test
    void secondOpenOfTheSameTapIsBusy() throws Exception {
        TapException e = assertThrows(TapException.class,
                () -> ns.call(() -> TapDevice.open(TapSettings.defaults("eth1", TAP))));
        assertEquals(Reason.BUSY, e.reason());
        assertEquals("TAP device " + TAP + " is in use by another process: stop it or choose another TAP name.",
                e.getMessage());
    }

    @Test
    void nameOfAnInterfaceThatIsNotATapIsRefused() throws Exception {
        TapException e = assertThrows(TapException.class,
                () -> ns.call(() -> TapDevice.open(TapSettings.defaults("eth1", "lo"))));
        assertEquals(Reason.BAD_CONFIGURATION, e.reason());
        assertTrue(e.getMessage().startsWith("Cannot create TAP device lo: "), e.getMessage());
    }

    @Test
    void receiveOfIdleTapReturnsNothingAndKeepsNoBuffer() {
        PacketBatch batch = new PacketBatch(4);
        drain(batch);
        assertEquals(0, tap.receive(0, batch));
        assertEquals(0, batch.size());
        assertEquals(0, tap.pool(0).inUse());
    }

    @Test
    void framesTheKernelCannotTakeAreDroppedNotStuck() {
        PacketBatch batch = new PacketBatch(4);
        PacketBuffer runt = tap.pool(0).allocate();
        runt.append(10);
        batch.add(runt);
        batch.add(arp(1, STACK_MAC, STACK_IP, 0, KERNEL_IP, MacAddress.BROADCAST));
        assertEquals(2, tap.transmit(0, batch));
        assertEquals(1, tap.counters(0).txDropped);
        assertEquals(1, tap.counters(0).txPackets);
        assertEquals(0, tap.pool(0).inUse());
    }

    @Test
    void transmitAndIdleReceiveAllocateNothing() throws Exception {
        assertAllocatesNothing();
    }

    @Test
    void withOffloadsTransmitAndIdleReceiveAllocateNothing() throws Exception {
        reopenWithOffloads();
        assertAllocatesNothing();
    }

    @Test
    void withOffloadsTheDeviceAdvertisesThemAndTheKernelTapTakesThem() throws Exception {
        reopenWithOffloads();
        assertTrue(tap.offloading());
        assertTrue(tap.capabilities().has(DeviceCapabilities.OFFLOAD_TSO));
        assertTrue(tap.capabilities().has(DeviceCapabilities.OFFLOAD_RX_CHECKSUM));
        assertTrue(tap.capabilities().has(DeviceCapabilities.OFFLOAD_TX_CHECKSUM));
        assertEquals(DeviceCapabilities.MAX_SEGMENTED_FRAME_BYTES, tap.capabilities().maxSegmentedFrameBytes());
        assertEquals(1414, tap.capabilities().maxFrameBytes());
        // TUNSETOFFLOAD turned on the kernel TAP's own features: it now hands over partial checksums and TSO frames
        Netns.Result ethtool = Netns.exec("ip", "netns", "exec", ns.name, "ethtool", "-k", TAP);
        String features = ethtool.output();
        if (ethtool.exit() == 0) {
            assertTrue(features.contains("tcp-segmentation-offload: on"), features);
            assertTrue(features.contains("tx-checksumming: on"), features);
        }
    }

    @Test
    void withOffloadsKernelDatagramArrivesWithItsChecksumVouchedFor() throws Exception {
        reopenWithOffloads();
        byte[] payload = "partial checksum from the kernel".getBytes(StandardCharsets.US_ASCII);
        DatagramChannel udp = ns.call(() -> DatagramChannel.open(StandardProtocolFamily.INET));
        try {
            ns.run(() -> udp.send(ByteBuffer.wrap(payload), new InetSocketAddress("198.18.0.2", 9999)));
            PacketBuffer request = awaitFrame(ETHERTYPE_ARP, 1);
            long kernelMac = mac(request.segment(), request.offset() + 6);
            assertEquals(0, request.flags(), "ARP carries no checksum offload");
            request.release();
            PacketBatch batch = new PacketBatch(4);
            batch.add(arp(2, STACK_MAC, STACK_IP, kernelMac, KERNEL_IP, kernelMac));
            assertEquals(1, tap.transmit(0, batch));
            batch.removeFirst(1);

            PacketBuffer datagram = awaitFrame(ETHERTYPE_IPV4, -1);
            try {
                MemorySegment s = datagram.segment();
                int ip = datagram.offset() + 14;
                assertEquals(17, s.get(ValueLayout.JAVA_BYTE, ip + 9));
                // The kernel left the UDP checksum partial (NEEDS_CSUM): the device marks it verified
                assertTrue(datagram.hasFlag(PacketBuffer.FLAG_CHECKSUM_VERIFIED), "flags " + datagram.flags());
                byte[] received = new byte[payload.length];
                MemorySegment.copy(s, ValueLayout.JAVA_BYTE, ip + 28, received, 0, received.length);
                assertEquals(new String(payload, StandardCharsets.US_ASCII), new String(received, StandardCharsets.US_ASCII));
            } finally {
                datagram.release();
            }
        } finally {
            udp.close();
        }
        assertTrue(tap.counters(0).rxChecksumOffloaded >= 1, tap.counters(0)::toString);
        assertEquals(0, tap.counters(0).rxErrors);
        assertEquals(0, tap.pool(0).inUse());
    }

    @Test
    void withOffloadsKernelCompletesAPartialChecksumItWouldOtherwiseReject() throws Exception {
        reopenWithOffloads();
        String link = ns.ip("link", "show", "dev", TAP).output();
        int ether = link.indexOf("link/ether ");
        long kernelMac = MacAddress.parse(link.substring(ether + 11, ether + 28));
        DatagramChannel udp = ns.call(() -> DatagramChannel.open(StandardProtocolFamily.INET)
                .bind(new InetSocketAddress("198.18.0.1", 7777)));
        try {
            udp.configureBlocking(false);
            // Without the request the pseudo-header sum alone is a wrong checksum: the kernel drops it
            PacketBatch batch = new PacketBatch(4);
            batch.add(udpWithPseudoHeaderSum(kernelMac, "no request", false));
            assertEquals(1, tap.transmit(0, batch));
            batch.removeFirst(1);
            // With FLAG_CHECKSUM_PARTIAL the header says NEEDS_CSUM and the kernel takes it
            batch.add(udpWithPseudoHeaderSum(kernelMac, "partial checksum", true));
            assertEquals(1, tap.transmit(0, batch));
            batch.removeFirst(1);
            ByteBuffer into = ByteBuffer.allocate(256);
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (udp.receive(into) == null && System.nanoTime() - deadline < 0) {
                Thread.sleep(5);
            }
            into.flip();
            assertEquals("partial checksum", StandardCharsets.US_ASCII.decode(into).toString());
            into.clear();
            Thread.sleep(100);
            assertEquals(null, udp.receive(into), "the datagram without the request was dropped");
        } finally {
            udp.close();
        }
        assertEquals(1, tap.counters(0).txChecksumOffloaded);
        assertEquals(2, tap.counters(0).txPackets);
    }

    @Test
    void withOffloadsAnOffloadRequestOutsideTheFrameIsDroppedNotSent() throws Exception {
        reopenWithOffloads();
        PacketBatch batch = new PacketBatch(4);
        PacketBuffer frame = udpWithPseudoHeaderSum(0x0200_0000_0001L, "x", true);
        frame.setChecksumRequest(frame.length() - 1, 6); // the field would lie past the end
        batch.add(frame);
        PacketBuffer segmented = udpWithPseudoHeaderSum(0x0200_0000_0001L, "y", false);
        segmented.setSegmented(1000); // no TCP header at a transport offset
        batch.add(segmented);
        assertEquals(2, tap.transmit(0, batch));
        assertEquals(2, tap.counters(0).txDropped);
        assertEquals(0, tap.counters(0).txPackets);
        assertEquals(0, tap.pool(0).inUse());
    }

    private void reopenWithOffloads() throws Exception {
        tap.close();
        TapSettings settings = new TapSettings("eth0", TAP, STACK_MAC, 1400, KERNEL_IP, 24, 256, true);
        tap = ns.call(() -> TapDevice.open(settings));
    }

    /**
     * A UDP datagram 198.18.0.2:7777 → 198.18.0.1:7777 whose checksum field holds only the
     * pseudo-header sum (RFC 768), as a stack asking for checksum offload writes it.
     */
    private PacketBuffer udpWithPseudoHeaderSum(long kernelMac, String text, boolean request) {
        byte[] payload = text.getBytes(StandardCharsets.US_ASCII);
        PacketBuffer frame = tap.pool(0).allocate();
        int udpLength = 8 + payload.length;
        int at = frame.append(14 + 20 + udpLength);
        MemorySegment s = frame.segment();
        putMac(s, at, kernelMac);
        putMac(s, at + 6, STACK_MAC);
        s.set(U16, at + 12, (short) ETHERTYPE_IPV4);
        int ip = at + 14;
        s.set(U16, ip, (short) 0x4500);
        s.set(U16, ip + 2, (short) (20 + udpLength));
        s.set(U32, ip + 4, 0x4000); // id 0, DF
        s.set(U16, ip + 8, (short) 0x4011); // TTL 64, UDP
        s.set(U16, ip + 10, (short) 0);
        s.set(U32, ip + 12, STACK_IP);
        s.set(U32, ip + 16, KERNEL_IP);
        s.set(U16, ip + 10, (short) ~fold(sum(s, ip, 20, 0)));
        int udp = ip + 20;
        s.set(U16, udp, (short) 7777);
        s.set(U16, udp + 2, (short) 7777);
        s.set(U16, udp + 4, (short) udpLength);
        MemorySegment.copy(payload, 0, s, ValueLayout.JAVA_BYTE, udp + 8, payload.length);
        long pseudo = (STACK_IP >>> 16) + (STACK_IP & 0xFFFF) + (KERNEL_IP >>> 16) + (KERNEL_IP & 0xFFFF) + 17 + udpLength;
        s.set(U16, udp + 6, (short) fold(pseudo));
        if (request) {
            frame.setChecksumRequest(34, 6);
        }
        return frame;
    }

    private static long sum(MemorySegment s, long at, int length, long sum) {
        for (int i = 0; i + 1 < length; i += 2) {
            sum += s.get(U16, at + i) & 0xFFFF;
        }
        if ((length & 1) != 0) {
            sum += (s.get(ValueLayout.JAVA_BYTE, at + length - 1) & 0xFF) << 8;
        }
        return sum;
    }

    private static int fold(long sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int) sum;
    }

    private void assertAllocatesNothing() {
        PacketBatch batch = new PacketBatch(16);
        PacketBatch rx = new PacketBatch(16);
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().threadId();
        int bursts = 2_000;
        long allocated = Long.MAX_VALUE;
        // Steady state comes once the JIT has compiled the downcalls: measure rounds until one is clean.
        for (int round = 0; round < 30 && allocated >= 16 * bursts; round++) {
            long before = threads.getThreadAllocatedBytes(tid);
            for (int i = 0; i < bursts; i++) {
                sendBurst(batch, rx);
            }
            allocated = threads.getThreadAllocatedBytes(tid) - before;
            System.out.println("round " + round + ": allocated " + allocated + " bytes for " + bursts * 16
                    + " frames sent and " + bursts + " empty receives");
        }
        assertTrue(allocated < 16 * bursts, "allocated " + allocated + " bytes");
        assertEquals(0, tap.pool(0).inUse());
    }

    private void sendBurst(PacketBatch batch, PacketBatch rx) {
        while (!batch.isFull()) {
            PacketBuffer frame = tap.pool(0).allocate();
            int at = frame.append(60);
            frame.segment().set(ValueLayout.JAVA_LONG_UNALIGNED, at, -1L);      // broadcast destination
            frame.segment().set(U16, at + 12, (short) 0x88B5);                  // IEEE local experimental
            batch.add(frame);
        }
        int sent = tap.transmit(0, batch);
        batch.removeFirst(sent);
        batch.releaseAll();
        tap.receive(0, rx);
        rx.releaseAll();
    }

    private void drain(PacketBatch batch) {
        while (tap.receive(0, batch) > 0) {
            batch.releaseAll();
        }
        batch.releaseAll();
    }

    /** An ARP packet (RFC 826) in a 60-byte frame from the device's pool. */
    private PacketBuffer arp(int operation, long senderMac, int senderIp, long targetMac, int targetIp, long destination) {
        PacketBuffer frame = tap.pool(0).allocate();
        assertNotNull(frame);
        int at = frame.append(60);
        MemorySegment s = frame.segment();
        s.asSlice(at, 60).fill((byte) 0);
        putMac(s, at, destination);
        putMac(s, at + 6, senderMac);
        s.set(U16, at + 12, (short) ETHERTYPE_ARP);
        int arp = at + 14;
        s.set(U16, arp, (short) 1);                // hardware: Ethernet
        s.set(U16, arp + 2, (short) ETHERTYPE_IPV4);
        s.set(ValueLayout.JAVA_BYTE, arp + 4, (byte) 6);
        s.set(ValueLayout.JAVA_BYTE, arp + 5, (byte) 4);
        s.set(U16, arp + 6, (short) operation);
        putMac(s, arp + 8, senderMac);
        s.set(U32, arp + 14, senderIp);
        putMac(s, arp + 18, targetMac);
        s.set(U32, arp + 24, targetIp);
        return frame;
    }

    /** Receives until a frame of {@code etherType} (and ARP {@code operation} unless -1) arrives; releases the others. */
    private PacketBuffer awaitFrame(int etherType, int operation) throws InterruptedException {
        PacketBatch batch = new PacketBatch(16);
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (System.nanoTime() - deadline < 0) {
            tap.receive(0, batch);
            PacketBuffer found = null;
            for (int i = 0; i < batch.size(); i++) {
                PacketBuffer b = batch.get(i);
                MemorySegment s = b.segment();
                boolean match = found == null && (s.get(U16, b.offset() + 12) & 0xFFFF) == etherType
                        && (operation < 0 || s.get(U16, b.offset() + 14 + 6) == operation);
                if (match) {
                    found = b;
                } else {
                    b.release(); // IPv6 router solicitations and the like
                }
            }
            batch.clear();
            if (found != null) {
                return found;
            }
            Thread.sleep(5);
        }
        throw new AssertionError("no frame of EtherType 0x" + Integer.toHexString(etherType) + " within 5 s; counters "
                + tap.counters(0));
    }

    private boolean awaitReadable() {
        Linux linux = new Linux();
        MemorySegment pollFd = Arena.ofAuto().allocate(Linux.POLLFD_BYTES, 8);
        pollFd.set(ValueLayout.JAVA_INT, 0, tap.readinessFd(0));
        pollFd.set(ValueLayout.JAVA_SHORT, Linux.POLLFD_EVENTS, Linux.POLLIN);
        return linux.poll(pollFd.address(), 1, 5_000) == 1;
    }

    private static void putMac(MemorySegment s, long at, long mac) {
        for (int i = 0; i < 6; i++) {
            s.set(ValueLayout.JAVA_BYTE, at + i, (byte) (mac >>> (40 - 8 * i)));
        }
    }

    private static long mac(MemorySegment s, long at) {
        long mac = 0;
        for (int i = 0; i < 6; i++) {
            mac = (mac << 8) | (s.get(ValueLayout.JAVA_BYTE, at + i) & 0xFF);
        }
        return mac;
    }
}
