package dev.netstack.tcp;

/** Thrown by control-path calls ({@code listen}, {@code connect}) that cannot proceed. */
public final class TcpException extends RuntimeException {

    private final TcpError error;

    public TcpException(TcpError error) {
        super(error.message());
        this.error = error;
    }

    public TcpException(TcpError error, String detail) {
        super(error.message() + ": " + detail);
        this.error = error;
    }

    public TcpError error() {
        return error;
    }
}
