package dev.netstack.ethernet.internal;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.netstack.ethernet.EtherTypeHandler;
import dev.netstack.nic.Disposition;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class EtherTypeTableTest {

    @Test
    void findsEveryBoundTypeAndNothingElse() {
        long seed = System.nanoTime();
        System.out.println("EtherTypeTableTest seed " + seed);
        Random random = new Random(seed);
        Map<Integer, EtherTypeHandler> bound = new LinkedHashMap<>();
        while (bound.size() < 40) {
            bound.put(0x0600 + random.nextInt(0xFA00), (nif, p, t) -> Disposition.HANDLED);
        }
        EtherTypeTable table = new EtherTypeTable(bound);
        for (int type = 0; type <= 0xFFFF; type++) {
            EtherTypeHandler expected = bound.get(type);
            if (expected == null) {
                assertNull(table.lookup(type), "type " + type + " seed " + seed);
            } else {
                assertSame(expected, table.lookup(type), "type " + type + " seed " + seed);
            }
        }
    }

    @Test
    void emptyTableFindsNothing() {
        assertNull(EtherTypeTable.EMPTY.lookup(0x0800));
        assertNull(EtherTypeTable.EMPTY.lookup(0xFFFF));
    }
}
