package dev.netstack.socket;

/**
 * A socket call failed. Unchecked, so blocking code on virtual threads and callbacks stays plain;
 * {@link #error()} tells why. Thrown only on failures, never for "would block" in non-blocking
 * mode (those calls return 0 or null).
 */
public final class SocketException extends RuntimeException {

    private final SocketError error;

    public SocketException(SocketError error) {
        super(error.message(), null, false, false);
        this.error = error;
    }

    public SocketException(SocketError error, String detail) {
        super(error.message() + ": " + detail, null, false, false);
        this.error = error;
    }

    public SocketError error() {
        return error;
    }
}
