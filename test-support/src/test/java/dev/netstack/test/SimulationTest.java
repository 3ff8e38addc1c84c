package dev.netstack.test;

import static org.junit.jupiter.api.Assertions.*;

import dev.netstack.nic.FaultInjectingDevice;
import dev.netstack.nic.FaultPlan;
import dev.netstack.nic.NetDevice;
import dev.netstack.nic.PacketBatch;
import dev.netstack.nic.PacketBuffer;
import dev.netstack.runtime.EventLoop;
import dev.netstack.runtime.PollTask;
import dev.netstack.runtime.Timer;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class SimulationTest {

    private static final long MS = 1_000_000L;

    /** Host A sends a numbered frame every 10 ms; host B echoes every frame; A counts the echoes. */
    private static final class PingPong {
        final Simulation sim;
        final MemoryLink link = MemoryLink.create();
        final NetDevice deviceA;
        final NetDevice deviceB;
        int sent;
        int echoes;
        long lastEchoNs;

        PingPong(long seed, double loss) {
            sim = new Simulation(seed);
            EventLoop a = sim.addLoop(0);
            EventLoop b = sim.addLoop(1);
            deviceA = new FaultInjectingDevice(link.a(), FaultPlan.seeded(sim.random().nextLong()).withDrop(loss)
                    .withDelayNs(MS), sim.clock()::nanoTime);
            deviceB = link.b();
            PacketBatch batchA = new PacketBatch(8);
            a.addTask(nowNs -> {
                int n = deviceA.receive(0, batchA);
                echoes += n;
                if (n > 0) {
                    lastEchoNs = nowNs;
                }
                batchA.releaseAll();
                return n;
            });
            Timer tick = new Timer() {
                @Override
                protected void onExpiry(long nowNs) {
                    PacketBatch out = new PacketBatch(1);
                    PacketBuffer frame = deviceA.pool(0).allocate();
                    frame.segment().set(ValueLayout.JAVA_INT, frame.append(60), sent++);
                    out.add(frame);
                    out.removeFirst(deviceA.transmit(0, out));
                    out.releaseAll();
                    a.timers().schedule(this, nowNs + 10 * MS);
                }
            };
            a.timers().schedule(tick, 10 * MS);
            PacketBatch batchB = new PacketBatch(8);
            b.addTask(new PollTask() {
                @Override
                public int poll(long nowNs) {
                    return deviceB.receive(0, batchB);
                }

                @Override
                public int flush(long nowNs) {
                    int n = deviceB.transmit(0, batchB);
                    batchB.removeFirst(n);
                    batchB.releaseAll();
                    return n;
                }
            });
        }
    }

    @Test
    void drivesLoopsInVirtualTimeUntilTheCondition() {
        PingPong p = new PingPong(1, 0);
        LeakCheck leaks = LeakCheck.of(p.link.a(), p.link.b());
        p.sim.awaitCondition("ten echoes", () -> p.echoes == 10, 10_000 * MS);
        assertEquals(10, p.sent);
        // The tenth frame leaves at 100 ms and is delayed 1 ms each way; each hop adds a few turns
        // (1 µs each), since the simulation only learns of a delayed frame on its next idle step.
        assertTrue(p.lastEchoNs >= 102 * MS && p.lastEchoNs < 102 * MS + 10 * p.sim.turnNs(), "echo at " + p.lastEchoNs);
        assertTrue(p.sim.clock().nanoTime() < 103 * MS, p.sim.toString());
        leaks.assertNoLeaks();
    }

    @Test
    void sameSeedRepeatsTheRun() {
        PingPong first = new PingPong(4242, 0.3);
        first.sim.runFor(1_000 * MS);
        PingPong second = new PingPong(4242, 0.3);
        second.sim.runFor(1_000 * MS);
        assertEquals(first.echoes, second.echoes);
        assertEquals(first.sim.steps(), second.sim.steps());
        assertEquals(first.lastEchoNs, second.lastEchoNs);
        assertTrue(first.echoes < first.sent, "some frames lost: " + first.echoes + " of " + first.sent);
    }

    @Test
    void idleStepsJumpToTheNextTimerButNoFurtherThanTheIdleStep() {
        Simulation sim = new Simulation(7).idleStepNs(5 * MS);
        EventLoop loop = sim.addLoop(0);
        loop.timers().schedule(new Timer() {
            @Override
            protected void onExpiry(long nowNs) {
            }
        }, 3 * MS);
        assertEquals(0, sim.step());
        assertEquals(3 * MS, sim.clock().nanoTime());
        assertEquals(1, sim.step());
        assertEquals(3 * MS + sim.turnNs(), sim.clock().nanoTime());
        sim.step();
        assertEquals(8 * MS + sim.turnNs(), sim.clock().nanoTime());
    }

    @Test
    void awaitConditionFailsNamingTheSeed() {
        Simulation sim = new Simulation(99);
        sim.addLoop(0);
        AssertionError e = assertThrows(AssertionError.class, () -> sim.awaitCondition("nothing", () -> false, 10 * MS));
        assertTrue(e.getMessage().contains("seed 99"), e.getMessage());
        assertFalse(sim.runUntil(() -> false, MS));
        assertTrue(sim.runUntil(() -> true, 0));
    }
}
