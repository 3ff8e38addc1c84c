package dev.netstack.udp.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.ip.wire.Ipv4Address;
import dev.netstack.nic.PacketBuffer;
import dev.netstack.nic.tap.TapDevice;
import dev.netstack.nic.tap.TapSettings;
import dev.netstack.runtime.BackoffIdleStrategy;
import dev.netstack.runtime.EventLoop;
import dev.netstack.runtime.os.NetNamespace;
import dev.netstack.test.Exec;
import dev.netstack.test.NetNs;
import dev.netstack.udp.UdpDatagram;
import dev.netstack.udp.UdpError;
import dev.netstack.udp.UdpHandler;
import dev.netstack.udp.UdpSocket;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Linux kernel as the peer, with socat, nc and a few lines of Python as its tools. Each test
 * makes a namespace {@code nsg-*}, opens a TAP inside it (kernel side 198.18.0.1/24) and runs the
 * stack (EthernetLayer, Ipv4Layer, UdpProtocol on a running EventLoop) at 198.18.0.2. Root only.
 */
class UdpKernelInteropTest {

    static final String PREFIX = "nsg-";
    static final String TAP = "nsgtap0";
    static final int KERNEL = Ipv4Address.parse("198.18.0.1");
    static final int STACK = Ipv4Address.parse("198.18.0.2");
    static final String PYTHON = "/usr/bin/python3";

    NetNs ns;
    TapDevice tap;
    EventLoop loop;
    Stack stack;
    Process peer;

    @BeforeAll
    static void requireRootAndTools() {
        Assumptions.assumeTrue(NetNs.available(), "needs root and iproute2 for network namespaces");
        Assumptions.assumeTrue(Files.exists(Path.of("/dev/net/tun")), "needs /dev/net/tun");
        for (String tool : new String[] {"/usr/bin/socat", "/usr/bin/nc", PYTHON}) {
            Assumptions.assumeTrue(Files.isExecutable(Path.of(tool)),
                    tool + " is missing: apt-get install socat netcat-openbsd python3");
        }
        NetNs.cleanup(PREFIX);
    }

    @BeforeEach
    void startStack() throws Exception {
        ns = NetNs.create(PREFIX);
        TapSettings settings = new TapSettings("eth0", TAP, 0x0200_00C6_1202L, 1500, KERNEL, 24, 1024);
        tap = inNamespace(() -> TapDevice.open(settings));
        loop = new EventLoop(0, System::nanoTime, new BackoffIdleStrategy(), 4096);
        loop.start();
        stack = new Stack(loop, tap, "198.18.0.2/24", TestConfigs.udp());
    }

    @AfterEach
    void stopStack() {
        try {
            if (peer != null) {
                peer.destroyForcibly();
            }
            if (stack != null) {
                stack.close();
            }
            if (loop != null) {
                loop.stop();
            }
            if (tap != null) {
                tap.close();
            }
        } finally {
            ns.close();
        }
    }

