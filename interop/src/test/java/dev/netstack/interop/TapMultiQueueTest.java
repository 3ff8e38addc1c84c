package dev.netstack.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.inject.AbstractModule;
import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Singleton;
import dev.netstack.demo.BytePattern;
import dev.netstack.demo.internal.DemoConfig;
import dev.netstack.demo.internal.DemoServices;
import dev.netstack.embedded.Configs;
import dev.netstack.embedded.NetStack;
import dev.netstack.embedded.NetStackModule;
import dev.netstack.nic.DeviceCapabilities;
import dev.netstack.nic.FlowHash;
import dev.netstack.nic.MacAddress;
import dev.netstack.nic.PacketBatch;
import dev.netstack.nic.PacketBuffer;
import dev.netstack.nic.tap.TapDevice;
import dev.netstack.nic.tap.TapSettings;
import dev.netstack.runtime.os.NetNamespace;
import dev.netstack.tcp.cubic.CubicFactory;
import dev.netstack.tcp.TcpConnection;
import dev.netstack.tcp.TcpError;
import dev.netstack.tcp.TcpHandler;
import dev.netstack.tcp.TcpOptions;
import dev.netstack.tcp.internal.TcpConfig;
import dev.netstack.tcp.internal.TcpStack;
import dev.netstack.test.Exec;
import dev.netstack.test.NetNs;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A multi-queue TAP against the Linux kernel, in a namespace {@code tapmq-PID-N}: the kernel's
 * frames must arrive on exactly the queue {@link FlowHash#queueOfFrame} names (the TAP's eBPF
 * steering program), and frames the stack writes on any queue must reach the kernel.
 *
 * <pre>
 *   namespace tapmq-*:  kernel  tapmq0 198.18.7.1/24  ══ TAP, N queues ══  test (reads each queue) .2
 * </pre>
 *
 * The kernel sends TCP SYNs from many ephemeral ports (non-blocking connects to the stack's
 * address, whose neighbour entry is static), ICMP echo requests (ping), UDP datagrams (one large
 * enough to be fragmented), ARP requests (UDP to an unresolved neighbour) and, with hping3,
 * fragmented TCP. The test plays the stack's side by reading each queue and writing frames itself.
 */
class TapMultiQueueTest {

    static final String PREFIX = "tapmq-";
    static final String TAP = "tapmq0";
    static final String KERNEL = "198.18.7.1";
    static final String STACK = "198.18.7.2";
    static final int KERNEL_IP = 0xC612_0701;
    static final int STACK_IP = 0xC612_0702;
    static final long STACK_MAC = 0x0200_5E12_0702L;
    static final int CONNECTIONS = 48;
    static final Duration WAIT = Duration.ofSeconds(20);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    @BeforeAll
    static void rig() {
        assumeTrue(NetNs.available(), "needs root and iproute2");
        assumeTrue(Files.exists(Path.of("/dev/net/tun")), "needs /dev/net/tun");
        NetNs.cleanup(PREFIX);
    }

    /** What the test saw on the queues. */
    static final class Tally {
        final int[] tcp;
        final int[] other;
        final Set<Integer> synPorts = new HashSet<>();
        int arp;
        int icmp;
        int udp;
        int fragments;
        int tcpFragments;
        int mismatches;
        final List<String> wrong = new ArrayList<>();

        Tally(int queues) {
            tcp = new int[queues];
            other = new int[queues];
        }

        @Override
        public String toString() {
            return "tcp per queue " + Arrays.toString(tcp) + ", other per queue " + Arrays.toString(other)
                    + ", SYN source ports " + synPorts.size() + ", arp " + arp + ", icmp " + icmp + ", udp " + udp
                    + ", fragments " + fragments + " (tcp " + tcpFragments + "), mismatches " + mismatches;
        }
    }

