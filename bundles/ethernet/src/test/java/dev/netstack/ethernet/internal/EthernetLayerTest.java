package dev.netstack.ethernet.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.ethernet.EtherTypeHandler;
import dev.netstack.ethernet.LinkLayer.ArpEntry;
import dev.netstack.ethernet.NetInterface;
import dev.netstack.nic.Disposition;
import dev.netstack.nic.PacketBuffer;
import dev.netstack.runtime.EventLoop;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Deterministic simulation: a manual event loop, virtual time, and an in-memory device. */
class EthernetLayerTest {

    static final long OUR_MAC = 0x0200_0000_0002L;
    static final long PEER_MAC = 0x0200_0000_0001L;
    static final long OTHER_MAC = 0x0200_0000_00EEL;
    static final long BROADCAST = 0xFFFF_FFFF_FFFFL;
    static final int OUR_IP = 0xC612_0002;  // 198.18.0.2
    static final int PEER_IP = 0xC612_0001; // 198.18.0.1
    static final long MS = 1_000_000L;

    long now = 1_000_000_000L;
    TestConfig config = new TestConfig();
    EventLoop loop;
    EthernetLayer layer;
    FakeDevice device;
    NetInterface nif;
    final List<PacketBuffer> delivered = new ArrayList<>();

    /** Records what it receives, then releases it. */
    final EtherTypeHandler recorder = (nif, packet, nowNs) -> {
        delivered.add(packet);
        return Disposition.HANDLED;
    };

    void start() {
        loop = EventLoop.manual(0, () -> now);
        layer = new EthernetLayer(config, loop);
        device = new FakeDevice("eth0", OUR_MAC, 128);
        nif = layer.addDevice(device);
        nif.setIpv4Address(OUR_IP, 24);
        turn();
        device.releaseSent(); // the announcement; tested on its own
    }

    @BeforeEach
    void setUp() {
        start();
    }

    @AfterEach
    void noLeaks() {
        releaseDelivered();
        device.releaseSent();
        layer.close();
        assertEquals(0, device.pool.inUse(), "buffers leaked");
    }

    void turn() {
        loop.runTurn(now);
    }

    void advanceMs(long ms) {
        // Step the wheel one tick at a time, as a running shard would.
        for (long i = 0; i < ms; i++) {
            now += MS;
            turn();
        }
    }

    void releaseDelivered() {
        delivered.forEach(PacketBuffer::release);
        delivered.clear();
    }

    long count(EthernetStat stat) {
        return layer.counters().get(stat);
    }

    static String mac(long mac) {
        return String.format("%012x", mac);
    }

    static String ip(int address) {
        return String.format("%08x", address);
    }

    static String arp(long dst, long src, int operation, long sha, int spa, long tha, int tpa) {
        return mac(dst) + mac(src) + "0806" + "0001" + "0800" + "06" + "04" + String.format("%04x", operation)
                + mac(sha) + ip(spa) + mac(tha) + ip(tpa);
    }

    static String ipv4(long dst, long src, String payload) {
        return mac(dst) + mac(src) + "0800" + payload;
    }

    /** An IPv4 packet (just bytes here) for sendIpv4, carrying one marker byte. */
    PacketBuffer packet(int marker) {
        PacketBuffer buffer = layer.allocate(nif);
        int at = buffer.append(20);
        buffer.segment().asSlice(at, 20).fill((byte) 0);
        buffer.segment().set(ValueLayout.JAVA_BYTE, at, (byte) marker);
        return buffer;
    }

    ArpEntry entry(int address) {
        for (ArpEntry e : layer.arpEntries()) {
            if (e.address() == address) {
                return e;
            }
        }
        return null;
    }

    // ---------------------------------------------------------------- ARP answers and learning

    @Test
    void answersArpRequestForOwnAddressAndLearnsTheAsker() {
        device.inject(arp(BROADCAST, PEER_MAC, 1, PEER_MAC, PEER_IP, 0, OUR_IP) + "00".repeat(18)); // padded to 60
        turn();
        assertEquals(arp(PEER_MAC, OUR_MAC, 2, OUR_MAC, OUR_IP, PEER_MAC, PEER_IP), device.takeSent());
        assertEquals(1, count(EthernetStat.ARP_REQUESTS_IN));
        assertEquals(1, count(EthernetStat.ARP_REPLIES_OUT));
        ArpEntry learned = entry(PEER_IP);
        assertEquals(PEER_MAC, learned.mac());
        assertEquals("reachable", learned.state());
        assertEquals("eth0", learned.interfaceName());
    }

