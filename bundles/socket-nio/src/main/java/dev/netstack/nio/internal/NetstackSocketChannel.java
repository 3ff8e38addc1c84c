package dev.netstack.nio.internal;

import dev.netstack.socket.SocketException;
import dev.netstack.socket.StreamSocket;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.AlreadyBoundException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NoConnectionPendingException;
import java.nio.channels.NotYetConnectedException;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;
import java.util.Objects;
import java.util.Set;

/**
 * A {@link SocketChannel} over a {@link StreamSocket}. Blocking mode is the socket's blocking mode,
 * so a blocking read parks the caller (a virtual thread unmounts) until the shard delivers.
 * Options not kept by the stack socket (getters) are remembered here.
 */
public final class NetstackSocketChannel extends SocketChannel implements StackChannel {

    static final Set<SocketOption<?>> OPTIONS = Set.of(StandardSocketOptions.TCP_NODELAY,
            StandardSocketOptions.SO_KEEPALIVE, StandardSocketOptions.SO_LINGER, StandardSocketOptions.SO_SNDBUF,
            StandardSocketOptions.SO_RCVBUF, StandardSocketOptions.SO_REUSEADDR);

    private final StreamSocket socket;
    private volatile boolean bound;
    private volatile boolean outputShutdown;
    private boolean noDelay;
    private boolean keepAlive;
    private boolean reuseAddress;
    private int lingerSeconds = -1;
    private int sendBytes = 64 * 1024;
    private int receiveBytes = 64 * 1024;
    private SocketAdaptor adaptor;
    /**
     * Once connected, a channel stays connected until closed, as the JDK's do: a reset or the peer's
     * close shows as an error or end of stream on read and write, not as NotYetConnectedException.
     */
    private volatile boolean connected;

    public NetstackSocketChannel(SelectorProvider provider, StreamSocket socket, boolean accepted) {
        super(provider);
        this.socket = socket;
        this.bound = accepted;
        this.connected = accepted;
        socket.setBlocking(true);
    }

    /** Whether the connection was ever established (sticky; the socket's own flag drops at reset or close). */
    private boolean wasConnected() {
        if (!connected && socket.isConnected()) {
            connected = true;
        }
        return connected;
    }

    @Override
    public StreamSocket stackSocket() {
        return socket;
    }

    @Override
    public SocketChannel bind(SocketAddress local) throws IOException {
        ensureOpen();
        if (bound) {
            throw new AlreadyBoundException();
        }
        InetSocketAddress inet = local == null ? new InetSocketAddress(0) : Nio.check(local);
        try {
            socket.bind(Nio.address(inet), inet.getPort());
        } catch (SocketException e) {
            throw Nio.translate(e);
        }
        bound = true;
        return this;
    }

    @Override
    public <T> SocketChannel setOption(SocketOption<T> name, T value) throws IOException {
        Objects.requireNonNull(name, "name");
        ensureOpen();
        if (!OPTIONS.contains(name)) {
            throw new UnsupportedOperationException("'" + name + "' not supported");
        }
        try {
            if (name == StandardSocketOptions.TCP_NODELAY) {
                noDelay = (Boolean) value;
                socket.setNoDelay(noDelay);
            } else if (name == StandardSocketOptions.SO_KEEPALIVE) {
                keepAlive = (Boolean) value;
                socket.setKeepAlive(keepAlive, 0, 0, 0);
            } else if (name == StandardSocketOptions.SO_LINGER) {
                int seconds = (Integer) value;
                lingerSeconds = seconds < 0 ? -1 : seconds;
                socket.setLinger(lingerSeconds < 0 ? -1 : lingerSeconds * 1000);
            } else if (name == StandardSocketOptions.SO_SNDBUF) {
                sendBytes = positive((Integer) value);
                socket.setBufferSizes(sendBytes, 0);
            } else if (name == StandardSocketOptions.SO_RCVBUF) {
                receiveBytes = positive((Integer) value);
                socket.setBufferSizes(0, receiveBytes);
            } else if (name == StandardSocketOptions.SO_REUSEADDR) {
                reuseAddress = (Boolean) value;
                socket.setReuseAddress(reuseAddress);
            }
        } catch (SocketException e) {
            throw Nio.translate(e);
        }
        return this;
    }

