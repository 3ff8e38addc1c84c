package dev.netstack.runtime;

import java.lang.System.Logger.Level;
import java.util.Arrays;
import java.util.concurrent.locks.LockSupport;
import org.jctools.queues.MpscArrayQueue;

/**
 * The {@link Shard} implementation: a thread running turns until stopped, or driven turn by turn
 * with {@link #runTurn(long)} in deterministic simulation (no thread, virtual time).
 */
public final class EventLoop implements Shard, IdleStrategy.IdleContext {

    private static final System.Logger LOG = System.getLogger(EventLoop.class.getName());

    /** Commands run per turn at most, so a flood of commands cannot starve the devices. */
    public static final int COMMANDS_PER_TURN = 64;
    public static final int DEFAULT_COMMAND_QUEUE = 4096;

    private final int id;
    private final NanoClock clock;
    private final TimerWheel timers;
    private final IdleStrategy idle;
    private final MpscArrayQueue<Runnable> commands;
    private PollTask[] tasks = new PollTask[0];
    private int[] fds = new int[0];
    private long nowNs;

    private volatile Thread thread;
    /** CPU the loop's thread pins itself to when it starts; -1: no pinning. */
    private volatile int cpu = -1;
    private volatile boolean running;
    private volatile boolean stopped;
    private volatile boolean manual;
    private long lastFailureLogNs;
    private long failuresSinceLog;

    public EventLoop(int id, NanoClock clock, IdleStrategy idle, int commandQueueCapacity) {
        this.id = id;
        this.clock = clock;
        this.idle = idle;
        this.nowNs = clock.nanoTime();
        this.timers = TimerWheel.withDefaults(nowNs);
        this.commands = new MpscArrayQueue<>(commandQueueCapacity);
    }

    /** A loop for simulation: no thread; the test calls {@link #runTurn(long)} with virtual time. */
    public static EventLoop manual(int id, NanoClock clock) {
        EventLoop loop = new EventLoop(id, clock, new BackoffIdleStrategy(), DEFAULT_COMMAND_QUEUE);
        loop.manual = true;
        return loop;
    }

    @Override
    public int id() {
        return id;
    }

    @Override
    public NanoClock clock() {
        return clock;
    }

    @Override
    public TimerWheel timers() {
        return timers;
    }

    @Override
    public boolean execute(Runnable command) {
        if (!commands.offer(command)) {
            return false;
        }
        idle.wakeup();
        return true;
    }

    /**
     * Ends the shard's idle sleep without a command, for devices whose other queues hand it work (a
     * software-steered device relaying for other lanes). Any thread; allocates nothing.
     */
    public void wakeup() {
        idle.wakeup();
    }

    @Override
    public boolean inShard() {
        return manual || Thread.currentThread() == thread;
    }

    @Override
    public void addTask(PollTask task) {
        PollTask[] next = Arrays.copyOf(tasks, tasks.length + 1);
        next[tasks.length] = task;
        setTasks(next);
    }

    @Override
    public void removeTask(PollTask task) {
        int at = -1;
        for (int i = 0; i < tasks.length; i++) {
            if (tasks[i] == task) {
                at = i;
                break;
            }
        }
        if (at < 0) {
            return;
        }
        PollTask[] next = new PollTask[tasks.length - 1];
        System.arraycopy(tasks, 0, next, 0, at);
        System.arraycopy(tasks, at + 1, next, at, tasks.length - at - 1);
        setTasks(next);
    }

    private void setTasks(PollTask[] next) {
        tasks = next;
        fds = Arrays.stream(next).mapToInt(PollTask::readinessFd).filter(fd -> fd >= 0).toArray();
    }