    @Test
    void ignoresRequestsForOtherAddressesWithoutLearning() {
        device.inject(arp(BROADCAST, PEER_MAC, 1, PEER_MAC, PEER_IP, 0, 0xC612_0063));
        turn();
        assertNull(device.takeSent());
        assertNull(entry(PEER_IP));
        assertEquals(1, count(EthernetStat.ARP_REQUESTS_IN));
    }

    @Test
    void updatesAKnownSenderFromAnyArpPacket() {
        layer.addStaticArpEntry("eth0", 0xC612_0009, 0x0200_0000_0009L);
        sendAndResolve(PEER_IP, PEER_MAC);
        // RFC 826 merge: a gratuitous ARP from the peer with a new MAC updates the entry, though it is not for us.
        device.inject(arp(BROADCAST, OTHER_MAC, 1, OTHER_MAC, PEER_IP, 0, PEER_IP));
        turn();
        assertEquals(OTHER_MAC, entry(PEER_IP).mac());
        // ... but never a static entry.
        device.inject(arp(BROADCAST, OTHER_MAC, 1, OTHER_MAC, 0xC612_0009, 0, 0xC612_0009));
        turn();
        assertEquals(0x0200_0000_0009L, entry(0xC612_0009).mac());
        assertEquals("static", entry(0xC612_0009).state());
    }

    /** Sends one packet to {@code address}, answers the request with {@code mac}, and checks delivery. */
    void sendAndResolve(int address, long mac) {
        assertEquals(Disposition.QUEUED, layer.sendIpv4(nif, address, packet(7), now));
        turn();
        assertEquals(arp(BROADCAST, OUR_MAC, 1, OUR_MAC, OUR_IP, 0, address), device.takeSent());
        device.inject(arp(OUR_MAC, mac, 2, mac, address, OUR_MAC, OUR_IP));
        turn();
        assertEquals(ipv4(mac, OUR_MAC, "07" + "00".repeat(19)), device.takeSent());
    }

    @Test
    void resolvesNextHopAndSendsTheQueuedPacketsOnReply() {
        assertEquals(Disposition.QUEUED, layer.sendIpv4(nif, PEER_IP, packet(1), now));
        assertEquals(Disposition.QUEUED, layer.sendIpv4(nif, PEER_IP, packet(2), now));
        turn();
        assertEquals(arp(BROADCAST, OUR_MAC, 1, OUR_MAC, OUR_IP, 0, PEER_IP), device.takeSent());
        assertNull(device.takeSent(), "one request for both packets");
        assertEquals(2, layer.arpQueuedPackets());
        device.inject(arp(OUR_MAC, PEER_MAC, 2, PEER_MAC, PEER_IP, OUR_MAC, OUR_IP));
        turn();
        assertEquals(ipv4(PEER_MAC, OUR_MAC, "01" + "00".repeat(19)), device.takeSent());
        assertEquals(ipv4(PEER_MAC, OUR_MAC, "02" + "00".repeat(19)), device.takeSent());
        assertEquals(0, layer.arpQueuedPackets());
        // Resolved: the next packet goes straight out.
        assertEquals(Disposition.HANDLED, layer.sendIpv4(nif, PEER_IP, packet(3), now));
        turn();
        assertEquals(ipv4(PEER_MAC, OUR_MAC, "03" + "00".repeat(19)), device.takeSent());
        assertEquals(1, count(EthernetStat.ARP_REPLIES_IN));
        assertEquals(1, count(EthernetStat.ARP_REQUESTS_OUT));
    }

