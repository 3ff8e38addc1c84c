package dev.netstack.test;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class VirtualClockTest {

    @Test
    void movesOnlyWhenTold() {
        VirtualClock clock = new VirtualClock(100);
        assertEquals(100, clock.nanoTime());
        assertEquals(100, clock.nanoTime());
        assertEquals(150, clock.advance(50));
        clock.set(1_000);
        assertEquals(1_000, clock.nanoTime());
        clock.set(1_000);
        assertEquals(1_000, clock.advance(0));
        assertEquals(0, new VirtualClock().nanoTime());
    }

    @Test
    void refusesToGoBack() {
        VirtualClock clock = new VirtualClock(10);
        assertThrows(IllegalArgumentException.class, () -> clock.advance(-1));
        assertThrows(IllegalArgumentException.class, () -> clock.set(9));
        assertEquals(10, clock.nanoTime());
    }

    @Test
    void comparesAcrossTheWrapOfLong() {
        VirtualClock clock = new VirtualClock(Long.MAX_VALUE - 5);
        clock.advance(10);
        assertEquals(Long.MIN_VALUE + 4, clock.nanoTime());
        clock.set(Long.MIN_VALUE + 5); // later, in wrap-around arithmetic
        assertThrows(IllegalArgumentException.class, () -> clock.set(Long.MAX_VALUE));
    }
}
