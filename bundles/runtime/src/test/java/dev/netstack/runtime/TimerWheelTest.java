package dev.netstack.runtime;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TimerWheelTest {

    private static final long MS = 1_000_000L;

    /** A timer that records when it fired. */
    private static final class Probe extends Timer {
        final String name;
        final List<String> log;
        long firedAtNs = -1;
        int fires;

        Probe(String name, List<String> log) {
            this.name = name;
            this.log = log;
        }

        @Override
        protected void onExpiry(long nowNs) {
            firedAtNs = nowNs;
            fires++;
            log.add(name);
        }
    }

    private final List<String> log = new ArrayList<>();

    @Test
    void firesTimersInDeadlineOrderAcrossTicks() {
        TimerWheel wheel = new TimerWheel(MS, 64, 0);
        Probe a = new Probe("a", log);
        Probe b = new Probe("b", log);
        Probe c = new Probe("c", log);
        wheel.schedule(c, 30 * MS);
        wheel.schedule(a, 10 * MS);
        wheel.schedule(b, 20 * MS);
        assertEquals(3, wheel.size());
        assertEquals(3, wheel.poll(40 * MS));
        assertEquals(List.of("a", "b", "c"), log);
        assertEquals(0, wheel.size());
        assertFalse(a.isScheduled());
    }

    @Test
    void neverFiresBeforeTheDeadline() {
        TimerWheel wheel = new TimerWheel(MS, 64, 0);
        Probe p = new Probe("p", log);
        wheel.schedule(p, 5 * MS + 500);
        assertEquals(0, wheel.poll(5 * MS));
        assertEquals(0, wheel.poll(5 * MS + 499));
        assertEquals(1, wheel.poll(5 * MS + 500));
        assertEquals(5 * MS + 500, p.firedAtNs);
    }

    @Test
    void firesAtTheFirstPollAtOrAfterTheDeadlineWithRandomDeadlinesAndPolls() {
        long seed = System.nanoTime();
        System.out.println("TimerWheelTest seed " + seed);
        SplittableRandom random = new SplittableRandom(seed);
        long start = random.nextLong(-1_000_000 * MS, 1_000_000 * MS);
        TimerWheel wheel = new TimerWheel(MS, 256, start);
        Probe[] probes = new Probe[2_000];
        for (int i = 0; i < probes.length; i++) {
            probes[i] = new Probe("t" + i, log);
            // up to four revolutions ahead, some inside the current tick
            wheel.schedule(probes[i], start + random.nextLong(0, 4 * 256 * MS));
        }
        long now = start;
        long previous = start;
        while (wheel.size() > 0) {
            previous = now;
            now += random.nextLong(1, 3 * MS); // polls up to three ticks apart
            wheel.poll(now);
            for (Probe p : probes) {
                if (p.firedAtNs == now) {
                    assertTrue(p.deadlineNs() - now <= 0, "early: seed " + seed);
                    assertTrue(p.deadlineNs() - previous > 0, "missed an earlier poll: seed " + seed);
                } else if (p.fires == 0) {
                    assertTrue(p.deadlineNs() - now > 0, "late: seed " + seed);
                }
            }
        }
        for (Probe p : probes) {
            assertEquals(1, p.fires, "seed " + seed);
        }
    }

    @Test
    void cancelledTimerDoesNotFire() {
        TimerWheel wheel = new TimerWheel(MS, 64, 0);
        Probe p = new Probe("p", log);
        Probe q = new Probe("q", log);
        wheel.schedule(p, 3 * MS);
        wheel.schedule(q, 3 * MS);
        wheel.cancel(p);
        wheel.cancel(p);
        assertFalse(p.isScheduled());
        assertEquals(1, wheel.size());
        assertEquals(1, wheel.poll(10 * MS));
        assertEquals(List.of("q"), log);
        wheel.cancel(new Probe("never", log));
        assertEquals(0, wheel.size());
    }

    @Test
    void schedulingAgainMovesTheTimer() {
        TimerWheel wheel = new TimerWheel(MS, 64, 0);
        Probe p = new Probe("p", log);
        wheel.schedule(p, 3 * MS);
        wheel.schedule(p, 9 * MS);
        assertEquals(1, wheel.size());
        assertEquals(0, wheel.poll(5 * MS));
        assertEquals(1, wheel.poll(9 * MS));
        assertEquals(9 * MS, p.deadlineNs());
    }

    @Test
    void timerBeyondOneRevolutionWaitsForItsDeadline() {
        TimerWheel wheel = new TimerWheel(MS, 8, 0);
        Probe p = new Probe("p", log);
        wheel.schedule(p, 20 * MS);
        for (long t = 1; t < 20; t++) {
            assertEquals(0, wheel.poll(t * MS), "at " + t + " ms");
        }
        assertEquals(1, wheel.poll(20 * MS));
    }

    @Test
    void longGapFiresEverythingDueAndKeepsTheRest() {
        TimerWheel wheel = new TimerWheel(MS, 8, 0);
        Probe a = new Probe("a", log);
        Probe b = new Probe("b", log);
        Probe c = new Probe("c", log);
        wheel.schedule(a, 3 * MS);
        wheel.schedule(b, 20 * MS);
        wheel.schedule(c, 100 * MS);
        assertEquals(2, wheel.poll(50 * MS));
        assertTrue(c.isScheduled());
        assertEquals(0, wheel.poll(99 * MS));
        assertEquals(1, wheel.poll(1_000 * MS));
        assertEquals(List.of("a", "b", "c"), log);
    }

    @Test
    void timerScheduledIntoThePastFiresOnTheNextPoll() {
        TimerWheel wheel = new TimerWheel(MS, 64, 0);
        wheel.poll(10 * MS);
        Probe p = new Probe("p", log);
        wheel.schedule(p, 2 * MS);
        assertEquals(1, wheel.poll(10 * MS));
    }

    @Test
    void reschedulingFromOnExpiryFiresOnceAPoll() {
        TimerWheel wheel = new TimerWheel(MS, 64, 0);
        int[] fires = {0};
        Timer periodic = new Timer() {
            @Override
            protected void onExpiry(long nowNs) {
                fires[0]++;
                wheel.schedule(this, nowNs); // due again at once: must wait for the next poll
            }
        };
        wheel.schedule(periodic, MS);
        assertEquals(1, wheel.poll(5 * MS));
        assertEquals(1, wheel.poll(5 * MS));
        assertEquals(1, wheel.poll(6 * MS));
        assertEquals(3, fires[0]);
        assertTrue(periodic.isScheduled());
    }

    @Test
    void reschedulingFromOnExpiryIntoAnEarlierTickOfThisPollDoesNotFireTwice() {
        TimerWheel wheel = new TimerWheel(MS, 64, 0);
        int[] fires = {0};
        Timer t = new Timer() {
            @Override
            protected void onExpiry(long nowNs) {
                if (++fires[0] == 1) {
                    wheel.schedule(this, nowNs - MS);
                }
            }
        };
        wheel.schedule(t, MS);
        assertEquals(1, wheel.poll(10 * MS));
        assertEquals(1, fires[0]);
        assertEquals(1, wheel.poll(11 * MS));
        assertEquals(2, fires[0]);
    }

    @Test
    void onExpiryMayCancelOrRescheduleAnotherDueTimer() {
        TimerWheel wheel = new TimerWheel(MS, 64, 0);
        Probe victim = new Probe("victim", log);
        Probe moved = new Probe("moved", log);
        Timer killer = new Timer() {
            @Override
            protected void onExpiry(long nowNs) {
                log.add("killer");
                wheel.cancel(victim);
                wheel.schedule(moved, nowNs + 5 * MS);
            }
        };
        wheel.schedule(killer, MS);
        wheel.schedule(victim, 2 * MS);
        wheel.schedule(moved, 2 * MS);
        assertEquals(1, wheel.poll(3 * MS));
        assertEquals(List.of("killer"), log);
        assertEquals(1, wheel.size());
        assertEquals(1, wheel.poll(8 * MS));
        assertEquals(List.of("killer", "moved"), log);
        assertEquals(-1, victim.firedAtNs);
    }

    @Test
    void manyTimersAllFireOnce() {
        TimerWheel wheel = TimerWheel.withDefaults(0);
        SplittableRandom random = new SplittableRandom(99);
        Probe[] probes = new Probe[100_000];
        List<String> quiet = new ArrayList<>(probes.length);
        for (int i = 0; i < probes.length; i++) {
            probes[i] = new Probe("", quiet);
            wheel.schedule(probes[i], random.nextLong(0, 10_000 * MS));
        }
        int fired = 0;
        for (long t = 0; t <= 10_000; t += 7) {
            fired += wheel.poll(t * MS);
        }
        fired += wheel.poll(10_001 * MS);
        assertEquals(probes.length, fired);
        for (Probe p : probes) {
            assertEquals(1, p.fires);
            assertTrue(p.firedAtNs - p.deadlineNs() >= 0);
            assertTrue(p.firedAtNs - p.deadlineNs() < 7 * MS);
        }
        assertEquals(0, wheel.size());
    }

    @Test
    void earliestDeadlineIsTheMinimumOrMaxValueWhenEmpty() {
        TimerWheel wheel = new TimerWheel(MS, 16, 0);
        assertEquals(Long.MAX_VALUE, wheel.earliestDeadlineNs());
        Probe a = new Probe("a", log);
        Probe b = new Probe("b", log);
        wheel.schedule(a, 100 * MS + 3);
        wheel.schedule(b, 40 * MS + 7);
        assertEquals(40 * MS + 7, wheel.earliestDeadlineNs());
        wheel.cancel(b);
        assertEquals(100 * MS + 3, wheel.earliestDeadlineNs());
    }

    @Test
    void worksWithNegativeClockReadings() {
        long start = -5_000 * MS - 123;
        TimerWheel wheel = new TimerWheel(MS, 64, start);
        Probe p = new Probe("p", log);
        wheel.schedule(p, start + 2 * MS);
        assertEquals(0, wheel.poll(start + MS));
        assertEquals(1, wheel.poll(start + 2 * MS));
    }

    @Test
    void rejectsBadGeometry() {
        assertThrows(IllegalArgumentException.class, () -> new TimerWheel(0, 64, 0));
        assertThrows(IllegalArgumentException.class, () -> new TimerWheel(MS, 100, 0));
    }
}