    @ParameterizedTest(name = "{0} queues, offload {1}")
    @CsvSource({"2, false", "4, false", "2, true"})
    void everyKernelFrameArrivesOnTheQueueFlowHashNamesAndEveryQueueTransmits(int queues, boolean offload)
            throws Exception {
        int bpfProgramsBefore = bpfProgramDescriptors();
        NetNs ns = NetNs.create(PREFIX);
        TapDevice tap = null;
        List<SocketChannel> connects = new ArrayList<>();
        try {
            TapSettings settings = new TapSettings("eth0", TAP, STACK_MAC, 1500, KERNEL_IP, 24, 512, offload, queues);
            tap = inNamespace(ns.name(), () -> TapDevice.open(settings));
            assertEquals(queues, tap.queueCount());
            assertTrue(tap.capabilities().has(DeviceCapabilities.OFFLOAD_RSS));
            assertEquals(offload, tap.offloading());
            assertEquals(bpfProgramsBefore + 1, bpfProgramDescriptors(), "the steering program's descriptor");
            Set<Integer> readiness = new HashSet<>();
            Set<Object> pools = Collections.newSetFromMap(new IdentityHashMap<>());
            for (int q = 0; q < queues; q++) {
                readiness.add(tap.readinessFd(q));
                pools.add(tap.pool(q));
            }
            assertEquals(queues, readiness.size(), "one descriptor per queue");
            assertEquals(queues, pools.size(), "one pool per queue");
            ns.ip("neigh", "replace", STACK, "lladdr", MacAddress.format(STACK_MAC), "dev", TAP, "nud", "permanent");

            // The kernel's traffic: TCP SYNs from many source ports, ICMP, UDP (one fragmented), ARP.
            inNamespace(ns.name(), () -> {
                for (int i = 0; i < CONNECTIONS; i++) {
                    SocketChannel c = SocketChannel.open();
                    c.configureBlocking(false);
                    c.connect(new InetSocketAddress(STACK, 8000 + i % 4));
                    connects.add(c);
                }
                try (DatagramChannel udp = DatagramChannel.open(StandardProtocolFamily.INET)) {
                    udp.send(ByteBuffer.wrap(new byte[32]), new InetSocketAddress(STACK, 9999));
                    udp.send(ByteBuffer.wrap(new byte[3000]), new InetSocketAddress(STACK, 9998));
                    udp.send(ByteBuffer.wrap(new byte[8]), new InetSocketAddress("198.18.7.3", 9999));
                }
                return null;
            });
            ns.exec(Duration.ofSeconds(10), "ping", "-c", "3", "-i", "0.2", "-W", "1", STACK);
            boolean hping = Exec.run(Duration.ofSeconds(5), "sh", "-c", "command -v hping3").ok();
            if (hping) {
                ns.exec(Duration.ofSeconds(10), "hping3", "-c", "2", "-S", "-f", "-d", "64", "-p", "80", STACK);
            }

            TapDevice device = tap;
            Tally tally = new Tally(queues);
            boolean complete = NetNs.await(() -> {
                drain(device, tally);
                return tally.synPorts.size() >= CONNECTIONS && tally.icmp > 0 && tally.udp > 0 && tally.arp > 0
                        && tally.fragments > 0 && (!hping || tally.tcpFragments > 0);
            }, WAIT);
            System.out.println("TapMultiQueueTest " + queues + " queues, offload " + offload + ": " + tally);
            assertTrue(complete, "not every kind of frame arrived: " + tally);
            assertEquals(0, tally.mismatches, () -> "frames on the wrong queue: " + tally.wrong);
            for (int q = 0; q < queues; q++) {
                assertTrue(tally.tcp[q] > 0, "queue " + q + " got no TCP: " + tally);
                if (q > 0) {
                    assertEquals(0, tally.other[q], "queue " + q + " got frames that are not TCP flows: " + tally);
                }
            }

            transmitsOnEveryQueueAndTheKernelAnswers(ns, tap, queues);
        } finally {
            for (SocketChannel c : connects) {
                c.close();
            }
            if (tap != null) {
                tap.close();
            }
            try {
                assertFalse(ns.hasLink(TAP), "closing every queue removes the TAP");
                assertEquals(bpfProgramsBefore, bpfProgramDescriptors(), "close closes the steering program");
            } finally {
                ns.close();
            }
        }
    }

