package dev.netstack.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.google.inject.AbstractModule;
import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Singleton;
import dev.netstack.ip.wire.Ipv4Address;
import dev.netstack.nic.PacketBuffer;
import dev.netstack.test.MemoryLink;
import dev.netstack.test.VirtualClock;
import dev.netstack.udp.UdpDatagram;
import dev.netstack.udp.UdpLayer;
import dev.netstack.udp.UdpSocket;
import dev.netstack.udp.internal.UdpConfig;
import dev.netstack.udp.internal.UdpProtocol;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** A real protocol module (udp) plugs into the embedded stack with one extra Guice module. */
class UdpPlugInTest {

    private static final int A = Ipv4Address.parse("198.18.12.1");
    private static final int B = Ipv4Address.parse("198.18.12.2");

    /** What an application (or the udp bundle's own embedded support) passes to the builder. */
    static final class UdpModule extends AbstractModule {
        @Override
        protected void configure() {
            bind(UdpConfig.class).toInstance(Configs.defaults(UdpConfig.class));
            bind(UdpProtocol.class).in(Singleton.class);
            bind(UdpLayer.class).to(UdpProtocol.class);
            NetStackModule.protocols(binder()).addBinding(17).to(UdpProtocol.class);
        }
    }

    @Test
    void datagramsFlowAndAClosedPortIsReportedUnreachable() {
        VirtualClock clock = new VirtualClock();
        MemoryLink link = MemoryLink.create();
        Injector ia = Guice.createInjector(NetStack.builder().device(link.a()).address("198.18.12.1/24")
                .manualClock(clock).module(new UdpModule()).module());
        Injector ib = Guice.createInjector(NetStack.builder().device(link.b()).address("198.18.12.2/24")
                .manualClock(clock).module(new UdpModule()).module());
        NetStack a = ia.getInstance(NetStack.class);
        NetStack b = ib.getInstance(NetStack.class);
        UdpProtocol udpA = ia.getInstance(UdpProtocol.class);
        UdpProtocol udpB = ib.getInstance(UdpProtocol.class);
        try {
            UdpSocket server = udpB.open(null);
            assertNull(server.bind(0, 7));
            UdpSocket client = udpA.open(null);
            byte[] hello = "hello".getBytes(StandardCharsets.US_ASCII);
            assertNull(client.sendTo(B, 7, MemorySegment.ofArray(hello), 0, hello.length));
            run(clock, a, b);

            UdpDatagram from = new UdpDatagram();
            PacketBuffer got = server.receive(from);
            assertNotNull(got, "the datagram reached the socket through the embedded stack");
            assertEquals(hello.length, got.length());
            assertEquals(A, from.sourceAddress());
            got.release();

            assertNull(client.sendTo(B, 9, MemorySegment.ofArray(hello), 0, hello.length));
            run(clock, a, b);
            assertEquals(1, b.counter("icmp", "out-dest-unreachs"), "port unreachable, not protocol unreachable");
            assertEquals(0, b.counter("ip", "in-unknown-protos"));
            assertEquals(1, a.counter("icmp", "in-dest-unreachs"));
        } finally {
            udpA.close();
            udpB.close();
            a.close();
            b.close();
        }
    }

    private static void run(VirtualClock clock, NetStack a, NetStack b) {
        for (int i = 0; i < 50; i++) {
            long now = clock.advance(1_000_000);
            a.runTurn(now);
            b.runTurn(now);
        }
    }
}
