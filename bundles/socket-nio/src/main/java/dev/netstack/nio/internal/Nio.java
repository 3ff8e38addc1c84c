package dev.netstack.nio.internal;

import dev.netstack.socket.SocketException;
import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.channels.AlreadyConnectedException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ConnectionPendingException;
import java.nio.channels.NotYetConnectedException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.channels.UnsupportedAddressTypeException;

/** Address conversion and the mapping of {@link SocketException} to the exceptions NIO callers expect. */
final class Nio {

    private Nio() {}

    static InetSocketAddress check(SocketAddress address) {
        if (!(address instanceof InetSocketAddress inet)) {
            throw new UnsupportedAddressTypeException();
        }
        if (inet.isUnresolved()) {
            throw new UnresolvedAddressException();
        }
        if (!(inet.getAddress() instanceof Inet4Address) && !inet.getAddress().isAnyLocalAddress()) {
            throw new UnsupportedAddressTypeException();
        }
        return inet;
    }

    /** Big-endian IPv4 address of {@code inet}; 0 for the wildcard. */
    static int address(InetSocketAddress inet) {
        InetAddress a = inet.getAddress();
        if (a.isAnyLocalAddress()) {
            return 0;
        }
        byte[] b = a.getAddress();
        return (b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | (b[3] & 0xff);
    }

    static InetSocketAddress socketAddress(int address, int port) {
        return new InetSocketAddress(inetAddress(address), port);
    }

    static InetAddress inetAddress(int address) {
        byte[] b = {(byte) (address >>> 24), (byte) (address >>> 16), (byte) (address >>> 8), (byte) address};
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** The NIO or java.net exception for {@code e}; unchecked NIO exceptions are thrown directly. */
    static IOException translate(SocketException e) {
        IOException io = switch (e.error()) {
            case CLOSED -> new ClosedChannelException();
            case CONNECTION_REFUSED -> new ConnectException(e.getMessage());
            case ADDRESS_IN_USE, ADDRESS_NOT_AVAILABLE -> new BindException(e.getMessage());
            case NETWORK_UNREACHABLE, HOST_UNREACHABLE -> new NoRouteToHostException(e.getMessage());
            case TIMED_OUT -> new SocketTimeoutException(e.getMessage());
            case CONNECTION_RESET -> new java.net.SocketException("Connection reset");
            case NOT_CONNECTED -> throw new NotYetConnectedException();
            case ALREADY_CONNECTED -> throw new AlreadyConnectedException();
            case CONNECT_IN_PROGRESS -> throw new ConnectionPendingException();
            default -> new java.net.SocketException(e.getMessage());
        };
        io.initCause(e);
        return io;
    }
}
