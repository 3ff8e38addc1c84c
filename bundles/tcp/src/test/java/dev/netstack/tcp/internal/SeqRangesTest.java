package dev.netstack.tcp.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class SeqRangesTest {

    @Test
    void mergesOverlappingAndAdjacentRangesAndKeepsTheTotal() {
        SeqRanges r = new SeqRanges(8);
        r.add(100, 200);
        r.add(300, 400);
        r.add(200, 300); // joins both
        assertEquals(1, r.count());
        assertEquals(100, r.left(0));
        assertEquals(400, r.right(0));
        assertEquals(300, r.totalBytes());
        r.add(500, 600);
        r.removeBelow(150);
        assertEquals(350, r.totalBytes());
        assertEquals(150, r.left(0));
    }

    @Test
    void answersQueriesAcrossTheSequenceWrap() {
        int base = Integer.MAX_VALUE - 150;
        SeqRanges r = new SeqRanges(8);
        r.add(base + 100, base + 200);
        r.add(base + 300, base + 400);
        assertEquals(100, r.bytesBetween(base + 150, base + 350));
        assertEquals(200, r.bytesBetween(base, base + 500));
        assertEquals(0, r.bytesBetween(base + 200, base + 300));
        assertTrue(r.overlaps(base + 199, base + 300));
        assertFalse(r.overlaps(base + 200, base + 300));
        assertEquals(base + 300, r.nextLeftAbove(base + 100, 0));
        assertEquals(7, r.nextLeftAbove(base + 300, 7));
        assertEquals(base + 200, r.lastRightAtOrBelow(base + 299, 7));
        assertEquals(7, r.lastRightAtOrBelow(base + 199, 7));
        assertEquals(base + 400, r.highest(0));
    }

    @Test
    void totalMatchesARecountAfterRandomOperations() {
        long seed = Long.getLong("tcp.seqranges.seed", System.nanoTime());
        System.out.println("seed " + seed);
        Random random = new Random(seed);
        SeqRanges r = new SeqRanges(16);
        int floor = 0;
        for (int i = 0; i < 10_000; i++) {
            if (random.nextInt(10) == 0) {
                floor += random.nextInt(50);
                r.removeBelow(floor);
            } else {
                int left = floor + random.nextInt(2000);
                r.add(left, left + 1 + random.nextInt(100));
            }
            long recount = 0;
            for (int j = 0; j < r.count(); j++) {
                recount += r.right(j) - r.left(j);
                if (j > 0) {
                    assertTrue(r.right(j - 1) < r.left(j), "sorted and merged, seed " + seed);
                }
            }
            assertEquals(recount, r.totalBytes(), "seed " + seed);
        }
    }
}
