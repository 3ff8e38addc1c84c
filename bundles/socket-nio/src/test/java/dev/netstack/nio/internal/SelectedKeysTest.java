package dev.netstack.nio.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.channels.SelectionKey;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SelectedKeysTest {

    private static NetstackSelectionKey[] keys(int n) {
        NetstackSelectionKey[] k = new NetstackSelectionKey[n];
        for (int i = 0; i < n; i++) {
            k[i] = new NetstackSelectionKey(null, null);
        }
        return k;
    }

    @Test
    void iteratingAndRemovingEachKeyVisitsEveryKeyOnceAndEmptiesTheSet() {
        SelectedKeys set = new SelectedKeys();
        NetstackSelectionKey[] k = keys(40); // grows past the first array
        for (NetstackSelectionKey key : k) {
            set.addSelected(key);
        }
        set.addSelected(k[3]); // already selected: no duplicate
        assertEquals(40, set.size());
        Set<SelectionKey> seen = new HashSet<>();
        Iterator<SelectionKey> it = set.iterator();
        while (it.hasNext()) {
            SelectionKey key = it.next();
            assertTrue(seen.add(key), "visited once: " + key);
            if (seen.size() % 2 == 0) {
                it.remove();
            }
        }
        assertEquals(40, seen.size());
        assertEquals(20, set.size());
        for (SelectionKey key : set) {
            assertTrue(set.contains(key));
        }
        set.clear();
        assertTrue(set.isEmpty());
        assertFalse(set.contains(k[0]));
    }

    @Test
    void removingAKeyOutsideTheIteratorKeepsTheOthers() {
        SelectedKeys set = new SelectedKeys();
        NetstackSelectionKey[] k = keys(5);
        for (NetstackSelectionKey key : k) {
            set.addSelected(key);
        }
        assertTrue(set.remove(k[1]));
        assertFalse(set.remove(k[1]));
        assertEquals(Set.of(k[0], k[2], k[3], k[4]), new HashSet<>(set));
        assertFalse(set.contains("not a key"));
    }

    @Test
    void reusesOneIteratorOnceTheLastRanToItsEnd() {
        SelectedKeys set = new SelectedKeys();
        set.addSelected(keys(1)[0]);
        Iterator<SelectionKey> first = set.iterator();
        Iterator<SelectionKey> nested = set.iterator();
        assertNotSame(first, nested, "the reused iterator is still part-way");
        first.next();
        assertFalse(first.hasNext());
        assertSame(first, set.iterator());
    }

    @Test
    void aSelectFreesTheReusedIteratorLeftPartWay() {
        SelectedKeys set = new SelectedKeys();
        NetstackSelectionKey[] k = keys(2);
        set.addSelected(k[0]);
        set.addSelected(k[1]);
        Iterator<SelectionKey> partWay = set.iterator();
        partWay.next();
        set.selecting();
        Iterator<SelectionKey> again = set.iterator();
        assertSame(partWay, again);
        assertEquals(2, new HashSet<>(iterate(again)).size(), "starts over from the top");
    }

    private static java.util.List<SelectionKey> iterate(Iterator<SelectionKey> it) {
        java.util.List<SelectionKey> out = new java.util.ArrayList<>();
        while (it.hasNext()) {
            out.add(it.next());
        }
        return out;
    }

    @Test
    void refusesAdd() {
        assertThrows(UnsupportedOperationException.class, () -> new SelectedKeys().add(keys(1)[0]));
        assertThrows(IllegalStateException.class, () -> new SelectedKeys().iterator().remove());
    }
}