    private static int positive(int value) {
        if (value <= 0) {
            throw new IllegalArgumentException("buffer size must be positive: " + value);
        }
        return value;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T getOption(SocketOption<T> name) throws IOException {
        Objects.requireNonNull(name, "name");
        ensureOpen();
        Object v;
        if (name == StandardSocketOptions.TCP_NODELAY) {
            v = noDelay;
        } else if (name == StandardSocketOptions.SO_KEEPALIVE) {
            v = keepAlive;
        } else if (name == StandardSocketOptions.SO_LINGER) {
            v = lingerSeconds;
        } else if (name == StandardSocketOptions.SO_SNDBUF) {
            v = sendBytes;
        } else if (name == StandardSocketOptions.SO_RCVBUF) {
            v = receiveBytes;
        } else if (name == StandardSocketOptions.SO_REUSEADDR) {
            v = reuseAddress;
        } else {
            throw new UnsupportedOperationException("'" + name + "' not supported");
        }
        return (T) v;
    }

    @Override
    public Set<SocketOption<?>> supportedOptions() {
        return OPTIONS;
    }

    @Override
    public SocketChannel shutdownInput() throws IOException {
        ensureOpen();
        requireConnected();
        socket.shutdownInput();
        return this;
    }

    @Override
    public SocketChannel shutdownOutput() throws IOException {
        ensureOpen();
        requireConnected();
        try {
            socket.shutdownOutput();
        } catch (SocketException e) {
            throw Nio.translate(e);
        }
        outputShutdown = true;
        return this;
    }

    @Override
    public synchronized Socket socket() {
        if (adaptor == null) {
            adaptor = SocketAdaptor.create(this);
        }
        return adaptor;
    }

    @Override
    public boolean isConnected() {
        return isOpen() && wasConnected();
    }

    @Override
    public boolean isConnectionPending() {
        return socket.isConnectPending();
    }

    @Override
    public boolean connect(SocketAddress remote) throws IOException {
        ensureOpen();
        InetSocketAddress inet = Nio.check(remote);
        boolean done;
        try {
            done = socket.connect(Nio.address(inet), inet.getPort());
            if (done) {
                connected = true;
            }
        } catch (SocketException e) {
            if (isBlocking()) {
                close();
            }
            throw Nio.translate(e);
        }
        bound = true;
        return done;
    }

    @Override
    public boolean finishConnect() throws IOException {
        ensureOpen();
        if (!socket.isConnectPending()) {
            if (wasConnected()) {
                return true;
            }
            throw new NoConnectionPendingException();
        }
        try {
            boolean done = socket.finishConnect(); // reports a refused or timed-out connect once
            if (done) {
                connected = true;
            }
            return done;
        } catch (SocketException e) {
            close();
            throw Nio.translate(e);
        }
    }

    @Override
    public SocketAddress getRemoteAddress() throws IOException {
        ensureOpen();
        return wasConnected() ? Nio.socketAddress(socket.remoteAddress(), socket.remotePort()) : null;
    }

    @Override
    public SocketAddress getLocalAddress() throws IOException {
        ensureOpen();
        return bound ? Nio.socketAddress(socket.localAddress(), socket.localPort()) : null;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        Objects.requireNonNull(dst, "dst");
        ensureOpen();
        requireConnected();
        if (!dst.hasRemaining()) {
            return 0;
        }
        try {
            return socket.receive(dst);
        } catch (SocketException e) {
            throw Nio.translate(e);
        }
    }

    /** {@link #read(ByteBuffer)} into an array, for the socket adaptor's stream: no buffer wrapper per call. */
    int read(byte[] dst, int offset, int length) throws IOException {
        ensureOpen();
        requireConnected();
        if (length == 0) {
            return 0;
        }
        try {
            return socket.receive(dst, offset, length);
        } catch (SocketException e) {
            throw Nio.translate(e);
        }
    }

    /** Writes all of {@code src[offset, offset + length)} (blocking mode), for the socket adaptor's stream. */
    void writeFully(byte[] src, int offset, int length) throws IOException {
        ensureOpen();
        requireConnected();
        try {
            int sent = 0;
            while (sent < length) {
                sent += socket.send(src, offset + sent, length - sent);
            }
        } catch (SocketException e) {
            throw Nio.translate(e);
        }
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, dsts.length);
        ensureOpen();
        requireConnected();
        long total = 0;
        for (int i = offset; i < offset + length; i++) {
            ByteBuffer b = dsts[i];
            if (!b.hasRemaining()) {
                continue;
            }
            // The first read may wait (blocking mode); later ones only take what is there already.
            if (total > 0 && socket.available() == 0) {
                break;
            }
            int n;
            try {
                n = socket.receive(b);
            } catch (SocketException e) {
                if (total > 0) {
                    break;
                }
                throw Nio.translate(e);
            }
            if (n < 0) {
                return total > 0 ? total : -1;
            }
            total += n;
            if (b.hasRemaining()) {
                break;
            }
        }
        return total;
    }

    /** Whether {@link #shutdownOutput()} was called (for the Socket adaptor). */
    boolean isOutputShutdown() {
        return outputShutdown;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        Objects.requireNonNull(src, "src");
        ensureOpen();
        requireConnected();
        if (outputShutdown) {
            throw new ClosedChannelException(); // as the JDK's channels: writing after shutdownOutput
        }
        try {
            return socket.send(src);
        } catch (SocketException e) {
            throw Nio.translate(e);
        }
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, srcs.length);
        ensureOpen();
        requireConnected();
        if (outputShutdown) {
            throw new ClosedChannelException();
        }
        long total = 0;
        for (int i = offset; i < offset + length; i++) {
            ByteBuffer b = srcs[i];
            int want = b.remaining();
            if (want == 0) {
                continue;
            }
            int n;
            try {
                n = socket.send(b);
            } catch (SocketException e) {
                if (total > 0) {
                    break;
                }
                throw Nio.translate(e);
            }
            total += n;
            if (n < want) {
                break;
            }
        }
        return total;
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

    private void requireConnected() {
        if (!wasConnected()) {
            throw new NotYetConnectedException();
        }
    }

    @Override
    public String toString() {
        return "NetstackSocketChannel[" + (isOpen() ? "" : "closed ")
                + (socket.isConnected() ? "local=" + Nio.socketAddress(socket.localAddress(), socket.localPort())
                        + " remote=" + Nio.socketAddress(socket.remoteAddress(), socket.remotePort()) : "unconnected")
                + "]";
    }
}
