package dev.netstack.runtime;

import dev.netstack.runtime.os.ErrnoException;
import dev.netstack.runtime.os.Linux;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Spin, then yield, then sleep in poll(2) on the devices' readiness descriptors and an eventfd of
 * its own, so a frame arriving or a {@link #wakeup()} from another thread ends the sleep at once.
 * A sleep never outlasts the next timer deadline nor {@code maxPollMs}.
 *
 * <pre>
 *  pollfd[0]     our eventfd       readable after wakeup(); drained on waking
 *  pollfd[1..n]  readinessFds()    readable when a device queue has frames
 * </pre>
 *
 * <p>{@link #wakeup()} writes to the eventfd only when no wake-up is pending, so a burst of commands
 * costs one system call. Nothing here allocates per turn: the pollfd array is rebuilt only when the
 * shard's set of descriptors changes.
 */
public final class PollIdleStrategy implements IdleStrategy {

    private static final System.Logger LOG = System.getLogger(PollIdleStrategy.class.getName());

    private final int maxSpins;
    private final int maxYields;
    private final int maxPollMs;
    private final Linux linux = new Linux();
    private final int eventFd;
    /** 8 bytes holding 1, written by wakeup() from any thread (never modified after construction). */
    private final MemorySegment one;
    /** 8 bytes the shard reads the eventfd counter into. */
    private final MemorySegment drain;
    private final AtomicBoolean wakePending = new AtomicBoolean();
    private volatile boolean closed;
    private Wake lastWake = Wake.NONE;

    /** Why the last sleep in poll(2) ended; for tests and diagnostics. */
    public enum Wake {
        /** No sleep yet, or the last idle call did not sleep. */
        NONE,
        /** {@link #wakeup()} was called. */
        WAKEUP,
        /** A device descriptor turned readable. */
        DEVICE,
        /** The timeout passed: the next timer or the longest sleep. */
        TIMEOUT,
        /** A signal interrupted poll(2), or poll(2) failed. */
        INTERRUPTED
    }

    private int spins;
    private int yields;
    private int[] polledFds;
    private MemorySegment pollFds;
    private int pollCount;

    /**
     * @param maxSpins idle turns spent in {@link Thread#onSpinWait()} before yielding
     * @param maxYields idle turns spent in {@link Thread#yield()} before polling
     * @param maxPollMs the longest sleep in poll(2), in milliseconds
     */
    public PollIdleStrategy(int maxSpins, int maxYields, int maxPollMs) {
        if (maxSpins < 0 || maxYields < 0 || maxPollMs < 0) {
            throw new IllegalArgumentException("spins, yields and poll time must not be negative");
        }
        this.maxSpins = maxSpins;
        this.maxYields = maxYields;
        this.maxPollMs = maxPollMs;
        this.eventFd = ErrnoException.check(linux.eventfd(0, Linux.EFD_NONBLOCK | Linux.EFD_CLOEXEC), "eventfd");
        Arena arena = Arena.ofAuto();
        this.one = arena.allocate(ValueLayout.JAVA_LONG);
        this.one.set(ValueLayout.JAVA_LONG, 0, 1L);
        this.drain = arena.allocate(ValueLayout.JAVA_LONG);
        rebuild(new int[0]);
    }

    /** 100 spins, 10 yields, then poll(2) for at most 10 ms at a time. */
    public PollIdleStrategy() {
        this(100, 10, 10);
    }

    @Override
    public void idle(int workCount, IdleContext context) {
        lastWake = Wake.NONE;
        if (workCount > 0) {
            spins = 0;
            yields = 0;
            return;
        }
        if (spins < maxSpins) {
            spins++;
            Thread.onSpinWait();
            return;
        }
        if (yields < maxYields) {
            yields++;
            Thread.yield();
            return;
        }
        int[] fds = context.readinessFds();
        if (fds != polledFds) {
            rebuild(fds);
        }
        int timeoutMs = timeoutMs(context.nowNs(), context.nextDeadlineNs(), maxPollMs);
        int ready = linux.poll(pollFds.address(), pollCount, timeoutMs);
        if (ready > 0) {
            lastWake = Wake.DEVICE;
            if ((pollFds.get(ValueLayout.JAVA_SHORT, Linux.POLLFD_REVENTS) & Linux.POLLIN) != 0) {
                lastWake = Wake.WAKEUP;
                // Clear the flag first: a wakeup() racing with the drain either sees it clear and
                // writes again (a spurious wake later), or finds the shard awake and about to turn.
                wakePending.set(false);
                linux.read(eventFd, drain.address(), Long.BYTES);
            }
            ignoreInvalidDescriptors();
        } else if (ready == 0) {
            lastWake = Wake.TIMEOUT;
        } else {
            lastWake = Wake.INTERRUPTED;
            if (ready == -Linux.EINTR) {
                return;
            }
            LOG.log(System.Logger.Level.WARNING, "poll failed: {0}", Linux.strerror(ready));
            backOffAfterFailure();
        }
    }

    /**
     * A device closed before its task left the shard reports POLLNVAL on every poll, which would
     * turn the sleep into a busy loop: negate its entry so poll(2) skips it until the set changes.
     */
    private void ignoreInvalidDescriptors() {
        for (int i = 1; i < pollCount; i++) {
            long at = (long) i * Linux.POLLFD_BYTES;
            if ((pollFds.get(ValueLayout.JAVA_SHORT, at + Linux.POLLFD_REVENTS) & Linux.POLLNVAL) != 0) {
                pollFds.set(ValueLayout.JAVA_INT, at, -1);
            }
        }
    }

    /** Milliseconds to sleep: up to the next deadline rounded up, at most {@code maxPollMs}, at least 0. */
    static int timeoutMs(long nowNs, long nextDeadlineNs, int maxPollMs) {
        if (nextDeadlineNs == Long.MAX_VALUE) {
            return maxPollMs;
        }
        long untilNs = nextDeadlineNs - nowNs;
        if (untilNs <= 0) {
            return 0;
        }
        long ms = (untilNs + 999_999) / 1_000_000;
        return (int) Math.min(ms, maxPollMs);
    }

    /** poll(2) failing must not turn the shard into a busy loop. */
    private void backOffAfterFailure() {
        try {
            Thread.sleep(Math.max(1, maxPollMs));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void rebuild(int[] fds) {
        int count = 1 + fds.length;
        MemorySegment next = Arena.ofAuto().allocate((long) count * Linux.POLLFD_BYTES, 8);
        next.set(ValueLayout.JAVA_INT, 0, eventFd);
        next.set(ValueLayout.JAVA_SHORT, Linux.POLLFD_EVENTS, Linux.POLLIN);
        for (int i = 0; i < fds.length; i++) {
            long at = (long) (i + 1) * Linux.POLLFD_BYTES;
            next.set(ValueLayout.JAVA_INT, at, fds[i]);
            next.set(ValueLayout.JAVA_SHORT, at + Linux.POLLFD_EVENTS, Linux.POLLIN);
        }
        pollFds = next;
        pollCount = count;
        polledFds = fds;
    }

    @Override
    public void wakeup() {
        if (closed || wakePending.get() || !wakePending.compareAndSet(false, true)) {
            return;
        }
        Linux.writeFromAnyThread(eventFd, one.address(), Long.BYTES);
    }

    /** Why the last idle call's sleep ended. Shard thread only. */
    public Wake lastWake() {
        return lastWake;
    }

    /** The eventfd {@link #wakeup()} signals, for tests and diagnostics. */
    public int eventFd() {
        return eventFd;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        linux.close(eventFd);
    }
}
