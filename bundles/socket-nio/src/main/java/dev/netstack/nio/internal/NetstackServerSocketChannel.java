package dev.netstack.nio.internal;

import dev.netstack.socket.SocketException;
import dev.netstack.socket.Sockets;
import dev.netstack.socket.StreamSocket;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.nio.channels.AlreadyBoundException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NotYetBoundException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;
import java.util.Objects;
import java.util.Set;

/**
 * A {@link ServerSocketChannel} over a listening {@link StreamSocket}: bind is bind + listen, so a
 * taken port fails in {@code bind} with {@code BindException} and port 0 shows its ephemeral port
 * in {@link #getLocalAddress()} at once. {@code SO_REUSEADDR} is on by default, as for the JDK's
 * server channels on Linux.
 */
public final class NetstackServerSocketChannel extends ServerSocketChannel implements StackChannel {

    private static final Set<SocketOption<?>> OPTIONS = Set.of(StandardSocketOptions.SO_REUSEADDR,
            StandardSocketOptions.SO_RCVBUF);

    private final StreamSocket socket;
    private volatile boolean bound;
    private boolean reuseAddress = true; // as the JDK's server channels on Linux: a restart binds past TIME_WAIT
    private int receiveBytes = 64 * 1024;
    private ServerSocketAdaptor adaptor;

    public NetstackServerSocketChannel(SelectorProvider provider, Sockets sockets) {
        super(provider);
        this.socket = sockets.openStream();
        socket.setBlocking(true);
        socket.setReuseAddress(true);
    }

    @Override
    public StreamSocket stackSocket() {
        return socket;
    }

    @Override
    public ServerSocketChannel bind(SocketAddress local, int backlog) throws IOException {
        ensureOpen();
        if (bound) {
            throw new AlreadyBoundException();
        }
        InetSocketAddress inet = local == null ? new InetSocketAddress(0) : Nio.check(local);
        try {
            socket.bind(Nio.address(inet), inet.getPort());
            socket.listen(Math.max(0, backlog));
        } catch (SocketException e) {
            throw Nio.translate(e);
        }
        bound = true;
        return this;
    }

    boolean isBound() {
        return bound;
    }

    @Override
    public <T> ServerSocketChannel setOption(SocketOption<T> name, T value) throws IOException {
        Objects.requireNonNull(name, "name");
        ensureOpen();
        if (name == StandardSocketOptions.SO_REUSEADDR) {
            reuseAddress = (Boolean) value;
            socket.setReuseAddress(reuseAddress);
        } else if (name == StandardSocketOptions.SO_RCVBUF) {
            receiveBytes = (Integer) value;
            socket.setBufferSizes(0, receiveBytes);
        } else {
            throw new UnsupportedOperationException("'" + name + "' not supported");
        }
        return this;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T getOption(SocketOption<T> name) throws IOException {
        Objects.requireNonNull(name, "name");
        ensureOpen();
        if (name == StandardSocketOptions.SO_REUSEADDR) {
            return (T) Boolean.valueOf(reuseAddress);
        }
        if (name == StandardSocketOptions.SO_RCVBUF) {
            return (T) Integer.valueOf(receiveBytes);
        }
        throw new UnsupportedOperationException("'" + name + "' not supported");
    }

    @Override
    public Set<SocketOption<?>> supportedOptions() {
        return OPTIONS;
    }

    @Override
    public synchronized ServerSocket socket() {
        if (adaptor == null) {
            adaptor = ServerSocketAdaptor.create(this);
        }
        return adaptor;
    }

    @Override
    public SocketChannel accept() throws IOException {
        ensureOpen();
        if (!bound) {
            throw new NotYetBoundException();
        }
        StreamSocket accepted;
        try {
            accepted = socket.accept();
        } catch (SocketException e) {
            throw Nio.translate(e);
        }
        return accepted == null ? null : new NetstackSocketChannel(provider(), accepted, true);
    }

    @Override
    public SocketAddress getLocalAddress() throws IOException {
        ensureOpen();
        return bound ? Nio.socketAddress(socket.localAddress(), socket.localPort()) : null;
    }

    /** SO_RCVTIMEO for the adaptor's accept. */
    void setAcceptTimeout(int timeoutMs) {
        socket.setReceiveTimeout(timeoutMs);
    }

    @Override
    protected void implCloseSelectableChannel() {
        socket.close();
    }

    @Override
    protected void implConfigureBlocking(boolean block) {
        socket.setBlocking(block);
    }

    private void ensureOpen() throws ClosedChannelException {
        if (!isOpen()) {
            throw new ClosedChannelException();
        }
    }

    @Override
    public String toString() {
        return "NetstackServerSocketChannel[" + (bound
                ? Nio.socketAddress(socket.localAddress(), socket.localPort()).toString() : "unbound") + "]";
    }
}