    /** Runs {@code call} on a fresh platform thread inside the namespace. */
    <T> T inNamespace(Callable<T> call) throws Exception {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread t = Thread.ofPlatform().name("nsg-enter").start(() -> {
            try (NetNamespace entered = NetNamespace.enter(ns.name())) {
                result.complete(call.call());
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        });
        t.join();
        return result.get();
    }

    /** Runs {@code call} on the shard thread and waits for it. */
    <T> T onShard(Callable<T> call) throws Exception {
        CompletableFuture<T> result = new CompletableFuture<>();
        assertTrue(loop.execute(() -> {
            try {
                result.complete(call.call());
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        }));
        return result.get(10, TimeUnit.SECONDS);
    }

    /** A handler that copies datagrams and errors into queues the test thread reads. */
    static final class Inbox implements UdpHandler {
        final BlockingQueue<byte[]> data = new LinkedBlockingQueue<>();
        final BlockingQueue<UdpError> errors = new LinkedBlockingQueue<>();
        final UdpDatagram from = new UdpDatagram();

        @Override
        public void onReadable(UdpSocket socket) {
            PacketBuffer b = socket.receive(from);
            data.add(b.segment().asSlice(b.offset(), b.length()).toArray(ValueLayout.JAVA_BYTE));
            b.release();
        }

        @Override
        public void onError(UdpSocket socket, UdpError error) {
            errors.add(error);
        }
    }

    Exec.Result python(String script) {
        return ns.exec(Duration.ofSeconds(20), PYTHON, "-c", script);
    }

    @Test
    void kernelSocatAndNcGetEchoesFromTheStack() throws Exception {
        Recorder.Echo echo = new Recorder.Echo();
        assertNull(onShard(() -> stack.open(echo).bind(0, 7)));
        Exec.Result socat = ns.exec(Duration.ofSeconds(20), "sh", "-c",
                "printf 'hello from the kernel' | socat -t 3 - UDP4:198.18.0.2:7");
        assertEquals("hello from the kernel", socat.stdout(), socat.toString());
        Exec.Result nc = ns.exec(Duration.ofSeconds(20), "sh", "-c",
                "printf 'and from nc' | nc -u -w 2 198.18.0.2 7");
        assertEquals("and from nc", nc.stdout(), nc.toString());
        assertTrue(stack.udp.counters().get(UdpCounter.IN_DATAGRAMS) >= 2);
    }

    @Test
    void sixtyKilobyteDatagramsBothWaysThroughTheKernel() throws Exception {
        // kernel -> stack echo -> kernel: the stack reassembles 41 fragments, then fragments the echo
        Recorder.Echo echo = new Recorder.Echo();
        assertNull(onShard(() -> stack.open(echo).bind(0, 7)));
        Exec.Result r = python("""
                import socket, hashlib
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.settimeout(5)
                data = bytes((i * 7 + i // 251) & 0xFF for i in range(60000))
                s.sendto(data, ('198.18.0.2', 7))
                back, addr = s.recvfrom(65535)
                print(len(back), back == data, addr[1])
                """);
        assertEquals("60000 True 7", r.stdout().strip(), r.toString());

        // stack -> kernel echo (socat) -> stack
        peer = new ProcessBuilder(ns.prefixCommand("socat", "-b", "65536", "UDP4-LISTEN:9000,fork", "PIPE"))
                .redirectErrorStream(true).start();
        awaitKernelPort(9000);
        Inbox inbox = new Inbox();
        UdpSocket socket = onShard(() -> stack.open(inbox));
        assertNull(onShard(() -> socket.connect(KERNEL, 9000)));
        byte[] small = "ping from the stack".getBytes();
        assertNull(onShard(() -> socket.send(MemorySegment.ofArray(small), 0, small.length)));
        byte[] echoed = inbox.data.poll(5, TimeUnit.SECONDS);
        assertNotNull(echoed, "no echo from the kernel's socat");
        assertArrayEquals(small, echoed);
        byte[] big = UdpProtocolTest.pattern(60_000, 11);
        assertNull(onShard(() -> socket.send(MemorySegment.ofArray(big), 0, big.length)));
        byte[] bigEcho = inbox.data.poll(5, TimeUnit.SECONDS);
        assertNotNull(bigEcho, "no 60 KB echo from the kernel's socat");
        assertEquals(HexFormat.of().formatHex(sha(big)), HexFormat.of().formatHex(sha(bigEcho)));
        assertTrue(stack.ip.counters().snapshot().get("frag-oks") >= 2, stack.ip.counters().toString());
    }

    @Test
    void kernelSeesPortUnreachableForAClosedStackPort() throws Exception {
        Exec.Result r = python("""
                import socket
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.settimeout(3)
                s.connect(('198.18.0.2', 9999))
                s.send(b'anyone?')
                try:
                    s.recv(100)
                    print('data')
                except ConnectionRefusedError:
                    print('refused')
                except socket.timeout:
                    print('timeout')
                """);
        assertEquals("refused", r.stdout().strip(), r.toString());
        // nc -u sends and the kernel records the ICMP error; tcpdump in the namespace shows it arrive.
        Process tcpdump = new ProcessBuilder(ns.prefixCommand("timeout", "10", "tcpdump", "-l", "-n", "-c", "1",
                "-i", TAP, "icmp")).redirectErrorStream(true).start();
        try {
            java.io.BufferedReader out = new java.io.BufferedReader(
                    new java.io.InputStreamReader(tcpdump.getInputStream()));
            String line = out.readLine(); // "listening on nsgtap0 ..." once it captures
            assertNotNull(line, "tcpdump did not start");
            Exec.Result nc = ns.exec(Duration.ofSeconds(20), "sh", "-c", "printf 'x' | nc -u -w 1 198.18.0.2 9998");
            StringBuilder seen = new StringBuilder(line);
            for (String l = out.readLine(); l != null; l = out.readLine()) {
                seen.append('\n').append(l);
            }
            assertTrue(seen.toString().contains("198.18.0.2 > 198.18.0.1: ICMP 198.18.0.2 udp port 9998 unreachable"),
                    seen + "\n" + nc);
        } finally {
            tcpdump.destroyForcibly();
        }
        assertTrue(stack.udp.counters().get(UdpCounter.NO_PORTS) >= 1);
    }

    @Test
    void connectedStackSocketGetsConnectionRefusedFromTheKernel() throws Exception {
        Inbox inbox = new Inbox();
        UdpSocket socket = onShard(() -> stack.open(inbox));
        assertNull(onShard(() -> socket.connect(KERNEL, 9997)));
        assertNull(onShard(() -> socket.send(MemorySegment.ofArray(new byte[] {1, 2, 3}), 0, 3)));
        assertEquals(UdpError.CONNECTION_REFUSED, inbox.errors.poll(5, TimeUnit.SECONDS));
        assertEquals(UdpError.CONNECTION_REFUSED, onShard(socket::takeError));
    }

    void awaitKernelPort(int port) throws InterruptedException {
        boolean listening = NetNs.await(() -> ns.exec("ss", "-lun").stdout().contains(":" + port + " "),
                Duration.ofSeconds(5));
        assertTrue(listening, "kernel socat did not start listening on " + port);
    }

    static byte[] sha(byte[] data) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(data);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
