package dev.netstack.tcp.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The open-addressing table against a HashMap model, with seeded random adds and removes. */
class ConnectionTableTest {

    static Tcb tcb(int local, int localPort, int remote, int remotePort) {
        Tcb t = new Tcb(null);
        t.localAddress = local;
        t.localPort = localPort;
        t.remoteAddress = remote;
        t.remotePort = remotePort;
        return t;
    }

    static String key(Tcb t) {
        return t.localAddress + ":" + t.localPort + ">" + t.remoteAddress + ":" + t.remotePort;
    }

    @Test
    void behavesLikeAMapUnderRandomAddsAndRemoves() {
        long seed = 99;
        System.out.println("connection table seed " + seed);
        SplittableRandom random = new SplittableRandom(seed);
        ConnectionTable table = new ConnectionTable(512);
        Map<String, Tcb> model = new HashMap<>();
        List<Tcb> live = new ArrayList<>();
        for (int step = 0; step < 200_000; step++) {
            if (live.size() < 400 && (live.isEmpty() || random.nextBoolean())) {
                // few addresses and ports, so keys collide in hash and in value
                Tcb t = tcb(random.nextInt(3), 80 + random.nextInt(4), random.nextInt(5), 30_000 + random.nextInt(50));
                boolean added = table.add(t);
                assertEquals(!model.containsKey(key(t)), added, "add " + key(t));
                if (added) {
                    model.put(key(t), t);
                    live.add(t);
                }
            } else {
                Tcb t = live.remove(random.nextInt(live.size()));
                table.remove(t);
                model.remove(key(t));
            }
            if (step % 1000 == 0) {
                for (Tcb t : live) {
                    assertSame(t, table.find(t.localAddress, t.localPort, t.remoteAddress, t.remotePort));
                }
                assertEquals(model.size(), table.size());
            }
        }
        for (Tcb t : live) {
            assertSame(t, table.find(t.localAddress, t.localPort, t.remoteAddress, t.remotePort));
        }
    }

    @Test
    void refusesBeyondHalfLoad() {
        ConnectionTable table = new ConnectionTable(16);
        int added = 0;
        for (int i = 0; i < 100; i++) {
            if (table.add(tcb(1, 1, 2, i))) {
                added++;
            }
        }
        assertTrue(added >= 16, "at least the limit fits: " + added);
        assertFalse(table.add(tcb(1, 1, 2, 1000)));
    }
}