    /**
     * The whole stack (one shard, which polls every queue) over a 4-queue TAP with offloads: 48
     * parallel HTTP downloads from the demo service arrive intact, and the kernel's segments of
     * those flows were spread over all four queues.
     */
    @Test
    void aOneShardStackServesParallelDownloadsOverAFourQueueTap() throws Exception {
        NetNs ns = NetNs.create(PREFIX);
        TapDevice tap = null;
        NetStack stack = null;
        TcpStack tcp = null;
        DemoServices demo = null;
        try {
            TapSettings settings = TapSettings.parse("eth0", TAP, "02:00:5e:12:08:02", 1500, "198.18.8.1/24", 4096,
                    true, 4);
            tap = inNamespace(ns.name(), () -> TapDevice.open(settings));
            NetStack.Builder builder = NetStack.builder().device(tap).address("198.18.8.2/24").idle("poll");
            builder.module(new AbstractModule() {
                @Override
                protected void configure() {
                    bind(TcpConfig.class).toInstance(Configs.of(TcpConfig.class, Map.of()));
                    bind(TcpStack.class).in(Singleton.class);
                    NetStackModule.protocols(binder()).addBinding(6).to(TcpStack.class);
                }
            });
            Injector injector = Guice.createInjector(builder.module());
            stack = injector.getInstance(NetStack.class);
            tcp = injector.getInstance(TcpStack.class);
            tcp.addCongestionControl(new CubicFactory());
            demo = new DemoServices(Configs.of(DemoConfig.class, Map.of("enabled", true)), tcp, stack.shard());

            int downloads = 48; // every queue has flows but with probability 3 * (3/4)^48, about 3e-6
            long bytes = 300_000;
            Exec.Result r = ns.exec(Duration.ofSeconds(120), "sh", "-c", "for i in $(seq 1 " + downloads
                    + "); do curl -sS --fail --max-time 100 http://198.18.8.2/bytes/" + bytes
                    + " | sha256sum & done; wait");
            String expected = BytePattern.sha256(bytes);
            long intact = r.stdout().lines().filter(line -> line.startsWith(expected)).count();
            long[] rx = new long[4];
            for (int q = 0; q < 4; q++) {
                rx[q] = tap.counters(q).rxPackets;
            }
            System.out.println("TapMultiQueueTest one shard over 4 queues: " + intact + " of " + downloads
                    + " downloads intact, frames received per queue " + Arrays.toString(rx));
            assertEquals(downloads, intact, r.toString());
            for (int q = 1; q < 4; q++) {
                assertTrue(rx[q] > 0, "queue " + q + " received nothing: " + Arrays.toString(rx));
            }
        } finally {
            try {
                if (demo != null) {
                    demo.close();
                }
                if (tcp != null) {
                    tcp.close();
                }
                if (stack != null) {
                    stack.close();
                }
                if (tap != null) {
                    tap.close();
                }
            } finally {
                ns.close();
            }
        }
    }

