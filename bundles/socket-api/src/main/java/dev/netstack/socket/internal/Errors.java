package dev.netstack.socket.internal;

import dev.netstack.socket.SocketError;
import dev.netstack.socket.SocketException;
import dev.netstack.tcp.TcpException;
import dev.netstack.tcp.TcpError;
import dev.netstack.udp.UdpError;

/** Maps the protocols' errors to {@link SocketError}. */
final class Errors {

    private Errors() {
    }

    /** The socket exception for a failed TCP control call, keeping its detail but not repeating its sentence. */
    static SocketException of(TcpException e) {
        String prefix = e.error().message();
        String message = e.getMessage();
        SocketError error = of(e.error());
        if (message == null || message.equals(prefix)) {
            return new SocketException(error);
        }
        String detail = message.startsWith(prefix + ": ") ? message.substring(prefix.length() + 2) : message;
        return new SocketException(error, detail);
    }

    /** Null for {@link TcpError#NONE}. */
    static SocketError of(TcpError error) {
        return switch (error) {
            case NONE -> null;
            case CONNECTION_REFUSED -> SocketError.CONNECTION_REFUSED;
            case CONNECTION_RESET -> SocketError.CONNECTION_RESET;
            case CONNECTION_ABORTED -> SocketError.CONNECTION_ABORTED;
            case TIMED_OUT -> SocketError.TIMED_OUT;
            case NETWORK_UNREACHABLE -> SocketError.NETWORK_UNREACHABLE;
            case HOST_UNREACHABLE -> SocketError.HOST_UNREACHABLE;
            case ADDRESS_IN_USE -> SocketError.ADDRESS_IN_USE;
            case ADDRESS_NOT_AVAILABLE -> SocketError.ADDRESS_NOT_AVAILABLE;
            case CONNECTION_LIMIT -> SocketError.TOO_MANY_CONNECTIONS;
            case OUTPUT_SHUT_DOWN -> SocketError.BROKEN_PIPE;
            case NOT_CONNECTED -> SocketError.NOT_CONNECTED;
            case INVALID_ARGUMENT -> SocketError.INVALID_ARGUMENT;
            case NO_BUFFERS -> SocketError.NO_BUFFERS;
            case PROTOCOL_STOPPED -> SocketError.PROTOCOL_STOPPED;
        };
    }

    static SocketError of(UdpError error) {
        return switch (error) {
            case ACCESS_DENIED -> SocketError.ACCESS_DENIED;
            case WOULD_BLOCK -> SocketError.WOULD_BLOCK;
            case SOCKET_CLOSED -> SocketError.CLOSED;
            case INVALID_ARGUMENT -> SocketError.INVALID_ARGUMENT;
            case ADDRESS_IN_USE -> SocketError.ADDRESS_IN_USE;
            case ADDRESS_NOT_AVAILABLE -> SocketError.ADDRESS_NOT_AVAILABLE;
            case NETWORK_UNREACHABLE -> SocketError.NETWORK_UNREACHABLE;
            case HOST_UNREACHABLE -> SocketError.HOST_UNREACHABLE;
            case PROTOCOL_UNREACHABLE, PROTOCOL_ERROR -> SocketError.PROTOCOL_ERROR;
            case CONNECTION_REFUSED -> SocketError.CONNECTION_REFUSED;
            case MESSAGE_TOO_LONG -> SocketError.MESSAGE_TOO_LONG;
            case DESTINATION_ADDRESS_REQUIRED -> SocketError.DESTINATION_ADDRESS_REQUIRED;
            case NO_BUFFERS -> SocketError.NO_BUFFERS;
            case PROTOCOL_STOPPED -> SocketError.PROTOCOL_STOPPED;
        };
    }
}
