package dev.netstack.nio.internal;

import dev.netstack.udp.UdpDatagram;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketOption;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.IllegalBlockingModeException;
import java.util.Set;

/**
 * The {@link DatagramSocket} view of a {@link NetstackDatagramChannel} (what
 * {@code channel.socket()} returns): bind, connect, send, receive with {@code setSoTimeout}, and
 * the options go to the channel and its stack socket. Send and receive need the channel in
 * blocking mode, as the JDK's adaptor does. The superclass gets a placeholder implementation and
 * opens no kernel socket; every public method is overridden.
 *
 * <p>{@code receive} takes at most {@code p.getLength()} bytes (the rest of a longer datagram is
 * discarded, as the {@code DatagramSocket} contract says) and sets the packet's length, address
 * and port.
 */
final class DatagramSocketAdaptor extends DatagramSocket {

    private final NetstackDatagramChannel channel;
    private final UdpDatagram from = new UdpDatagram();
    private volatile int timeoutMs;
    private InetAddress lastSender; // handed out again while the peer's address stays the same: guarded by from
    private int lastSenderAddress;
    private volatile SendTarget lastTarget; // the last packet address sent to, resolved once

    /** A packet's destination address object and the stack's int for it, replaced together. */
    private record SendTarget(InetAddress inet, int address) {}

    private DatagramSocketAdaptor(NetstackDatagramChannel channel) {
        super(new NoDatagramSocketImpl());
        this.channel = channel;
    }

    static DatagramSocketAdaptor create(NetstackDatagramChannel channel) {
        return new DatagramSocketAdaptor(channel);
    }

    @Override
    public DatagramChannel getChannel() {
        return channel;
    }

    @Override
    public void bind(SocketAddress local) throws SocketException {
        try {
            channel.bind(local);
        } catch (IOException e) {
            throw socketException(e);
        }
    }

    @Override
    public void connect(InetAddress address, int port) {
        try {
            connect(new InetSocketAddress(address, port));
        } catch (SocketException e) {
            throw new java.io.UncheckedIOException(e); // the superclass signature throws nothing checked
        }
    }

    @Override
    public void connect(SocketAddress remote) throws SocketException {
        if (remote == null) {
            throw new IllegalArgumentException("address can't be null");
        }
        try {
            channel.connect(remote);
        } catch (IOException e) {
            throw socketException(e);
        }
    }

    @Override
    public void disconnect() {
        try {
            channel.disconnect();
        } catch (IOException e) {
            // closed: nothing to undo
        }
    }

    @Override
    public boolean isBound() {
        return channel.isBound();
    }

    @Override
    public boolean isConnected() {
        return channel.isConnected();
    }

    @Override
    public InetAddress getInetAddress() {
        InetSocketAddress a = remote();
        return a == null ? null : a.getAddress();
    }

    @Override
    public int getPort() {
        InetSocketAddress a = remote();
        return a == null ? -1 : a.getPort();
    }

    @Override
    public SocketAddress getRemoteSocketAddress() {
        return remote();
    }

    @Override
    public SocketAddress getLocalSocketAddress() {
        return local();
    }

    @Override
    public InetAddress getLocalAddress() {
        InetSocketAddress a = local();
        return a == null ? null : a.getAddress();
    }

    @Override
    public int getLocalPort() {
        if (isClosed()) {
            return -1;
        }
        InetSocketAddress a = local();
        return a == null ? 0 : a.getPort();
    }

    private InetSocketAddress remote() {
        try {
            return (InetSocketAddress) channel.getRemoteAddress();
        } catch (IOException e) {
            return null;
        }
    }

    private InetSocketAddress local() {
        try {
            return (InetSocketAddress) channel.getLocalAddress();
        } catch (IOException e) {
            return null;
        }
    }

    @Override
    public void send(DatagramPacket p) throws IOException {
        requireOpenAndBlocking();
        InetAddress to = p.getAddress();
        if (channel.isConnected()) {
            dev.netstack.socket.DatagramSocket socket = channel.stackSocket();
            if (to != null && (addressOf(to, p.getPort()) != socket.remoteAddress() || p.getPort() != socket.remotePort())) {
                throw new IllegalArgumentException("connected to " + channel.getRemoteAddress() + ", not "
                        + new InetSocketAddress(to, p.getPort()));
            }
            channel.sendForAdaptor(socket.remoteAddress(), socket.remotePort(), p.getData(), p.getOffset(),
                    p.getLength());
        } else {
            if (to == null) {
                throw new IllegalArgumentException("Address not set");
            }
            channel.sendForAdaptor(addressOf(to, p.getPort()), p.getPort(), p.getData(), p.getOffset(),
                    p.getLength());
        }
    }

    /** The stack's int for {@code to}, checked as the channel checks a target; resolved once per address object. */
    private int addressOf(InetAddress to, int port) {
        SendTarget t = lastTarget;
        if (t == null || t.inet() != to) {
            t = new SendTarget(to, Nio.address(Nio.check(new InetSocketAddress(to, port))));
            lastTarget = t;
        }
        return t.address();
    }

