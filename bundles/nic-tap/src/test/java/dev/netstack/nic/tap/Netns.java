package dev.netstack.nic.tap;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.netstack.runtime.os.NetNamespace;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A network namespace {@code nsb-tap-PID-N} for one test, with a platform thread living inside it:
 * TAPs opened and sockets created on that thread belong to the namespace. {@link #close()} stops the
 * thread and deletes the namespace.
 */
public final class Netns implements AutoCloseable {

    public static final String PREFIX = "nsb-tap-";
    private static final AtomicInteger COUNTER = new AtomicInteger();

    final String name;
    private final ExecutorService thread;

    private Netns(String name) {
        this.name = name;
        this.thread = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().daemon().name(name).unstarted(r));
    }

    /** Skips the calling test unless root with /dev/net/tun and iproute2; removes leftovers of earlier runs. */
    public static void assumeRootWithTun() {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root");
        assumeTrue(Files.exists(Path.of(TapDevice.CLONE_DEVICE)), "needs /dev/net/tun");
        try {
            assumeTrue(exec("ip", "netns", "list").exit() == 0, "needs iproute2");
            String ours = PREFIX + ProcessHandle.current().pid() + "-";
            for (String line : exec("ip", "netns", "list").output().split("\n")) {
                String ns = line.split(" ")[0].trim();
                if (ns.startsWith(PREFIX) && !ns.startsWith(ours)) {
                    exec("ip", "netns", "del", ns);
                }
            }
        } catch (IOException e) {
            assumeTrue(false, "needs iproute2: " + e.getMessage());
        }
    }

    public static Netns create() throws IOException {
        String name = PREFIX + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet();
        Result r = exec("ip", "netns", "add", name);
        if (r.exit() != 0) {
            throw new IOException("ip netns add " + name + ": " + r.output());
        }
        Netns ns = new Netns(name);
        try {
            ns.call(() -> NetNamespace.enter(name)); // never left: the thread dies inside
        } catch (Exception e) {
            ns.close();
            throw new IOException("cannot enter " + name, e);
        }
        return ns;
    }

    /** Runs {@code task} on the thread inside the namespace. */
    public <T> T call(Callable<T> task) throws Exception {
        try {
            return thread.submit(task).get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        } catch (TimeoutException e) {
            throw new AssertionError("task in " + name + " did not finish in 30 s", e);
        }
    }

    public void run(ThrowingRunnable task) throws Exception {
        call(() -> {
            task.run();
            return null;
        });
    }

    public interface ThrowingRunnable {
        void run() throws Exception;
    }

    /** {@code ip -n NAME args...}. */
    public Result ip(String... args) throws IOException {
        String[] command = new String[args.length + 3];
        command[0] = "ip";
        command[1] = "-n";
        command[2] = name;
        System.arraycopy(args, 0, command, 3, args.length);
        return exec(command);
    }

    /** Packets the kernel counted as received on {@code device} (what the stack wrote). */
    long kernelRxPackets(String device) throws IOException {
        String json = ip("-j", "-s", "link", "show", "dev", device).output();
        int at = json.indexOf("\"rx\":");
        int packets = json.indexOf("\"packets\":", at);
        if (at < 0 || packets < 0) {
            throw new IOException("no rx statistics for " + device + ": " + json);
        }
        int start = packets + "\"packets\":".length();
        int end = start;
        while (Character.isDigit(json.charAt(end))) {
            end++;
        }
        return Long.parseLong(json.substring(start, end));
    }

    @Override
    public void close() {
        thread.shutdownNow();
        try {
            thread.awaitTermination(10, TimeUnit.SECONDS);
            exec("ip", "netns", "del", name);
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException("cannot delete namespace " + name, e);
        }
    }

    public record Result(int exit, String output) {
    }

    public static Result exec(String... command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            return new Result(p.waitFor(), output);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted waiting for " + String.join(" ", command), e);
        }
    }
}