    @Test
    void underOsgiLanesANeighbourLearnedOnLane0ReachesTheOtherLaneWhichSendsWhatWaited() {
        EventLoop loop1 = EventLoop.manual(1, () -> now);
        EthernetLayer lane1 = new EthernetLayer(config, loop1);
        FakeDevice device1 = new FakeDevice("eth0", OUR_MAC, 128);
        NetInterface nif1 = lane1.addDevice(device1);
        nif1.setIpv4Address(OUR_IP, 24);
        try {
            layer.activate(Map.of("lane", 0, "lanes", 2));
            lane1.activate(Map.of("lane", 1, "lanes", 2));
            assertEquals(0, layer.lane());
            assertEquals(1, lane1.lane());
            for (EthernetLayer l : List.of(layer, lane1)) {
                l.addPeer(layer);
                l.addPeer(lane1);
            }
            loop1.runTurn(now);
            device1.releaseSent(); // its announcement
            // Lane 1 sends to the peer: it asks, but the reply comes to queue 0, lane 0's.
            PacketBuffer waiting = lane1.allocate(nif1);
            int at = waiting.append(20);
            waiting.segment().asSlice(at, 20).fill((byte) 0);
            waiting.segment().set(ValueLayout.JAVA_BYTE, at, (byte) 9);
            assertEquals(Disposition.QUEUED, lane1.sendIpv4(nif1, PEER_IP, waiting, now));
            loop1.runTurn(now);
            assertEquals(arp(BROADCAST, OUR_MAC, 1, OUR_MAC, OUR_IP, 0, PEER_IP), device1.takeSent());

            device.inject(arp(OUR_MAC, PEER_MAC, 2, PEER_MAC, PEER_IP, OUR_MAC, OUR_IP));
            turn();
            assertEquals(PEER_MAC, entry(PEER_IP).mac(), "lane 0 learned it");
            loop1.runTurn(now);
            assertEquals(ipv4(PEER_MAC, OUR_MAC, "09" + "00".repeat(19)), device1.takeSent(), "lane 1 was told and sent");

            lane1.removePeer(layer);
            layer.removePeer(lane1);
            device.inject(arp(BROADCAST, OTHER_MAC, 1, OTHER_MAC, 0xC612_0007, 0, OUR_IP));
            turn();
            device.releaseSent(); // lane 0's answer
            loop1.runTurn(now);
            assertTrue(lane1.arpEntries().stream().noneMatch(e -> e.address() == 0xC612_0007), "a removed peer is not told");
        } finally {
            device1.releaseSent();
            lane1.close();
            assertEquals(0, device1.pool.inUse(), "lane 1 leaked buffers");
        }
    }

    @Test
    void retriesThenFailsAndReleasesQueuedPackets() {
        config.retries = 3;
        config.retryMs = 1000;
        for (int i = 0; i < 3; i++) {
            layer.sendIpv4(nif, PEER_IP, packet(i), now);
        }
        turn();
        assertNotNull(device.takeSent());
        advanceMs(999);
        assertNull(device.takeSent(), "no retry before arp.retry.ms");
        advanceMs(1);
        assertEquals(arp(BROADCAST, OUR_MAC, 1, OUR_MAC, OUR_IP, 0, PEER_IP), device.takeSent());
        advanceMs(1000);
        assertNotNull(device.takeSent());
        assertEquals(3, count(EthernetStat.ARP_REQUESTS_OUT));
        assertEquals(3, layer.arpQueuedPackets());
        advanceMs(1000);
        assertNull(device.takeSent(), "arp.retries requests in all");
        assertEquals(1, count(EthernetStat.ARP_RESOLUTION_FAILURES));
        assertEquals(3, count(EthernetStat.ARP_QUEUE_DROPS));
        assertEquals(0, layer.arpQueuedPackets());
        assertNull(entry(PEER_IP));
        assertEquals(0, device.pool.inUse());
    }

