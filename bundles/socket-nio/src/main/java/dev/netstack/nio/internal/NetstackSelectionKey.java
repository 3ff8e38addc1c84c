package dev.netstack.nio.internal;

import dev.netstack.socket.SocketKey;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.Selector;
import java.nio.channels.spi.AbstractSelectionKey;

/** A NIO key over a {@link SocketKey}; the interest bits have the same values in both. */
final class NetstackSelectionKey extends AbstractSelectionKey {

    private final SelectableChannel channel;
    private final NetstackSelector selector;
    SocketKey socketKey;
    private volatile int interestOps;
    volatile int readyOps;
    int selectedIndex = -1; // slot in the selector's SelectedKeys, -1 if not selected

    NetstackSelectionKey(SelectableChannel channel, NetstackSelector selector) {
        this.channel = channel;
        this.selector = selector;
    }

    @Override
    public SelectableChannel channel() {
        return channel;
    }

    @Override
    public Selector selector() {
        return selector;
    }

    @Override
    public int interestOps() {
        ensureValid();
        return interestOps;
    }

    @Override
    public java.nio.channels.SelectionKey interestOps(int ops) {
        ensureValid();
        if ((ops & ~channel.validOps()) != 0) {
            throw new IllegalArgumentException("invalid interest ops " + ops + " for " + channel);
        }
        interestOps = ops;
        socketKey.interestOps(ops);
        return this;
    }

    @Override
    public int readyOps() {
        ensureValid();
        return readyOps;
    }

    private void ensureValid() {
        if (!isValid()) {
            throw new CancelledKeyException();
        }
    }
}
