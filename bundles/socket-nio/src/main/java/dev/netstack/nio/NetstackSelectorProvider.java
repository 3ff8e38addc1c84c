package dev.netstack.nio;

import dev.netstack.nio.internal.EmbeddedBootstrap;
import dev.netstack.nio.internal.NetstackDatagramChannel;
import dev.netstack.nio.internal.NetstackSelector;
import dev.netstack.nio.internal.NetstackServerSocketChannel;
import dev.netstack.nio.internal.NetstackSocketChannel;
import dev.netstack.socket.Sockets;
import java.io.IOException;
import java.net.ProtocolFamily;
import java.net.StandardProtocolFamily;
import java.nio.channels.DatagramChannel;
import java.nio.channels.Pipe;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.AbstractSelector;
import java.nio.channels.spi.SelectorProvider;
import java.util.Objects;

/**
 * A {@link SelectorProvider} whose channels and selectors are served by the stack.
 *
 * <pre>{@code
 * NetstackSelectorProvider.install(sockets);          // or the system properties below
 * SelectorProvider provider = new NetstackSelectorProvider();
 * try (SocketChannel ch = provider.openSocketChannel()) { ch.connect(...); ... }
 * // Netty: new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory(provider))
 * }</pre>
 *
 * <p>An instance uses the {@link Sockets} given to its constructor, else the one
 * {@link #install installed} for the JVM, else (first use) an embedded stack started from system
 * properties, for JVMs that only set {@code -Djava.nio.channels.spi.SelectorProvider=}this class:
 * {@code netstack.tap} (TAP name, required to start one), {@code netstack.address} (the stack's
 * CIDR), {@code netstack.gateway} (optional default route), {@code netstack.namespace} (optional
 * network namespace whose TAP to open), {@code netstack.hostAddress} (optional CIDR for the
 * kernel side). Only IPv4 is served; only addresses the stack routes are reachable (no kernel
 * fallback; see the package documentation). Pipes are not provided.
 */
public class NetstackSelectorProvider extends SelectorProvider {

    private static volatile Sockets installed;

    private final Sockets fixed;

    /** For the {@code java.nio.channels.spi.SelectorProvider} system property: the installed stack. */
    public NetstackSelectorProvider() {
        this.fixed = null;
    }

    /** A provider on {@code sockets}, whatever is installed. */
    public NetstackSelectorProvider(Sockets sockets) {
        this.fixed = Objects.requireNonNull(sockets, "sockets");
    }

    /** Makes {@code sockets} the stack of every provider made with the no-argument constructor. */
    public static void install(Sockets sockets) {
        installed = Objects.requireNonNull(sockets, "sockets");
    }

    /** Forgets the installed stack (does not close it). */
    public static void uninstall() {
        installed = null;
    }

    /**
     * The stack this provider serves.
     *
     * @throws IllegalStateException if none was given, installed or configured by system properties
     */
    public Sockets sockets() {
        if (fixed != null) {
            return fixed;
        }
        Sockets s = installed;
        if (s != null) {
            return s;
        }
        synchronized (NetstackSelectorProvider.class) {
            if (installed == null) {
                installed = EmbeddedBootstrap.fromSystemProperties();
            }
            return installed;
        }
    }

    @Override
    public DatagramChannel openDatagramChannel() throws IOException {
        return new NetstackDatagramChannel(this, sockets());
    }

    @Override
    public DatagramChannel openDatagramChannel(ProtocolFamily family) throws IOException {
        requireInet(family);
        return openDatagramChannel();
    }

    @Override
    public Pipe openPipe() throws IOException {
        throw new UnsupportedOperationException("the netstack provider has no pipes");
    }

    @Override
    public AbstractSelector openSelector() throws IOException {
        return new NetstackSelector(this, sockets().openSelector());
    }

    @Override
    public ServerSocketChannel openServerSocketChannel() throws IOException {
        return new NetstackServerSocketChannel(this, sockets());
    }

    @Override
    public SocketChannel openSocketChannel() throws IOException {
        return new NetstackSocketChannel(this, sockets().openStream(), false);
    }

    @Override
    public SocketChannel openSocketChannel(ProtocolFamily family) throws IOException {
        requireInet(family);
        return openSocketChannel();
    }

    @Override
    public ServerSocketChannel openServerSocketChannel(ProtocolFamily family) throws IOException {
        requireInet(family);
        return openServerSocketChannel();
    }

    private static void requireInet(ProtocolFamily family) {
        if (family != StandardProtocolFamily.INET) {
            throw new UnsupportedOperationException("the stack serves IPv4 (INET) only, not " + family);
        }
    }
}