    /**
     * Two lanes (shard threads) over a 2-queue TAP, each lane with its own TCP and echo service:
     * the kernel's 16 echo sessions come back intact and spread over both lanes, each accepted by
     * the lane of its queue; and each lane's active open picks a local port whose segments the
     * TAP's steering brings back to that lane (rxQueueOf), and echoes intact through the kernel.
     */
    @Test
    void twoLanesOverATwoQueueTapServeAndOpenConnectionsOnTheirOwnQueues(@TempDir Path dir) throws Exception {
        NetNs ns = NetNs.create(PREFIX);
        NetStack stack = null;
        List<DemoServices> demos = new ArrayList<>();
        Process listener = null;
        try {
            stack = NetStack.builder().tap(TAP).namespace(ns.name()).hostAddress("198.18.10.1/24")
                    .address("198.18.10.2/24").mac("02:00:5e:12:0a:02").idle("poll").shards(2)
                    .module(new AbstractModule() {
                        @Override
                        protected void configure() {
                            bind(TcpConfig.class).toInstance(Configs.of(TcpConfig.class, Map.of()));
                            bind(TcpStack.class).in(Singleton.class);
                            NetStackModule.protocols(binder()).addBinding(6).to(TcpStack.class);
                        }
                    }).build();
            assertEquals(2, stack.lanes().size());
            for (NetStack lane : stack.lanes()) {
                TcpStack tcp = lane.component(TcpStack.class);
                tcp.addCongestionControl(new CubicFactory());
                demos.add(new DemoServices(Configs.of(DemoConfig.class, Map.of("enabled", true)), tcp, lane.shard()));
            }
            assertTrue(ns.ip("-d", "link", "show", "dev", TAP).stdout().contains("multi_queue"));

            Path file = dir.resolve("echo.bin");
            Exec.run(Duration.ofSeconds(30), "sh", "-c", "head -c 300000 /dev/urandom > " + file).check();
            String sum = Exec.run(Duration.ofSeconds(30), "sh", "-c", "sha256sum < " + file).check().stdout()
                    .split(" ")[0];
            int sessions = 16; // both lanes get flows but with probability 2 * (1/2)^16, about 3e-5
            Exec.Result r = ns.exec(Duration.ofSeconds(120), "sh", "-c", "for i in $(seq 1 " + sessions
                    + "); do socat -t 30 -T 30 - TCP:198.18.10.2:7 < " + file + " | sha256sum & done; wait");
            long intact = r.stdout().lines().filter(line -> line.startsWith(sum)).count();
            long[] accepted = new long[2];
            for (int i = 0; i < 2; i++) {
                NetStack lane = stack.lanes().get(i);
                accepted[i] = lane.onShard(() -> lane.component(TcpStack.class).counters().snapshot()
                        .get("passive-opens"));
            }
            System.out.println("TapMultiQueueTest two lanes: " + intact + " of " + sessions
                    + " echo sessions intact, accepted per lane " + Arrays.toString(accepted));
            assertEquals(sessions, intact, r.toString());
            assertEquals(sessions, accepted[0] + accepted[1]);
            assertTrue(accepted[0] > 0 && accepted[1] > 0, "both lanes accept: " + Arrays.toString(accepted));

            listener = new ProcessBuilder(ns.prefixCommand("socat", "TCP-LISTEN:5001,fork,reuseaddr", "EXEC:cat"))
                    .redirectErrorStream(true).start();
            assertTrue(NetNs.await(() -> ns.exec("ss", "-ltn").stdout().contains(":5001"), WAIT),
                    "socat listens in the namespace");
            for (int i = 0; i < 2; i++) {
                NetStack lane = stack.lanes().get(i);
                TcpStack tcp = lane.component(TcpStack.class);
                EchoClient client = new EchoClient(64 * 1024);
                int kernel = 0xC612_0A01;
                TcpConnection connection = lane.onShard(() -> tcp.connect(kernel, 5001, 0, 0, TcpOptions.defaults(),
                        client));
                int port = connection.localPort();
                assertEquals(i, FlowHash.queueOf(0xC612_0A02, kernel, port, 5001, 2),
                        "lane " + i + " picked port " + port + ", whose segments the TAP steers elsewhere");
                byte[] echoed = client.done.get(60, TimeUnit.SECONDS);
                assertArrayEquals(client.sent, echoed, "lane " + i + " echo through the kernel");
            }
        } finally {
            if (listener != null) {
                listener.destroyForcibly();
            }
            try {
                for (int i = 0; i < demos.size(); i++) {
                    demos.get(i).close();
                }
                if (stack != null) {
                    for (NetStack lane : stack.lanes()) {
                        lane.component(TcpStack.class).close();
                    }
                    stack.close();
                }
            } finally {
                ns.close();
            }
        }
    }