    @Test
    void boundsTheQueuePerEntryKeepingTheLatestAndInTotal() {
        config.queuePackets = 52; // per entry: 48
        start();
        int a = 0xC612_000A;
        int b = 0xC612_000B;
        for (int i = 1; i <= 49; i++) {
            assertEquals(Disposition.QUEUED, layer.sendIpv4(nif, a, packet(i), now));
        }
        assertEquals(1, count(EthernetStat.ARP_QUEUE_DROPS), "A's oldest makes room for its latest");
        for (int i = 1; i <= 4; i++) {
            assertEquals(Disposition.QUEUED, layer.sendIpv4(nif, b, packet(0x40 + i), now));
        }
        assertEquals(52, layer.arpQueuedPackets());
        assertEquals(Disposition.QUEUED, layer.sendIpv4(nif, b, packet(0x45), now));
        assertEquals(2, count(EthernetStat.ARP_QUEUE_DROPS), "the whole queue is full: B's oldest goes");
        assertEquals(Disposition.NO_RESOURCES, layer.sendIpv4(nif, 0xC612_000C, packet(0x50), now));
        assertEquals(3, count(EthernetStat.ARP_QUEUE_DROPS), "C has nothing to give up");
        assertEquals(52, layer.arpQueuedPackets());
        turn();
        device.releaseSent();
        device.inject(arp(OUR_MAC, PEER_MAC, 2, PEER_MAC, a, OUR_MAC, OUR_IP));
        turn();
        List<String> frames = new ArrayList<>();
        for (String f; (f = device.takeSent()) != null; ) {
            frames.add(f);
        }
        assertEquals(48, frames.size());
        assertEquals(ipv4(PEER_MAC, OUR_MAC, "02" + "00".repeat(19)), frames.getFirst());
        assertEquals(ipv4(PEER_MAC, OUR_MAC, "31" + "00".repeat(19)), frames.getLast());
    }

    @Test
    void entriesGoStaleThenExpire() {
        config.timeoutMs = 100;
        start();
        sendAndResolve(PEER_IP, PEER_MAC);
        advanceMs(99);
        assertEquals("reachable", entry(PEER_IP).state());
        advanceMs(2);
        assertEquals("stale", entry(PEER_IP).state());
        // A stale entry is still used, and its first use polls the neighbour by unicast (RFC 1122 §2.3.2.1).
        assertEquals(Disposition.HANDLED, layer.sendIpv4(nif, PEER_IP, packet(5), now));
        turn();
        assertEquals(arp(PEER_MAC, OUR_MAC, 1, OUR_MAC, OUR_IP, 0, PEER_IP), device.takeSent());
        assertEquals(ipv4(PEER_MAC, OUR_MAC, "05" + "00".repeat(19)), device.takeSent());
        layer.sendIpv4(nif, PEER_IP, packet(6), now);
        turn();
        assertEquals(ipv4(PEER_MAC, OUR_MAC, "06" + "00".repeat(19)), device.takeSent(), "one poll only");
        advanceMs(100);
        assertNull(entry(PEER_IP), "expired");
    }

    @Test
    void evictsTheOldestDynamicEntryWhenFull() {
        config.cacheSize = 4;
        start();
        layer.addStaticArpEntry("eth0", 0xC612_0063, 0x0200_0000_0063L);
        for (int i = 1; i <= 3; i++) {
            device.inject(arp(BROADCAST, 0x0200_0000_0010L + i, 1, 0x0200_0000_0010L + i, 0xC612_0010 + i, 0, OUR_IP));
            advanceMs(1);
        }
        device.releaseSent();
        assertEquals(4, layer.arpEntries().size());
        device.inject(arp(BROADCAST, 0x0200_0000_0014L, 1, 0x0200_0000_0014L, 0xC612_0014, 0, OUR_IP));
        turn();
        device.releaseSent();
        assertEquals(1, count(EthernetStat.ARP_EVICTIONS));
        assertNull(entry(0xC612_0011), "the oldest dynamic entry went");
        assertNotNull(entry(0xC612_0012));
        assertNotNull(entry(0xC612_0014));
        assertEquals("static", entry(0xC612_0063).state());
        assertTrue(layer.removeArpEntry("eth0", 0xC612_0063));
        assertNull(entry(0xC612_0063));
    }

    @Test
    void usesStaticEntriesWithoutAsking() {
        layer.addStaticArpEntry("eth0", PEER_IP, PEER_MAC);
        assertEquals(Disposition.HANDLED, layer.sendIpv4(nif, PEER_IP, packet(9), now));
        turn();
        assertEquals(ipv4(PEER_MAC, OUR_MAC, "09" + "00".repeat(19)), device.takeSent());
        assertNull(device.takeSent());
        assertEquals(-1, entry(PEER_IP).expiresInNs());
    }

