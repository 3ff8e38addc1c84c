package dev.netstack.nio.internal;

import dev.netstack.socket.SocketKey;
import dev.netstack.socket.SocketSelector;
import java.io.IOException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.IllegalSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.spi.AbstractSelectableChannel;
import java.nio.channels.spi.AbstractSelector;
import java.nio.channels.spi.SelectorProvider;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A NIO {@link Selector} over a {@link SocketSelector}: select waits in the socket selector and
 * copies the ready operations of its ready keys into the NIO keys, adding them to the selected-key
 * set as {@link Selector} specifies (a key already selected gets its ready bits or-ed in). Keys
 * are level-triggered. The key set may be read by one thread while another selects only under
 * the selector's monitor, as for the JDK's selectors.
 */
public final class NetstackSelector extends AbstractSelector {

    private final SocketSelector selector;
    private final Set<SelectionKey> keys = new HashSet<>();
    private final Set<SelectionKey> publicKeys = Collections.unmodifiableSet(keys);
    private final SelectedKeys selected = new SelectedKeys(); // allocation-free, unlike a HashSet

    public NetstackSelector(SelectorProvider provider, SocketSelector selector) {
        super(provider);
        this.selector = selector;
    }

    @Override
    public Set<SelectionKey> keys() {
        ensureOpen();
        return publicKeys;
    }

    @Override
    public Set<SelectionKey> selectedKeys() {
        ensureOpen();
        return selected;
    }

    @Override
    public int selectNow() throws IOException {
        return doSelect(-1);
    }

    @Override
    public int select(long timeoutMs) throws IOException {
        if (timeoutMs < 0) {
            throw new IllegalArgumentException("negative timeout");
        }
        return doSelect(timeoutMs);
    }

    @Override
    public int select() throws IOException {
        return doSelect(0);
    }

    private synchronized int doSelect(long socketTimeoutMs) {
        ensureOpen();
        synchronized (keys) {
            processCancelled();
            selected.selecting();
        }
        int updated;
        begin();
        try {
            selector.select(socketTimeoutMs);
        } finally {
            end();
        }
        synchronized (keys) {
            processCancelled();
            updated = 0;
            List<SocketKey> ready = selector.readyKeys();
            for (int i = 0, n = ready.size(); i < n; i++) {
                SocketKey sk = ready.get(i);
                NetstackSelectionKey key = (NetstackSelectionKey) sk.attachment();
                if (key == null || !key.isValid()) {
                    continue;
                }
                int ops = sk.readyOps() & key.interestOps();
                if (ops == 0) {
                    continue;
                }
                if (selected.contains(key)) {
                    if ((key.readyOps | ops) != key.readyOps) {
                        key.readyOps |= ops;
                        updated++;
                    }
                } else {
                    key.readyOps = ops;
                    selected.addSelected(key);
                    updated++;
                }
            }
        }
        return updated;
    }

    private void processCancelled() {
        Set<SelectionKey> cancelled = cancelledKeys();
        synchronized (cancelled) {
            if (cancelled.isEmpty()) {
                return; // the usual case at every select: no iterator
            }
            for (SelectionKey k : cancelled) {
                NetstackSelectionKey key = (NetstackSelectionKey) k;
                key.socketKey.cancel();
                keys.remove(key);
                selected.remove(key);
                deregister(key);
            }
            cancelled.clear();
        }
    }

    @Override
    protected SelectionKey register(AbstractSelectableChannel ch, int ops, Object attachment) {
        if (!(ch instanceof StackChannel stack)) {
            throw new IllegalSelectorException();
        }
        ensureOpen();
        NetstackSelectionKey key = new NetstackSelectionKey(ch, this);
        key.attach(attachment);
        key.socketKey = selector.register(stack.stackSocket(), 0, key);
        synchronized (keys) {
            keys.add(key);
        }
        // The socket selector re-checks a key whose interest changes, waking a select in progress.
        key.interestOps(ops);
        return key;
    }

    @Override
    public Selector wakeup() {
        selector.wakeup();
        return this;
    }

    @Override
    protected void implCloseSelector() {
        selector.wakeup();
        synchronized (this) {
            synchronized (keys) {
                for (SelectionKey k : keys.toArray(new SelectionKey[0])) {
                    NetstackSelectionKey key = (NetstackSelectionKey) k;
                    key.socketKey.cancel();
                    deregister(key);
                }
                keys.clear();
                selected.clear();
            }
            selector.close();
        }
    }

    private void ensureOpen() {
        if (!isOpen()) {
            throw new ClosedSelectorException();
        }
    }
}
