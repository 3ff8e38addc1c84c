package dev.netstack.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

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

    /**
     * Runs idle calls until one sleep ends for a reason other than a signal, and returns that
     * reason. The tests check why a sleep ended, never how long it took.
     */
    private static PollIdleStrategy.Wake sleepOnce(PollIdleStrategy strategy, IdleStrategy.IdleContext context) {
        for (int attempt = 0; attempt < 100; attempt++) {
            strategy.idle(0, context);
            if (strategy.lastWake() != PollIdleStrategy.Wake.INTERRUPTED) {
                return strategy.lastWake();
            }
        }
        throw new AssertionError("poll(2) was interrupted 100 times in a row");
    }

    @Test
    void wakeupFromAnotherThreadEndsTheSleep() {
        CompletableFuture.runAsync(idle::wakeup, CompletableFuture.delayedExecutor(50, TimeUnit.MILLISECONDS));
        assertEquals(PollIdleStrategy.Wake.WAKEUP, sleepOnce(idle, noTimers()));
    }

    @Test
    void wakeupBeforeTheSleepMakesItReturnAtOnceAndIsDrained() {
        idle.wakeup();
        idle.wakeup();
        assertEquals(PollIdleStrategy.Wake.WAKEUP, sleepOnce(idle, noTimers()));
        // Drained: the next sleep lasts until the (short) deadline.
        long now = System.nanoTime();
        assertEquals(PollIdleStrategy.Wake.TIMEOUT, sleepOnce(idle, new Context(now, now + 40 * MS, new int[0])));
        // And a later wakeup is heard again.
        idle.wakeup();
        assertEquals(PollIdleStrategy.Wake.WAKEUP, sleepOnce(idle, noTimers()));
    }

    @Test
    void readableDeviceDescriptorEndsTheSleep() {
        int fd = ErrnoException.check(linux.eventfd(0, Linux.EFD_NONBLOCK), "eventfd");
        MemorySegment one = Arena.ofAuto().allocate(ValueLayout.JAVA_LONG);
        one.set(ValueLayout.JAVA_LONG, 0, 1L);
        try {
            CompletableFuture.runAsync(() -> Linux.writeFromAnyThread(fd, one.address(), 8),
                    CompletableFuture.delayedExecutor(50, TimeUnit.MILLISECONDS));
            assertEquals(PollIdleStrategy.Wake.DEVICE, sleepOnce(idle, noTimers(fd)));
        } finally {
            linux.close(fd);
        }
    }

    @Test
    void sleepEndsAtTheNextTimerDeadline() {
        long now = System.nanoTime();
        // The strategy's own longest sleep is 5 s: only the deadline can end this one.
        assertEquals(PollIdleStrategy.Wake.TIMEOUT, sleepOnce(idle, new Context(now, now + 60 * MS, new int[0])));
    }

    @Test
    void sleepIsBoundedByMaxPollTime() {
        try (var shortPoll = new Closing(new PollIdleStrategy(0, 0, 20))) {
            assertEquals(PollIdleStrategy.Wake.TIMEOUT, sleepOnce(shortPoll.idle, noTimers()));
        }
    }

    @Test
    void workDoneOrSpinsLeftMeanNoSleep() {
        try (var spinning = new Closing(new PollIdleStrategy(3, 2, 5_000))) {
            spinning.idle.idle(1, noTimers());
            assertEquals(PollIdleStrategy.Wake.NONE, spinning.idle.lastWake());
            for (int i = 0; i < 5; i++) {   // 3 spins, 2 yields
                spinning.idle.idle(0, noTimers());
                assertEquals(PollIdleStrategy.Wake.NONE, spinning.idle.lastWake(), "idle call " + i + " must not sleep");
            }
            spinning.idle.idle(7, noTimers()); // work resets the back-off
            spinning.idle.idle(0, noTimers());
            assertEquals(PollIdleStrategy.Wake.NONE, spinning.idle.lastWake());
        }
    }

    @Test
    void closedDeviceDescriptorDoesNotTurnSleepIntoBusyLoop() {
        int fd = ErrnoException.check(linux.eventfd(0, Linux.EFD_NONBLOCK), "eventfd");
        linux.close(fd);
        int[] fds = {fd};
        // POLLNVAL ends the first sleep at once; the descriptor is then skipped.
        assertEquals(PollIdleStrategy.Wake.DEVICE, sleepOnce(idle, new Context(System.nanoTime(), Long.MAX_VALUE, fds)));
        long now = System.nanoTime();
        assertEquals(PollIdleStrategy.Wake.TIMEOUT, sleepOnce(idle, new Context(now, now + 40 * MS, fds)));
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