    @Test
    void sendsBroadcastAndMulticastWithoutResolution() {
        layer.sendIpv4(nif, 0xC612_00FF, packet(1), now); // directed broadcast of 198.18.0.0/24
        layer.sendIpv4(nif, 0xE000_00FB, packet(2), now); // 224.0.0.251
        turn();
        assertEquals(ipv4(BROADCAST, OUR_MAC, "01" + "00".repeat(19)), device.takeSent());
        assertEquals(ipv4(0x0100_5E00_00FBL, OUR_MAC, "02" + "00".repeat(19)), device.takeSent());
    }

    // ---------------------------------------------------------------- interfaces, hot swap, conflicts

    @Test
    void announcesOnAttachAndWhenGivenAnAddress() {
        FakeDevice second = new FakeDevice("eth1", 0x0200_0000_0A01L, 16);
        NetInterface eth1 = layer.addDevice(second);
        turn();
        assertNull(second.takeSent(), "no address yet, nothing to announce");
        eth1.setIpv4Address(0xC613_0001, 24);
        turn();
        assertEquals(arp(BROADCAST, 0x0200_0000_0A01L, 1, 0x0200_0000_0A01L, 0xC613_0001, 0, 0xC613_0001), second.takeSent());
        assertEquals(2, eth1.index());
        layer.removeDevice(second);
        assertEquals(0, second.pool.inUse());
    }

    @Test
    void announcesWhenTheLinkComesUp() {
        device.linkUp = false;
        turn();
        assertNull(device.takeSent());
        device.linkUp = true;
        turn();
        assertEquals(arp(BROADCAST, OUR_MAC, 1, OUR_MAC, OUR_IP, 0, OUR_IP), device.takeSent());
        turn();
        assertNull(device.takeSent(), "once per transition");
        assertEquals(2, count(EthernetStat.ARP_GRATUITOUS_OUT)); // with the one at start
    }

    @Test
    void keepsIndexAndAddressAcrossDeviceSwapAndAnnouncesTheNewDevice() {
        long newMac = 0x0200_0000_0B02L;
        FakeDevice replacement = new FakeDevice("eth0", newMac, 16);
        assertSame(nif, layer.addDevice(replacement));
        turn();
        assertEquals(arp(BROADCAST, newMac, 1, newMac, OUR_IP, 0, OUR_IP), replacement.takeSent());
        assertEquals(1, nif.index());
        assertEquals(OUR_IP, nif.ipv4Address());
        assertSame(replacement, nif.device());
        assertEquals(newMac, nif.macAddress());
        assertEquals(1, layer.interfaces().size());
        // Frames now come from the new device only.
        layer.addHandler(0x0800, recorder);
        replacement.inject(ipv4(newMac, PEER_MAC, "4500"));
        turn();
        assertEquals(1, delivered.size());
        releaseDelivered();

        // Removing the replacement falls back to the device still bound, which is announced again.
        layer.removeDevice(replacement);
        turn();
        assertSame(device, nif.device());
        assertEquals(arp(BROADCAST, OUR_MAC, 1, OUR_MAC, OUR_IP, 0, OUR_IP), device.takeSent());
        assertEquals(0, replacement.pool.inUse());

        // With no device at all, the interface stays and sending fails cleanly.
        layer.removeDevice(device);
        assertNull(nif.device());
        assertEquals(1, nif.index());
        assertEquals(OUR_IP, nif.ipv4Address());
        assertNull(layer.allocate(nif));
        assertSame(nif, layer.interfaceByName("eth0"));
        assertSame(nif, layer.interfaceByIndex(1));
    }

    @Test
    void dropsPacketsWaitingForArpWhenTheDeviceGoes() {
        layer.sendIpv4(nif, PEER_IP, packet(1), now);
        turn();
        layer.removeDevice(device);
        assertEquals(0, layer.arpQueuedPackets());
        assertEquals(1, count(EthernetStat.ARP_QUEUE_DROPS));
    }

