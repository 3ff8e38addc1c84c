package dev.netstack.runtime;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class IdleStrategiesTest {

    @Test
    void mapsConfiguredNamesToStrategies() {
        assertInstanceOf(BackoffIdleStrategy.class, IdleStrategies.create("backoff"));
        assertInstanceOf(BackoffIdleStrategy.class, IdleStrategies.create(null));
        assertInstanceOf(BackoffIdleStrategy.class, IdleStrategies.create(""));
        assertInstanceOf(SpinIdleStrategy.class, IdleStrategies.create(" Spin "));
        assertInstanceOf(YieldIdleStrategy.class, IdleStrategies.create("YIELD"));
    }

    @Test
    void givesANewInstanceEachTime() {
        assertNotSame(IdleStrategies.create("backoff"), IdleStrategies.create("backoff"));
    }

    @Test
    void rejectsUnknownNameWithTheAcceptedOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IdleStrategies.create("sleep"));
        assertEquals("idle must be backoff, spin, yield or poll, got 'sleep'", e.getMessage());
    }

    @Test
    void pollLoadsPollIdleStrategyOrSaysItIsMissing() {
        boolean present;
        try {
            Class.forName("dev.netstack.runtime.PollIdleStrategy");
            present = true;
        } catch (ClassNotFoundException e) {
            present = false;
        }
        if (present) {
            IdleStrategy idle;
            try {
                idle = IdleStrategies.create("poll");
            } catch (IllegalArgumentException e) {
                // present but unable to start here (no eventfd, say): the message must say what to do
                assertTrue(e.getMessage().contains("use backoff, spin or yield"), e.getMessage());
                return;
            }
            assertEquals("PollIdleStrategy", idle.getClass().getSimpleName());
            idle.close();
        } else {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IdleStrategies.create("poll"));
            assertTrue(e.getMessage().startsWith("idle 'poll' is not available in this build"), e.getMessage());
        }
    }

    @Test
    void spinAndYieldReturnAtOnce() {
        IdleStrategy.IdleContext context = new IdleStrategy.IdleContext() {
            @Override
            public long nowNs() {
                return 0;
            }

            @Override
            public long nextDeadlineNs() {
                return Long.MAX_VALUE;
            }

            @Override
            public int[] readinessFds() {
                return new int[0];
            }
        };
        for (IdleStrategy idle : new IdleStrategy[] {new SpinIdleStrategy(), new YieldIdleStrategy()}) {
            long start = System.nanoTime();
            for (int i = 0; i < 1_000; i++) {
                idle.idle(0, context);
                idle.idle(1, context);
            }
            idle.wakeup();
            assertTrue(System.nanoTime() - start < 5_000_000_000L, idle + " slept");
        }
    }
}
