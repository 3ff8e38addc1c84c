package dev.netstack.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.inject.AbstractModule;
import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Singleton;
import dev.netstack.ethernet.LinkLayer;
import dev.netstack.ip.NetworkLayer;
import dev.netstack.ip.Pinger;
import dev.netstack.ip.ProtocolHandler;
import dev.netstack.ip.wire.Ipv4Address;
import dev.netstack.nic.Disposition;
import dev.netstack.nic.PacketBuffer;
import dev.netstack.runtime.Shard;
import dev.netstack.test.MemoryLink;
import dev.netstack.test.VirtualClock;
import jakarta.inject.Inject;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Guice's own injector over {@link NetStackModule}, with a protocol plugged in by an extra module. */
class NetStackModuleTest {

    private static final int PROTOCOL = 253; // RFC 3692: for experimentation
    private static final int A = Ipv4Address.parse("198.18.11.1");
    private static final int B = Ipv4Address.parse("198.18.11.2");

    /** A transport as a later bundle would write it: built by Guice, given the stack's network layer. */
    @Singleton
    static final class CountingProtocol implements ProtocolHandler {
        final NetworkLayer network;
        final AtomicInteger received = new AtomicInteger();
        int lastFirstByte = -1;

        @Inject
        CountingProtocol(NetworkLayer network) {
            this.network = network;
        }

        @Override
        public Disposition receive(PacketBuffer packet, long nowNs) {
            lastFirstByte = packet.segment().get(ValueLayout.JAVA_BYTE, packet.offset()) & 0xFF;
            received.incrementAndGet();
            packet.release();
            return Disposition.HANDLED;
        }
    }

    @Test
    void injectorBuildsTheStackAndAnExtraModuleAddsAProtocol() {
        VirtualClock clock = new VirtualClock();
        MemoryLink link = MemoryLink.create();
        Injector injector = Guice.createInjector(
                NetStack.builder().device(link.b()).address("198.18.11.2/24").manualClock(clock).module(),
                new AbstractModule() {
                    @Override
                    protected void configure() {
                        NetStackModule.protocols(binder()).addBinding(PROTOCOL).to(CountingProtocol.class);
                    }
                });
        try (NetStack b = injector.getInstance(NetStack.class);
                NetStack a = NetStack.builder().device(link.a()).address("198.18.11.1/24").manualClock(clock).build()) {
            assertSame(b, injector.getInstance(NetStack.class));
            assertSame(b.networkLayer(), injector.getInstance(NetworkLayer.class));
            assertSame(b.linkLayer(), injector.getInstance(LinkLayer.class));
            assertSame(b.pinger(), injector.getInstance(Pinger.class));
            assertSame(b.shard(), injector.getInstance(Shard.class));
            CountingProtocol protocol = injector.getInstance(CountingProtocol.class);
            assertSame(b.networkLayer(), protocol.network);

            send(a, B, PROTOCOL, 0x42);
            run(clock, a, b, 50);
            assertEquals(1, protocol.received.get(), "the bound protocol received the datagram");
            assertEquals(0x42, protocol.lastFirstByte);

            // The other way, nothing serves the protocol: a answers with ICMP protocol unreachable (RFC 1122 §3.2.2.1).
            send(b, A, PROTOCOL, 0x43);
            run(clock, a, b, 50);
            assertEquals(1, a.counter("ip", "in-unknown-protos"));
            assertEquals(1, a.counter("icmp", "out-dest-unreachs"));
            assertEquals(1, b.counter("icmp", "in-dest-unreachs"));
        }
    }

    @Test
    void builderProtocolInstanceIsBound() {
        VirtualClock clock = new VirtualClock();
        MemoryLink link = MemoryLink.create();
        AtomicInteger seen = new AtomicInteger();
        ProtocolHandler handler = (packet, nowNs) -> {
            seen.incrementAndGet();
            packet.release();
            return Disposition.HANDLED;
        };
        try (NetStack a = NetStack.builder().device(link.a()).address("198.18.11.1/24").manualClock(clock).build();
                NetStack b = NetStack.builder().device(link.b()).address("198.18.11.2/24").manualClock(clock)
                        .protocol(PROTOCOL, handler).build()) {
            send(a, B, PROTOCOL, 1);
            run(clock, a, b, 50);
            assertEquals(1, seen.get());
            assertTrue(b.counter("ip", "in-delivers") >= 1);
        }
    }

    private static void send(NetStack from, int destination, int protocol, int firstByte) {
        from.onShard(() -> {
            PacketBuffer payload = from.networkLayer().allocate(destination);
            int at = payload.append(8);
            payload.segment().set(ValueLayout.JAVA_BYTE, at, (byte) firstByte);
            return from.networkLayer().send(0, destination, protocol, payload, from.shard().clock().nanoTime());
        });
    }

    private static void run(VirtualClock clock, NetStack a, NetStack b, int turns) {
        for (int i = 0; i < turns; i++) {
            long now = clock.advance(1_000_000);
            a.runTurn(now);
            b.runTurn(now);
        }
    }
}