    /** Sends its bytes, reads them back, closes; on the lane's shard. */
    private static final class EchoClient implements TcpHandler {
        final byte[] sent;
        final CompletableFuture<byte[]> done = new CompletableFuture<>();
        private final MemorySegment out;
        private final byte[] received;
        private int written;
        private int got;

        EchoClient(int bytes) {
            sent = new byte[bytes];
            new java.util.Random(bytes).nextBytes(sent);
            out = Arena.ofAuto().allocate(bytes);
            MemorySegment.copy(sent, 0, out, ValueLayout.JAVA_BYTE, 0, bytes);
            received = new byte[bytes];
        }

        @Override
        public void onConnected(TcpConnection c) {
            onWritable(c);
        }

        @Override
        public void onWritable(TcpConnection c) {
            while (written < sent.length) {
                int n = c.send(out, written, sent.length - written);
                if (n == 0) {
                    return;
                }
                written += n;
            }
        }

        @Override
        public void onReadable(TcpConnection c) {
            MemorySegment into = MemorySegment.ofArray(received);
            int n;
            while (got < received.length && (n = c.receive(into, got, received.length - got)) > 0) {
                got += n;
            }
            if (got == received.length) {
                c.close();
                done.complete(received);
            }
        }

        @Override
        public void onClosed(TcpConnection c, TcpError reason) {
            if (reason != TcpError.NONE) {
                done.completeExceptionally(new AssertionError("connection closed: " + reason));
            }
        }
    }

    /**
     * An ICMP echo request written on each queue is answered (the reply on queue 0), and a TCP SYN
     * written on queue q to a closed kernel port from a source port of queue q's flows comes back
     * as a reset on queue q.
     */
    private static void transmitsOnEveryQueueAndTheKernelAnswers(NetNs ns, TapDevice tap, int queues) {
        long kernelMac = kernelMac(ns);
        for (int q = 0; q < queues; q++) {
            int id = 0x4d00 + q;
            long sentBefore = tap.counters(q).txPackets;
            PacketBatch out = new PacketBatch(2);
            out.add(echoRequest(tap.pool(q).allocate(), kernelMac, id));
            int port = 20_000;
            while (FlowHash.queueOf(STACK_IP, KERNEL_IP, port, 9, queues) != q) {
                port++;
            }
            out.add(syn(tap.pool(q).allocate(), kernelMac, port, 9));
            assertEquals(2, tap.transmit(q, out), "queue " + q + " takes both frames");
            out.removeFirst(2);
            assertEquals(sentBefore + 2, tap.counters(q).txPackets, "queue " + q + " counts what it sent");

            int sport = port;
            int queue = q;
            AtomicReference<String> seen = new AtomicReference<>("nothing");
            boolean[] reply = new boolean[2];
            assertTrue(NetNs.await(() -> {
                PacketBatch in = new PacketBatch(32);
                for (int r = 0; r < queues; r++) {
                    int n = tap.receive(r, in);
                    for (int i = 0; i < n; i++) {
                        PacketBuffer b = in.get(i);
                        MemorySegment s = b.segment();
                        long at = b.offset();
                        if ((s.get(U16, at + 12) & 0xFFFF) == 0x0800 && s.get(U32, at + 14 + 16) == STACK_IP) {
                            int protocol = s.get(ValueLayout.JAVA_BYTE, at + 23);
                            long l4 = at + 14 + (s.get(ValueLayout.JAVA_BYTE, at + 14) & 0x0F) * 4L;
                            if (protocol == 1 && s.get(ValueLayout.JAVA_BYTE, l4) == 0
                                    && (s.get(U16, l4 + 4) & 0xFFFF) == id) {
                                reply[0] |= r == 0;
                                seen.set("echo reply on queue " + r);
                            } else if (protocol == 6 && (s.get(U16, l4 + 2) & 0xFFFF) == sport
                                    && (s.get(ValueLayout.JAVA_BYTE, l4 + 13) & 0x04) != 0) {
                                reply[1] |= r == queue;
                                seen.set("reset on queue " + r);
                            }
                        }
                    }
                    in.releaseAll();
                }
                return reply[0] && reply[1];
            }, WAIT), "queue " + q + ": the kernel answers the echo request on queue 0 and the SYN with a reset on"
                    + " queue " + q + "; last seen " + seen.get());
        }
    }

