package dev.netstack.demo.internal;

import dev.netstack.tcp.TcpConnection;
import dev.netstack.tcp.TcpHandler;
import java.lang.foreign.MemorySegment;

/**
 * Discard (RFC 863): reads and drops everything, closes when the peer does. One instance serves
 * every connection of a shard: it keeps no per-connection state, and the scratch buffer is only
 * used inside one callback.
 */
final class DiscardHandler implements TcpHandler {

    private final MemorySegment scratch = MemorySegment.ofArray(new byte[16 * 1024]);
    long discardedBytes;

    @Override
    public void onReadable(TcpConnection connection) {
        drain(connection);
    }

    @Override
    public void onPeerClosed(TcpConnection connection) {
        drain(connection);
    }

    private void drain(TcpConnection connection) {
        int n;
        while ((n = connection.receive(scratch, 0, (int) scratch.byteSize())) > 0) {
            discardedBytes += n;
        }
        if (n < 0) {
            connection.close();
        }
    }
}
