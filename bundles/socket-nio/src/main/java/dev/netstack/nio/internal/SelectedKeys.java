package dev.netstack.nio.internal;

import java.nio.channels.SelectionKey;
import java.util.AbstractSet;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * The selected-key set of one {@link NetstackSelector}: removal allowed, addition not (as
 * {@link java.nio.channels.Selector#selectedKeys()} says; the selector adds through
 * {@link #addSelected}). Allocation-free in steady state, so that the usual
 * {@code iterator(); next(); remove()} loop after every select costs no garbage:
 *
 * <pre>
 *   keys[0 .. size)     the selected keys, in no particular order
 *   key.selectedIndex   its slot in keys, or -1 when not selected
 * </pre>
 *
 * <p>Removal moves the last key into the freed slot. Iteration runs from the top slot down, so
 * removing the current key (by the iterator or by {@link #remove}) only ever moves an
 * already-visited key. One iterator object is reused: {@link #iterator()} hands it out again once
 * the previous user has run it to its end or a select has begun; an iterator asked for while the
 * reused one is still part-way is a new object.
 *
 * <p>Not thread-safe, like the JDK's selected-key sets: used under the selector's monitor or by
 * the one selecting thread.
 */
final class SelectedKeys extends AbstractSet<SelectionKey> {

    private NetstackSelectionKey[] keys = new NetstackSelectionKey[16];
    private int size;
    private final Cursor reused = new Cursor();
    private boolean reusedFree = true;

    /**
     * A select begins: the reused iterator may be handed out again even if its last user left it
     * part-way (as Netty does when it selects again in the middle of the set); iterating across a
     * select is not defined for a selected-key set anyway.
     */
    void selecting() {
        reusedFree = true;
    }

    /** Adds a key the selector found ready; no-op if selected already. */
    void addSelected(NetstackSelectionKey key) {
        if (key.selectedIndex >= 0) {
            return;
        }
        if (size == keys.length) {
            keys = java.util.Arrays.copyOf(keys, size * 2);
        }
        keys[size] = key;
        key.selectedIndex = size++;
    }

    @Override
    public boolean contains(Object o) {
        return o instanceof NetstackSelectionKey k && k.selectedIndex >= 0 && k.selectedIndex < size
                && keys[k.selectedIndex] == k;
    }

    @Override
    public boolean remove(Object o) {
        if (!contains(o)) {
            return false;
        }
        NetstackSelectionKey k = (NetstackSelectionKey) o;
        int i = k.selectedIndex;
        NetstackSelectionKey last = keys[--size];
        keys[i] = last;
        last.selectedIndex = i;
        keys[size] = null;
        k.selectedIndex = -1;
        return true;
    }

    @Override
    public void clear() {
        for (int i = 0; i < size; i++) {
            keys[i].selectedIndex = -1;
            keys[i] = null;
        }
        size = 0;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public boolean add(SelectionKey key) {
        throw new UnsupportedOperationException("the selected-key set does not grow by add");
    }

    @Override
    public Iterator<SelectionKey> iterator() {
        if (reusedFree) {
            reusedFree = false;
            reused.reset(true);
            return reused;
        }
        Cursor c = new Cursor();
        c.reset(false);
        return c;
    }

    private final class Cursor implements Iterator<SelectionKey> {
        private int next; // slots [next, ...) are visited; next - 1 is the next to hand out
        private int current = -1;
        private boolean pooled;

        void reset(boolean pooled) {
            this.pooled = pooled;
            next = size;
            current = -1;
        }

        @Override
        public boolean hasNext() {
            if (next > size) {
                next = size; // keys removed behind our back: the rest moved down
            }
            if (next > 0) {
                return true;
            }
            if (pooled) {
                reusedFree = true;
            }
            return false;
        }

        @Override
        public SelectionKey next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            current = --next;
            return keys[current];
        }

        @Override
        public void remove() {
            if (current < 0) {
                throw new IllegalStateException();
            }
            SelectedKeys.this.remove(keys[current]);
            current = -1;
        }
    }
}
