package dev.netstack.demo.internal;

import dev.netstack.tcp.TcpConnection;
import dev.netstack.tcp.TcpError;
import dev.netstack.tcp.TcpHandler;
import java.lang.foreign.MemorySegment;

/**
 * Echo (RFC 862) for one connection: what arrives is sent back. Reads stop while the send buffer
 * is full (the receive window closes, so a fast peer is held back by TCP itself), and resume on
 * {@link #onWritable}. When the peer has closed and everything is echoed, the connection closes.
 */
final class EchoHandler implements TcpHandler {

    private static final int BUFFER_BYTES = 16 * 1024;

    private final MemorySegment buffer = MemorySegment.ofArray(new byte[BUFFER_BYTES]);
    private int position;
    private int limit;
    private boolean peerDone;
    private boolean done;

    @Override
    public void onReadable(TcpConnection connection) {
        pump(connection);
    }

    @Override
    public void onWritable(TcpConnection connection) {
        pump(connection);
    }

    @Override
    public void onPeerClosed(TcpConnection connection) {
        pump(connection);
    }

    @Override
    public void onClosed(TcpConnection connection, TcpError reason) {
        done = true;
    }

    private void pump(TcpConnection connection) {
        while (!done) {
            if (position < limit) {
                int sent = connection.send(buffer, position, limit - position);
                if (sent < 0) {
                    done = true;
                    connection.abort();
                    return;
                }
                position += sent;
                if (position < limit) {
                    return; // send buffer full: onWritable resumes
                }
            }
            position = 0;
            limit = 0;
            if (peerDone) {
                done = true;
                connection.close();
                return;
            }
            int received = connection.receive(buffer, 0, BUFFER_BYTES);
            if (received < 0) {
                peerDone = true;
            } else if (received == 0) {
                return;
            } else {
                limit = received;
            }
        }
    }
}
