package dev.netstack.ip.internal;

import static dev.netstack.ip.internal.Host.datagram;
import static dev.netstack.ip.internal.Host.icmp;
import static dev.netstack.ip.internal.Host.ipv4;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import dev.netstack.ip.wire.Ipv4Address;
import dev.netstack.nic.Disposition;
import dev.netstack.nic.NetDevice;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The network layers of two lanes as the OSGi distribution wires them: each learns its lane from
 * its configuration ({@code activate}) and the other lanes from the {@code peers} reference; the
 * device under the interface says where a flow lands (here: the parity of the local port).
 */
class Ipv4LayerLanesTest {

    static final int PEER = Ipv4Address.parse("198.18.0.1");
    static final int US = Ipv4Address.parse("198.18.0.2");

    final ManualClock clock = new ManualClock();
    final Host lane0 = new Host(clock, "198.18.0.2/24");
    final Host lane1 = new Host(clock, "198.18.0.2/24");
    final Ipv4LayerTest.Recorder tcp0 = new Ipv4LayerTest.Recorder();
    final Ipv4LayerTest.Recorder tcp1 = new Ipv4LayerTest.Recorder();

    @BeforeEach
    void wire() {
        NetDevice device = mock(NetDevice.class);
        when(device.rxQueueOf(anyInt(), anyInt(), anyInt(), anyInt())).thenAnswer(call -> (int) call.getArgument(3) % 2);
        lane0.eth0.device = device;
        lane1.eth0.device = device;
        lane0.layer.bindProtocol(6, tcp0);
        lane1.layer.bindProtocol(6, tcp1);
    }

    @AfterEach
    void noLeaks() {
        assertEquals(0, lane0.buffersInUse() + lane1.buffersInUse(), "buffers leaked");
    }

    private void laned() {
        lane0.layer.activate(Map.of("lane", 0, "lanes", 2));
        lane1.layer.activate(Map.of("lane", 1, "lanes", 2));
        for (Host h : new Host[] {lane0, lane1}) {
            h.layer.addPeer(lane0.layer, Map.of("lane", 0, "lanes", 2));
            h.layer.addPeer(lane1.layer, Map.of("lane", 1, "lanes", 2));
        }
    }

    /** "Fragmentation needed" quoting our TCP segment from {@code localPort} to the peer's port 80. */
    private Disposition fragmentationNeeded(Host at, int localPort) {
        byte[] ports = ByteBuffer.allocate(8).putShort((short) localPort).putShort((short) 80).array();
        byte[] quote = Arrays.copyOf(datagram(US, PEER, 6, 1, 0x4000, ports), 28);
        return at.layer.receive(at.eth0, ipv4(at.pool(), PEER, US, 1, 2, 0, icmp(3, 4, 1200, quote)), at.now());
    }

    @Test
    void withoutALaneEveryFlowIsThisLayers() {
        assertEquals(-1, lane0.layer.lane());
        assertTrue(lane0.layer.receivesFlow(PEER, US, 80, 40_001));
        assertTrue(lane0.layer.receivesFlow(PEER, US, 80, 40_002));
    }

    @Test
    void aLaneReceivesTheFlowsTheDeviceSteersToItsQueue() {
        laned();
        assertEquals(1, lane1.layer.lane());
        assertTrue(lane0.layer.receivesFlow(PEER, US, 80, 40_002));
        assertFalse(lane0.layer.receivesFlow(PEER, US, 80, 40_001));
        assertTrue(lane1.layer.receivesFlow(PEER, US, 80, 40_001));
        assertFalse(lane1.layer.receivesFlow(PEER, US, 80, 40_002));
    }

    @Test
    void anIcmpErrorAboutAnotherLanesFlowIsHandedToThatLane() {
        laned();
        assertEquals(Disposition.HANDLED, fragmentationNeeded(lane0, 40_001));
        assertTrue(tcp0.errors.isEmpty(), "lane 0 does not own the flow");
        lane1.turn();
        assertEquals(1, tcp1.errors.size(), "lane 1 got it on its shard");
        assertEquals(3, tcp1.errors.getFirst()[0]);
        assertEquals(4, tcp1.errors.getFirst()[1]);

        assertEquals(Disposition.HANDLED, fragmentationNeeded(lane0, 40_002));
        assertEquals(1, tcp0.errors.size(), "its own flow's error stays");
        lane1.turn();
        assertEquals(1, tcp1.errors.size());
        assertEquals(1, lane0.layer.icmpCounters().get(IcmpCounter.ERRORS_TO_OTHER_LANE));
    }

    @Test
    void aLaneThatWentAwayGetsNothingAndTheErrorStaysHere() {
        laned();
        lane0.layer.removePeer(lane1.layer, Map.of("lane", 1, "lanes", 2));
        assertEquals(Disposition.HANDLED, fragmentationNeeded(lane0, 40_001));
        assertEquals(1, tcp0.errors.size());
        lane1.turn();
        assertTrue(tcp1.errors.isEmpty());
    }
}
