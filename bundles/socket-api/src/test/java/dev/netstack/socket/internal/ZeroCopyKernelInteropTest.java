package dev.netstack.socket.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.ethernet.internal.EthernetConfig;
import dev.netstack.ethernet.internal.EthernetLayer;
import dev.netstack.ip.internal.IpConfig;
import dev.netstack.ip.internal.Ipv4Layer;
import dev.netstack.ip.wire.Ipv4Address;
import dev.netstack.nic.PacketBuffer;
import dev.netstack.nic.tap.TapDevice;
import dev.netstack.nic.tap.TapSettings;
import dev.netstack.runtime.BackoffIdleStrategy;
import dev.netstack.runtime.EventLoop;
import dev.netstack.runtime.os.NetNamespace;
import dev.netstack.socket.DatagramSocket;
import dev.netstack.socket.StreamSocket;
import dev.netstack.tcp.internal.TcpConfig;
import dev.netstack.tcp.internal.TcpStack;
import dev.netstack.test.Exec;
import dev.netstack.test.NetNs;
import dev.netstack.udp.UdpDatagram;
import dev.netstack.udp.internal.UdpConfig;
import dev.netstack.udp.internal.UdpProtocol;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Zero-copy sockets against the Linux kernel: a namespace {@code zc-*} with a TAP (kernel side
 * 198.18.0.1/24), the stack at 198.18.0.2, socat and sha256sum in the namespace. The stack sends
 * by {@code allocate}/{@code send(PacketBuffer)} and receives by {@code receiveBuffer}/{@code release};
 * the kernel's files and the stack's digests must match. Root only; skipped elsewhere.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ZeroCopyKernelInteropTest {

    static final String PREFIX = "zc-";
    static final String TAP = "zctap0";
    static final int KERNEL = Ipv4Address.parse("198.18.0.1");
    static final int BYTES = 8 << 20;

    NetNs ns;
    TapDevice tap;
    EventLoop loop;
    StackSockets sockets;
    Process peer;
    Path dir;

    @BeforeAll
    static void requireRootAndTools() {
        Assumptions.assumeTrue(NetNs.available(), "needs root and iproute2 for network namespaces");
        Assumptions.assumeTrue(Files.exists(Path.of("/dev/net/tun")), "needs /dev/net/tun");
        for (String tool : new String[] {"/usr/bin/socat", "/usr/bin/sha256sum"}) {
            Assumptions.assumeTrue(Files.isExecutable(Path.of(tool)), tool + " is missing: apt-get install socat coreutils");
        }
        NetNs.cleanup(PREFIX);
    }

    @BeforeEach
    void startStack() throws Exception {
        dir = Files.createTempDirectory("zc-interop");
        ns = NetNs.create(PREFIX);
        TapSettings settings = new TapSettings("eth0", TAP, 0x0200_00C6_1204L, 1500, KERNEL, 24, 4096);
        tap = inNamespace(() -> TapDevice.open(settings));
        loop = new EventLoop(0, System::nanoTime, new BackoffIdleStrategy(), 1 << 14);
        EthernetLayer ethernet = new EthernetLayer(TwoStacks.config(EthernetConfig.class, Map.of()), loop);
        Ipv4Layer ip = new Ipv4Layer(ethernet, loop, TwoStacks.config(IpConfig.class, Map.of()));
        ethernet.addHandler(0x0800, ip);
        ethernet.addListener(ip);
        TcpStack tcp = new TcpStack(TwoStacks.config(TcpConfig.class, Map.of()), loop, ip, 43);
        ip.bindProtocol(6, tcp);
        UdpProtocol udp = new UdpProtocol(TwoStacks.config(UdpConfig.class, Map.of()), loop, ip);
        ip.bindProtocol(17, udp);
        ethernet.addDevice(tap, "eth0");
        ip.assignAddress("eth0", Ipv4Address.parseCidr("198.18.0.2/24"));
        sockets = new StackSockets(loop, tcp, udp, 128 * 1024, 1024);
        loop.start();
    }

    @AfterEach
    void stopStack() throws Exception {
        try {
            if (peer != null) {
                peer.destroyForcibly();
            }
            if (loop != null) {
                loop.stop();
            }
            if (tap != null) {
                tap.close();
            }
        } finally {
            ns.close();
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    <T> T inNamespace(Callable<T> call) throws Exception {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread t = Thread.ofPlatform().name("zc-enter").start(() -> {
            try (NetNamespace entered = NetNamespace.enter(ns.name())) {
                result.complete(call.call());
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        });
        t.join();
        return result.get();
    }

    void awaitKernelPort(String ssFlags, int port) throws InterruptedException {
        assertTrue(NetNs.await(() -> ns.exec("ss", ssFlags).stdout().contains(":" + port + " "), Duration.ofSeconds(5)),
                "kernel socat did not start listening on " + port);
    }

    static String sha256sum(Exec.Result r) {
        assertTrue(r.ok(), r.toString());
        return r.stdout().trim().split("\\s+")[0];
    }

    @Test
    void kernelToStackByZeroCopyReceiveIsSha256Identical() throws Exception {
        Path file = dir.resolve("from-kernel");
        byte[] data = new byte[BYTES];
        new Random(404).nextBytes(data);
        Files.write(file, data);
        String expected = sha256sum(Exec.run("sha256sum", file.toString()));
        peer = new ProcessBuilder(ns.prefixCommand("socat", "-u", "FILE:" + file, "TCP4-LISTEN:9100,reuseaddr"))
                .redirectErrorStream(true).start();
        awaitKernelPort("-ltn", 9100);
        StreamSocket s = sockets.openStream();
        s.setZeroCopyReceive(true);
        s.setReceiveTimeout(30_000);
        s.connect(KERNEL, 9100);
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        long received = 0;
        long fromDevice = 0;
        long buffers = 0;
        PacketBuffer b;
        while ((b = s.receiveBuffer()) != null) {
            sha.update(b.segment().asSlice(b.offset(), b.length()).asByteBuffer());
            received += b.length();
            buffers++;
            if (b.pool() == tap.pool(0)) {
                fromDevice++;
            }
            s.release(b);
        }
        s.close();
        System.out.println("kernel -> stack: " + received + " bytes in " + buffers + " buffers, " + fromDevice
                + " of them the TAP's own receive buffers");
        assertEquals(BYTES, received);
        assertEquals(expected, HexFormat.of().formatHex(sha.digest()));
        assertTrue(fromDevice > buffers / 2, "most data arrives in the device's buffers: " + fromDevice + "/" + buffers);
    }

    @Test
    void stackToKernelByZeroCopySendIsSha256Identical() throws Exception {
        Path file = dir.resolve("to-kernel");
        peer = new ProcessBuilder(ns.prefixCommand("socat", "-u", "TCP4-LISTEN:9101,reuseaddr",
                "CREATE:" + file)).redirectErrorStream(true).start();
        awaitKernelPort("-ltn", 9101);
        StreamSocket s = sockets.openStream();
        s.connect(KERNEL, 9101);
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        Random random = new Random(405);
        int mss = s.maxSegmentSize(); // full-sized buffers leave without a copy
        assertTrue(mss > 536, "MSS after the handshake: " + mss);
        byte[] chunk = new byte[mss];
        PacketBuffer[] batch = new PacketBuffer[8];
        long sent = 0;
        while (sent < BYTES) {
            int count = 0;
            while (count < batch.length && sent < BYTES) {
                PacketBuffer b = s.allocate();
                int n = (int) Math.min(Math.min(chunk.length, b.tailroom()), BYTES - sent);
                random.nextBytes(chunk);
                java.lang.foreign.MemorySegment.copy(chunk, 0, b.segment(), ValueLayout.JAVA_BYTE, b.offset(), n);
                b.append(n);
                sha.update(chunk, 0, n);
                sent += n;
                batch[count++] = b;
            }
            s.send(batch, count); // bulk: several buffers in one call
        }
        s.shutdownOutput();
        assertTrue(peer.waitFor(60, TimeUnit.SECONDS), "socat did not finish");
        s.close();
        assertEquals(BYTES, Files.size(file));
        assertEquals(HexFormat.of().formatHex(sha.digest()), sha256sum(Exec.run("sha256sum", file.toString())));
    }

    @Test
    void udpZeroCopyBothWaysAgainstKernelSocat() throws Exception {
        peer = new ProcessBuilder(ns.prefixCommand("socat", "UDP4-LISTEN:9102,fork", "PIPE"))
                .redirectErrorStream(true).start();
        awaitKernelPort("-lun", 9102);
        DatagramSocket s = sockets.openDatagram();
        s.setZeroCopyReceive(true);
        s.setReceiveTimeout(5000);
        s.connect(KERNEL, 9102);
        UdpDatagram from = new UdpDatagram();
        for (int i = 0; i < 50; i++) {
            int size = 1 + (i * 97) % 1472;
            byte[] data = new byte[size];
            new Random(i).nextBytes(data);
            PacketBuffer out = s.allocate();
            java.lang.foreign.MemorySegment.copy(data, 0, out.segment(), ValueLayout.JAVA_BYTE, out.offset(), size);
            out.append(size);
            assertTrue(s.send(out));
            PacketBuffer in = s.receiveBuffer(from);
            assertNotNull(in, "echo of datagram " + i);
            assertEquals(KERNEL, from.sourceAddress());
            assertArrayEquals(data, in.segment().asSlice(in.offset(), in.length()).toArray(ValueLayout.JAVA_BYTE));
            s.release(in);
        }
        s.close();
    }
}