    @Test
    void countsAndDefendsAgainstAnotherHostClaimingOurAddress() {
        device.inject(arp(BROADCAST, OTHER_MAC, 1, OTHER_MAC, OUR_IP, 0, OUR_IP));
        turn();
        assertEquals(1, count(EthernetStat.ARP_CONFLICTS));
        assertEquals(arp(BROADCAST, OUR_MAC, 1, OUR_MAC, OUR_IP, 0, OUR_IP), device.takeSent(), "RFC 5227 defence");
        assertNull(entry(OUR_IP), "our own address is never learned");
        device.inject(arp(BROADCAST, OTHER_MAC, 2, OTHER_MAC, OUR_IP, 0, OUR_IP));
        turn();
        assertEquals(2, count(EthernetStat.ARP_CONFLICTS));
        assertNull(device.takeSent(), "one defence per 10 s");
        advanceMs(10_000);
        device.inject(arp(BROADCAST, OTHER_MAC, 1, OTHER_MAC, OUR_IP, 0, OUR_IP));
        turn();
        assertNotNull(device.takeSent());
    }

    @Test
    void tellsListenersAboutInterfacesAndDeviceChanges() {
        List<String> events = new ArrayList<>();
        layer.addListener(new dev.netstack.ethernet.InterfaceListener() {
            @Override
            public void interfaceAdded(NetInterface n) {
                events.add("added " + n.name());
            }

            @Override
            public void interfaceChanged(NetInterface n) {
                events.add("changed " + n.name() + " " + (n.device() == null ? "none" : n.device().description()));
            }

            @Override
            public void interfaceRemoved(NetInterface n) {
                events.add("removed " + n.name());
            }
        });
        FakeDevice replacement = new FakeDevice("eth0", 0x0200_0000_0B02L, 8);
        layer.addDevice(replacement);
        layer.removeDevice(replacement);
        layer.removeDevice(device);
        layer.close();
        assertEquals(List.of("added eth0", "changed eth0 fake:eth0@20000000b02", "changed eth0 fake:eth0@20000000002",
                "changed eth0 none", "removed eth0"), events);
    }

    @Test
    void controlCallsFromOtherThreadsRunOnTheShardThread() throws Exception {
        EventLoop running = new EventLoop(0, System::nanoTime, new dev.netstack.runtime.BackoffIdleStrategy(), 64);
        running.start();
        EthernetLayer threaded = new EthernetLayer(config, running);
        FakeDevice other = new FakeDevice("eth9", 0x0200_0000_0909L, 8);
        try {
            NetInterface eth9 = threaded.addDevice(other);
            threaded.addStaticArpEntry("eth9", PEER_IP, PEER_MAC); // waits for the shard: attach ran before it
            assertSame(other, eth9.device());
            assertEquals(List.of(new ArpEntry("eth9", PEER_IP, PEER_MAC, "static", -1)), threaded.arpEntries());
            threaded.removeDevice(other);
            assertNull(eth9.device(), "removeDevice returns once the shard has let go of the device");
        } finally {
            threaded.close();
            running.stop();
        }
        assertEquals(0, other.pool.inUse());
    }

    // ---------------------------------------------------------------- filtering and dispatch

    @Test
    void acceptsOwnBroadcastAndConfiguredMulticastOnly() {
        config.multicast = new String[] {"01:00:5e:00:00:fb"};
        start();
        layer.addHandler(0x0800, recorder);
        device.inject(ipv4(OUR_MAC, PEER_MAC, "01"));
        device.inject(ipv4(BROADCAST, PEER_MAC, "02"));
        device.inject(ipv4(0x0100_5E00_00FBL, PEER_MAC, "03"));
        device.inject(ipv4(0x0100_5E00_0001L, PEER_MAC, "04"));
        device.inject(ipv4(OTHER_MAC, PEER_MAC, "05"));
        turn();
        assertEquals(3, delivered.size());
        assertEquals(2, count(EthernetStat.NOT_FOR_US));
        assertEquals(5, count(EthernetStat.RX_FRAMES));
    }

