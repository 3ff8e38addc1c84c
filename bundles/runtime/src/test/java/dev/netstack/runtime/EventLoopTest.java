package dev.netstack.runtime;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class EventLoopTest {

    private static final long MS = 1_000_000L;

    private final long[] now = {0};
    private final NanoClock clock = () -> now[0];
    private final List<String> log = new ArrayList<>();

    private PollTask task(String name, int fd) {
        return new PollTask() {
            @Override
            public int poll(long nowNs) {
                log.add(name + ".poll@" + nowNs);
                return 0;
            }

            @Override
            public int flush(long nowNs) {
                log.add(name + ".flush@" + nowNs);
                return 0;
            }

            @Override
            public int readinessFd() {
                return fd;
            }
        };
    }

    @Test
    void turnPollsThenRunsCommandsThenTimersThenFlushes() {
        EventLoop loop = EventLoop.manual(0, clock);
        loop.addTask(task("a", -1));
        loop.addTask(task("b", -1));
        loop.execute(() -> log.add("command"));
        loop.timers().schedule(new Timer() {
            @Override
            protected void onExpiry(long nowNs) {
                log.add("timer@" + nowNs);
            }
        }, 5 * MS);
        int work = loop.runTurn(5 * MS);
        assertEquals(List.of("a.poll@5000000", "b.poll@5000000", "command", "timer@5000000", "a.flush@5000000",
                "b.flush@5000000"), log);
        assertEquals(2, work);
        assertEquals(5 * MS, loop.nowNs());
    }

    @Test
    void runsAtMostABoundedNumberOfCommandsPerTurn() {
        EventLoop loop = EventLoop.manual(0, clock);
        int[] ran = {0};
        for (int i = 0; i < 100; i++) {
            assertTrue(loop.execute(() -> ran[0]++));
        }
        assertEquals(EventLoop.COMMANDS_PER_TURN, loop.runTurn(0));
        assertEquals(EventLoop.COMMANDS_PER_TURN, ran[0]);
        assertEquals(100 - EventLoop.COMMANDS_PER_TURN, loop.runTurn(0));
        assertEquals(100, ran[0]);
        assertEquals(0, loop.runTurn(0));
    }

    @Test
    void executeRefusesWhenTheQueueIsFull() {
        EventLoop loop = new EventLoop(0, clock, new SpinIdleStrategy(), 8);
        int accepted = 0;
        while (loop.execute(() -> { }) && accepted < 100) {
            accepted++;
        }
        assertEquals(8, accepted);
        loop.runTurn(0);
        assertTrue(loop.execute(() -> { }));
    }

    @Test
    void failingCommandDoesNotStopTheTurn() {
        EventLoop loop = EventLoop.manual(0, clock);
        loop.execute(() -> {
            throw new IllegalStateException("expected by the test");
        });
        loop.execute(() -> log.add("second"));
        loop.runTurn(0);
        assertEquals(List.of("second"), log);
    }

    @Test
    void tasksAddedOrRemovedByACommandTakeEffectInTheSameTurnFlush() {
        EventLoop loop = EventLoop.manual(0, clock);
        PollTask a = task("a", 7);
        PollTask b = task("b", -1);
        PollTask c = task("c", 9);
        loop.addTask(a);
        loop.addTask(b);
        assertArrayEquals(new int[] {7}, loop.readinessFds());
        loop.execute(() -> {
            loop.removeTask(a);
            loop.addTask(c);
        });
        loop.runTurn(1);
        assertEquals(List.of("a.poll@1", "b.poll@1", "b.flush@1", "c.flush@1"), log);
        assertArrayEquals(new int[] {9}, loop.readinessFds());
        loop.removeTask(a); // not there: harmless
        loop.removeTask(b);
        loop.removeTask(c);
        log.clear();
        loop.runTurn(2);
        assertEquals(List.of(), log);
        assertArrayEquals(new int[0], loop.readinessFds());
    }

    @Test
    void manualLoopFiresTimersWithVirtualTimeAndReportsNextDeadline() {
        now[0] = 1_000 * MS;
        EventLoop loop = EventLoop.manual(3, clock);
        assertEquals(3, loop.id());
        assertSame(clock, loop.clock());
        assertTrue(loop.inShard());
        assertEquals(Long.MAX_VALUE, loop.nextDeadlineNs());
        int[] fired = {0};
        loop.timers().schedule(new Timer() {
            @Override
            protected void onExpiry(long nowNs) {
                fired[0]++;
            }
        }, 1_010 * MS);
        assertEquals(1_010 * MS, loop.nextDeadlineNs());
        assertEquals(0, loop.runTurn(1_009 * MS));
        assertEquals(1, loop.runTurn(1_010 * MS));
        assertEquals(1, fired[0]);
        assertThrows(IllegalStateException.class, loop::start);
    }

    @Test
    void threadRunsCommandsFromManyThreads() throws Exception {
        EventLoop loop = new EventLoop(1, NanoClock.SYSTEM, new BackoffIdleStrategy(), 1024);
        loop.start();
        try {
            int producers = 4;
            int perProducer = 5_000;
            int[] count = {0}; // touched only on the shard thread
            CountDownLatch done = new CountDownLatch(producers * perProducer);
            AtomicInteger outsideShard = new AtomicInteger();
            List<Thread> threads = new ArrayList<>();
            for (int p = 0; p < producers; p++) {
                threads.add(Thread.ofPlatform().start(() -> {
                    for (int i = 0; i < perProducer; i++) {
                        Runnable command = () -> {
                            if (!loop.inShard()) {
                                outsideShard.incrementAndGet();
                            }
                            count[0]++;
                            done.countDown();
                        };
                        while (!loop.execute(command)) {
                            Thread.onSpinWait();
                        }
                    }
                }));
            }
            assertTrue(done.await(30, TimeUnit.SECONDS));
            for (Thread t : threads) {
                t.join();
            }
            AtomicInteger seen = new AtomicInteger();
            CountDownLatch read = new CountDownLatch(1);
            loop.execute(() -> {
                seen.set(count[0]);
                read.countDown();
            });
            assertTrue(read.await(10, TimeUnit.SECONDS));
            assertEquals(producers * perProducer, seen.get());
            assertEquals(0, outsideShard.get());
            assertFalse(loop.inShard());
        } finally {
            loop.stop();
        }
    }

    @Test
    void startsNamedThreadAndStopsIt() throws Exception {
        EventLoop loop = new EventLoop(2, NanoClock.SYSTEM, new BackoffIdleStrategy(), 64);
        loop.start();
        loop.start(); // idempotent
        assertTrue(loop.isRunning());
        AtomicReference<Thread> shardThread = new AtomicReference<>();
        CountDownLatch ran = new CountDownLatch(1);
        loop.execute(() -> {
            shardThread.set(Thread.currentThread());
            ran.countDown();
        });
        assertTrue(ran.await(10, TimeUnit.SECONDS));
        assertEquals("netstack-shard-2", shardThread.get().getName());
        loop.stop();
        assertFalse(loop.isRunning());
        assertFalse(shardThread.get().isAlive());
        loop.stop(); // idempotent
        assertThrows(IllegalStateException.class, loop::start);
    }

    @Test
    void stopWakesASleepingShardPromptly() {
        // Parks up to 10 s per idle call: only a wakeup ends the sleep early.
        EventLoop loop = new EventLoop(0, NanoClock.SYSTEM, new BackoffIdleStrategy(0, 0, 10_000 * MS, 10_000 * MS), 64);
        loop.start();
        long started = System.nanoTime();
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        loop.stop();
        assertTrue(System.nanoTime() - started < 4_000 * MS, "stop waited for the park to end");
    }

    @Test
    void failingTaskDoesNotKillTheThread() throws Exception {
        EventLoop loop = new EventLoop(0, NanoClock.SYSTEM, new BackoffIdleStrategy(), 64);
        loop.addTask(nowNs -> {
            throw new IllegalStateException("expected by the test");
        });
        loop.start();
        try {
            CountDownLatch ran = new CountDownLatch(1);
            Thread.sleep(20);
            assertTrue(loop.execute(ran::countDown));
            assertTrue(ran.await(10, TimeUnit.SECONDS), "commands still run");
            assertTrue(loop.isRunning());
        } finally {
            loop.stop();
        }
    }

    @Test
    void manualLoopRethrowsAFailingTask() {
        EventLoop loop = EventLoop.manual(0, clock);
        loop.addTask(nowNs -> {
            throw new IllegalStateException("expected by the test");
        });
        assertThrows(IllegalStateException.class, () -> loop.runTurn(0));
    }

    @Test
    void idleStrategyIsClosedOnStop() {
        boolean[] closed = {false};
        IdleStrategy idle = new IdleStrategy() {
            @Override
            public void idle(int workCount, IdleContext context) {
                Thread.onSpinWait();
            }

            @Override
            public void wakeup() {
            }

            @Override
            public void close() {
                closed[0] = true;
            }
        };
        EventLoop loop = new EventLoop(0, NanoClock.SYSTEM, idle, 64);
        loop.start();
        loop.stop();
        assertTrue(closed[0]);
    }
}