    /**
     * One turn at {@code nowNs} (see {@link Shard}); returns the work done.
     *
     * <p>A task or timer that throws does not end the turn for the others: on a loop with a thread
     * the failure is logged (at most once a second); a manual loop rethrows it, so that a
     * simulation fails where the fault is.
     */
    public int runTurn(long nowNs) {
        this.nowNs = nowNs;
        int work = 0;
        PollTask[] current = tasks;
        for (PollTask task : current) {
            try {
                work += task.poll(nowNs);
            } catch (RuntimeException e) {
                failed("poll task", e);
            }
        }
        for (int i = 0; i < COMMANDS_PER_TURN; i++) {
            Runnable command = commands.relaxedPoll();
            if (command == null) {
                break;
            }
            try {
                command.run();
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "shard " + id + ": command failed", e);
            }
            work++;
        }
        try {
            work += timers.poll(nowNs);
        } catch (RuntimeException e) {
            failed("timer", e); // the timers still due fire on the next turn
        }
        current = tasks; // commands may have added or removed tasks
        for (PollTask task : current) {
            try {
                work += task.flush(nowNs);
            } catch (RuntimeException e) {
                failed("flush task", e);
            }
        }
        return work;
    }

    private void failed(String what, RuntimeException e) {
        if (manual) {
            throw e;
        }
        failuresSinceLog++;
        if (lastFailureLogNs == 0 || nowNs - lastFailureLogNs - 1_000_000_000L >= 0) {
            LOG.log(Level.ERROR, "shard " + id + ": " + what + " failed (" + failuresSinceLog
                    + " failures since the last report)", e);
            lastFailureLogNs = nowNs;
            failuresSinceLog = 0;
        }
    }

    /**
     * Starts the shard's thread (a platform thread named {@code netstack-shard-N}). Idempotent while
     * running; a stopped loop cannot start again (its idle strategy is closed): create a new one.
     *
     * @throws IllegalStateException if the loop is manual or was stopped
     */
    public synchronized void start() {
        if (manual) {
            throw new IllegalStateException("shard " + id + " is driven by hand (runTurn); it has no thread");
        }
        if (stopped) {
            throw new IllegalStateException("shard " + id + " was stopped and cannot restart; create a new EventLoop");
        }
        if (running) {
            return;
        }
        running = true;
        Thread t = Thread.ofPlatform().name("netstack-shard-" + id).daemon(true).unstarted(this::run);
        thread = t;
        t.start();
    }

    /**
     * Pins the loop's thread to {@code cpu} when it starts (sched_setaffinity). Call before
     * {@link #start()}. A refusal by the kernel is logged and the loop runs unpinned.
     */
    public void pinTo(int cpu) {
        if (running) {
            throw new IllegalStateException("shard " + id + " is running: pin it before start()");
        }
        this.cpu = cpu;
    }

    /** The CPU set by {@link #pinTo}, or -1. */
    public int pinnedCpu() {
        return cpu;
    }

    private void run() {
        int target = cpu;
        if (target >= 0) {
            try {
                dev.netstack.runtime.os.CpuAffinity.pinCurrentThread(target);
            } catch (RuntimeException refused) {
                LOG.log(Level.WARNING, "shard " + id + " could not pin itself to CPU " + target
                        + " and runs unpinned: " + refused.getMessage());
            }
        }
        while (running) {
            long now = clock.nanoTime();
            int work = runTurn(now);
            idle.idle(work, this);
        }
    }

    /**
     * Stops the thread after its current turn, waits for it (up to 5 s) and closes the idle
     * strategy. Commands still queued are dropped. Idempotent. From the shard thread itself it only
     * asks the loop to end after this turn.
     */
    public synchronized void stop() {
        running = false;
        if (stopped) {
            return;
        }
        Thread t = thread;
        if (t == Thread.currentThread()) {
            return; // cannot join itself; the loop ends after this turn, a later stop() from elsewhere cleans up
        }
        stopped = true;
        if (t != null) {
            idle.wakeup();
            LockSupport.unpark(t);
            try {
                t.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (t.isAlive()) {
                // Still running a turn: leave its queue and idle strategy alone (single consumer).
                LOG.log(Level.WARNING, "shard " + id + " did not stop within 5 s: a task or command blocks");
                return;
            }
            thread = null;
        }
        commands.clear();
        idle.close();
    }

    public boolean isRunning() {
        return running;
    }

    @Override
    public long nowNs() {
        return nowNs;
    }

    @Override
    public long nextDeadlineNs() {
        return timers.earliestDeadlineNs();
    }

    @Override
    public int[] readinessFds() {
        return fds;
    }
}
