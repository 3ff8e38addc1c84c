package dev.netstack.nio.internal;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocketImpl;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketAddress;
import java.net.SocketException;

/**
 * The implementation handed to the {@code java.net.DatagramSocket} superclass of
 * {@link DatagramSocketAdaptor}, which needs one (it opens no kernel socket with it); the adaptor
 * overrides every public method, so none of these is reached and each fails if it were.
 */
final class NoDatagramSocketImpl extends DatagramSocketImpl {

    private static SocketException unused() {
        return new SocketException("not reachable through the netstack datagram adaptor");
    }

    @Override
    protected void create() throws SocketException {
        throw unused();
    }

    @Override
    protected void bind(int lport, InetAddress laddr) throws SocketException {
        throw unused();
    }

    @Override
    protected void send(DatagramPacket p) throws IOException {
        throw unused();
    }

    @Override
    protected int peek(InetAddress i) throws IOException {
        throw unused();
    }

    @Override
    protected int peekData(DatagramPacket p) throws IOException {
        throw unused();
    }

    @Override
    protected void receive(DatagramPacket p) throws IOException {
        throw unused();
    }

    @Override
    @Deprecated
    protected void setTTL(byte ttl) throws IOException {
        throw unused();
    }

    @Override
    @Deprecated
    protected byte getTTL() throws IOException {
        throw unused();
    }

    @Override
    protected void setTimeToLive(int ttl) throws IOException {
        throw unused();
    }

    @Override
    protected int getTimeToLive() throws IOException {
        throw unused();
    }

    @Override
    protected void join(InetAddress inetaddr) throws IOException {
        throw unused();
    }

    @Override
    protected void leave(InetAddress inetaddr) throws IOException {
        throw unused();
    }

    @Override
    protected void joinGroup(SocketAddress mcastaddr, NetworkInterface netIf) throws IOException {
        throw unused();
    }

    @Override
    protected void leaveGroup(SocketAddress mcastaddr, NetworkInterface netIf) throws IOException {
        throw unused();
    }

    @Override
    protected void close() {
    }

    @Override
    public void setOption(int optID, Object value) throws SocketException {
        throw unused();
    }

    @Override
    public Object getOption(int optID) throws SocketException {
        throw unused();
    }
}
