package dev.netstack.test;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs a process to completion with a timeout, capturing its output. Control path only. */
public final class Exec {

    /** Default timeout of {@link #run(String...)}. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    /**
     * What a process did.
     *
     * @param command the command line
     * @param exitCode its exit code, or -1 if it timed out and was killed
     * @param stdout standard output, UTF-8
     * @param stderr standard error, UTF-8
     * @param timedOut whether it ran past its timeout
     */
    public record Result(List<String> command, int exitCode, String stdout, String stderr, boolean timedOut) {

        public boolean ok() {
            return exitCode == 0 && !timedOut;
        }

        /** This result if the process succeeded; otherwise an IllegalStateException with its output. */
        public Result check() {
            if (!ok()) {
                throw new IllegalStateException(this.toString());
            }
            return this;
        }

        @Override
        public String toString() {
            return String.join(" ", command) + (timedOut ? ": timed out" : ": exit " + exitCode)
                    + (stdout.isBlank() ? "" : "\nstdout: " + stdout.strip())
                    + (stderr.isBlank() ? "" : "\nstderr: " + stderr.strip());
        }
    }

    private Exec() {
    }

    /** Runs {@code command} with the {@link #DEFAULT_TIMEOUT}. */
    public static Result run(String... command) {
        return run(DEFAULT_TIMEOUT, List.of(command));
    }

    public static Result run(Duration timeout, String... command) {
        return run(timeout, List.of(command));
    }

    /**
     * Runs {@code command}, waiting at most {@code timeout}; on timeout the process and its
     * descendants are killed.
     *
     * @throws UncheckedIOException if the program cannot be started (not installed, say)
     */
    public static Result run(Duration timeout, List<String> command) {
        Process process;
        try {
            process = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + String.join(" ", command) + ": " + e.getMessage(), e);
        }
        CompletableFuture<String> out = drain(process.getInputStream());
        CompletableFuture<String> err = drain(process.getErrorStream());
        boolean finished;
        try {
            finished = process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            finished = false;
        }
        if (!finished) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            try {
                process.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return new Result(List.copyOf(command), finished ? process.exitValue() : -1, out.join(), err.join(), !finished);
    }

    private static CompletableFuture<String> drain(InputStream in) {
        CompletableFuture<String> text = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (in) {
                text.complete(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                text.complete("");
            }
        });
        return text;
    }
}
