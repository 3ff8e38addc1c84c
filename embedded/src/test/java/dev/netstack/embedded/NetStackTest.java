package dev.netstack.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.ip.Pinger;
import dev.netstack.ip.Route;
import dev.netstack.ip.wire.Ipv4Address;
import dev.netstack.nic.FaultInjectingDevice;
import dev.netstack.nic.FaultPlan;
import dev.netstack.nic.PcapReader;
import dev.netstack.test.MemoryLink;
import dev.netstack.test.NetNs;
import dev.netstack.test.VirtualClock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The builder over a MemoryLink: two whole stacks, each on its own shard thread, talking. */
class NetStackTest {

    private static final int A = Ipv4Address.parse("198.18.10.1");
    private static final int B = Ipv4Address.parse("198.18.10.2");

    @Test
    void twoStacksOverAMemoryLinkPingEachOther() throws Exception {
        MemoryLink link = MemoryLink.create();
        try (NetStack a = NetStack.builder().device(link.a()).address("198.18.10.1/24").idle("yield").build();
                NetStack b = NetStack.builder().device(link.b()).address("198.18.10.2/24").idle("yield").build()) {
            Map<String, Integer> baselineA = a.pools();
            Pinger.Result ab = a.pinger().ping(B, new Pinger.Options(56, 5, 5, 1000), null).get(10, TimeUnit.SECONDS);
            Pinger.Result ba = b.pinger().ping(A, new Pinger.Options(1000, 3, 5, 1000), null).get(10, TimeUnit.SECONDS);
            assertEquals(5, ab.received(), ab.toString());
            assertEquals(3, ba.received(), ba.toString());
            assertEquals(5, b.counter("icmp", "in-echos"));
            assertEquals(5, b.counter("icmp", "out-echo-reps"));
            assertEquals(3, a.counter("icmp", "in-echos"));
            assertTrue(a.counter("ethernet", "arp-replies-in") + a.counter("ethernet", "arp-requests-in") >= 1);
            assertTrue(a.counter("device", "tx-packets") >= 8);
            assertTrue(NetNs.await(() -> a.pools().equals(baselineA), Duration.ofSeconds(2)),
                    "pools back at their baseline: " + a.pools() + " vs " + baselineA);
        }
    }

    @Test
    void fragmentedPingIsReassembledBothWays() throws Exception {
        MemoryLink link = MemoryLink.create();
        try (NetStack a = NetStack.builder().device(link.a()).address("198.18.10.1/24").idle("yield").build();
                NetStack b = NetStack.builder().device(link.b()).address("198.18.10.2/24").idle("yield").build()) {
            Pinger.Result r = a.pinger().ping(B, new Pinger.Options(8000, 2, 5, 2000), null).get(10, TimeUnit.SECONDS);
            assertEquals(2, r.received(), r.toString());
            assertEquals(2, b.counter("ip", "reasm-oks"));
            assertEquals(2, a.counter("ip", "reasm-oks"));
            assertTrue(NetNs.await(() -> b.pools().get("ip-reassembly") == 0, Duration.ofSeconds(2)), b.pools().toString());
        }
    }

    @Test
    void manualClockStacksAreDrivenTurnByTurn() throws Exception {
        VirtualClock clock = new VirtualClock();
        MemoryLink link = MemoryLink.create();
        try (NetStack a = NetStack.builder().device(link.a()).address("198.18.10.1/24").manualClock(clock).build();
                NetStack b = NetStack.builder().device(link.b()).address("198.18.10.2/24").manualClock(clock).build()) {
            assertThrows(IllegalStateException.class, () -> NetStack.builder().device(MemoryLink.create().a()).build()
                    .runTurn(0), "a threaded stack refuses runTurn");
            CompletableFuture<Pinger.Result> result = a.pinger().ping(B, new Pinger.Options(56, 3, 100, 500), null);
            for (int turn = 0; turn < 2000 && !result.isDone(); turn++) {
                long now = clock.advance(1_000_000);
                a.runTurn(now);
                b.runTurn(now);
            }
            assertTrue(result.isDone(), "ping finished in virtual time");
            assertEquals(3, result.get().received());
            assertEquals(3, b.counter("icmp", "in-echos"));
        }
    }

    @Test
    void gatewayBecomesTheDefaultRoute() {
        try (NetStack a = NetStack.builder().device(MemoryLink.create().a()).address("198.18.10.1/24")
                .gateway("198.18.10.254").route("203.0.113.0/24", "198.18.10.253").manualClock(new VirtualClock()).build()) {
            Route viaDefault = a.routingTable().lookup(Ipv4Address.parse("192.0.2.7"));
            assertNotNull(viaDefault);
            assertEquals(Ipv4Address.parse("198.18.10.254"), viaDefault.gateway());
            assertEquals(Ipv4Address.parse("198.18.10.253"), a.routingTable().lookup(Ipv4Address.parse("203.0.113.9")).gateway());
            assertEquals(A, a.netInterface().ipv4Address());
            assertEquals("eth0", a.netInterface().name());
        }
    }

    @Test
    void captureAndFaultsWrapTheDevice(@TempDir Path dir) throws Exception {
        Path pcap = dir.resolve("a.pcap");
        MemoryLink link = MemoryLink.create();
        try (NetStack a = NetStack.builder().device(link.a()).address("198.18.10.1/24").capture(pcap)
                .fault(FaultPlan.seeded(7)).idle("yield").build();
                NetStack b = NetStack.builder().device(link.b()).address("198.18.10.2/24").idle("yield").build()) {
            assertTrue(a.device() instanceof FaultInjectingDevice);
            Pinger.Result r = a.pinger().ping(B, new Pinger.Options(56, 2, 5, 1000), null).get(10, TimeUnit.SECONDS);
            assertEquals(2, r.received());
            assertTrue(a.counters().containsKey("fault"), a.counters().toString());
            assertEquals(2, b.counter("icmp", "in-echos"));
            long frames = a.stopCapture();
            assertTrue(frames >= 6, "ARP request and reply, two echo requests and replies: " + frames);
            PcapReader.Capture capture = PcapReader.read(pcap);
            assertEquals(frames, capture.frames().size());
            assertEquals(-1, a.stopCapture(), "nothing runs any more");
        }
    }

    @Test
    void closeStopsTheShardAndClosesTheDevice() {
        MemoryLink link = MemoryLink.create();
        NetStack a = NetStack.builder().device(link.a()).address("198.18.10.1/24").build();
        assertTrue(link.a().isLinkUp());
        a.close();
        assertFalse(link.a().isLinkUp(), "device closed");
        assertFalse(((dev.netstack.runtime.EventLoop) a.shard()).isRunning());
        a.close(); // idempotent
    }

    @Test
    void tapSettingsWithAGivenDeviceAreRejected() {
        assertThrows(IllegalArgumentException.class,
                () -> NetStack.builder().device(MemoryLink.create().a()).mac("02:00:00:00:00:09").build());
        assertThrows(IllegalArgumentException.class, () -> NetStack.builder().address(" "));
    }

    @Test
    void badConfigurationFailsTheBuildAndLeavesNothingRunning() {
        MemoryLink link = MemoryLink.create();
        RuntimeException e = assertThrows(RuntimeException.class,
                () -> NetStack.builder().device(link.a()).ethernet("multicast", "02:00:00:00:00:01").build());
        assertTrue(e.getMessage().contains("multicast"), e.getMessage());
        assertFalse(link.a().isLinkUp(), "the device was closed again");
        long shards = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("netstack-shard") && t.isAlive()).count();
        assertEquals(0, shards, "no shard thread left running");
    }
}
