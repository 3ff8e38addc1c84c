package dev.netstack.tcp.internal;

import dev.netstack.tcp.TcpConnection;
import dev.netstack.tcp.TcpError;
import dev.netstack.tcp.TcpHandler;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One side of a bulk transfer in both directions: sends {@code sendBytes} of a deterministic
 * pattern, then shuts its output down; receives and checks every byte of the peer's pattern
 * against the expected one. Allocation-free per callback (scratch buffers made once).
 */
final class Transfer implements TcpHandler {

    /** Pattern period: a prime, so the pattern never lines up with segment or buffer sizes. */
    static final int PERIOD = 65_521;
    static final MemorySegment[] PATTERNS = {pattern(1), pattern(2)};

    final long sendBytes;
    final long expectBytes;
    final MemorySegment sendPattern;
    final MemorySegment expectPattern;
    final MemorySegment scratch = Arena.ofAuto().allocate(65_536);
    long sent;
    long received;
    long mismatches = -1;
    long firstMismatchAt = -1;
    boolean eof;
    boolean shut;
    TcpError closed;
    TcpConnection connection;

    Transfer(long sendBytes, long expectBytes, int sendSalt, int expectSalt) {
        this.sendBytes = sendBytes;
        this.expectBytes = expectBytes;
        this.sendPattern = PATTERNS[sendSalt - 1];
        this.expectPattern = PATTERNS[expectSalt - 1];
        this.mismatches = 0;
    }

    static MemorySegment pattern(int salt) {
        MemorySegment segment = Arena.ofAuto().allocate(2L * PERIOD);
        for (int i = 0; i < 2 * PERIOD; i++) {
            int j = i % PERIOD;
            segment.set(ValueLayout.JAVA_BYTE, i, (byte) ((j * 131 + salt * 7 + (j >>> 9)) ^ (j >>> 3)));
        }
        return segment;
    }

    boolean done() {
        return eof && received == expectBytes && sent == sendBytes && closed != null;
    }

    @Override
    public void onConnected(TcpConnection c) {
        connection = c;
        write(c);
    }

    @Override
    public void onWritable(TcpConnection c) {
        write(c);
    }

    void write(TcpConnection c) {
        connection = c;
        while (sent < sendBytes) {
            int offset = (int) (sent % PERIOD);
            int length = (int) Math.min(sendBytes - sent, PERIOD);
            int n = c.send(sendPattern, offset, length);
            if (n <= 0) {
                return;
            }
            sent += n;
        }
        if (!shut) {
            shut = true;
            c.shutdownOutput();
        }
    }

    @Override
    public void onReadable(TcpConnection c) {
        int n;
        while ((n = c.receive(scratch, 0, (int) scratch.byteSize())) > 0) {
            int offset = (int) (received % PERIOD);
            long at = MemorySegment.mismatch(scratch, 0, n, expectPattern, offset, offset + n);
            if (at >= 0) {
                mismatches++;
                if (firstMismatchAt < 0) {
                    firstMismatchAt = received + at;
                }
            }
            received += n;
        }
        if (n < 0) {
            eof = true;
        }
    }

    @Override
    public void onPeerClosed(TcpConnection c) {
        onReadable(c);
        eof = true;
        if (shut && c.state() != dev.netstack.tcp.TcpState.CLOSED) {
            c.close();
        }
    }

    @Override
    public void onClosed(TcpConnection c, TcpError reason) {
        closed = reason;
    }

    @Override
    public String toString() {
        return "sent " + sent + "/" + sendBytes + " received " + received + "/" + expectBytes + " eof " + eof
                + " closed " + closed + " mismatches " + mismatches
                + (connection != null ? " " + connection.state() + " " + connection.info() : "");
    }
}
