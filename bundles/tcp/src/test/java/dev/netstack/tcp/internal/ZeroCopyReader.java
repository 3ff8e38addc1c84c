package dev.netstack.tcp.internal;

import dev.netstack.nic.PacketBuffer;
import dev.netstack.tcp.TcpConnection;
import dev.netstack.tcp.TcpError;
import dev.netstack.tcp.TcpHandler;
import java.lang.foreign.MemorySegment;

/**
 * The receiving side of a {@link Transfer} that reads by zero-copy receive: takes the stack's
 * buffers ({@link TcpConnection#receiveBuffer()}), checks their bytes against the peer's pattern
 * in place, and gives them back, or keeps up to {@code holdLimit} of them (an application that is
 * slow to release). Optionally checks each buffer against what the device received
 * ({@link RxRecordingDevice}). Allocation-free per callback.
 */
final class ZeroCopyReader implements TcpHandler {

    final MemorySegment expectPattern;
    final RxRecordingDevice device;
    final PacketBuffer[] held;
    int holdLimit;
    int heldCount;
    boolean read = true;
    TcpConnection connection;
    long received;
    long buffers;
    /** Buffers whose payload is not inside a frame the device received (would mean a copy). */
    long notFromDevice;
    long mismatches;
    long firstMismatchAt = -1;
    boolean eof;
    /** The connection's {@link Tcb#zcSegments} and {@link Tcb#zcCopiedSegments} when it closed. */
    long zcSegments;
    long zcCopiedSegments;
    TcpError closed;

    ZeroCopyReader(int expectSalt, RxRecordingDevice device, int holdLimit) {
        this.expectPattern = Transfer.PATTERNS[expectSalt - 1];
        this.device = device;
        this.holdLimit = holdLimit;
        this.held = new PacketBuffer[Math.max(1, holdLimit)];
    }

    @Override
    public void onReadable(TcpConnection c) {
        connection = c;
        if (!read) {
            return;
        }
        PacketBuffer b;
        while ((b = c.receiveBuffer()) != null) {
            int n = b.length();
            int offset = (int) (received % Transfer.PERIOD);
            long at = MemorySegment.mismatch(b.segment(), b.offset(), b.offset() + n, expectPattern, offset, offset + n);
            if (at >= 0) {
                mismatches++;
                if (firstMismatchAt < 0) {
                    firstMismatchAt = received + at;
                }
            }
            if (device != null && !device.holdsFrameOf(b)) {
                notFromDevice++;
            }
            received += n;
            buffers++;
            if (heldCount < holdLimit) {
                held[heldCount++] = b;
            } else {
                c.release(b);
            }
        }
        if (c.readableBytes() == 0 && c.receive(MemorySegment.NULL, 0, 0) < 0) {
            eof = true;
        }
    }

    /** Gives every held buffer back to the connection. */
    void releaseHeld() {
        for (int i = 0; i < heldCount; i++) {
            connection.release(held[i]);
            held[i] = null;
        }
        heldCount = 0;
    }

    @Override
    public void onPeerClosed(TcpConnection c) {
        onReadable(c);
        if (c.readableBytes() == 0) {
            eof = true;
            c.close();
        }
    }

    @Override
    public void onClosed(TcpConnection c, TcpError reason) {
        closed = reason;
        // the Tcb goes back to the stack's pool soon after: keep its zero-copy figures
        Tcb tcb = ConnectionHandle.tcbOf(c);
        zcSegments = tcb.zcSegments;
        zcCopiedSegments = tcb.zcCopiedSegments;
    }

    @Override
    public String toString() {
        return "received " + received + " in " + buffers + " buffers, held " + heldCount + ", eof " + eof + ", closed "
                + closed + ", mismatches " + mismatches + ", not from the device " + notFromDevice
                + (connection != null ? " " + connection.state() + " " + connection.info() : "");
    }
}
