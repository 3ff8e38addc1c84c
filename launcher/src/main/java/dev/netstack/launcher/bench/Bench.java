package dev.netstack.launcher.bench;

import dev.netstack.launcher.bench.BenchOptions.Env;
import dev.netstack.test.NetNs;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code ./netstack bench}: every selected cell in every selected environment, one after the
 * other, each measured for {@code --duration} seconds after a warm-up, then one table (and JSON).
 *
 * <p>Bounded in time: a cell's setup waits at most 10 s for its servers, its clients get 5 s to
 * stop after the window, and whatever did not stop is closed. Namespaces are created per
 * environment and deleted when it ends, on failure too, by a shutdown hook on SIGINT/SIGTERM, and
 * at the next start (leftovers named {@code bn-*}).
 */
public final class Bench {

    private static final long STOP_TIMEOUT_MS = 5_000;

    private final BenchOptions options;
    private final PrintStream progress;
    private final Workloads workloads = new Workloads();
    private final AtomicReference<Rig> live = new AtomicReference<>();
    private final AtomicReference<Trial> liveTrial = new AtomicReference<>();

    private Bench(BenchOptions options, PrintStream progress) {
        this.options = options;
        this.progress = progress;
    }

    /** Runs the benchmark; prints the table on {@code out}, progress and warnings on {@code err}. Returns the exit status. */
    public static int run(BenchOptions options, PrintStream out, PrintStream err) throws IOException {
        // The stacks' INFO lines (interfaces attached, shards started) would bury the progress lines.
        java.util.logging.Logger.getLogger("").setLevel(java.util.logging.Level.WARNING);
        Set<Env> envs = EnumSet.noneOf(Env.class);
        envs.addAll(options.envs());
        boolean root = rootWithIp();
        if (!root) {
            List<String> skipped = new ArrayList<>();
            for (Env e : options.envs()) {
                if (e.needsRoot) {
                    envs.remove(e);
                    skipped.add(e.option);
                }
            }
            if (!skipped.isEmpty()) {
                err.println("netstack bench: the " + String.join(" and ", skipped) + " environment" + (skipped.size() > 1 ? "s need" : " needs")
                        + " root (network namespaces, TAP devices): run as root to include " + (skipped.size() > 1 ? "them" : "it")
                        + "; running " + (envs.isEmpty() ? "nothing else" : String.join(" and ", envs.stream().map(e -> e.option).toList()) + " only") + ".");
            }
            if (envs.isEmpty()) {
                return 1;
            }
        } else {
            int removed = NetNs.cleanup(Rig.PREFIX); // kills what ran inside, testpmd included
            Testpmd.cleanup(Rig.PREFIX);
            if (removed > 0) {
                err.println("netstack bench: removed " + removed + " namespace(s) left by an earlier run");
            }
        }
        Bench bench = new Bench(options, err);
        Thread hook = Thread.ofPlatform().name("netstack-bench-cleanup").unstarted(bench::cleanUp);
        Runtime.getRuntime().addShutdownHook(hook);
        Report report = new Report(options, header(options));
        try {
            for (Env env : envs) {
                bench.runEnvironment(env, report);
            }
        } finally {
            bench.cleanUp();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // shutting down: the hook runs
            }
        }
        report.computeRatios();
        report.printTable(out);
        if (options.json() != null) {
            report.writeJson(options.json());
            err.println("netstack bench: wrote " + options.json());
        }
        return report.results().stream().allMatch(r -> r.error() != null) ? 1 : 0;
    }

    private static boolean rootWithIp() {
        try {
            return NetNs.available();
        } catch (RuntimeException e) {
            return false;
        }
    }

    static String header(BenchOptions options) {
        double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        // The platform's own interruptions bound the latency percentiles: measured first, for a second at most.
        Jitter jitter = Jitter.measure((long) (Math.min(1.0, options.durationSeconds()) * 1e9));
        return String.format(java.util.Locale.ROOT,
                "netstack bench: %s s per cell after a warm-up, stack shards idle '%s'; Java %s, %d CPUs, load average %.2f at start (%s %s); %s",
                trim(options.durationSeconds()), options.idle(), Runtime.version().feature(), Runtime.getRuntime().availableProcessors(),
                load, System.getProperty("os.name"), System.getProperty("os.version"), jitter.summary());
    }

    static String trim(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    private void runEnvironment(Env env, Report report) {
        List<Workloads.Cell> cells = Workloads.cells(options.workloads(), env);
        if (cells.isEmpty()) {
            return;
        }
        progress.println("netstack bench: setting up " + env.option);
        Rig rig;
        try {
            rig = Rig.create(env, options.idle());
        } catch (RuntimeException e) {
            String why = env.option + " could not be set up: " + message(e);
            progress.println("netstack bench: " + why);
            for (Workloads.Cell cell : cells) {
                report.add(CellResult.failed(cell.name(), env.option, system(env), cell.unit(), why));
            }
            return;
        }
        live.set(rig);
        try {
            for (Workloads.Cell cell : cells) {
                progress.println("netstack bench: " + env.option + " " + cell.name());
                CellResult result = measure(cell, rig);
                if (result.error() != null) {
                    progress.println("netstack bench: " + env.option + " " + cell.name() + ": " + result.error());
                }
                report.add(result);
                System.gc(); // the next cell starts with a clean heap; its window sees only its own collections
            }
        } finally {
            live.set(null);
            rig.close();
        }
    }

    static String system(Env env) {
        return env.system();
    }

    /**
     * Warm-up before each window: 40 % of the window, 0.1 to 2 s. Long enough for the JIT to
     * compile the loops; before that, interpreted foreign calls allocate (tens of bytes a frame).
     */
    private long warmupMs() {
        return Math.max(100, Math.min(2_000, (long) (options.durationSeconds() * 400)));
    }

    private CellResult measure(Workloads.Cell cell, Rig rig) {
        String env = rig.env.option;
        Trial t;
        try {
            t = workloads.start(cell, rig);
        } catch (UnsupportedOperationException e) {
            return CellResult.failed(cell.name(), env, system(rig.env), cell.unit(), "n/a: " + e.getMessage());
        } catch (Exception e) {
            return CellResult.failed(cell.name(), env, system(rig.env), cell.unit(), "setup failed: " + message(e));
        }
        liveTrial.set(t);
        try {
            Thread.sleep(warmupMs());
            String failure = t.failure();
            if (failure != null) {
                return CellResult.failed(cell.name(), env, system(rig.env), cell.unit(), failure);
            }
            long count0 = t.counter.getAsLong();
            long sent0 = t.sent == null ? 0 : t.sent.getAsLong();
            long externalCpu0 = t.externalCpuNs == null ? -1 : t.externalCpuNs.getAsLong();
            Meter.Reading start = Meter.read();
            t.control.measuring = true;
            Thread.sleep((long) (options.durationSeconds() * 1000));
            t.control.measuring = false;
            long count1 = t.counter.getAsLong();
            long sent1 = t.sent == null ? 0 : t.sent.getAsLong();
            Meter.Reading d = Meter.delta(start, Meter.read());
            long externalCpu1 = t.externalCpuNs == null ? -1 : t.externalCpuNs.getAsLong();
            boolean stopped = t.stop(STOP_TIMEOUT_MS);
            double seconds = d.wallNs() / 1e9;
            long delta = count1 - count0;
            failure = t.failure();
            if (delta <= 0 && failure != null) {
                return CellResult.failed(cell.name(), env, system(rig.env), cell.unit(), failure);
            }
            long ops = delta / cell.perOp();
            List<String> notes = new ArrayList<>();
            if (ops <= 0) {
                notes.add("nothing completed in the window");
            }
            if (t.sent != null) {
                notes.add(String.format(java.util.Locale.ROOT, "sent %s/s", Report.number((sent1 - sent0) / seconds)));
            }
            if (!stopped) {
                notes.add("a client did not stop in time");
            }
            if (failure != null) {
                notes.add("failed after the window: " + failure);
            }
            long allocated = t.externalCpuNs != null ? -1 : d.allocatedBytes(); // another process: no JVM allocation to speak of
            long cpuNs = t.externalCpuNs == null ? d.cpuNs() : externalCpu0 < 0 || externalCpu1 < 0 ? -1 : externalCpu1 - externalCpu0;
            return new CellResult(cell.name(), env, system(rig.env), delta * cell.factor() / seconds, cell.unit(), ops, cell.op(),
                    seconds, CellResult.latencyUs(t.latency),
                    allocated < 0 || ops <= 0 ? Double.NaN : (double) allocated / ops, d.gcCount(), d.gcMillis(),
                    cpuNs < 0 || ops <= 0 ? Double.NaN : cpuNs / 1e3 / ops, String.join("; ", notes), null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CellResult.failed(cell.name(), env, system(rig.env), cell.unit(), "interrupted");
        } catch (RuntimeException e) {
            return CellResult.failed(cell.name(), env, system(rig.env), cell.unit(), message(e));
        } finally {
            liveTrial.set(null);
            t.close();
        }
    }

    static String message(Throwable e) {
        Throwable cause = e;
        while ((cause instanceof java.util.concurrent.ExecutionException || cause.getMessage() == null) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName();
    }

    /** Stops what runs and deletes the namespaces; idempotent (the finally block and the shutdown hook). */
    private void cleanUp() {
        Trial t = liveTrial.getAndSet(null);
        if (t != null) {
            t.control.stop();
            t.close();
        }
        Rig rig = live.getAndSet(null);
        if (rig != null) {
            rig.close();
        }
    }
}
