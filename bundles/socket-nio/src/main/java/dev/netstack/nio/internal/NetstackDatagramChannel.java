package dev.netstack.nio.internal;

import dev.netstack.socket.DatagramSocket;
import dev.netstack.socket.SocketException;
import dev.netstack.socket.Sockets;
import dev.netstack.udp.UdpDatagram;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.InetAddress;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.AlreadyBoundException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.MembershipKey;
import java.nio.channels.NotYetConnectedException;
import java.nio.channels.spi.SelectorProvider;
import java.util.Objects;
import java.util.Set;

/**
 * A {@link DatagramChannel} over a stack {@link DatagramSocket}, with a working
 * {@link #socket()} adaptor ({@link DatagramSocketAdaptor}). No multicast. {@code SO_RCVBUF}
 * is the byte limit of the stack socket's receive queue.
 */
public final class NetstackDatagramChannel extends DatagramChannel implements StackChannel {

    private static final Set<SocketOption<?>> OPTIONS = Set.of(StandardSocketOptions.SO_REUSEADDR,
            StandardSocketOptions.SO_BROADCAST, StandardSocketOptions.SO_RCVBUF);
    /** Datagrams the receive queue holds (udp's default), kept when SO_RCVBUF sets the byte limit. */
    private static final int QUEUE_DATAGRAMS = 256;

    private final DatagramSocket socket;
    private final UdpDatagram from = new UdpDatagram();
    private InetSocketAddress lastSender; // receive's answer for the same peer again: guarded by this
    private int lastSenderAddress;
    private volatile Target lastTarget; // send's address resolved for the same target object again

    /** A send target and its address as an int, replaced together. */
    private record Target(SocketAddress target, InetSocketAddress inet, int address) {}
    private volatile boolean bound;
    private volatile boolean connected;
    private boolean reuseAddress;
    private boolean broadcast;
    private int receiveBytes = 212_992; // udp's receive.queue.bytes default
    private DatagramSocketAdaptor adaptor;

    public NetstackDatagramChannel(SelectorProvider provider, Sockets sockets) {
        super(provider);
        this.socket = sockets.openDatagram();
        socket.setBlocking(true);
    }

    @Override
    public DatagramSocket stackSocket() {
        return socket;
    }

