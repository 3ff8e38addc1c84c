package dev.netstack.bench;

import dev.netstack.runtime.Timer;
import dev.netstack.runtime.TimerWheel;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The hashed timer wheel (1 ms tick, 4096 slots) with {@code background} other timers scheduled
 * over the next 4 s, as a shard with that many connections would have: schedule and cancel (a
 * retransmission timer armed and disarmed), reschedule (restarted on every ACK), and one tick of
 * polling that fires one timer.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class TimerWheelBenchmark {

    static final long TICK_NS = 1_000_000L;

    static final class CountingTimer extends Timer {
        long fired;

        @Override
        protected void onExpiry(long nowNs) {
            fired++;
        }
    }

    @Param({"0", "10000"})
    int background;

    TimerWheel wheel;
    CountingTimer timer;
    CountingTimer[] others;
    long nowNs;
    int step;

    @Setup(Level.Iteration)
    public void setUp() {
        nowNs = 1_000_000_000L;
        wheel = TimerWheel.withDefaults(nowNs);
        timer = new CountingTimer();
        others = new CountingTimer[background];
        for (int i = 0; i < background; i++) {
            others[i] = new CountingTimer();
            // Spread over a revolution, years ahead so that polling never fires them.
            wheel.schedule(others[i], nowNs + 100_000_000_000_000_000L + (long) i * 400_000L);
        }
    }

    @TearDown(Level.Iteration)
    public void check() {
        if (wheel.size() != background + (timer.isScheduled() ? 1 : 0)) {
            throw new IllegalStateException("wheel holds " + wheel.size() + " timers, expected " + background);
        }
    }

    @Benchmark
    public void scheduleCancel() {
        wheel.schedule(timer, nowNs + 200_000_000L);
        wheel.cancel(timer);
    }

    /** Moves a scheduled timer to a new deadline (RTO restart on an ACK). */
    @Benchmark
    public void reschedule() {
        step = (step + 1) & 1023;
        wheel.schedule(timer, nowNs + 200_000_000L + step * TICK_NS);
    }

    /** Arms a timer one tick ahead, advances the clock one tick and polls: the timer fires. */
    @Benchmark
    public void scheduleAndFireNextTick(Blackhole bh) {
        wheel.schedule(timer, nowNs + TICK_NS);
        nowNs += TICK_NS;
        bh.consume(wheel.poll(nowNs));
    }
}
