package dev.netstack.ip.internal;

import static dev.netstack.ip.internal.Host.bytes;
import static dev.netstack.ip.internal.Host.datagram;
import static dev.netstack.ip.internal.Host.echoRequest;
import static dev.netstack.ip.internal.Host.icmp;
import static dev.netstack.ip.internal.Host.ipv4;
import static dev.netstack.ip.internal.Host.pattern;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import dev.netstack.ip.NetworkLayer;
import dev.netstack.ip.ProtocolHandler;
import dev.netstack.ip.Route;
import dev.netstack.ip.wire.IcmpHeader;
import dev.netstack.ip.wire.Ipv4Address;
import dev.netstack.ip.wire.Ipv4Header;
import dev.netstack.nic.DeviceCapabilities;
import dev.netstack.nic.Disposition;
import dev.netstack.nic.NetDevice;
import dev.netstack.nic.PacketBuffer;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class Ipv4LayerTest {

    static final int PEER = Ipv4Address.parse("198.18.0.1");
    static final int US = Ipv4Address.parse("198.18.0.2");

    final ManualClock clock = new ManualClock();
    final Host host = new Host(clock, "198.18.0.2/24");

    @AfterEach
    void noLeaks() {
        host.link.releaseSent();
        assertEquals(0, host.buffersInUse(), "buffers leaked");
    }

    /** A handler that keeps what it receives (data bytes and header view) and releases it. */
    static final class Recorder implements ProtocolHandler {
        final List<byte[]> payloads = new ArrayList<>();
        final List<byte[]> headers = new ArrayList<>();
        final List<int[]> errors = new ArrayList<>();

        @Override
        public Disposition receive(PacketBuffer packet, long nowNs) {
            payloads.add(bytes(packet));
            int headerLength = packet.offset() - packet.networkOffset();
            headers.add(packet.segment().asSlice(packet.networkOffset(), headerLength)
                    .toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
            packet.release();
            return Disposition.HANDLED;
        }

        @Override
        public void icmpErrorReceived(int type, int code, PacketBuffer packet, long nowNs) {
            errors.add(new int[] {type, code, packet.transportOffset() - packet.offset()});
        }
    }

    /** Releases what {@code h} sent; returns how many packets that was. */
    static int releaseAll(Host h) {
        int n = h.link.sent.size();
        h.link.releaseSent();
        return n;
    }

    private Disposition receive(PacketBuffer packet) {
        return host.layer.receive(host.eth0, packet, host.now());
    }

    private static Ipv4Header ipOf(PacketBuffer b) {
        return new Ipv4Header().wrap(b.segment(), b.offset());
    }

    private static IcmpHeader icmpOf(PacketBuffer b) {
        return new IcmpHeader().wrap(b.segment(), b.offset() + ipOf(b).headerLength());
    }

    @Test
    void answersEchoRequestWithReplyCarryingTheSameData() {
        PacketBuffer request = echoRequest(host.pool(), PEER, US, 0x77, 3, 56);
        byte[] requestData = Arrays.copyOfRange(bytes(request), 28, 28 + 56);
        assertEquals(Disposition.HANDLED, receive(request));

        List<FakeLink.Sent> sent = host.link.takeSent();
        assertEquals(1, sent.size());
        PacketBuffer reply = sent.get(0).packet();
        assertEquals(PEER, sent.get(0).nextHop());
        Ipv4Header ip = ipOf(reply);
        assertEquals(US, ip.source());
        assertEquals(PEER, ip.destination());
        assertEquals(64, ip.ttl());
        assertEquals(84, ip.totalLength());
        assertTrue(ip.checksumValid());
        IcmpHeader m = icmpOf(reply);
        assertEquals(IcmpHeader.TYPE_ECHO_REPLY, m.type());
        assertEquals(0x77, m.identifier());
        assertEquals(3, m.sequence());
        assertTrue(m.checksumValid(64));
        assertArrayEquals(requestData, Arrays.copyOfRange(bytes(reply), 28, 28 + 56));
        assertEquals(1, host.layer.icmpCounters().get(IcmpCounter.IN_ECHOS));
        assertEquals(1, host.layer.icmpCounters().get(IcmpCounter.OUT_ECHO_REPS));
        reply.release();
    }

    @Test
    void trimsTrailingLinkPaddingBeforeAnswering() {
        PacketBuffer request = echoRequest(host.pool(), PEER, US, 1, 1, 4); // 32 bytes: a padded frame has 46
        request.append(14);
        receive(request);
        PacketBuffer reply = host.link.takeSent().get(0).packet();
        assertEquals(32, reply.length());
        assertTrue(icmpOf(reply).checksumValid(12));
        reply.release();
    }

    @Test
    void deliversToTheBoundProtocolWithOffsetsSet() {
        Recorder udp = new Recorder();
        host.layer.bindProtocol(17, udp);
        byte[] payload = pattern(30, 1);
        assertEquals(Disposition.HANDLED, receive(ipv4(host.pool(), PEER, US, 17, 9, 0, payload)));
        assertEquals(1, udp.payloads.size());
        assertArrayEquals(payload, udp.payloads.get(0));
        assertEquals(20, udp.headers.get(0).length);
        assertEquals(0x45, udp.headers.get(0)[0]);
        assertEquals(1, host.layer.counters().get(IpCounter.IN_DELIVERS));
        assertTrue(host.link.sent.isEmpty());
    }

    @Test
    void skipsOptionsAndDeliversFromTheTransportHeader() {
        Recorder udp = new Recorder();
        host.layer.bindProtocol(17, udp);
        byte[] payload = pattern(12, 4);
        // IHL 7: a record-route option (type 7, length 7, pointer 4) padded with end-of-list.
        byte[] d = new byte[28 + payload.length];
        System.arraycopy(payload, 0, d, 28, payload.length);
        d[20] = 7;
        d[21] = 7;
        d[22] = 4;
        Ipv4Header h = new Ipv4Header().wrap(MemorySegment.ofArray(d), 0);
        h.emit(d.length, 5, 0, 64, 17, PEER, US);
        h.setVersionAndHeaderLength(28).fillChecksum();
        assertEquals(Disposition.HANDLED, receive(fromBytes(d)));
        assertArrayEquals(payload, udp.payloads.get(0));
        assertEquals(28, udp.headers.get(0).length);
    }

    @Test
    void answersEchoRequestsThatCarryOptions() {
        byte[] request = datagram(PEER, US, 1, 9, 0, icmp(8, 0, 0x00050001, pattern(20, 1)));
        byte[] d = new byte[request.length + 4];
        System.arraycopy(request, 0, d, 0, 20);
        d[20] = 1; // NOP
        System.arraycopy(request, 20, d, 24, request.length - 20);
        Ipv4Header h = new Ipv4Header().wrap(MemorySegment.ofArray(d), 0);
        h.setTotalLength(d.length).setVersionAndHeaderLength(24).fillChecksum();
        assertEquals(Disposition.HANDLED, receive(fromBytes(d)));
        PacketBuffer reply = host.link.takeSent().get(0).packet();
        assertEquals(20 + 28, ipOf(reply).totalLength());
        assertEquals(IcmpHeader.TYPE_ECHO_REPLY, icmpOf(reply).type());
        assertTrue(icmpOf(reply).checksumValid(28));
        reply.release();
    }

    @Test
    void bindsHandlersFromServiceProperties() {
        Recorder tcp = new Recorder();
        host.layer.bindProtocolHandler(tcp, Map.of(ProtocolHandler.IP_PROTOCOL_PROPERTY, "6"));
        receive(ipv4(host.pool(), PEER, US, 6, 9, 0, pattern(20, 2)));
        assertEquals(1, tcp.payloads.size());
        host.layer.unbindProtocolHandler(tcp, Map.of(ProtocolHandler.IP_PROTOCOL_PROPERTY, "6"));
        assertEquals(Disposition.PROTOCOL_UNREACHABLE, receive(ipv4(host.pool(), PEER, US, 6, 9, 0, pattern(20, 2))));
        assertEquals(-1, Ipv4Layer.protocolOf(Map.of(ProtocolHandler.IP_PROTOCOL_PROPERTY, "1")));
        assertEquals(-1, Ipv4Layer.protocolOf(Map.of(ProtocolHandler.IP_PROTOCOL_PROPERTY, 300)));
        assertEquals(17, Ipv4Layer.protocolOf(Map.of(ProtocolHandler.IP_PROTOCOL_PROPERTY, 17)));
        assertEquals(17, Ipv4Layer.protocolOf(Map.of(ProtocolHandler.IP_PROTOCOL_PROPERTY, "0x11")));
    }

    @Test
    void answersAnUnboundProtocolWithProtocolUnreachableQuotingHeaderAndEightBytes() {
        byte[] payload = pattern(40, 3);
        PacketBuffer datagram = ipv4(host.pool(), PEER, US, 17, 0xABCD, 0, payload);
        byte[] original = bytes(datagram);
        assertEquals(Disposition.PROTOCOL_UNREACHABLE, receive(datagram));

        List<FakeLink.Sent> sent = host.link.takeSent();
        assertEquals(1, sent.size());
        PacketBuffer error = sent.get(0).packet();
        Ipv4Header ip = ipOf(error);
        assertEquals(Ipv4Header.PROTOCOL_ICMP, ip.protocol());
        assertEquals(US, ip.source());
        assertEquals(PEER, ip.destination());
        assertEquals(20 + 8 + 28, ip.totalLength());
        IcmpHeader m = icmpOf(error);
        assertEquals(IcmpHeader.TYPE_DESTINATION_UNREACHABLE, m.type());
        assertEquals(IcmpHeader.CODE_PROTOCOL_UNREACHABLE, m.code());
        assertEquals(0, m.rest());
        assertTrue(m.checksumValid(36));
        assertArrayEquals(Arrays.copyOf(original, 28), Arrays.copyOfRange(bytes(error), 28, 56));
        assertEquals(1, host.layer.counters().get(IpCounter.IN_UNKNOWN_PROTOS));
        assertEquals(1, host.layer.icmpCounters().get(IcmpCounter.OUT_DEST_UNREACHS));
        error.release();
    }

    @Test
    void letsATransportAnswerPortUnreachableAboutAPacketItWasGiven() {
        ProtocolHandler closedPorts = (packet, nowNs) -> {
            host.layer.sendIcmpError(IcmpHeader.TYPE_DESTINATION_UNREACHABLE, IcmpHeader.CODE_PORT_UNREACHABLE, packet, nowNs);
            packet.release();
            return Disposition.PORT_UNREACHABLE;
        };
        host.layer.bindProtocol(17, closedPorts);
        byte[] original = datagram(PEER, US, 17, 44, 0, pattern(100, 6));
        assertEquals(Disposition.PORT_UNREACHABLE, receive(fromBytes(original)));
        PacketBuffer error = host.link.takeSent().get(0).packet();
        assertEquals(IcmpHeader.CODE_PORT_UNREACHABLE, icmpOf(error).code());
        assertArrayEquals(Arrays.copyOf(original, 28), Arrays.copyOfRange(bytes(error), 28, 56));
        error.release();
    }

    @Test
    void dropsMalformedHeadersCountingTheReason() {
        byte[] good = datagram(PEER, US, 17, 1, 0, pattern(12, 0));
        record Case(int index, int value, IpCounter reason) {
        }
        for (Case c : List.of(new Case(0, 0x65, IpCounter.HDR_BAD_VERSION), new Case(0, 0x44, IpCounter.HDR_BAD_IHL),
                new Case(0, 0x4F, IpCounter.HDR_TRUNCATED), new Case(3, 200, IpCounter.HDR_BAD_LENGTH),
                new Case(3, 10, IpCounter.HDR_BAD_LENGTH), new Case(10, 0x12, IpCounter.HDR_BAD_CHECKSUM))) {
            byte[] bad = good.clone();
            bad[c.index()] = (byte) c.value();
            long before = host.layer.counters().get(c.reason());
            assertEquals(Disposition.MALFORMED, receive(fromBytes(bad)), c.toString());
            assertEquals(before + 1, host.layer.counters().get(c.reason()), c.toString());
        }
        assertEquals(Disposition.MALFORMED, receive(fromBytes(Arrays.copyOf(good, 19))));
        assertEquals(7, host.layer.counters().get(IpCounter.IN_HDR_ERRORS));
        assertTrue(host.link.sent.isEmpty());
    }

    private PacketBuffer fromBytes(byte[] data) {
        PacketBuffer b = host.pool().allocate();
        int at = b.append(data.length);
        MemorySegment.copy(data, 0, b.segment(), java.lang.foreign.ValueLayout.JAVA_BYTE, at, data.length);
        return b;
    }

    @Test
    void dropsDatagramsForOtherHostsAndIgnoresBroadcastEcho() {
        assertEquals(Disposition.NOT_FOR_US, receive(echoRequest(host.pool(), PEER, Ipv4Address.parse("198.18.0.9"), 1, 1, 8)));
        assertEquals(1, host.layer.counters().get(IpCounter.IN_ADDR_ERRORS));
        assertEquals(Disposition.DROPPED, receive(echoRequest(host.pool(), PEER, Ipv4Address.parse("198.18.0.255"), 1, 1, 8)));
        assertEquals(Disposition.DROPPED, receive(echoRequest(host.pool(), PEER, -1, 1, 1, 8)));
        assertEquals(2, host.layer.icmpCounters().get(IcmpCounter.IN_BROADCAST_ECHOS_IGNORED));
        // An unbound protocol sent to broadcast draws no ICMP error (RFC 1122 §3.2.2).
        assertEquals(Disposition.PROTOCOL_UNREACHABLE, receive(ipv4(host.pool(), PEER, -1, 17, 1, 0, pattern(8, 0))));
        assertTrue(host.link.sent.isEmpty());
        // A multicast source is not a host.
        assertEquals(Disposition.MALFORMED, receive(echoRequest(host.pool(), Ipv4Address.parse("224.0.0.5"), US, 1, 1, 8)));
    }

    @Test
    void neverSendsAnIcmpErrorAboutAnIcmpErrorOrANonFirstFragment() {
        byte[] quote = datagram(US, PEER, 17, 1, 0, pattern(8, 0));
        PacketBuffer error = ipv4(host.pool(), PEER, US, 1, 2, 0, icmp(3, 3, 0, quote));
        error.setNetworkOffset(error.offset());
        assertFalse(host.layer.sendIcmpError(3, 2, error, host.now()));
        error.release();

        PacketBuffer fragment = ipv4(host.pool(), PEER, US, 17, 3, 185, pattern(16, 0)); // offset 1480
        fragment.setNetworkOffset(fragment.offset());
        assertFalse(host.layer.sendIcmpError(3, 2, fragment, host.now()));
        fragment.release();

        PacketBuffer fromLoopback = ipv4(host.pool(), Ipv4Address.parse("127.0.0.1"), US, 17, 3, 0, pattern(16, 0));
        fromLoopback.setNetworkOffset(fromLoopback.offset());
        assertFalse(host.layer.sendIcmpError(3, 2, fromLoopback, host.now()));
        fromLoopback.release();
        assertEquals(3, host.layer.icmpCounters().get(IcmpCounter.ERRORS_SUPPRESSED));

        PacketBuffer echo = echoRequest(host.pool(), PEER, US, 1, 1, 8); // a query may draw an error
        echo.setNetworkOffset(echo.offset());
        assertTrue(host.layer.sendIcmpError(3, 2, echo, host.now()));
        echo.release();
        assertEquals(1, host.link.sent.size());
    }

    @Test
    void passesReceivedIcmpErrorsToTheProtocolTheyQuote() {
        Recorder udp = new Recorder();
        host.layer.bindProtocol(17, udp);
        byte[] quote = Arrays.copyOf(datagram(US, PEER, 17, 1, 0, pattern(8, 0)), 28);
        assertEquals(Disposition.HANDLED, receive(ipv4(host.pool(), PEER, US, 1, 2, 0, icmp(3, 3, 0, quote))));
        assertEquals(1, udp.errors.size());
        assertArrayEquals(new int[] {3, 3, 20}, udp.errors.get(0));
        // A quote too short to hold 8 transport bytes is malformed.
        assertEquals(Disposition.MALFORMED, receive(ipv4(host.pool(), PEER, US, 1, 2, 0, icmp(3, 3, 0, Arrays.copyOf(quote, 24)))));
        assertEquals(1, udp.errors.size());
        assertTrue(host.link.sent.isEmpty());
    }

    @Test
    void rateLimitsIcmpErrorsWithATokenBucket() {
        Host limited = new Host(clock, "198.18.0.2/24", 1500, TestConfigs.ip(64, 30_000, 1 << 20, 10));
        for (int i = 0; i < 50; i++) {
            limited.layer.receive(limited.eth0, ipv4(limited.pool(), PEER, US, 99, i, 0, pattern(8, i)), limited.now());
        }
        assertEquals(10, releaseAll(limited));
        assertEquals(40, limited.layer.icmpCounters().get(IcmpCounter.RATE_LIMITED));
        clock.advanceMs(500);
        for (int i = 0; i < 50; i++) {
            limited.layer.receive(limited.eth0, ipv4(limited.pool(), PEER, US, 99, i, 0, pattern(8, i)), limited.now());
        }
        assertEquals(5, releaseAll(limited));
        assertEquals(0, limited.buffersInUse());
    }

    @Test
    void sendsThroughTheRouteWithTheInterfaceAddressAndConfiguredTtl() {
        Host h = new Host(clock, "198.18.0.2/24", 1500, TestConfigs.ip(17, 30_000, 1 << 20, 100));
        h.layer.add(Route.defaultVia(PEER, "eth0"));
        PacketBuffer payload = h.pool().allocate();
        payload.append(8);
        int far = Ipv4Address.parse("203.0.113.5");
        assertEquals(Disposition.HANDLED, h.layer.send(0, far, 17, payload, h.now()));
        FakeLink.Sent sent = h.link.takeSent().get(0);
        assertEquals(PEER, sent.nextHop());
        Ipv4Header ip = ipOf(sent.packet());
        assertEquals(US, ip.source());
        assertEquals(far, ip.destination());
        assertEquals(17, ip.ttl());
        assertEquals(28, ip.totalLength());
        assertFalse(ip.isFragment());
        assertTrue(ip.checksumValid());
        assertEquals(sent.packet().offset(), sent.packet().networkOffset());
        sent.packet().release();
        assertEquals(1500, h.layer.mtu(far));
        assertEquals(US, h.layer.sourceAddressFor(far));

        PacketBuffer lost = h.pool().allocate();
        h.layer.remove(0, 0);
        assertEquals(Disposition.DROPPED, h.layer.send(0, far, 17, lost, h.now()));
        assertEquals(1, h.layer.counters().get(IpCounter.OUT_NO_ROUTES));
        assertEquals(0, h.buffersInUse());
    }

    @Test
    void replacesOutOfRangeConfigurationByDefaults() {
        Host h = new Host(clock, "198.18.0.2/24", 1500, TestConfigs.ip(0, -5, 10, -1));
        assertEquals(63, h.layer.largePool().capacity()); // 4 MiB of 64 KiB + 256 B buffers
        PacketBuffer payload = h.pool().allocate();
        payload.append(8);
        h.layer.send(0, PEER, 17, payload, h.now());
        PacketBuffer sent = h.link.takeSent().get(0).packet();
        assertEquals(64, ipOf(sent).ttl());
        sent.release();
        h.layer.close();
    }

    @Test
    void fragmentsA4000BytePayloadAtTheMtu() {
        byte[] data = pattern(4000, 5);
        PacketBuffer payload = host.layer.largePool().allocate();
        int at = payload.append(data.length);
        MemorySegment.copy(data, 0, payload.segment(), java.lang.foreign.ValueLayout.JAVA_BYTE, at, data.length);
        assertEquals(Disposition.HANDLED, host.layer.send(0, PEER, 17, payload, host.now()));

        List<FakeLink.Sent> sent = host.link.takeSent();
        assertEquals(3, sent.size());
        int[] lengths = {1500, 1500, 1060};
        int id = ipOf(sent.get(0).packet()).identification();
        for (int i = 0; i < 3; i++) {
            PacketBuffer f = sent.get(i).packet();
            Ipv4Header ip = ipOf(f);
            assertEquals(lengths[i], ip.totalLength());
            assertEquals(lengths[i], f.length());
            assertEquals(i * 1480, ip.fragmentOffsetBytes());
            assertEquals(i < 2, ip.moreFragments());
            assertEquals(id, ip.identification());
            assertEquals(17, ip.protocol());
            assertTrue(ip.checksumValid());
            assertArrayEquals(Arrays.copyOfRange(data, i * 1480, i * 1480 + lengths[i] - 20),
                    Arrays.copyOfRange(bytes(f), 20, lengths[i]));
            f.release();
        }
        assertEquals(1, host.layer.counters().get(IpCounter.FRAG_OKS));
        assertEquals(3, host.layer.counters().get(IpCounter.FRAG_CREATES));
    }

    @Test
    void refusesToFragmentWhenDontFragmentIsAsked() {
        PacketBuffer payload = host.layer.largePool().allocate();
        payload.append(3000);
        assertEquals(Disposition.DROPPED,
                host.layer.send(0, PEER, 17, NetworkLayer.FLAG_DONT_FRAGMENT, payload, host.now()));
        assertTrue(host.link.sent.isEmpty());
        assertEquals(1, host.layer.counters().get(IpCounter.OUT_TOO_BIG));
    }

    @Test
    void sendsASegmentedPayloadWholeWithDontFragmentThroughADeviceThatSegments() {
        NetDevice tso = mock(NetDevice.class);
        when(tso.capabilities()).thenReturn(new DeviceCapabilities(1,
                DeviceCapabilities.OFFLOAD_TSO | DeviceCapabilities.OFFLOAD_TX_CHECKSUM, 1514));
        host.eth0.device = tso;
        assertEquals(65_535 - 20, host.layer.maxSegmentedBytes(PEER));
        PacketBuffer payload = host.layer.allocateSegmented(PEER);
        assertTrue(payload.headroom() >= host.layer.headroom());
        assertTrue(payload.tailroom() >= 65_515, "a buffer for the largest datagram");
        byte[] data = pattern(20_000, 9);
        int at = payload.append(data.length);
        MemorySegment.copy(data, 0, payload.segment(), java.lang.foreign.ValueLayout.JAVA_BYTE, at, data.length);
        payload.setSegmented(1448);

        assertEquals(Disposition.HANDLED,
                host.layer.send(0, PEER, 6, NetworkLayer.FLAG_DONT_FRAGMENT, payload, host.now()));
        List<FakeLink.Sent> sent = host.link.takeSent();
        assertEquals(1, sent.size(), "one datagram for the device to cut, not fragments");
        PacketBuffer out = sent.get(0).packet();
        Ipv4Header ip = ipOf(out);
        assertEquals(20_020, ip.totalLength());
        assertTrue(ip.dontFragment());
        assertTrue(ip.checksumValid());
        assertTrue(out.hasFlag(PacketBuffer.FLAG_SEGMENTED));
        assertEquals(1448, out.segmentBytes());
        assertArrayEquals(data, Arrays.copyOfRange(bytes(out), 20, 20_020));
        assertEquals(0, host.layer.counters().get(IpCounter.FRAG_CREATES));
        out.release();
    }

    @Test
    void refusesASegmentedPayloadBeyondTheMtuWhenTheDeviceCannotSegment() {
        assertEquals(0, host.layer.maxSegmentedBytes(PEER), "no device: no segmentation offload");
        assertEquals(null, host.layer.allocateSegmented(PEER));
        PacketBuffer payload = host.layer.largePool().allocate();
        payload.append(3000);
        payload.setSegmented(1448);
        assertEquals(Disposition.DROPPED,
                host.layer.send(0, PEER, 6, NetworkLayer.FLAG_DONT_FRAGMENT, payload, host.now()));
        assertTrue(host.link.sent.isEmpty());
        assertEquals(1, host.layer.counters().get(IpCounter.OUT_TOO_BIG));
    }
}