    @Test
    void dispatchesByEtherTypeUntilTheHandlerIsUnbound() {
        List<Integer> seen = new ArrayList<>();
        EtherTypeHandler ipv6 = (n, p, t) -> {
            seen.add(6);
            p.release();
            return Disposition.HANDLED;
        };
        layer.bindHandler(recorder, Map.of(EtherTypeHandler.ETHER_TYPE_PROPERTY, "0x0800"));
        layer.bindHandler(ipv6, Map.of(EtherTypeHandler.ETHER_TYPE_PROPERTY, 0x86DD));
        PacketBuffer frame = device.inject(ipv4(OUR_MAC, PEER_MAC, "45000014"));
        int frameOffset = frame.offset();
        device.inject(mac(OUR_MAC) + mac(PEER_MAC) + "86dd" + "60000000");
        device.inject(mac(OUR_MAC) + mac(PEER_MAC) + "88b5" + "00");
        turn();
        assertEquals(1, delivered.size());
        PacketBuffer ip = delivered.getFirst();
        assertEquals(frameOffset, ip.linkOffset());
        assertEquals(frameOffset + 14, ip.offset());
        assertEquals(4, ip.length());
        assertEquals(nif.index(), ip.interfaceIndex());
        assertEquals(List.of(6), seen);
        assertEquals(1, count(EthernetStat.UNKNOWN_ETHERTYPE));
        releaseDelivered();

        layer.unbindHandler(recorder, Map.of(EtherTypeHandler.ETHER_TYPE_PROPERTY, "0x0800"));
        device.inject(ipv4(OUR_MAC, PEER_MAC, "45000014"));
        turn();
        assertEquals(0, delivered.size());
        assertEquals(2, count(EthernetStat.UNKNOWN_ETHERTYPE));
        assertEquals(-1, EthernetLayer.parseEtherType("0x05ff"), "802.3 lengths are not EtherTypes");
        assertEquals(0x0800, EthernetLayer.parseEtherType("2048"));
    }

    @Test
    void aThrowingHandlerIsCountedAndDoesNotStopTheLoop() {
        layer.addHandler(0x0800, (n, p, t) -> {
            p.release();
            throw new IllegalStateException("handler bug (expected by the test)");
        });
        device.inject(ipv4(OUR_MAC, PEER_MAC, "01"));
        device.inject(ipv4(OUR_MAC, PEER_MAC, "02"));
        turn();
        assertEquals(2, count(EthernetStat.HANDLER_ERRORS));
    }

    // ---------------------------------------------------------------- transmit batching

    @Test
    void transmitsEarlyWhenTheBatchFillsAndDropsRefusedFrames() {
        layer.addStaticArpEntry("eth0", PEER_IP, PEER_MAC);
        long sentBefore = count(EthernetStat.TX_FRAMES); // the announcement at start
        for (int i = 0; i < 64; i++) {
            layer.sendIpv4(nif, PEER_IP, packet(i), now);
        }
        assertEquals(64, device.sent.size(), "a full batch goes out before the turn ends");
        device.releaseSent();
        device.transmitLimit = 3;
        for (int i = 0; i < 10; i++) {
            layer.sendIpv4(nif, PEER_IP, packet(i), now);
        }
        turn();
        assertEquals(3, device.sent.size());
        assertEquals(7, count(EthernetStat.TX_RING_FULL));
        assertEquals(sentBefore + 67, count(EthernetStat.TX_FRAMES));
        device.releaseSent();
        assertEquals(0, device.pool.inUse());
    }

    // ---------------------------------------------------------------- bad input and allocation

    @Test
    void malformedFramesNeverThrowNorLeak() {
        layer.addHandler(0x0800, recorder);
        String request = arp(BROADCAST, PEER_MAC, 1, PEER_MAC, PEER_IP, 0, OUR_IP);
        String ip = ipv4(OUR_MAC, PEER_MAC, "4500001c" + "00".repeat(24));
        int baseline = device.pool.inUse();
        for (String frame : new String[] {request, ip}) {
            for (int length = 0; length <= 41; length++) {
                device.inject(frame.substring(0, 2 * length));
                turn();
                releaseDelivered();
                device.releaseSent();
                assertEquals(baseline, device.pool.inUse(), "length " + length);
            }
        }
        assertEquals(28, count(EthernetStat.TOO_SHORT)); // 0..13, twice
        assertEquals(28, count(EthernetStat.ARP_MALFORMED)); // 14..41 of the request: shorter than 28 bytes of ARP
        // Wrong hlen, plen, htype, ptype, and operation.
        String[] wrong = {
            request.substring(0, 36) + "0804" + request.substring(40),
            request.substring(0, 36) + "0610" + request.substring(40),
            request.substring(0, 28) + "0006" + request.substring(32),
            request.substring(0, 32) + "86dd" + request.substring(36),
            request.substring(0, 40) + "0003" + request.substring(44),
        };
        for (String frame : wrong) {
            device.inject(frame);
        }
        turn();
        assertNull(device.takeSent());
        assertEquals(33, count(EthernetStat.ARP_MALFORMED));
        assertEquals(baseline, device.pool.inUse());
    }

