package dev.netstack.nio.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.SocketAddress;
import java.net.SocketImpl;

/**
 * The implementation handed to the {@code java.net.Socket}/{@code ServerSocket} superclasses of
 * the adaptors, which need one; the adaptors override every public method, so none of these is
 * reached and each fails if it were.
 */
final class NoSocketImpl extends SocketImpl {

    private static IOException unused() {
        return new IOException("not reachable through the netstack adaptors");
    }

    @Override
    protected void create(boolean stream) throws IOException {
        throw unused();
    }

    @Override
    protected void connect(String host, int port) throws IOException {
        throw unused();
    }

    @Override
    protected void connect(InetAddress address, int port) throws IOException {
        throw unused();
    }

    @Override
    protected void connect(SocketAddress address, int timeout) throws IOException {
        throw unused();
    }

    @Override
    protected void bind(InetAddress host, int port) throws IOException {
        throw unused();
    }

    @Override
    protected void listen(int backlog) throws IOException {
        throw unused();
    }

    @Override
    protected void accept(SocketImpl s) throws IOException {
        throw unused();
    }

    @Override
    protected InputStream getInputStream() throws IOException {
        throw unused();
    }

    @Override
    protected OutputStream getOutputStream() throws IOException {
        throw unused();
    }

    @Override
    protected int available() throws IOException {
        throw unused();
    }

    @Override
    protected void close() {}

    @Override
    protected void sendUrgentData(int data) throws IOException {
        throw unused();
    }

    @Override
    public void setOption(int optID, Object value) throws java.net.SocketException {
        throw new java.net.SocketException("not reachable through the netstack adaptors");
    }

    @Override
    public Object getOption(int optID) throws java.net.SocketException {
        throw new java.net.SocketException("not reachable through the netstack adaptors");
    }
}
