package dev.netstack.runtime;

/**
 * A hashed timing wheel (Varghese and Lauck) for the timers of one shard: O(1) schedule and
 * cancel, no allocation, expiry checked once per turn.
 *
 * <pre>
 *   slot = (deadlineNs / tickNs) &amp; (slots - 1)
 *   +----+----+----+----+ ... +----+
 *   | t3 |    | t1 |    |     | t7 |   each slot: a doubly linked list of Timers
 *   +----+----+----+----+ ... +----+
 *          ^ cursor: the tick of the last poll
 * </pre>
 *
 * <p>A timer further out than one revolution sits in its slot until the cursor has passed it often
 * enough: {@link #poll} fires only timers whose deadline has passed. Timers fire at most one tick
 * late, never early.
 *
 * <p>{@link #poll} first moves every due timer to an expired list (an extra list head after the
 * slots), then fires them in tick order. While they fire, {@link Timer#onExpiry} may cancel or
 * reschedule any timer, those still waiting on the expired list included; a timer scheduled there
 * for a deadline that has passed fires on the next poll, never twice in one.
 *
 * <p>Confined to its shard thread.
 */
public final class TimerWheel {

    private final long tickNs;
    private final int mask;
    /** The slots, and at index {@code expired} the list of timers due in the poll under way. */
    private final Timer[] heads;
    private final int expired;
    private Timer expiredTail;
    private long cursorTick;
    private int scheduled;

    /**
     * @param tickNs resolution; timers fire up to this much after their deadline
     * @param slots number of slots, a power of two
     * @param startNs the clock's reading now
     */
    public TimerWheel(long tickNs, int slots, long startNs) {
        if (tickNs <= 0 || Integer.bitCount(slots) != 1) {
            throw new IllegalArgumentException("tick must be positive and slots a power of two: " + tickNs + ", " + slots);
        }
        this.tickNs = tickNs;
        this.mask = slots - 1;
        this.heads = new Timer[slots + 1];
        this.expired = slots;
        this.cursorTick = Math.floorDiv(startNs, tickNs);
    }

    /** A wheel with a 1 ms tick and 4096 slots (one revolution is about 4 s). */
    public static TimerWheel withDefaults(long startNs) {
        return new TimerWheel(1_000_000L, 4096, startNs);
    }

    public long tickNs() {
        return tickNs;
    }

    /** Schedules {@code timer} for {@code deadlineNs}, moving it if it was already scheduled. */
    public void schedule(Timer timer, long deadlineNs) {
        if (timer.isScheduled()) {
            unlink(timer);
        }
        timer.deadlineNs = deadlineNs;
        long tick = Math.floorDiv(deadlineNs, tickNs);
        if (tick < cursorTick) {
            tick = cursorTick; // already due: fire on the next poll
        }
        int slot = (int) (tick & mask);
        Timer head = heads[slot];
        timer.next = head;
        timer.previous = null;
        if (head != null) {
            head.previous = timer;
        }
        heads[slot] = timer;
        timer.slot = slot;
        scheduled++;
    }

    /** Cancels {@code timer} if scheduled; harmless otherwise. */
    public void cancel(Timer timer) {
        if (timer.isScheduled()) {
            unlink(timer);
        }
    }

    private void unlink(Timer timer) {
        if (timer.previous != null) {
            timer.previous.next = timer.next;
        } else {
            heads[timer.slot] = timer.next;
        }
        if (timer.next != null) {
            timer.next.previous = timer.previous;
        } else if (timer == expiredTail) {
            expiredTail = timer.previous;
        }
        timer.next = null;
        timer.previous = null;
        timer.slot = -1;
        scheduled--;
    }

    /**
     * Fires every timer whose deadline is at or before {@code nowNs}. A timer may reschedule itself
     * (or others) from {@link Timer#onExpiry}; one rescheduled into the past fires on the next poll.
     *
     * @return the number of timers fired
     */
    public int poll(long nowNs) {
        long nowTick = Math.floorDiv(nowNs, tickNs);
        if (scheduled == 0) {
            cursorTick = Math.max(cursorTick, nowTick);
            return 0;
        }
        long from = cursorTick;
        // After a long gap every slot is visited once instead of once per elapsed tick.
        long last = nowTick - from > mask ? from + mask : nowTick;
        for (long tick = from; tick <= last; tick++) {
            int slot = (int) (tick & mask);
            Timer timer = heads[slot];
            while (timer != null) {
                Timer next = timer.next;
                if (timer.deadlineNs - nowNs <= 0) {
                    unlink(timer);
                    appendExpired(timer);
                }
                timer = next;
            }
        }
        // Timers scheduled into the past while firing land in the slot of nowTick, which the next poll visits first.
        cursorTick = Math.max(cursorTick, nowTick);
        int fired = 0;
        Timer timer;
        while ((timer = heads[expired]) != null) {
            unlink(timer);
            timer.onExpiry(nowNs);
            fired++;
        }
        return fired;
    }

    private void appendExpired(Timer timer) {
        timer.slot = expired;
        timer.next = null;
        timer.previous = expiredTail;
        if (expiredTail == null) {
            heads[expired] = timer;
        } else {
            expiredTail.next = timer;
        }
        expiredTail = timer;
        scheduled++;
    }

    /** Number of timers scheduled. */
    public int size() {
        return scheduled;
    }

    /**
     * The earliest deadline of any scheduled timer, or {@code Long.MAX_VALUE} if there is none. Scans
     * the wheel: for idle strategies, not for every turn.
     */
    public long earliestDeadlineNs() {
        if (scheduled == 0) {
            return Long.MAX_VALUE;
        }
        long earliest = Long.MAX_VALUE;
        boolean found = false;
        for (Timer head : heads) {
            for (Timer timer = head; timer != null; timer = timer.next) {
                if (!found || timer.deadlineNs - earliest < 0) {
                    earliest = timer.deadlineNs;
                    found = true;
                }
            }
        }
        return earliest;
    }
}
