package dev.netstack.nio.internal;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import dev.netstack.embedded.Configs;
import dev.netstack.embedded.NetStack;
import dev.netstack.embedded.NetStackModule;
import dev.netstack.ip.NetworkLayer;
import dev.netstack.runtime.Shard;
import dev.netstack.socket.Sockets;
import dev.netstack.socket.internal.StackSockets;
import dev.netstack.tcp.internal.TcpConfig;
import dev.netstack.tcp.internal.TcpStack;
import dev.netstack.udp.UdpLayer;
import dev.netstack.udp.internal.UdpConfig;
import dev.netstack.udp.internal.UdpProtocol;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts an embedded stack with TCP, UDP and sockets for a JVM that only names the provider: the
 * {@code netstack.*} system properties say where (see {@code NetstackSelectorProvider}). The stack
 * runs until the JVM exits.
 */
public final class EmbeddedBootstrap {

    private EmbeddedBootstrap() {}

    /** The Guice module that adds TCP (protocol 6) and UDP (17) to an embedded stack. */
    public static final class TransportModule extends AbstractModule {
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
            return new TcpStack(Configs.defaults(TcpConfig.class), shard, network, System.nanoTime());
        }
    }

    /** A running stack and its sockets. */
    public record Stack(NetStack netStack, Sockets sockets) {}

    /**
     * Builds the stack {@code builder} describes, with TCP and UDP on every lane and sockets over
     * them all ({@link StackSockets#lanes}): with one shard the same {@code StackSockets} as ever,
     * with several a listener accepts on every lane and connects spread over them.
     */
    public static Stack start(NetStack.Builder builder) {
        NetStack stack = builder.module(new TransportModule()).build();
        List<StackSockets.Lane> lanes = new ArrayList<>();
        for (NetStack lane : stack.lanes()) {
            lanes.add(new StackSockets.Lane(lane.shard(), lane.component(TcpStack.class),
                    lane.component(UdpProtocol.class), lane.networkLayer()));
        }
        return new Stack(stack, StackSockets.lanes(lanes));
    }

    /**
     * The stack the {@code netstack.*} system properties describe.
     *
     * @throws IllegalStateException if {@code netstack.tap} is not set
     */
    public static Sockets fromSystemProperties() {
        String tap = System.getProperty("netstack.tap");
        if (tap == null) {
            throw new IllegalStateException("no stack for the netstack SelectorProvider: call"
                    + " NetstackSelectorProvider.install(sockets), or set -Dnetstack.tap and -Dnetstack.address");
        }
        NetStack.Builder b = NetStack.builder().tap(tap);
        String address = System.getProperty("netstack.address");
        if (address != null) {
            b.address(address);
        }
        String namespace = System.getProperty("netstack.namespace");
        if (namespace != null) {
            b.namespace(namespace);
        }
        String host = System.getProperty("netstack.hostAddress");
        if (host != null) {
            b.hostAddress(host);
        }
        String gateway = System.getProperty("netstack.gateway");
        if (gateway != null) {
            b.gateway(gateway);
        }
        String shards = System.getProperty("netstack.shards");
        if (shards != null) {
            try {
                b.shards(Integer.parseInt(shards.trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("netstack.shards must be a number of shards, got '" + shards + "'");
            }
        }
        Stack stack = start(b);
        Runtime.getRuntime().addShutdownHook(new Thread(stack.netStack()::close, "netstack-shutdown"));
        return stack.sockets();
    }
}
