package dev.netstack.launcher;

import com.google.inject.AbstractModule;
import com.google.inject.CreationException;
import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.ProvisionException;
import com.google.inject.Singleton;
import com.google.inject.spi.Message;
import dev.netstack.embedded.Configs;
import dev.netstack.embedded.NetStack;
import dev.netstack.embedded.NetStackModule;
import dev.netstack.tcp.TcpLayer;
import dev.netstack.tcp.cubic.CubicFactory;
import dev.netstack.tcp.internal.TcpConfig;
import dev.netstack.tcp.internal.TcpStack;
import dev.netstack.tcp.newreno.NewRenoFactory;
import java.util.Map;

/**
 * The stack a client tool ({@code nc}, {@code get}) runs in its own process: the embedded stack
 * (Guice, no OSGi) on a TAP, with TCP (CUBIC and NewReno installed) bound as IP protocol 6.
 */
final class ToolStack implements AutoCloseable {

    final NetStack stack;
    final TcpStack tcp;

    private ToolStack(NetStack stack, TcpStack tcp) {
        this.stack = stack;
        this.tcp = tcp;
    }

    /** Builds the stack on {@code builder}'s TAP and address, adding TCP. */
    static ToolStack start(NetStack.Builder builder, Map<String, Object> tcpProperties) {
        builder.module(new AbstractModule() {
            @Override
            protected void configure() {
                bind(TcpConfig.class).toInstance(Configs.of(TcpConfig.class, tcpProperties));
                bind(TcpStack.class).in(Singleton.class);
                bind(TcpLayer.class).to(TcpStack.class);
                NetStackModule.protocols(binder()).addBinding(6).to(TcpStack.class);
            }
        });
        NetStackModule module = builder.module();
        Injector injector;
        NetStack stack;
        try {
            injector = Guice.createInjector(module);
            stack = injector.getInstance(NetStack.class);
        } catch (CreationException e) {
            throw unwrap(e.getErrorMessages(), e);
        } catch (ProvisionException e) {
            throw unwrap(e.getErrorMessages(), e);
        }
        TcpStack tcp = injector.getInstance(TcpStack.class);
        tcp.addCongestionControl(new CubicFactory());
        tcp.addCongestionControl(new NewRenoFactory());
        return new ToolStack(stack, tcp);
    }

    private static RuntimeException unwrap(Iterable<Message> messages, RuntimeException fallback) {
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

    /** Resets what is still open (TIME_WAIT just ends), then stops the stack; the TAP goes away. */
    @Override
    public void close() {
        try {
            tcp.close();
        } finally {
            stack.close();
        }
    }
}