    /** Reads every queue and checks each frame's queue against FlowHash; releases the buffers. */
    private static void drain(TapDevice tap, Tally tally) {
        int queues = tap.queueCount();
        PacketBatch batch = new PacketBatch(64);
        for (int q = 0; q < queues; q++) {
            int n = tap.receive(q, batch);
            for (int i = 0; i < n; i++) {
                classify(tap, q, batch.get(i), tally);
            }
            batch.releaseAll();
        }
    }

    private static void classify(TapDevice tap, int q, PacketBuffer b, Tally tally) {
        MemorySegment s = b.segment();
        long at = b.offset();
        int length = b.length();
        int queues = tap.queueCount();
        int expected = FlowHash.queueOfFrame(s, at, length, queues);
        if (expected != q) {
            tally.mismatches++;
            tally.wrong.add("queue " + q + " instead of " + expected + ": " + b);
        }
        int etherType = s.get(U16, at + 12) & 0xFFFF;
        if (etherType == 0x0806) {
            tally.arp++;
            tally.other[q]++;
            return;
        }
        if (etherType != 0x0800) {
            tally.other[q]++; // IPv6 router solicitations and the like
            return;
        }
        long ip = at + 14;
        int protocol = s.get(ValueLayout.JAVA_BYTE, ip + 9) & 0xFF;
        boolean fragment = (s.get(U16, ip + 6) & 0x3FFF) != 0;
        if (fragment) {
            tally.fragments++;
            tally.tcpFragments += protocol == 6 ? 1 : 0;
        }
        if (protocol == 6 && !fragment) {
            tally.tcp[q]++;
            int src = s.get(U32, ip + 12);
            int dst = s.get(U32, ip + 16);
            long tcp = ip + (s.get(ValueLayout.JAVA_BYTE, ip) & 0x0F) * 4L;
            int sport = s.get(U16, tcp) & 0xFFFF;
            int dport = s.get(U16, tcp + 2) & 0xFFFF;
            if (tap.rxQueueOf(src, dst, sport, dport) != q || tap.rxQueueOf(dst, src, dport, sport) != q) {
                tally.mismatches++;
                tally.wrong.add("rxQueueOf disagrees for " + sport + " -> " + dport + " on queue " + q);
            }
            if ((s.get(ValueLayout.JAVA_BYTE, tcp + 13) & 0x02) != 0 && src == KERNEL_IP) {
                tally.synPorts.add(sport);
            }
            return;
        }
        tally.other[q]++;
        if (protocol == 1) {
            tally.icmp++;
        } else if (protocol == 17) {
            tally.udp++;
        }
    }

    /** An ICMP echo request (RFC 792) from the stack to the kernel, identifier {@code id}, sequence 1. */
    private static PacketBuffer echoRequest(PacketBuffer b, long kernelMac, int id) {
        byte[] icmp = new byte[8 + 16];
        ByteBuffer.wrap(icmp).put((byte) 8).put((byte) 0).putShort((short) 0).putShort((short) id).putShort((short) 1);
        int sum = checksum(icmp, 0, icmp.length, 0);
        icmp[2] = (byte) (sum >>> 8);
        icmp[3] = (byte) sum;
        return frame(b, kernelMac, 1, icmp);
    }