    @Test
    void randomFramesNeverThrowNorLeak() {
        long seed = System.nanoTime();
        System.out.println("randomFramesNeverThrowNorLeak seed " + seed);
        java.util.Random random = new java.util.Random(seed);
        layer.addHandler(0x0800, recorder);
        layer.sendIpv4(nif, PEER_IP, packet(1), now); // an entry waiting, so replies can merge into it
        String[] destinations = {mac(OUR_MAC), mac(BROADCAST), mac(OTHER_MAC)};
        String[] types = {"0806", "0800", "86dd", "0001"};
        StringBuilder frame = new StringBuilder();
        for (int i = 0; i < 20_000; i++) {
            frame.setLength(0);
            frame.append(destinations[random.nextInt(3)]).append(mac(PEER_MAC + random.nextInt(4)))
                    .append(types[random.nextInt(4)]);
            if (random.nextBoolean()) { // a mostly well-formed ARP body
                frame.append("000108000604").append(String.format("%04x", random.nextInt(4)))
                        .append(mac(PEER_MAC)).append(ip(random.nextBoolean() ? PEER_IP : OUR_IP))
                        .append(mac(0)).append(ip(random.nextBoolean() ? OUR_IP : PEER_IP));
            }
            int extra = random.nextInt(40);
            for (int b = 0; b < extra; b++) {
                frame.append(String.format("%02x", random.nextInt(256)));
            }
            int bytes = random.nextInt(frame.length() / 2 + 1);
            device.inject(frame.substring(0, 2 * bytes));
            if (i % 16 == 0) {
                now += random.nextInt(200) * MS;
                turn();
                releaseDelivered();
                device.releaseSent();
            }
        }
        turn();
        releaseDelivered();
        device.releaseSent();
        layer.close();
        assertEquals(0, device.pool.inUse(), "seed " + seed);
        assertEquals(20_000, count(EthernetStat.RX_FRAMES));
    }

    @Test
    void receivePathAllocatesNothingPerFrame() {
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        EtherTypeHandler release = (n, p, t) -> {
            p.release();
            return Disposition.HANDLED;
        };
        layer.addHandler(0x0800, release);
        device.discardTransmitted = true;
        var ip = java.lang.foreign.Arena.ofAuto().allocate(60);
        var request = java.lang.foreign.Arena.ofAuto().allocate(60);
        copyHex(ipv4(OUR_MAC, PEER_MAC, "4500001c" + "00".repeat(24)), ip);
        copyHex(arp(BROADCAST, PEER_MAC, 1, PEER_MAC, PEER_IP, 0, OUR_IP), request);
        runFrames(ip, request, 5_000); // warm-up: JIT, ARP entry learned
        long before = threads.getCurrentThreadAllocatedBytes();
        int frames = runFrames(ip, request, 10_000);
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        System.out.println("receive path: " + allocated + " bytes allocated over " + frames + " frames");
        assertEquals(10_000, frames);
        assertTrue((double) allocated / frames < 1.0, allocated + " bytes over " + frames + " frames");
        assertTrue(count(EthernetStat.ARP_REPLIES_OUT) >= 1_000);
    }

    private int runFrames(java.lang.foreign.MemorySegment ip, java.lang.foreign.MemorySegment request, int frames) {
        int done = 0;
        while (done < frames) {
            for (int i = 0; i < 32 && done < frames; i++, done++) {
                if (done % 8 == 0) {
                    device.inject(request, 42);
                } else {
                    device.inject(ip, 42);
                }
            }
            now += 10_000;
            loop.runTurn(now);
        }
        return done;
    }

    private static void copyHex(String hex, java.lang.foreign.MemorySegment to) {
        byte[] bytes = java.util.HexFormat.of().parseHex(hex);
        java.lang.foreign.MemorySegment.copy(bytes, 0, to, ValueLayout.JAVA_BYTE, 0, bytes.length);
    }
}
