package dev.netstack.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.runtime.os.ErrnoException;
import dev.netstack.runtime.os.Linux;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PollIdleStrategyTest {

    private static final long MS = 1_000_000L;

    private final Linux linux = new Linux();
    private final PollIdleStrategy idle = new PollIdleStrategy(0, 0, 5_000);

    @AfterEach
    void close() {
        idle.close();
    }

    private record Context(long nowNs, long nextDeadlineNs, int[] readinessFds) implements IdleStrategy.IdleContext {
    }

    private static Context noTimers(int... fds) {
        return new Context(System.nanoTime(), Long.MAX_VALUE, fds);
    }

    /** Runs one idle call and returns how long it slept, in ms. */
    private long timedIdle(IdleStrategy.IdleContext context) {
        long start = System.nanoTime();
        idle.idle(0, context);
        return (System.nanoTime() - start) / MS;
    }

    @Test
    void wakeupFromAnotherThreadEndsTheSleep() {
        CompletableFuture.runAsync(idle::wakeup, CompletableFuture.delayedExecutor(50, TimeUnit.MILLISECONDS));
        long sleptMs = timedIdle(noTimers());
        assertTrue(sleptMs >= 30 && sleptMs < 2_000, "slept " + sleptMs + " ms");
    }

    @Test
    void wakeupBeforeTheSleepMakesItReturnAtOnceAndIsDrained() {
        idle.wakeup();
        idle.wakeup();
        assertTrue(timedIdle(noTimers()) < 1_000);
        // Drained: the next sleep lasts until the (short) deadline.
        long now = System.nanoTime();
        long sleptMs = timedIdle(new Context(now, now + 40 * MS, new int[0]));
        assertTrue(sleptMs >= 30, "slept " + sleptMs + " ms");
    }

    @Test
    void readableDeviceDescriptorEndsTheSleep() {
        int fd = ErrnoException.check(linux.eventfd(0, Linux.EFD_NONBLOCK), "eventfd");
        MemorySegment one = Arena.ofAuto().allocate(ValueLayout.JAVA_LONG);
        one.set(ValueLayout.JAVA_LONG, 0, 1L);
        try {
            CompletableFuture.runAsync(() -> Linux.writeFromAnyThread(fd, one.address(), 8),
                    CompletableFuture.delayedExecutor(50, TimeUnit.MILLISECONDS));
            long sleptMs = timedIdle(noTimers(fd));
            assertTrue(sleptMs >= 30 && sleptMs < 2_000, "slept " + sleptMs + " ms");
        } finally {
            linux.close(fd);
        }
    }

    @Test
    void sleepEndsAtTheNextTimerDeadline() {
        long now = System.nanoTime();
        long sleptMs = timedIdle(new Context(now, now + 60 * MS, new int[0]));
        assertTrue(sleptMs >= 50 && sleptMs < 2_000, "slept " + sleptMs + " ms");
    }

    @Test
    void sleepIsBoundedByMaxPollTime() {
        try (var shortPoll = new Closing(new PollIdleStrategy(0, 0, 20))) {
            long start = System.nanoTime();
            shortPoll.idle.idle(0, noTimers());
            long sleptMs = (System.nanoTime() - start) / MS;
            assertTrue(sleptMs >= 15 && sleptMs < 2_000, "slept " + sleptMs + " ms");
        }
    }

    @Test
    void workDoneOrSpinsLeftMeanNoSleep() {
        try (var spinning = new Closing(new PollIdleStrategy(3, 2, 5_000))) {
            long start = System.nanoTime();
            spinning.idle.idle(1, noTimers());
            for (int i = 0; i < 5; i++) {   // 3 spins, 2 yields
                spinning.idle.idle(0, noTimers());
            }
            spinning.idle.idle(7, noTimers()); // work resets the back-off
            spinning.idle.idle(0, noTimers());
            assertTrue((System.nanoTime() - start) / MS < 1_000);
        }
    }

    @Test
    void closedDeviceDescriptorDoesNotTurnSleepIntoBusyLoop() {
        int fd = ErrnoException.check(linux.eventfd(0, Linux.EFD_NONBLOCK), "eventfd");
        linux.close(fd);
        int[] fds = {fd};
        timedIdle(new Context(System.nanoTime(), System.nanoTime() + 30 * MS, fds)); // POLLNVAL: returns at once
        long now = System.nanoTime();
        long sleptMs = timedIdle(new Context(now, now + 40 * MS, fds));
        assertTrue(sleptMs >= 30, "slept " + sleptMs + " ms");
    }

    @Test
    void timeoutRoundsUpToTheDeadlineAndClamps() {
        assertEquals(10, PollIdleStrategy.timeoutMs(0, Long.MAX_VALUE, 10));
        assertEquals(0, PollIdleStrategy.timeoutMs(100, 50, 10));
        assertEquals(1, PollIdleStrategy.timeoutMs(0, 1, 10));
        assertEquals(3, PollIdleStrategy.timeoutMs(Long.MAX_VALUE - 10, Long.MAX_VALUE - 10 + 2_500_000, 10));
        assertEquals(10, PollIdleStrategy.timeoutMs(0, 1_000 * MS, 10));
    }

    @Test
    void closeIsIdempotentAndWakeupAfterCloseIsHarmless() {
        PollIdleStrategy other = new PollIdleStrategy();
        other.close();
        other.close();
        other.wakeup();
        assertEquals(-Linux.EBADF, linux.fcntl(other.eventFd(), Linux.F_GETFL, 0));
    }

    @Test
    void hasPublicNoArgConstructorForReflectiveCreation() throws Exception {
        IdleStrategy s = (IdleStrategy) Class.forName("dev.netstack.runtime.PollIdleStrategy")
                .getConstructor().newInstance();
        s.close();
    }

    private record Closing(PollIdleStrategy idle) implements AutoCloseable {
        @Override
        public void close() {
            idle.close();
        }
    }
}
