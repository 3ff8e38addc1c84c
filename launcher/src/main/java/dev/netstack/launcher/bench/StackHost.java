package dev.netstack.launcher.bench;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import dev.netstack.embedded.Configs;
import dev.netstack.embedded.NetStack;
import dev.netstack.embedded.NetStackModule;
import dev.netstack.ip.NetworkLayer;
import dev.netstack.runtime.Shard;
import dev.netstack.tcp.cubic.CubicFactory;
import dev.netstack.tcp.internal.TcpConfig;
import dev.netstack.tcp.internal.TcpStack;
import dev.netstack.tcp.newreno.NewRenoFactory;
import dev.netstack.udp.UdpLayer;
import dev.netstack.udp.internal.UdpConfig;
import dev.netstack.udp.internal.UdpProtocol;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * An embedded stack (Guice, one thread per shard) with TCP and UDP, as the bench drives it. TCP
 * keeps TIME_WAIT short (MSL 1 s) and allows many connections, so the short-connection workload
 * does not run into the connection limit; everything else is the default configuration. With
 * several shards each lane has its own TCP and UDP ({@link #lanes}).
 */
final class StackHost implements AutoCloseable {

    static final Map<String, Object> TCP_PROPERTIES = Map.of("msl.ms", 1_000, "max.connections", 262_144);

    /** One shard's lane: its stack, TCP and UDP. */
    record Lane(NetStack stack, TcpStack tcp, UdpProtocol udp) {
    }

    final NetStack stack;
    final TcpStack tcp;
    final UdpProtocol udp;
    final List<Lane> lanes;

    private StackHost(NetStack stack, List<Lane> lanes) {
        this.stack = stack;
        this.lanes = lanes;
        this.tcp = lanes.getFirst().tcp();
        this.udp = lanes.getFirst().udp();
    }

    /** Builds the stack; its shards idle with {@code idle} ({@code spin}, {@code yield}, {@code backoff}, {@code poll}). */
    static StackHost start(NetStack.Builder builder, String idle) {
        builder.idle(idle).module(new AbstractModule() {
            @Override
            protected void configure() {
                bind(UdpConfig.class).toInstance(Configs.defaults(UdpConfig.class));
                bind(UdpProtocol.class).in(Singleton.class);
                bind(UdpLayer.class).to(UdpProtocol.class);
                NetStackModule.protocols(binder()).addBinding(17).to(UdpProtocol.class);
                NetStackModule.protocols(binder()).addBinding(6).to(TcpStack.class);
            }

            @Provides
            @Singleton
            TcpStack tcp(Shard shard, NetworkLayer network) {
                return new TcpStack(Configs.of(TcpConfig.class, TCP_PROPERTIES), shard, network, System.nanoTime());
            }
        });
        NetStack stack = builder.build();
        List<Lane> lanes = new ArrayList<>();
        for (NetStack lane : stack.lanes()) {
            TcpStack tcp = lane.component(TcpStack.class);
            tcp.addCongestionControl(new CubicFactory());
            tcp.addCongestionControl(new NewRenoFactory());
            lanes.add(new Lane(lane, tcp, lane.component(UdpProtocol.class)));
        }
        return new StackHost(stack, List.copyOf(lanes));
    }

    /** TCP and UDP of every lane reset and closed first (on their shards), then the stack; the device goes away. */
    @Override
    public void close() {
        try {
            for (Lane lane : lanes) {
                lane.tcp().close();
                lane.udp().close();
            }
        } finally {
            stack.close();
        }
    }
}