    /** A TCP SYN (RFC 9293 §3.1) from the stack's {@code sport} to the kernel's {@code dport}. */
    private static PacketBuffer syn(PacketBuffer b, long kernelMac, int sport, int dport) {
        byte[] tcp = new byte[20];
        ByteBuffer.wrap(tcp).putShort((short) sport).putShort((short) dport).putInt(0x1234_5678).putInt(0)
                .put((byte) 0x50).put((byte) 0x02).putShort((short) 65535);
        byte[] pseudo = ByteBuffer.allocate(12).putInt(STACK_IP).putInt(KERNEL_IP).putShort((short) 6)
                .putShort((short) tcp.length).array();
        int sum = checksum(tcp, 0, tcp.length, sumOf(pseudo));
        tcp[16] = (byte) (sum >>> 8);
        tcp[17] = (byte) sum;
        return frame(b, kernelMac, 6, tcp);
    }

    /** Ethernet and IPv4 (DF, TTL 64) around {@code payload}, written into {@code b}. */
    private static PacketBuffer frame(PacketBuffer b, long kernelMac, int protocol, byte[] payload) {
        ByteBuffer f = ByteBuffer.allocate(14 + 20 + payload.length);
        f.putShort((short) (kernelMac >>> 32)).putInt((int) kernelMac)
                .putShort((short) (STACK_MAC >>> 32)).putInt((int) STACK_MAC).putShort((short) 0x0800);
        f.put((byte) 0x45).put((byte) 0).putShort((short) (20 + payload.length)).putShort((short) 1)
                .putShort((short) 0x4000).put((byte) 64).put((byte) protocol).putShort((short) 0)
                .putInt(STACK_IP).putInt(KERNEL_IP);
        byte[] bytes = f.array();
        int sum = checksum(bytes, 14, 20, 0);
        bytes[24] = (byte) (sum >>> 8);
        bytes[25] = (byte) sum;
        System.arraycopy(payload, 0, bytes, 34, payload.length);
        int offset = b.headroom();
        MemorySegment.copy(bytes, 0, b.segment(), ValueLayout.JAVA_BYTE, offset, bytes.length);
        b.setData(offset, bytes.length);
        return b;
    }

    private static int sumOf(byte[] bytes) {
        int sum = 0;
        for (int i = 0; i < bytes.length; i += 2) {
            sum += ((bytes[i] & 0xFF) << 8) | (i + 1 < bytes.length ? bytes[i + 1] & 0xFF : 0);
        }
        return sum;
    }

    /** The Internet checksum (RFC 1071) of {@code length} bytes, starting from {@code initial}. */
    private static int checksum(byte[] bytes, int offset, int length, int initial) {
        long sum = initial + sumOf(Arrays.copyOfRange(bytes, offset, offset + length));
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int) ~sum & 0xFFFF;
    }

    /** The kernel side's own MAC, from {@code ip link}. */
    private static long kernelMac(NetNs ns) {
        String link = ns.ip("link", "show", "dev", TAP).stdout();
        Matcher m = Pattern.compile("link/ether ([0-9a-f:]{17})").matcher(link);
        assertTrue(m.find(), link);
        return MacAddress.parse(m.group(1));
    }

    /** Descriptors of this process that are eBPF programs. */
    private static int bpfProgramDescriptors() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return (int) fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().equals("anon_inode:bpf-prog");
                } catch (IOException gone) {
                    return false;
                }
            }).count();
        }
    }

    /** setns(2) moves one thread only: runs {@code task} on a platform thread inside the namespace. */
    private static <T> T inNamespace(String namespace, Callable<T> task) throws Exception {
        AtomicReference<Object> outcome = new AtomicReference<>();
        Thread thread = Thread.ofPlatform().name("tapmq-ns").start(() -> {
            try (NetNamespace entered = NetNamespace.enter(namespace)) {
                outcome.set(task.call());
            } catch (Exception | Error e) {
                outcome.set(e);
            }
        });
        thread.join();
        Object result = outcome.get();
        if (result instanceof Exception e) {
            throw e;
        }
        if (result instanceof Error e) {
            throw e;
        }
        @SuppressWarnings("unchecked")
        T value = (T) result;
        return value;
    }
}
