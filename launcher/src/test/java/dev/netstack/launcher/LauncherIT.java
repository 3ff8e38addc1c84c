package dev.netstack.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Starts the built distribution ({@code launcher/target/dist}, made in the package phase) as a
 * child process with no NIC configuration, so no TAP is needed, and talks to it over its control
 * socket like {@code ./netstack shell} does.
 */
class LauncherIT {

    private static final long START_TIMEOUT_S = 60;
    private static final long STOP_TIMEOUT_S = 30;

    @TempDir
    Path dir;

    private final Path dist = Path.of(System.getProperty("netstack.dist", "target/dist")).toAbsolutePath();
    private Process process;
    private final LinkedBlockingQueue<String> stdout = new LinkedBlockingQueue<>();
    private CompletableFuture<String> stderr;

    @BeforeEach
    void start() throws IOException, InterruptedException {
        assertTrue(Files.isExecutable(dist.resolve("bin/netstack")), "build the distribution first: mvn -pl launcher -am package");
        Path config = Files.createDirectories(dir.resolve("config"));
        Files.writeString(config.resolve("netstack.runtime.cfg"), "shards = 1\n");
        ProcessBuilder builder = new ProcessBuilder(dist.resolve("bin/netstack").toString(), "run",
                "--config", config.toString(), "--run", dir.resolve("run").toString(), "--no-console");
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        process = builder.start();
        process.getOutputStream().close();
        Thread.ofPlatform().daemon().start(() -> readLines(process.getInputStream()));
        stderr = readInBackground(process.getErrorStream());
        long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_TIMEOUT_S);
        while (true) {
            String line = stdout.poll(100, TimeUnit.MILLISECONDS);
            if (line != null && line.startsWith(Launcher.STARTED)) {
                System.out.println(line);
                return;
            }
            if (!process.isAlive() || deadlineNs - System.nanoTime() < 0) {
                process.destroyForcibly();
                fail("the launcher did not report it started; stderr: " + stderr.join());
            }
        }
    }

    @AfterEach
    void stopIfStillRunning() {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
        }
    }

    private Path socket() {
        return dir.resolve("run").resolve(ControlClient.SOCKET);
    }

    @Test
    void startsEveryBundleAndStopsCleanlyOnSigterm() throws Exception {
        ControlClient.Result lb = ControlClient.execute(socket(), "lb");
        assertEquals(0, lb.status(), lb.err());
        List<String> rows = lb.out().lines().filter(l -> l.matches("\\s*\\d+\\|.*")).toList();
        long jars;
        try (Stream<Path> files = Files.list(dist.resolve("bundle"))) {
            jars = files.filter(f -> f.toString().endsWith(".jar")).count();
        }
        assertEquals(jars + 1, rows.size(), "one row per bundle and the system bundle:\n" + lb.out());
        for (String row : rows) {
            assertTrue(row.contains("|Active "), "not active: " + row);
        }
        for (String bundle : List.of("netstack tcp (", "netstack tcp-newreno (", "netstack tcp-cubic (", "Apache Felix Log Service (")) {
            assertTrue(rows.stream().anyMatch(row -> row.contains("|Active ") && row.contains(bundle)), bundle + " active:\n" + lb.out());
        }

        ControlClient.Result components = ControlClient.execute(socket(), "scr:list");
        for (String factory : List.of("dev.netstack.tcp.newreno.NewRenoFactory", "dev.netstack.tcp.cubic.CubicFactory")) {
            assertTrue(components.out().lines().anyMatch(l -> l.startsWith(factory + " ") && l.contains("enabled, 1 instance")),
                    factory + " runs:\n" + components.out());
        }

        ControlClient.Result stats = ControlClient.execute(socket(), "stats -a");
        assertEquals(0, stats.status(), stats.err());
        System.out.println(stats.out());
        assertTrue(stats.out().contains("shell\n"), stats.out());
        assertTrue(stats.out().matches("(?s).*\n  commands +[1-9].*"), "the lb before counts:\n" + stats.out());
        for (String layer : List.of("ethernet", "ip")) {
            if (hasComponents(layer)) {
                assertTrue(stats.out().contains(layer + "\n"), layer + " has components but stats shows no '" + layer + "' counters:\n" + stats.out());
            }
        }

        ControlClient.Result missing = ControlClient.execute(socket(), "no-such-command");
        assertEquals(1, missing.status());
        assertEquals("Command not found: no-such-command\n", missing.err());

        process.destroy(); // SIGTERM
        assertTrue(process.waitFor(STOP_TIMEOUT_S, TimeUnit.SECONDS), "still running " + STOP_TIMEOUT_S + " s after SIGTERM");
        assertEquals(0, process.exitValue(), stderr.join());
        assertFalse(Files.exists(socket()), "the control socket is removed");
        assertFalse(stderr.join().contains("\tat "), "no stack trace on stderr:\n" + stderr.join());
    }

    @Test
    void fileInstallAppliesConfigurationFilesAndTheirEdits() throws Exception {
        ControlClient.Result initial = ControlClient.execute(socket(), "cfg netstack.runtime");
        assertEquals("netstack.runtime\n  shards = 1\n", initial.out(), initial.err());

        Path file = dir.resolve("run/etc/netstack.probe-one.cfg");
        Files.writeString(file, "answer = 42\n");
        awaitConfig("netstack.probe", "netstack.probe~one (factory netstack.probe)\n  answer = 42\n");
        Files.writeString(file, "answer = 43\n");
        awaitConfig("netstack.probe", "netstack.probe~one (factory netstack.probe)\n  answer = 43\n");
    }

    private void awaitConfig(String pid, String expected) throws Exception {
        long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        ControlClient.Result result;
        do {
            Thread.sleep(200);
            result = ControlClient.execute(socket(), "cfg " + pid);
        } while (!result.out().equals(expected) && deadlineNs - System.nanoTime() > 0);
        assertEquals(expected, result.out(), "FileInstall polls etc/ every second");
    }

    @Test
    void shellCommandOfTheScriptRunsACommandAndPassesItsStatus() throws Exception {
        Result ok = script("shell", "--run", dir.resolve("run").toString(), "ifconfig");
        assertEquals(0, ok.status(), ok.err());
        assertTrue(ok.out().contains("interface") || ok.out().contains("eth"), ok.out());

        Result failed = script("shell", "--run", dir.resolve("run").toString(), "arp", "add", "eth0", "198.18.0.300", "02:00:00:00:00:01");
        assertEquals(1, failed.status());
        assertEquals(1, failed.err().lines().count(), "one sentence: " + failed.err());

        Result elsewhere = script("shell", "--run", dir.resolve("nothing-here").toString(), "lb");
        assertEquals(ControlClient.NOT_RUNNING, elsewhere.status());

        Result twice = script("run", "--run", dir.resolve("run").toString(), "--no-console");
        assertEquals(1, twice.status());
        assertTrue(twice.err().startsWith("netstack: a netstack is already running in "), twice.err());
    }

    private record Result(int status, String out, String err) {
    }

    private Result script(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(dist.resolve("bin/netstack").toString());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process child = builder.start();
        child.getOutputStream().close();
        CompletableFuture<String> err = readInBackground(child.getErrorStream());
        String out = readAll(child.getInputStream());
        assertTrue(child.waitFor(60, TimeUnit.SECONDS));
        return new Result(child.exitValue(), out, err.join());
    }

    /** Whether the distribution's bundle {@code artifact} declares DS components (not only an API). */
    private boolean hasComponents(String artifact) throws IOException {
        try (Stream<Path> files = Files.list(dist.resolve("bundle"))) {
            for (Path jar : files.filter(f -> f.getFileName().toString().startsWith(artifact + "-")).toList()) {
                try (JarFile file = new JarFile(jar.toFile())) {
                    if (file.getManifest().getMainAttributes().getValue("Service-Component") != null) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private void readLines(InputStream in) {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                stdout.add(line);
            }
        } catch (IOException e) {
            stdout.add("read failed: " + e);
        }
    }

    /** On a thread of its own: the common pool may have a single thread, already blocked reading. */
    private static CompletableFuture<String> readInBackground(InputStream in) {
        CompletableFuture<String> text = new CompletableFuture<>();
        Thread.ofPlatform().daemon().start(() -> text.complete(readAll(in)));
        return text;
    }

    private static String readAll(InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "read failed: " + e;
        }
    }
}