    @Override
    public DatagramChannel bind(SocketAddress local) throws IOException {
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
    public <T> DatagramChannel setOption(SocketOption<T> name, T value) throws IOException {
        ensureOpen();
        if (name == StandardSocketOptions.SO_REUSEADDR) {
            reuseAddress = (Boolean) value;
            socket.setReuseAddress(reuseAddress);
        } else if (name == StandardSocketOptions.SO_BROADCAST) {
            broadcast = (Boolean) value;
            socket.setBroadcast(broadcast);
        } else if (name == StandardSocketOptions.SO_RCVBUF) {
            int bytes = (Integer) value;
            if (bytes <= 0) {
                throw new IllegalArgumentException("buffer size must be positive: " + bytes);
            }
            try {
                socket.setReceiveQueueLimits(QUEUE_DATAGRAMS, bytes);
            } catch (SocketException e) {
                throw Nio.translate(e);
            }
            receiveBytes = bytes;
        } else {
            throw new UnsupportedOperationException("'" + name + "' not supported");
        }
        return this;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T getOption(SocketOption<T> name) throws IOException {
        ensureOpen();
        if (name == StandardSocketOptions.SO_REUSEADDR) {
            return (T) Boolean.valueOf(reuseAddress);
        }
        if (name == StandardSocketOptions.SO_BROADCAST) {
            return (T) Boolean.valueOf(broadcast);
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
    public MembershipKey join(InetAddress group, NetworkInterface interf) {
        throw new UnsupportedOperationException("multicast is not supported by the stack");
    }

    @Override
    public MembershipKey join(InetAddress group, NetworkInterface interf, InetAddress source) {
        throw new UnsupportedOperationException("multicast is not supported by the stack");
    }

    @Override
    public synchronized java.net.DatagramSocket socket() {
        if (adaptor == null) {
            adaptor = DatagramSocketAdaptor.create(this);
        }
        return adaptor;
    }

    boolean isBound() {
        return bound;
    }

    /**
     * For the adaptor: one datagram into {@code dst}, waiting at most {@code timeoutMs} (0 = no
     * limit); -1 if the time ran out.
     */
    int receiveForAdaptor(byte[] dst, int offset, int max, UdpDatagram meta, int timeoutMs) throws IOException {
        ensureOpen();
        implicitBind();
        socket.setReceiveTimeout(timeoutMs);
        try {
            return Math.min(socket.receiveFrom(dst, offset, max, meta), max);
        } catch (SocketException e) {
            if (e.error() == dev.netstack.socket.SocketError.TIMED_OUT) {
                return -1;
            }
            throw Nio.translate(e);
        } finally {
            socket.setReceiveTimeout(0);
        }
    }

    @Override
    public boolean isConnected() {
        return connected;
    }

    @Override
    public DatagramChannel connect(SocketAddress remote) throws IOException {
        ensureOpen();
        InetSocketAddress inet = Nio.check(remote);
        try {
            socket.connect(Nio.address(inet), inet.getPort());
        } catch (SocketException e) {
            throw Nio.translate(e);
        }
        bound = true;
        connected = true;
        return this;
    }

    @Override
    public DatagramChannel disconnect() throws IOException {
        socket.disconnect();
        connected = false;
        return this;
    }

    @Override
    public SocketAddress getRemoteAddress() throws IOException {
        ensureOpen();
        return connected ? Nio.socketAddress(socket.remoteAddress(), socket.remotePort()) : null;
    }

    @Override
    public SocketAddress getLocalAddress() throws IOException {
        ensureOpen();
        return bound ? Nio.socketAddress(socket.localAddress(), socket.localPort()) : null;
    }

    @Override
    public synchronized SocketAddress receive(ByteBuffer dst) throws IOException {
        ensureOpen();
        implicitBind();
        int n;
        try {
            n = socket.receiveFrom(dst, from);
        } catch (SocketException e) {
            throw Nio.translate(e);
        }
        return n < 0 ? null : sender(from.sourceAddress(), from.sourcePort());
    }

    /** The sender's address, the same object while the peer stays the same (as the JDK's channel does). */
    private InetSocketAddress sender(int address, int port) {
        InetSocketAddress last = lastSender;
        if (last == null || last.getPort() != port || lastSenderAddress != address) {
            last = Nio.socketAddress(address, port);
            lastSender = last;
            lastSenderAddress = address;
        }
        return last;
    }

    @Override
    public int send(ByteBuffer src, SocketAddress target) throws IOException {
        ensureOpen();
        Target t = lastTarget;
        if (t == null || t.target() != target) {
            InetSocketAddress inet = Nio.check(target);
            t = new Target(target, inet, Nio.address(inet));
            lastTarget = t;
        }
        return sendTo(t.address(), t.inet().getPort(), src);
    }

    /** Sends {@code src[offset, offset + length)} for the DatagramSocket adaptor: no buffer or address objects. */
    void sendForAdaptor(int address, int port, byte[] src, int offset, int length) throws IOException {
        ensureOpen();
        try {
            socket.sendTo(address, port, src, offset, length);
        } catch (SocketException e) {
            throw Nio.translate(e);
        } finally {
            bound = true;
        }
    }

    private int sendTo(int address, int port, ByteBuffer src) throws IOException {
        int length = src.remaining();
        try {
            return socket.sendTo(address, port, src) ? length : 0;
        } catch (SocketException e) {
            throw Nio.translate(e);
        } finally {
            bound = true;
        }
    }

    private void implicitBind() throws IOException {
        if (!bound) {
            bind(null);
        }
    }

    @Override
    public synchronized int read(ByteBuffer dst) throws IOException {
        ensureOpen();
        if (!connected) {
            throw new NotYetConnectedException();
        }
        try {
            int n = socket.receiveFrom(dst, from);
            return n < 0 ? 0 : n;
        } catch (SocketException e) {
            throw Nio.translate(e);
        }
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, dsts.length);
        // One datagram into the buffers in turn: received whole into a staging buffer first.
        int room = 0;
        for (int i = offset; i < offset + length; i++) {
            room += dsts[i].remaining();
        }
        ByteBuffer staging = ByteBuffer.allocate(room);
        int n = read(staging);
        staging.flip();
        for (int i = offset; i < offset + length && staging.hasRemaining(); i++) {
            int take = Math.min(dsts[i].remaining(), staging.remaining());
            dsts[i].put(dsts[i].position(), staging, staging.position(), take);
            dsts[i].position(dsts[i].position() + take);
            staging.position(staging.position() + take);
        }
        return n;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        ensureOpen();
        if (!connected) {
            throw new NotYetConnectedException();
        }
        return sendTo(socket.remoteAddress(), socket.remotePort(), src);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, srcs.length);
        int total = 0;
        for (int i = offset; i < offset + length; i++) {
            total += srcs[i].remaining();
        }
        ByteBuffer one = ByteBuffer.allocate(total);
        for (int i = offset; i < offset + length; i++) {
            one.put(srcs[i]);
        }
        one.flip();
        return write(one);
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
}
