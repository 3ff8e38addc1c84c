package dev.netstack.tcp.internal;

import dev.netstack.nic.PacketBuffer;
import dev.netstack.tcp.TcpConnection;
import dev.netstack.tcp.TcpError;
import dev.netstack.tcp.TcpHandler;
import java.lang.foreign.MemorySegment;

/**
 * The sending side of a transfer by zero-copy send: takes a buffer from the connection
 * ({@link TcpConnection#allocate()}), writes the next {@code chunk} bytes of the pattern straight
 * into it and hands it over ({@link TcpConnection#send(PacketBuffer)}); then shuts its output
 * down. Remembers where the payload of each buffer lay (by stream offset / chunk), so a device
 * can check that segments left from that memory. Allocation-free per callback.
 */
final class ZeroCopyWriter implements TcpHandler {

    final long sendBytes;
    final MemorySegment pattern;
    final long[] payloadAddress;
    int chunk;
    TcpConnection connection;
    long sent;
    long buffersSent;
    long refused;
    boolean shut;
    boolean eof;
    TcpError closed;

    /** {@code chunk} 0: fill each buffer with one MSS. */
    ZeroCopyWriter(long sendBytes, int salt, int chunk, boolean recordAddresses) {
        this.sendBytes = sendBytes;
        this.pattern = Transfer.PATTERNS[salt - 1];
        this.chunk = chunk;
        this.payloadAddress = recordAddresses ? new long[(int) (sendBytes / 536) + 2] : null;
    }

    @Override
    public void onConnected(TcpConnection c) {
        connection = c;
        if (chunk == 0) {
            chunk = c.maxSegmentBytes();
        }
        write(c);
    }

    @Override
    public void onWritable(TcpConnection c) {
        write(c);
    }

    void write(TcpConnection c) {
        while (sent < sendBytes) {
            PacketBuffer b = c.allocate();
            if (b == null) {
                return;
            }
            int n = (int) Math.min(Math.min(chunk, sendBytes - sent), b.tailroom());
            int offset = (int) (sent % Transfer.PERIOD);
            MemorySegment.copy(pattern, offset, b.segment(), b.offset(), n);
            b.append(n);
            if (payloadAddress != null && sent % chunk == 0) {
                payloadAddress[(int) (sent / chunk)] = b.segment().address() + b.offset();
            }
            int r = c.send(b);
            if (r == 0) {
                b.release(); // not taken: the send buffer is full, onWritable follows
                refused++;
                return;
            }
            if (r < 0) {
                return;
            }
            sent += n;
            buffersSent++;
        }
        if (!shut) {
            shut = true;
            c.shutdownOutput();
        }
    }

    @Override
    public void onReadable(TcpConnection c) {
        if (c.receive(MemorySegment.NULL, 0, 0) < 0) {
            eof = true;
        }
    }

    @Override
    public void onPeerClosed(TcpConnection c) {
        eof = true;
        if (shut) {
            c.close();
        }
    }

    @Override
    public void onClosed(TcpConnection c, TcpError reason) {
        closed = reason;
    }

    @Override
    public String toString() {
        return "sent " + sent + "/" + sendBytes + " in " + buffersSent + " buffers, refused " + refused + ", closed "
                + closed + (connection != null ? " " + connection.state() + " " + connection.info() : "");
    }
}
