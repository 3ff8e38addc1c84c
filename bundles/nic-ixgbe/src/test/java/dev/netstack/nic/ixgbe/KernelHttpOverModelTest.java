package dev.netstack.nic.ixgbe;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import dev.netstack.ip.wire.Ipv4Address;
import dev.netstack.nic.DeviceCounters;
import dev.netstack.nic.MacAddress;
import dev.netstack.nic.ixgbe.model.ModelPort;
import dev.netstack.nic.tap.TapDevice;
import dev.netstack.nic.tap.TapSettings;
import dev.netstack.runtime.PollTask;
import dev.netstack.runtime.Shard;
import dev.netstack.tcp.cubic.CubicFactory;
import dev.netstack.tcp.internal.TcpConfig;
import dev.netstack.tcp.internal.TcpStack;
import dev.netstack.test.Exec;
import dev.netstack.test.NetNs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The full stack (ethernet, ip, tcp, the demo HTTP server) assembled by the embedded Guice module
 * over the ixgbe driver over the 82599 model, whose wire is bridged to a TAP in a namespace
 * {@code ixg-*}: the kernel there pings the stack and fetches {@value #BYTES} bytes of
 * {@code /bytes/N} with curl, whose sha256 must equal the pattern's.
 *
 * <pre>
 *   curl, ping ── ixgtap1 ══ TapDevice ── ModelPort ── Model82599 ══ DMA ══ IxgbeDevice ── eth ── ip ── tcp ── http
 *   198.18.0.1                (poll task of the shard)                                                  198.18.0.2
 * </pre>
 *
 * The model runs in the shard's thread: the driver's TDT write makes it transmit at once (to the
 * TAP), and a poll task brings what the kernel sent into the model's receive path; that task
 * offers the TAP's descriptor to the shard's poll idle strategy so a frame from the kernel wakes
 * the shard. Runs only as root with /dev/net/tun, iproute2 and curl; no timing is asserted.
 */
class KernelHttpOverModelTest {

    static final long BYTES = 20L << 20;
    private static final String PREFIX = "ixg-";
    private static final String TAP = "ixgtap1";
    private static final int KERNEL_IP = Ipv4Address.parse("198.18.0.1");
    private static final Duration TIMEOUT = Duration.ofSeconds(180);

    @BeforeAll
    static void requireRootNamespacesAndCurl() {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root");
        assumeTrue(Files.exists(Path.of("/dev/net/tun")), "needs /dev/net/tun");
        assumeTrue(NetNs.available(), "needs iproute2 and namespaces");
        assumeTrue(Exec.run(Duration.ofSeconds(5), "sh", "-c", "command -v curl").ok(), "needs curl");
        NetNs.cleanup(PREFIX);
    }

    /**
     * Once with roomy rings and pool, once with the smallest rings and a pool of 160 buffers, 32
     * more than the rings hold: under the transfer the pool runs dry, RX refills fail and the
     * driver drops (and counts) frames, and TCP must recover from those losses. (The model sends
     * at the TDT write, so its TX ring never fills there.) And once more with those small rings and
     * a model that sends only once per turn of the shard, when the wire task runs, as hardware
     * drains its ring at its own pace: the done bits come back a turn after the sends, so reclaim
     * runs behind them, as on hardware, and a turn that produced more than the ring holds would meet
     * back-pressure (counted by the ethernet layer as tx-ring-full; TCP's ACK clock keeps it at 0
     * here).
     */
    @ParameterizedTest(name = "rx ring {0}, tx ring {1}, pool {2}, model sends once per turn: {3}")
    @CsvSource({"512, 512, 4096, false", "64, 64, 160, false", "64, 64, 160, true"})
    void kernelPingsTheStackAndFetchesTwentyMegabytesByteIdentical(int rxRing, int txRing, int poolBuffers,
            boolean sendOncePerTurn) throws Exception {
        try (NetNs ns = NetNs.create(PREFIX);
                Rig rig = new Rig().open(Rig.settings().withRings(rxRing, txRing, poolBuffers))) {
            ns.ip("link", "set", "lo", "up");
            TapDevice tap = KernelPingOverModelTest.inNamespace(ns.name(), () -> TapDevice.open(new TapSettings(
                    "wire", TAP, MacAddress.parse("02:00:00:00:00:99"), 1500, KERNEL_IP, 24, 1024)));
            ModelPort port = new ModelPort(rig.model, tap);
            NetStack stack = null;
            TcpStack tcp = null;
            DemoServices demo = null;
            try {
                NetStack.Builder builder = NetStack.builder().device(rig.device).address("198.18.0.2/24").idle("poll");
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
                PollTask wire = addWireTask(stack.shard(), rig, port, tap, sendOncePerTurn);
                demo = new DemoServices(Configs.of(DemoConfig.class, Map.of("enabled", true)), tcp, stack.shard());

                // -w: ping waits for late replies up to the deadline instead of counting them lost
                Exec.Result ping = ns.exec(TIMEOUT, "ping", "-c", "5", "-i", "0.2", "-w", "60", "198.18.0.2");
                long startNs = System.nanoTime();
                Exec.Result curl = ns.exec(TIMEOUT, "sh", "-c", "curl -sS --fail -m 170 http://198.18.0.2/bytes/"
                        + BYTES + " | sha256sum");
                double seconds = (System.nanoTime() - startNs) / 1e9;
                System.out.printf("rings %d/%d, pool %d, once per turn %b: curl GET /bytes/%d over driver and model:"
                        + " %.2f s, %.0f Mbit/s%n", rxRing, txRing, poolBuffers, sendOncePerTurn, BYTES, seconds,
                        BYTES * 8 / seconds / 1e6);
                System.out.println(ping.stdout());
                assertTrue(ping.ok() && ping.stdout().contains("5 received"), ping.toString());
                assertTrue(curl.ok(), curl.toString());
                assertEquals(BytePattern.sha256(BYTES), curl.stdout().split(" ")[0], "sha256 of GET /bytes/" + BYTES);
                // Unplug the wire, then wait until the driver has taken what the model had delivered
                // (bounded: fails only on a hang). The model is confined to the shard: its statistics
                // registers are read there, and accumulate in hardwareCounters().
                Shard shard = stack.shard();
                stack.onShard(() -> {
                    shard.removeTask(wire);
                    rig.model.pauseTransmit(false); // sends what the ring still holds
                    return null;
                });
                DeviceCounters driver = rig.device.counters(0);
                NetStack running = stack;
                assertTrue(NetNs.await(() -> running.onShard(() -> driver.rxPackets + driver.rxDropped
                        == rig.device.readStatistics().rxPackets), Duration.ofSeconds(10)),
                        "every frame the model delivered was taken or counted as dropped");
                DeviceCounters hardware = rig.device.hardwareCounters();
                // At rest only the RX ring holds buffers: none leaked, none left on the TX ring.
                assertTrue(NetNs.await(() -> running.onShard(() -> rig.device.pool(0).inUse() == rxRing),
                        Duration.ofSeconds(10)), () -> "buffers in use " + running.pools() + ", RX ring " + rxRing);
                System.out.println("driver " + rig.device.counters(0) + "; statistics registers " + hardware + "; tap "
                        + tap.counters(0) + "; lost on the wire " + port.lost() + "; ethernet tx-ring-full " + stack.counter("ethernet", "tx-ring-full")
                        + ", tx-no-buffer " + stack.counter("ethernet", "tx-no-buffer") + "; ip out-no-buffers "
                        + stack.counter("ip", "out-no-buffers"));
                assertEquals(0, port.lost(), "frames the model sent that the TAP did not take");
                assertEquals(rig.device.counters(0).txPackets, hardware.txPackets,
                        "every frame the driver queued left the model");
            } finally {
                if (demo != null) {
                    demo.close();
                }
                if (tcp != null) {
                    tcp.close();
                }
                if (stack != null) {
                    stack.close(); // stops the shard, then closes the device (which resets the model)
                }
                tap.close();
            }
        }
    }

    /**
     * Adds the model's wire end as a poll task of the shard, from the shard's own thread. With
     * {@code sendOncePerTurn} the model's transmit stays paused except in this task, which lets it
     * fetch and send what the ring holds once per turn.
     */
    private static PollTask addWireTask(Shard shard, Rig rig, ModelPort port, TapDevice tap, boolean sendOncePerTurn)
            throws Exception {
        CompletableFuture<Void> added = new CompletableFuture<>();
        PollTask wire = new PollTask() {
            @Override
            public int poll(long nowNs) {
                if (sendOncePerTurn) {
                    rig.model.pauseTransmit(false); // sends what the ring holds
                    rig.model.pauseTransmit(true);
                }
                return port.pump();
            }

            @Override
            public int readinessFd() {
                return tap.readinessFd(0);
            }
        };
        assertTrue(shard.execute(() -> {
            rig.model.pauseTransmit(sendOncePerTurn);
            shard.addTask(wire);
            added.complete(null);
        }));
        added.get(10, TimeUnit.SECONDS);
        return wire;
    }
}
