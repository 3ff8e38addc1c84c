package dev.netstack.launcher.bench;

import com.google.inject.AbstractModule;
import com.google.inject.CreationException;
import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.ProvisionException;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import com.google.inject.spi.Message;
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
import java.util.Map;

/**
 * An embedded stack (Guice, one shard thread) with TCP and UDP, as the bench drives it. TCP keeps
 * TIME_WAIT short (MSL 1 s) and allows many connections, so the short-connection workload does not
 * run into the connection limit; everything else is the default configuration.
 */
final class StackHost implements AutoCloseable {

    static final Map<String, Object> TCP_PROPERTIES = Map.of("msl.ms", 1_000, "max.connections", 262_144);

    final NetStack stack;
    final TcpStack tcp;
    final UdpProtocol udp;

    private StackHost(NetStack stack, TcpStack tcp, UdpProtocol udp) {
        this.stack = stack;
        this.tcp = tcp;
        this.udp = udp;
    }

    /** Builds the stack; its shard idles with {@code idle} ({@code spin}, {@code yield}, {@code backoff}, {@code poll}). */
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
        NetStackModule module = builder.module();
        Injector injector;
        NetStack stack;
        try {
            injector = Guice.createInjector(module);
            stack = injector.getInstance(NetStack.class);
        } catch (CreationException e) {
            throw cause(e.getErrorMessages(), e);
        } catch (ProvisionException e) {
            throw cause(e.getErrorMessages(), e);
        }
        TcpStack tcp = injector.getInstance(TcpStack.class);
        tcp.addCongestionControl(new CubicFactory());
        tcp.addCongestionControl(new NewRenoFactory());
        return new StackHost(stack, tcp, injector.getInstance(UdpProtocol.class));
    }

    /** The first runtime exception behind Guice's report (a TapException says what to do in one sentence). */
    private static RuntimeException cause(Iterable<Message> messages, RuntimeException fallback) {
        for (Message message : messages) {
            Throwable cause = message.getCause();
            while (cause instanceof ProvisionException p && p.getCause() != null) {
                cause = p.getCause();
            }
            if (cause instanceof RuntimeException r) {
                return r;
            }
        }
        return fallback;
    }

    /** TCP and UDP reset and closed first (on the shard), then the stack; the device goes away. */
    @Override
    public void close() {
        try {
            tcp.close();
            udp.close();
        } finally {
            stack.close();
        }
    }
}