    @Override
    public void receive(DatagramPacket p) throws IOException {
        requireOpenAndBlocking();
        synchronized (from) {
            int n = channel.receiveForAdaptor(p.getData(), p.getOffset(), p.getLength(), from, timeoutMs);
            if (n < 0) {
                throw new SocketTimeoutException("Receive timed out");
            }
            p.setLength(n);
            int address = from.sourceAddress();
            InetAddress sender = lastSender;
            if (sender == null || lastSenderAddress != address) {
                sender = Nio.inetAddress(address);
                lastSender = sender;
                lastSenderAddress = address;
            }
            p.setAddress(sender);
            p.setPort(from.sourcePort());
        }
    }

    private void requireOpenAndBlocking() throws SocketException {
        if (isClosed()) {
            throw new SocketException("Socket is closed");
        }
        if (!channel.isBlocking()) {
            throw new IllegalBlockingModeException();
        }
    }

    @Override
    public void setSoTimeout(int timeout) throws SocketException {
        ensureOpen();
        if (timeout < 0) {
            throw new IllegalArgumentException("timeout < 0");
        }
        timeoutMs = timeout;
    }

    @Override
    public int getSoTimeout() throws SocketException {
        ensureOpen();
        return timeoutMs;
    }

    private void ensureOpen() throws SocketException {
        if (isClosed()) {
            throw new SocketException("Socket is closed");
        }
    }

    @Override
    public void setSendBufferSize(int size) throws SocketException {
        set(StandardSocketOptions.SO_SNDBUF, size);
    }

    @Override
    public int getSendBufferSize() throws SocketException {
        return get(StandardSocketOptions.SO_SNDBUF);
    }

    @Override
    public void setReceiveBufferSize(int size) throws SocketException {
        set(StandardSocketOptions.SO_RCVBUF, size);
    }

    @Override
    public int getReceiveBufferSize() throws SocketException {
        return get(StandardSocketOptions.SO_RCVBUF);
    }

    @Override
    public void setReuseAddress(boolean on) throws SocketException {
        set(StandardSocketOptions.SO_REUSEADDR, on);
    }

    @Override
    public boolean getReuseAddress() throws SocketException {
        return get(StandardSocketOptions.SO_REUSEADDR);
    }

    @Override
    public void setBroadcast(boolean on) throws SocketException {
        set(StandardSocketOptions.SO_BROADCAST, on);
    }

    @Override
    public boolean getBroadcast() throws SocketException {
        return get(StandardSocketOptions.SO_BROADCAST);
    }

    @Override
    public void setTrafficClass(int tc) throws SocketException {
        ensureOpen(); // IP_TOS is not kept by the stack; accepted and ignored, as DatagramSocket allows
    }

    @Override
    public int getTrafficClass() throws SocketException {
        ensureOpen();
        return 0;
    }

    private <T> void set(SocketOption<T> option, T value) throws SocketException {
        try {
            channel.setOption(option, value);
        } catch (IOException e) {
            throw socketException(e);
        } catch (UnsupportedOperationException e) {
            throw new SocketException(option + " is not supported by the stack's datagram sockets");
        }
    }

    private <T> T get(SocketOption<T> option) throws SocketException {
        try {
            return channel.getOption(option);
        } catch (IOException e) {
            throw socketException(e);
        } catch (UnsupportedOperationException e) {
            throw new SocketException(option + " is not supported by the stack's datagram sockets");
        }
    }

    @Override
    public <T> DatagramSocket setOption(SocketOption<T> name, T value) throws IOException {
        channel.setOption(name, value);
        return this;
    }

    @Override
    public <T> T getOption(SocketOption<T> name) throws IOException {
        return channel.getOption(name);
    }

    @Override
    public Set<SocketOption<?>> supportedOptions() {
        return channel.supportedOptions();
    }

    @Override
    public void joinGroup(SocketAddress group, NetworkInterface netIf) throws IOException {
        throw new SocketException("multicast is not supported by the stack");
    }

    @Override
    public void leaveGroup(SocketAddress group, NetworkInterface netIf) throws IOException {
        throw new SocketException("multicast is not supported by the stack");
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            // the stack socket's close does not fail
        }
    }

    @Override
    public boolean isClosed() {
        return !channel.isOpen();
    }

    /** java.net callers expect SocketException (BindException and friends are ones already). */
    private SocketException socketException(IOException e) {
        if (e instanceof SocketException s) {
            return s;
        }
        if (e instanceof ClosedChannelException) {
            return new SocketException("Socket is closed");
        }
        SocketException s = new SocketException(e.getMessage());
        s.initCause(e);
        return s;
    }

    @Override
    public String toString() {
        return "DatagramSocket[netstack " + channel + "]";
    }
}
