package dev.netstack.nic.ixgbe;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.netstack.ethernet.internal.EthernetConfig;
import dev.netstack.ethernet.internal.EthernetLayer;
import dev.netstack.ip.internal.IpConfig;
import dev.netstack.ip.internal.Ipv4Layer;
import dev.netstack.ip.wire.Ipv4Address;
import dev.netstack.nic.MacAddress;
import dev.netstack.nic.PacketBatch;
import dev.netstack.nic.ixgbe.model.ModelPort;
import dev.netstack.nic.tap.TapDevice;
import dev.netstack.nic.tap.TapSettings;
import dev.netstack.runtime.EventLoop;
import dev.netstack.runtime.NanoClock;
import dev.netstack.runtime.PollTask;
import dev.netstack.runtime.os.NetNamespace;
import dev.netstack.test.Exec;
import dev.netstack.test.NetNs;
import java.lang.annotation.Annotation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The stack (ethernet, ip) over the ixgbe driver over the 82599 model, whose wire is bridged to a
 * TAP in a namespace {@code ixg-*}: the kernel there pings the stack, small, full-size and
 * fragmented. The shard runs on its own thread, spinning; the model's wire is one of its poll tasks.
 *
 * <pre>
 *   kernel ping ── ixgtap0 ══ TapDevice ── ModelPort ── Model82599 ══ DMA ══ IxgbeDevice ── ethernet ── ip
 *   198.18.0.1                                                                                   198.18.0.2
 * </pre>
 *
 * Runs only as root with /dev/net/tun and iproute2; {@link KernelHttpOverModelTest} adds TCP and HTTP.
 */
class KernelPingOverModelTest {

    private static final int KERNEL_IP = Ipv4Address.parse("198.18.0.1");

    @BeforeAll
    static void requireRootAndNamespaces() {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root");
        assumeTrue(Files.exists(Path.of("/dev/net/tun")), "needs /dev/net/tun");
        assumeTrue(NetNs.available(), "needs iproute2 and namespaces");
        NetNs.cleanup("ixg-");
    }

    @Test
    void kernelPingsTheStackThroughDriverAndModel() throws Exception {
        try (NetNs ns = NetNs.create("ixg-");
                Rig rig = new Rig().open(Rig.settings().withRings(256, 256, 1024))) {
            TapDevice tap = inNamespace(ns.name(), () -> TapDevice.open(new TapSettings("wire", "ixgtap0",
                    MacAddress.parse("02:00:00:00:00:99"), 1500, KERNEL_IP, 24, 512)));
            ModelPort port = new ModelPort(rig.model, tap);
            EventLoop loop = EventLoop.manual(0, NanoClock.SYSTEM);
            EthernetLayer eth = new EthernetLayer(ethernetConfig(), loop);
            Ipv4Layer ip = new Ipv4Layer(eth, loop, ipConfig());
            eth.addHandler(0x0800, ip);
            eth.addListener(ip);
            eth.addDevice(rig.device, "eth0");
            ip.assignAddress("eth0", Ipv4Address.parseCidr("198.18.0.2/24"));
            // the wire end of the model runs as one more task of the shard
            loop.addTask(new PollTask() {
                @Override
                public int poll(long nowNs) {
                    return port.pump();
                }
            });
            AtomicBoolean running = new AtomicBoolean(true);
            java.util.concurrent.atomic.AtomicLong turns = new java.util.concurrent.atomic.AtomicLong();
            Thread shard = Thread.ofPlatform().name("ixg-shard").start(() -> {
                while (running.get()) {
                    turns.lazySet(turns.get() + 1);
                    if (loop.runTurn(System.nanoTime()) == 0) {
                        Thread.yield(); // two cores shared by many processes: give them way when idle
                    }
                }
            });
            Exec.Result small;
            Exec.Result full;
            Exec.Result fragmented;
            try {
                // -w: ping goes on until COUNT replies came or the deadline passed, so a reply that is
                // late on a loaded machine is waited for instead of counted as lost (no timing asserted).
                small = ns.exec(Duration.ofSeconds(60), "ping", "-c", "5", "-i", "0.2", "-w", "30", "198.18.0.2");
                full = ns.exec(Duration.ofSeconds(60), "ping", "-c", "3", "-i", "0.2", "-w", "30", "-s", "1472", "-M",
                        "do", "198.18.0.2");
                fragmented = ns.exec(Duration.ofSeconds(60), "ping", "-c", "10", "-i", "0.2", "-w", "30", "-s", "8000",
                        "198.18.0.2");
                System.out.println("turns " + turns.get() + "; kernel side: "
                        + ns.exec(Duration.ofSeconds(10), "ip", "-s", "link", "show", "ixgtap0").stdout()
                        + ns.exec(Duration.ofSeconds(10), "ip", "neigh").stdout());
            } finally {
                running.set(false);
                shard.join();
                tap.close();
            }
            // The shard has stopped: its counters can be read without a race. Frames the last turn
            // pumped into the model may still sit in the ring: take them (unprocessed) so the
            // driver's count can be compared with the device's.
            PacketBatch rest = new PacketBatch(64);
            while (rig.device.receive(0, rest) > 0) {
                rest.releaseAll();
            }
            System.out.println(small.stdout() + full.stdout() + fragmented.stdout());
            System.out.println("driver " + rig.device.counters(0) + "; statistics registers "
                    + rig.device.readStatistics() + "; tap " + tap.counters(0) + "; ip " + ip.counters());
            assertEquals(0, small.exitCode(), small.stdout() + small.stderr());
            assertTrue(small.stdout().contains("5 received"), small.stdout());
            assertTrue(full.stdout().contains("3 received"), full.stdout() + full.stderr());
            assertTrue(fragmented.stdout().contains("10 received"), fragmented.stdout() + fragmented.stderr());
            assertEquals(0, port.lost());
            assertEquals(rig.device.counters(0).txPackets, tap.counters(0).txPackets, "every frame sent reached the TAP");
            assertEquals(rig.device.counters(0).rxPackets + rig.device.counters(0).rxDropped,
                    rig.device.hardwareCounters().rxPackets, "every frame the model delivered was taken or counted");
        }
    }

    /** Runs {@code action} on a fresh platform thread inside namespace {@code name}. */
    static <T> T inNamespace(String name, Supplier<T> action) throws Exception {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread.ofPlatform().start(() -> {
            try (NetNamespace ignored = NetNamespace.enter(name)) {
                result.complete(action.get());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        return result.get(10, TimeUnit.SECONDS);
    }

    private static EthernetConfig ethernetConfig() {
        return new EthernetConfig() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return EthernetConfig.class;
            }

            @Override
            public long arp_timeout_ms() {
                return 60_000;
            }

            @Override
            public int arp_cache_size() {
                return 1024;
            }

            @Override
            public int arp_retries() {
                return 3;
            }

            @Override
            public long arp_retry_ms() {
                return 1000;
            }

            @Override
            public int arp_queue_packets() {
                return 64;
            }

            @Override
            public String[] multicast() {
                return new String[0];
            }
        };
    }

    private static IpConfig ipConfig() {
        return new IpConfig() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return IpConfig.class;
            }

            @Override
            public int ttl() {
                return 64;
            }

            @Override
            public long reassembly_timeout_ms() {
                return 30_000;
            }

            @Override
            public long reassembly_memory_bytes() {
                return 4L << 20;
            }

            @Override
            public int icmp_rate_per_second() {
                return 1000;
            }
        };
    }
}
