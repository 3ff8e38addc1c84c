package dev.netstack.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class LaneServicesTest {

    @Test
    void aServiceWithoutLanePropertiesIsLaneZeroOfOne() {
        assertEquals(0, LaneServices.lane(Map.of()));
        assertEquals(1, LaneServices.lanes(Map.of()));
        assertEquals(0, LaneServices.lane(null));
        assertEquals(3, LaneServices.lane(Map.of("lane", 3, "lanes", 4)));
        assertEquals(4, LaneServices.lanes(Map.of("lane", 3, "lanes", 4)));
        assertEquals(2, LaneServices.lane(Map.of("lane", "2")));
    }

    @Test
    void keepsServicesByLaneAndPicksLaneZero() {
        LaneServices<String> services = new LaneServices<>();
        assertNull(services.lane0());
        services.add("one", Fakes.lane(1, 2));
        assertNull(services.lane0(), "lane 1 is not lane 0");
        assertFalse(services.severalLanes());
        services.add("zero", Fakes.lane(0, 2));
        assertEquals("zero", services.lane0());
        assertEquals(List.of("zero", "one"), services.all());
        assertTrue(services.severalLanes());
        services.remove("zero");
        assertEquals(List.of("one"), services.all());
        assertNull(services.lane0());
    }

    @Test
    void theLaneZeroBoundLastWinsWhileAnOldOneIsStillBound() {
        LaneServices<String> services = new LaneServices<>();
        services.add("single", Fakes.ONE_SHARD);
        services.add("lane0", Fakes.lane(0, 2));
        assertEquals("lane0", services.lane0());
        services.remove("lane0");
        assertEquals("single", services.lane0());
    }

    @Test
    void bindsFromManyThreadsWithoutLosingAService() throws Exception {
        LaneServices<Integer> services = new LaneServices<>();
        int threads = 8;
        int each = 200;
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> started = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int base = t * each;
            started.add(Thread.ofPlatform().start(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < each; i++) {
                    services.add(base + i, Fakes.lane((base + i) % 4, 4));
                    services.all();
                }
            }));
        }
        go.countDown();
        for (Thread thread : started) {
            thread.join();
        }
        assertEquals(threads * each, services.all().size());
    }
}
