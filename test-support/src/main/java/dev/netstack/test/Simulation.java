package dev.netstack.test;

import dev.netstack.runtime.EventLoop;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;

/**
 * Deterministic simulation: several manual {@link EventLoop}s (one per simulated host or shard)
 * run turn by turn on the test's thread with a {@link VirtualClock}, so a run depends only on its
 * seed.
 *
 * <pre>{@code
 *   Simulation sim = new Simulation(seed);          // prints "simulation seed ..."
 *   EventLoop hostA = sim.addLoop(0), hostB = sim.addLoop(1);
 *   ... wire stacks over a MemoryLink, faults seeded from sim.random() ...
 *   sim.runUntil(() -> received[0] == 100, 10 * SECOND_NS);   // fails naming the seed if it times out
 * }</pre>
 *
 * <p>Each step runs one turn of every loop, in the order they were added, at the clock's time, then
 * moves the clock: by {@link #turnNs()} after a step that did work; after a step without work, to
 * the earliest timer deadline of any loop, but never further than {@link #idleStepNs()} (so frames
 * held by a delaying device are not skipped over).
 *
 * <p>Not thread-safe: one test thread drives it.
 */
public final class Simulation {

    private final long seed;
    private final SplittableRandom random;
    private final VirtualClock clock;
    private final List<EventLoop> loops = new ArrayList<>();
    private long turnNs = 1_000;
    private long idleStepNs = 1_000_000;
    private long steps;

    /** A simulation with its clock at 0; prints the seed so a failing run can be repeated. */
    public Simulation(long seed) {
        this.seed = seed;
        this.random = new SplittableRandom(seed);
        this.clock = new VirtualClock(0);
        System.out.println("simulation seed " + seed);
    }

    /** A simulation with a seed taken from the clock (printed). */
    public static Simulation randomSeed() {
        return new Simulation(System.nanoTime());
    }

    public long seed() {
        return seed;
    }

    /** The simulation's random source; draw everything random (fault seeds, ports) from it. */
    public SplittableRandom random() {
        return random;
    }

    public VirtualClock clock() {
        return clock;
    }

    /** Virtual time one busy step takes (default 1 µs). */
    public long turnNs() {
        return turnNs;
    }

    public Simulation turnNs(long ns) {
        if (ns <= 0) {
            throw new IllegalArgumentException("a turn must take some time, got " + ns + " ns");
        }
        this.turnNs = ns;
        return this;
    }

    /** Largest jump of the clock after an idle step (default 1 ms). */
    public long idleStepNs() {
        return idleStepNs;
    }

    public Simulation idleStepNs(long ns) {
        if (ns <= 0) {
            throw new IllegalArgumentException("an idle step must take some time, got " + ns + " ns");
        }
        this.idleStepNs = ns;
        return this;
    }

    /** Creates a manual loop on the simulation's clock and adds it. */
    public EventLoop addLoop(int id) {
        EventLoop loop = EventLoop.manual(id, clock);
        loops.add(loop);
        return loop;
    }

    /** Adds a manual loop made elsewhere; it must read this simulation's {@link #clock()}. */
    public Simulation add(EventLoop loop) {
        loops.add(loop);
        return this;
    }

    public List<EventLoop> loops() {
        return List.copyOf(loops);
    }

    /** Steps run so far. */
    public long steps() {
        return steps;
    }

    /** One turn of every loop at the current time, then the clock moves; returns the work done. */
    public int step() {
        long now = clock.nanoTime();
        int work = 0;
        for (EventLoop loop : loops) {
            work += loop.runTurn(now);
        }
        steps++;
        if (work > 0) {
            clock.advance(turnNs);
        } else {
            long next = now + idleStepNs;
            for (EventLoop loop : loops) {
                long deadline = loop.nextDeadlineNs();
                if (deadline != Long.MAX_VALUE && deadline - next < 0) {
                    next = deadline;
                }
            }
            clock.advance(Math.max(turnNs, next - now));
        }
        return work;
    }

    /**
     * Steps until {@code condition} holds (checked before each step) or virtual time passes
     * {@code virtualTimeoutNs} from now.
     *
     * @return whether the condition held
     */
    public boolean runUntil(BooleanSupplier condition, long virtualTimeoutNs) {
        long deadline = clock.nanoTime() + virtualTimeoutNs;
        while (!condition.getAsBoolean()) {
            if (clock.nanoTime() - deadline >= 0) {
                return false;
            }
            step();
        }
        return true;
    }

    /** Like {@link #runUntil} but fails with the seed and the virtual time if the condition never holds. */
    public void awaitCondition(String what, BooleanSupplier condition, long virtualTimeoutNs) {
        if (!runUntil(condition, virtualTimeoutNs)) {
            throw new AssertionError(what + " did not happen within " + virtualTimeoutNs / 1e6
                    + " ms of virtual time (now " + clock.nanoTime() + " ns, seed " + seed + ")");
        }
    }

    /** Steps for {@code virtualNs} of virtual time whatever happens. */
    public void runFor(long virtualNs) {
        long end = clock.nanoTime() + virtualNs;
        while (clock.nanoTime() - end < 0) {
            step();
        }
    }

    @Override
    public String toString() {
        return "Simulation[seed=" + seed + " t=" + clock.nanoTime() + " ns, " + loops.size() + " loops, " + steps + " steps]";
    }
}
